//! The run file: every scenario's full profile, written to the path in
//! `ALLOCGUARD_OUT` for `cargo allocguard` to read.
//!
//! The file is JSON Lines: a header line (a [`RunFile`] without scenarios),
//! then, for each scenario, a line `{"started":"NAME"}` as it starts and its
//! [`ScenarioRecord`] as it ends, so a crash in a later scenario loses
//! nothing that finished, the one a crash happened in is known from the
//! harness itself (never from text a scenario may print), and writing stays
//! linear in the number of scenarios.

use std::io::Write;
use std::path::Path;

use super::profile::Profile;
use super::scale::Scale;
use super::seal::SealKey;

/// The environment variable naming the run file.
pub const OUT_ENV: &str = "ALLOCGUARD_OUT";

/// Version of the [`RunFile`] layout (see `PROFILE_SCHEMA_VERSION` for the rules).
///
/// 2: profiles of schema 3 (allocation sites); files of schema 1 are still
/// read.
pub const RUN_SCHEMA_VERSION: u32 = 2;

/// One run of one harness binary.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunFile {
    /// [`RUN_SCHEMA_VERSION`] at the time of writing.
    pub schema_version: u32,
    /// Version of allocguard that wrote it.
    pub allocguard_version: String,
    /// `debug` or `release`.
    pub build_profile: String,
    /// Scale of the run.
    pub scale: Scale,
    /// Path of the harness binary.
    pub binary: String,
    /// Every scenario that ran, in order.
    pub scenarios: Vec<ScenarioRecord>,
}

/// The outcome of one scenario.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioRecord {
    /// Its name.
    pub name: String,
    /// Whether it passed (expectations met, snapshot matched).
    pub passed: bool,
    /// Why it failed, when it did.
    pub failure: Option<String>,
    /// Its profile, unless it panicked before one existed.
    pub profile: Option<Profile>,
    /// How long it took, from the start of its setup to the end of its
    /// snapshot check, in nanoseconds.
    #[serde(default)]
    pub duration_ns: Option<u64>,
    /// Child processes it started that were still running when it ended
    /// (`PID COMMAND`; Linux only): it leaked them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaked: Vec<String>,
    /// How its snapshot did not match, when it was checked and did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotMismatch>,
}

/// How a scenario's snapshot did not match its profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnapshotMismatch {
    /// None was recorded yet for the scenario at this build profile and
    /// scale (otherwise the recorded one differs, or could not be read).
    pub new: bool,
    /// The snapshot is all that failed: the scenario met its expectations.
    pub alone: bool,
}

impl RunFile {
    /// Starts a run file at `path` with this header (any old file there is
    /// replaced: the harness owns the path it is given).
    pub fn create(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let header = RunFile {
            scenarios: Vec::new(),
            ..self.clone()
        };
        let mut line = serde_json::to_vec(&header)?;
        line.push(b'\n');
        std::fs::write(path, line)
    }

    /// Appends one scenario's record as one line, in a single write,
    /// sealed with `key` when there is one (see [`SealKey`]).
    pub fn append(
        path: &Path,
        record: &ScenarioRecord,
        key: Option<SealKey>,
    ) -> std::io::Result<()> {
        Self::append_line(path, serde_json::to_string(record)?, key)
    }

    /// Appends the line that says a scenario starts, sealed likewise.
    pub fn append_started(
        path: &Path,
        name: &str,
        source: Option<(&str, u32)>,
        key: Option<SealKey>,
    ) -> std::io::Result<()> {
        Self::append_line(
            path,
            serde_json::to_string(&Line::Started {
                started: name.into(),
                source_file: source.map(|(f, _)| f.to_string()),
                source_line: source.map(|(_, l)| l),
            })?,
            key,
        )
    }

