//! The subcommand's run file, `target/allocguard/<run-id>/run.json`: every
//! scenario of every target, with its profile and how it ended.

use std::path::Path;

use allocguard::_cargo_allocguard::SnapshotMismatch;
use allocguard::harness::Profile;
use allocguard::Scale;
use anyhow::Context;

/// Version of the [`Run`] layout. 2: profiles of schema 2 (`hot_ops`,
/// counts after warm-up, tick histograms), the workspace root, real
/// per-scenario durations. 3: profiles of schema 3 (phases may carry their
/// allocation sites). Files of schemas 1 and 2 are still read (their phases
/// have no sites).
pub const RUN_SCHEMA_VERSION: u32 = 3;

/// One `cargo allocguard run`, or the merge of several partitioned ones.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Run {
    /// [`RUN_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Unique id; also the directory name under target/allocguard/.
    pub run_id: String,
    /// When the run started (RFC 3339, UTC).
    pub started: String,
    /// `git rev-parse --short HEAD`, with `-dirty-` and a hash of the diff
    /// for uncommitted changes.
    pub git_rev: String,
    /// Scale of every scenario.
    pub scale: Scale,
    /// Cargo profile the scenarios were built with.
    pub build_profile: String,
    /// The workspace the scenarios belong to (`report` picks the latest run
    /// of its own workspace when several share a target directory).
    #[serde(default)]
    pub workspace_root: Option<String>,
    /// The shard this run was (`slice:1/3`), or the shards merged into it.
    pub partition: Option<String>,
    /// Every scenario run, sorted by package, target and name.
    pub scenarios: Vec<ScenarioResult>,
}

/// How a scenario ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Expectations met, snapshot matched.
    Passed,
    /// A violation, growth in a bounded phase, a panic or a snapshot mismatch.
    Failed,
    /// The binary died from a signal or exited without a result.
    Crashed,
    /// Killed after `--timeout`.
    TimedOut,
}

impl Status {
    /// Anything but `Passed`.
    pub fn is_failure(self) -> bool {
        self != Status::Passed
    }

    /// As shown in progress lines and tables: `PASS`, `FAIL`, `CRASHED`,
    /// `TIMED OUT`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Passed => "PASS",
            Status::Failed => "FAIL",
            Status::Crashed => "CRASHED",
            Status::TimedOut => "TIMED OUT",
        }
    }

    /// As written in the phase log: `passed`, `failed`, `crashed`, `timed_out`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Crashed => "crashed",
            Status::TimedOut => "timed_out",
        }
    }
}

/// One scenario of one run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioResult {
    /// The package that owns the target.
    pub package: String,
    /// The test target (binary) that holds the scenario.
    pub target: String,
    /// The scenario's name.
    pub name: String,
    /// How it ended.
    pub status: Status,
    /// Why it failed, when it did.
    pub failure: Option<String>,
    /// Its profile, when the harness produced one.
    pub profile: Option<Profile>,
    /// How long the scenario took, in milliseconds: as the harness measured
    /// it, or for one that crashed or timed out, from its start to its end.
    pub duration_ms: f64,
    /// Processes it started and left running when it ended (`PID COMMAND`),
    /// which allocguard then ended: a leaky scenario.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaked: Vec<String>,
    /// Where the scenario is declared (`Scenario::new`'s file and line), for
    /// one that left no profile to say so (it crashed or timed out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_at: Option<(String, u32)>,
    /// How its snapshot did not match, when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotMismatch>,
    /// What a scenario that crashed or timed out wrote to standard error,
    /// whole (its failure shows the end of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

impl ScenarioResult {
    /// Whether all that failed is that the scenario has no snapshot yet at
    /// this build profile and scale: new, not a failure of the code. It
    /// still fails the run (as `cargo insta test` does) until the snapshot
    /// is reviewed and committed, and in CI, where nothing is written.
    pub fn only_new_snapshot(&self) -> bool {
        self.status == Status::Failed && self.snapshot.is_some_and(|m| m.new && m.alone)
    }

    /// As shown in progress lines and tables: the status, or `LEAKY` for a
    /// scenario that passed but left processes running.
    pub fn label(&self) -> &'static str {
        if self.status == Status::Passed && !self.leaked.is_empty() {
            "LEAKY"
        } else if self.only_new_snapshot() {
            "NEW"
        } else {
            self.status.label()
        }
    }
}

impl Run {
    /// Reads a run file, naming it in every error.
    pub fn read(path: &Path) -> anyhow::Result<Run> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let run: Run = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a cargo-allocguard run file", path.display()))?;
        anyhow::ensure!(
            run.schema_version >= 1,
            "{}: run schema 0 was never written by cargo-allocguard (its schemas start at 1): \
             not a run file this can read",
            path.display()
        );
        anyhow::ensure!(
            run.schema_version <= RUN_SCHEMA_VERSION,
            "{}: run schema {} is newer than this cargo-allocguard understands ({RUN_SCHEMA_VERSION}); update it",
            path.display(),
            run.schema_version
        );
        Ok(run)
    }

    /// Writes the run as a new file, whole or not at all (see
    /// [`whole_file`](crate::store::whole_file)); an existing file is never
    /// replaced.
    pub fn write_new(&self, path: &Path) -> anyhow::Result<()> {
        if path.exists() {
            anyhow::bail!(
                "cannot create {}: it exists (it must not exist yet)",
                path.display()
            );
        }
        crate::store::whole_file::write_whole(
            path,
            crate::store::whole_file::Existing::Refuse,
            |w| {
                serde_json::to_writer_pretty(&mut *w, self)?;
                w.write_all(b"\n")
            },
        )
    }

    /// Scenarios that did not pass.
    pub fn failures(&self) -> impl Iterator<Item = &ScenarioResult> {
        self.scenarios.iter().filter(|s| s.status.is_failure())
    }

    /// [`duration_ms`](ScenarioResult::duration_ms) as a `Duration`.
    pub fn duration_of(s: &ScenarioResult) -> std::time::Duration {
        std::time::Duration::from_secs_f64((s.duration_ms / 1e3).max(0.0))
    }

    /// Puts scenarios in the canonical order (package, target, name).
    pub fn sort(&mut self) {
        self.scenarios.sort_by(|a, b| {
            (&a.package, &a.target, &a.name).cmp(&(&b.package, &b.target, &b.name))
        });
    }
}

/// A new run id: the UTC start time and the process id.
pub fn new_run_id(started: std::time::SystemTime) -> String {
    let stamp = humantime::format_rfc3339_seconds(started).to_string();
    format!("{}-{}", stamp.replace(['-', ':'], ""), std::process::id())
}
