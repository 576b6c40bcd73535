//! [`Harness`]: a scenario test binary's `main`, on libtest-mimic.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use libtest_mimic::{Arguments, Failed, Trial};

use super::process_tree;
use super::profile::Profile;
use super::run_file::{RunFile, ScenarioRecord, SnapshotMismatch, OUT_ENV, RUN_SCHEMA_VERSION};
use super::scale::Scale;
use super::scenario::Scenario;
use super::seal;
use super::snapshot;
use super::verdict::Failure;

/// A scenario with its state type erased, so scenarios of different states
/// can share one harness.
trait ErasedScenario: Send {
    fn name(&self) -> &str;
    fn ignored(&self) -> bool;
    fn snapshot(&self) -> Option<bool>;
    fn source(&self) -> Option<(&'static str, u32)>;
    fn run_and_check(&mut self, scale: Scale) -> Result<Profile, Failure>;
}

impl<S: 'static> ErasedScenario for Scenario<S> {
    fn name(&self) -> &str {
        &self.name
    }
    fn ignored(&self) -> bool {
        self.ignored
    }
    /// `None` when off; else whether bytes are included.
    fn snapshot(&self) -> Option<bool> {
        self.snapshot.then_some(self.snapshot_bytes)
    }
    fn run_and_check(&mut self, scale: Scale) -> Result<Profile, Failure> {
        Scenario::run_and_check(self, scale)
    }
    fn source(&self) -> Option<(&'static str, u32)> {
        self.source.map(|l| (l.file(), l.line()))
    }
}

/// The `main` of a scenario test target (`harness = false`): one libtest
/// trial per scenario, so `--list`, filters, `--exact` and `--ignored` work
/// under `cargo test` and `cargo nextest run`.
///
/// Scenarios run one at a time on the main thread (process-wide counts are
/// exact only then); nextest runs each in its own process anyway.
pub struct Harness {
    args: Arguments,
    scenarios: Vec<Box<dyn ErasedScenario>>,
    snapshot_dir: Option<PathBuf>,
}

impl Harness {
    /// A harness reading libtest's command line.
    pub fn from_args() -> Self {
        Self::with_args(Arguments::from_args())
    }

    /// A harness with the given arguments (for tests of the harness itself).
    pub fn with_args(args: Arguments) -> Self {
        Self {
            args,
            scenarios: Vec::new(),
            snapshot_dir: None,
        }
    }

    /// Adds a scenario.
    pub fn scenario<S: 'static>(mut self, scenario: Scenario<S>) -> Self {
        self.scenarios.push(Box::new(scenario));
        self
    }

    /// Keeps snapshots in `dir` instead of `snapshots/` at the workspace root.
    pub fn snapshot_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.snapshot_dir = Some(dir.into());
        self
    }

    /// Runs the selected scenarios and returns the process exit code: 0 when
    /// all passed, 101 when one failed (libtest's code), 2 for a bad
    /// `ALLOCGUARD_SCALE`, 3 when the run file cannot be written.
    pub fn run(self) -> ExitCode {
        let scale = match Scale::from_env() {
            Ok(scale) => scale,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let snapshot_dir = self
            .snapshot_dir
            .clone()
            .unwrap_or_else(snapshot::default_snapshot_dir);
        warm_up_std();
        process_tree::become_subreaper();
        // Before any scenario runs: none of them can read it from here.
        let key = out_path().and_then(|_| seal::key_from_stdin());

        let trials = self
            .scenarios
            .into_iter()
            .map(|mut scenario| {
                let name = scenario.name().to_string();
                let ignored = scenario.ignored();
                let source = scenario.source();
                let dir = snapshot_dir.clone();
                Trial::test(name.clone(), move || {
                    // Said before anything of the scenario runs: a crash is
                    // then blamed on it, whatever it printed.
                    if let Some(path) = out_path() {
                        if let Err(e) = RunFile::append_started(&path, &name, source, key) {
                            eprintln!(
                                "error: cannot append to the run file {} ({OUT_ENV}): {e}",
                                path.display()
                            );
                        }
                    }
                    if let Some(mark) = std::env::var_os(OUTPUT_MARK_ENV) {
                        // Said on standard error too, so that what a crashed
                        // scenario printed can be told from the one before.
                        let mut err = std::io::stderr().lock();
                        let _ = writeln!(err, "\n{} {name}", mark.to_string_lossy());
                    }
                    let children_before = process_tree::descendants();
                    let started = std::time::Instant::now();
                    let mut record = run_trial(scenario.as_mut(), scale, &dir);
                    record.duration_ns = Some(started.elapsed().as_nanos() as u64);
                    record.leaked = process_tree::left_running(&children_before);
                    if !record.leaked.is_empty() {
                        // Ended now: the scenarios after it must not run
                        // beside what this one left (it is LEAKY, and says
                        // which they were).
                        process_tree::end_new(&children_before);
                    }
                    let result = match &record.failure {
                        None => Ok(()),
                        Some(msg) => Err(Failed::from(msg.as_str())),
                    };
                    // Appended as each scenario ends, so that a crash in a
                    // later one loses nothing that finished.
                    if let Some(path) = out_path() {
                        if let Err(e) = RunFile::append(&path, &record, key) {
                            eprintln!(
                                "error: cannot append to the run file {} ({OUT_ENV}): {e}",
                                path.display()
                            );
                        }
                    }
                    result
                })
                .with_ignored_flag(ignored)
            })
            .collect();

        let mut args = self.args;
        args.test_threads = Some(1);
        let listing = args.list;
        if !listing {
            if let Some(path) = out_path() {
                if let Err(e) = start_run_file(&path, scale) {
                    eprintln!("error: {e}");
                    return ExitCode::from(3);
                }
            }
        }
        let conclusion = libtest_mimic::run(&args, trials);

        conclusion.exit_code()
    }
}

