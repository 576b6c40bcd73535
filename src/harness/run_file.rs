//! The run file: every scenario's full profile, written as JSON to the path in
//! `ALLOCGUARD_OUT` for `cargo allocguard` to read.

use std::io::Write;
use std::path::Path;

use super::profile::Profile;
use super::scale::Scale;

/// The environment variable naming the run file.
pub const OUT_ENV: &str = "ALLOCGUARD_OUT";

/// Version of the [`RunFile`] layout (see `PROFILE_SCHEMA_VERSION` for the rules).
pub const RUN_SCHEMA_VERSION: u32 = 1;

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
}

impl RunFile {
    /// Writes the file atomically: to a temporary file beside it, then
    /// renamed over it, so a reader never sees half a run. (No fsync: the
    /// file is rewritten after every scenario and need not survive a power
    /// cut, and syncing each time cost more than the scenarios themselves.)
    pub fn write_atomic(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        serde_json::to_writer_pretty(&mut f, self)?;
        f.write_all(b"\n")?;
        f.flush()?;
        drop(f);
        std::fs::rename(&tmp, path)
    }

    /// Reads a run file, naming the file in any error.
    pub fn read(path: &Path) -> Result<RunFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read run file {}: {e}", path.display()))?;
        let run: RunFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not an allocguard run file: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if run.schema_version > RUN_SCHEMA_VERSION {
            return Err(format!(
                "{}: run file schema {} is newer than this allocguard understands ({}); \
                 update cargo-allocguard",
                path.display(),
                run.schema_version,
                RUN_SCHEMA_VERSION
            ));
        }
        Ok(run)
    }
}