    fn append_line(path: &Path, json: String, key: Option<SealKey>) -> std::io::Result<()> {
        let json = match key {
            Some(key) => serde_json::to_string(&Line::Sealed {
                sealed: key.seal(&json),
                line: json,
            })?,
            None => json,
        };
        let mut line = Vec::with_capacity(json.len() + 1);
        line.extend_from_slice(json.as_bytes());
        line.push(b'\n');
        let mut f = std::fs::OpenOptions::new().append(true).open(path)?;
        f.write_all(&line)
    }

    /// Writes the whole run (header and records) as a new JSON Lines file,
    /// atomically: to a temporary file beside it, then renamed over it.
    pub fn write_atomic(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        self.create(&tmp)?;
        for r in &self.scenarios {
            Self::append(&tmp, r, None)?;
        }
        std::fs::rename(&tmp, path)
    }

    /// Reads a run file, naming the file and line in any error.
    pub fn read(path: &Path) -> Result<RunFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read run file {}: {e}", path.display()))?;
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, first) = lines
            .next()
            .ok_or_else(|| format!("{}: empty run file", path.display()))?;
        let mut run: RunFile = serde_json::from_str(first)
            .map_err(|e| format!("{}:1: not an allocguard run file: {e}", path.display()))?;
        if run.schema_version == 0 {
            return Err(format!(
                "{}: run file schema 0 was never written by allocguard (its schemas start at 1)",
                path.display()
            ));
        }
        if run.schema_version > RUN_SCHEMA_VERSION {
            return Err(format!(
                "{}: run file schema {} is newer than this allocguard understands ({}); \
                 update cargo-allocguard",
                path.display(),
                run.schema_version,
                RUN_SCHEMA_VERSION
            ));
        }
        let bad = |n: usize, e: serde_json::Error| {
            format!("{}:{}: not a scenario record: {e}", path.display(), n + 1)
        };
        for (n, line) in lines {
            let mut line: Line = serde_json::from_str(line).map_err(|e| bad(n, e))?;
            // Unsealed here, not checked: `cargo allocguard` checks seals
            // with the key it holds.
            if let Line::Sealed { line: inner, .. } = &line {
                line = serde_json::from_str(inner).map_err(|e| bad(n, e))?;
            }
            match line {
                Line::Started { .. } | Line::Sealed { .. } => {}
                Line::Record(record) => run.scenarios.push(*record),
            }
        }
        Ok(run)
    }
}

/// A line of a run file after the header.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Line {
    /// Another line, as the harness wrote it, and its seal (see
    /// [`SealKey`]): what `cargo allocguard` reads when it handed the
    /// harness a key.
    Sealed {
        /// The keyed hash of `line`.
        sealed: String,
        /// The line: a `Started` or a `Record`, as JSON.
        line: String,
    },
    /// A scenario starts.
    Started {
        /// Its name.
        started: String,
        /// The file of its declaration (`Scenario::new`), so that a crash,
        /// which leaves no profile, can still be placed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source_file: Option<String>,
        /// The line of its declaration.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source_line: Option<u32>,
    },
    /// A scenario ended.
    Record(Box<ScenarioRecord>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_append_as_lines_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let header = RunFile {
            schema_version: RUN_SCHEMA_VERSION,
            allocguard_version: "0".into(),
            build_profile: "debug".into(),
            scale: Scale::Smoke,
            binary: "b".into(),
            scenarios: Vec::new(),
        };
        header.create(&path).unwrap();
        for name in ["a", "b"] {
            RunFile::append_started(&path, name, None, None).unwrap();
            let r = ScenarioRecord {
                name: name.into(),
                passed: true,
                failure: None,
                profile: None,
                duration_ns: Some(1),
                leaked: Vec::new(),
                snapshot: None,
            };
            RunFile::append(&path, &r, None).unwrap();
        }
        let run = RunFile::read(&path).unwrap();
        assert_eq!(run.scenarios.len(), 2);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 5);
        std::fs::write(&path, "{\"schema_version\":1}\nnot json\n").unwrap();
        let e = RunFile::read(&path).unwrap_err();
        assert!(
            e.contains(":1: not an allocguard run file") || e.contains(":2: not a scenario record"),
            "{e}"
        );
    }
}