/// The run file named by `ALLOCGUARD_OUT`, if any.
fn out_path() -> Option<PathBuf> {
    std::env::var_os(OUT_ENV).map(PathBuf::from)
}

/// Starts the run file with its header.
fn start_run_file(path: &std::path::Path, scale: Scale) -> Result<(), String> {
    RunFile {
        schema_version: RUN_SCHEMA_VERSION,
        allocguard_version: env!("CARGO_PKG_VERSION").to_string(),
        build_profile: super::runner::build_profile().to_string(),
        scale,
        binary: std::env::args().next().unwrap_or_default(),
        scenarios: Vec::new(),
    }
    .create(path)
    .map_err(|e| {
        format!(
            "cannot write the run file {} ({OUT_ENV}): {e}",
            path.display()
        )
    })
}

/// When set (by `cargo allocguard`), the harness writes a line `MARK NAME`
/// to standard error as each scenario starts, `MARK` being this variable's
/// value: what a crashed scenario printed is then told from the output of
/// the scenarios before it. Which scenario ran is never read from it (the
/// run file says so); it only cuts the output.
pub const OUTPUT_MARK_ENV: &str = "ALLOCGUARD_OUTPUT_MARK";

/// Set to `off` to skip snapshot assertions (exploratory and profiling runs).
pub const SNAPSHOTS_ENV: &str = "ALLOCGUARD_SNAPSHOTS";

fn snapshots_enabled() -> bool {
    !matches!(
        std::env::var(SNAPSHOTS_ENV).as_deref(),
        Ok("off") | Ok("0") | Ok("false")
    )
}

fn run_trial(
    scenario: &mut dyn ErasedScenario,
    scale: Scale,
    dir: &std::path::Path,
) -> ScenarioRecord {
    let name = scenario.name().to_string();
    let (profile, mut problems) = match scenario.run_and_check(scale) {
        Ok(profile) => (Some(profile), Vec::new()),
        Err(f) => (f.profile.map(|p| *p), vec![f.message]),
    };
    let snapshot = scenario.snapshot().filter(|_| snapshots_enabled());
    let mut mismatch = None;
    if let (Some(profile), Some(include_bytes)) = (&profile, snapshot) {
        if let Err(m) = snapshot::check_profile_snapshot(dir, profile, include_bytes) {
            mismatch = Some(SnapshotMismatch {
                new: m.new,
                alone: problems.is_empty(),
            });
            problems.push(m.message);
        }
    }
    ScenarioRecord {
        name,
        passed: problems.is_empty(),
        failure: (!problems.is_empty()).then(|| problems.join("\n\n")),
        profile,
        duration_ns: None,
        leaked: Vec::new(),
        snapshot: mismatch,
    }
}

/// Makes std's lazy one-time allocations happen before the first scenario,
/// so that whichever scenario runs first (under `cargo test`) or alone (under
/// nextest) measures the same thing.
fn warm_up_std() {
    let _ = std::time::Instant::now().elapsed();
    let _ = std::thread::current().name().map(str::len);
    let _ = crate::process_stats();
    let _ = super::runner::rss_bytes();
    let ((), _) = crate::measure_process(|| ());
    let _ = crate::try_no_alloc(|| ());
}
