//! `cargo allocguard run`: build, run each scenario in its own process,
//! write the run file, append the phase log, apply the gates, report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use allocguard::harness::{RunFile, OUT_ENV, SCALE_ENV};
use anyhow::Context;

use crate::cli::{CargoOpts, RunArgs};
use crate::config::{Config, CONFIG_FILE};
use crate::discover::{self, ScenarioTarget};
use crate::error::{CliError, CliResult, WithCode};
use crate::exec::{self, Job};
use crate::gates::GateResult;
use crate::model::{Run, ScenarioResult, Status, RUN_SCHEMA_VERSION};
use crate::partition::Partition;
use crate::phase_log::{self, PhaseRow};
use crate::{ci, results, Output};

/// The default per-scenario timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// One scenario to run.
#[derive(Clone, Debug)]
pub struct Selected {
    /// Its target.
    pub target: ScenarioTarget,
    /// The target's executable.
    pub exe: PathBuf,
    /// The scenario's name.
    pub name: String,
    /// Whether it is ignored (selected by its exact name).
    pub ignored: bool,
    /// Every scenario its binary holds (to skip the ones not selected).
    pub siblings: std::sync::Arc<Vec<String>>,
}

/// Builds the targets and lists their scenarios, filtered, in canonical order.
pub fn select(
    meta: &cargo_metadata::Metadata,
    cargo: &CargoOpts,
    filters: &[String],
    extra_features: &[&str],
    out: &Output,
) -> CliResult<Vec<Selected>> {
    let targets = discover::scenario_targets(meta, cargo).usage_err()?;
    if targets.is_empty() {
        return Err(CliError::usage(anyhow::anyhow!(discover::no_targets_help(
            meta
        ))));
    }
    let exes = crate::build::build(&targets, cargo, extra_features, out.verbose > 0).infra_err()?;
    let mut selected = Vec::new();
    for t in &targets {
        let exe = &exes[&(t.package.clone(), t.target.clone())];
        let listing = exec::list(exe, &t.package_dir).infra_err()?;
        let siblings =
            std::sync::Arc::new(listing.iter().map(|l| l.name.clone()).collect::<Vec<_>>());
        for listed in listing {
            let chosen = if listed.ignored {
                filters.iter().any(|f| f == &listed.name)
            } else {
                filters.is_empty() || filters.iter().any(|f| listed.name.contains(f.as_str()))
            };
            if chosen {
                selected.push(Selected {
                    target: t.clone(),
                    exe: exe.clone(),
                    name: listed.name,
                    ignored: listed.ignored,
                    siblings: siblings.clone(),
                });
            }
        }
    }
    selected.sort_by(|a, b| {
        (&a.target.package, &a.target.target, &a.name).cmp(&(
            &b.target.package,
            &b.target.target,
            &b.name,
        ))
    });
    if selected.is_empty() && !filters.is_empty() {
        return Err(CliError::usage(anyhow::anyhow!(
            "no scenario matches {}; `cargo allocguard list` shows them all",
            filters.join(" or ")
        )));
    }
    Ok(selected)
}

/// `git rev-parse --short HEAD`, `-dirty` when tracked files changed.
pub fn git_rev(root: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(rev) if !rev.is_empty() => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{rev}-dirty")
            } else {
                rev
            }
        }
        _ => "unknown".to_string(),
    }
}

/// A new run id: the UTC start time and the process id.
pub fn new_run_id(started: std::time::SystemTime) -> String {
    let stamp = humantime::format_rfc3339_seconds(started).to_string();
    format!("{}-{}", stamp.replace(['-', ':'], ""), std::process::id())
}

/// Turns a finished scenario process into its result.
fn result_of(
    sel: &Selected,
    finished: &exec::Finished,
    out_file: &Path,
    timeout: Duration,
) -> ScenarioResult {
    let record = RunFile::read(out_file)
        .ok()
        .and_then(|r| r.scenarios.into_iter().find(|s| s.name == sel.name));
    let tail = |s: &str| {
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    };
    let (status, failure, profile) = if finished.timed_out {
        (
            Status::TimedOut,
            Some(format!(
                "killed after the timeout of {} (raise it with --timeout or [run] timeout); last output:\n{}",
                humantime::format_duration(timeout),
                tail(&finished.stderr)
            )),
            None,
        )
    } else if let Some(sig) = finished.signal() {
        (
            Status::Crashed,
            Some(format!(
                "the scenario binary was killed by signal {sig}{}; last output:\n{}",
                signal_name(sig),
                tail(&finished.stderr)
            )),
            record.and_then(|r| r.profile),
        )
    } else if let Some(r) = record {
        let status = if r.passed {
            Status::Passed
        } else {
            Status::Failed
        };
        (status, r.failure, r.profile)
    } else {
        (
            Status::Crashed,
            Some(format!(
                "the scenario binary exited ({}) without a result; last output:\n{}",
                finished
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "unknown status".into()),
                tail(&finished.stderr)
            )),
            None,
        )
    };
    ScenarioResult {
        package: sel.target.package.clone(),
        target: sel.target.target.clone(),
        name: sel.name.clone(),
        status,
        failure,
        profile,
        duration_ms: finished.elapsed.as_millis() as u64,
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    }
}

fn scenario_env(
    out_file: &Path,
    scale: allocguard::Scale,
    ci_mode: bool,
    package_dir: &Path,
) -> Vec<(String, PathBuf)> {
    let mut env = vec![
        (OUT_ENV.to_string(), out_file.to_path_buf()),
        (SCALE_ENV.to_string(), PathBuf::from(scale.to_string())),
        ("CARGO_MANIFEST_DIR".to_string(), package_dir.to_path_buf()),
    ];
    if ci_mode {
        env.push(("CI".to_string(), PathBuf::from("true")));
    }
    env
}

/// A result for `sel` from the records a binary wrote, if it has one.
fn recorded(
    sel: &Selected,
    records: &[allocguard::harness::ScenarioRecord],
    elapsed_ms: u64,
) -> Option<ScenarioResult> {
    let r = records.iter().find(|r| r.name == sel.name)?;
    Some(ScenarioResult {
        package: sel.target.package.clone(),
        target: sel.target.target.clone(),
        name: sel.name.clone(),
        status: if r.passed {
            Status::Passed
        } else {
            Status::Failed
        },
        failure: r.failure.clone(),
        profile: r.profile.clone(),
        duration_ms: elapsed_ms,
    })
}

/// Runs the selected scenarios: each harness binary once for all of its
/// scenarios (as by hand, so each process pays its start-up and symbol
/// loading once), with progress from libtest's own announcements. When a
/// binary crashes or times out, the scenario it was in is marked so, and the
/// ones it never reached are run again, each in a process of its own.
pub fn execute(
    selected: &[Selected],
    run_dir: &Path,
    scale: allocguard::Scale,
    ci_mode: bool,
    timeout: Duration,
    out: &Output,
) -> CliResult<Vec<ScenarioResult>> {
    let bar = out.progress(selected.len() as u64);
    let mut results = Vec::with_capacity(selected.len());
    let mut groups: Vec<Vec<&Selected>> = Vec::new();
    for sel in selected {
        match groups.last_mut() {
            Some(g) if g[0].exe == sel.exe => g.push(sel),
            _ => groups.push(vec![sel]),
        }
    }
    for (k, group) in groups.iter().enumerate() {
        let first = group[0];
        let out_file = run_dir
            .join("scenarios")
            .join(format!("binary-{k:03}.json"));
        let chosen: Vec<&str> = group.iter().map(|s| s.name.as_str()).collect();
        let job = exec::BinaryJob {
            exe: &first.exe,
            dir: &first.target.package_dir,
            only: None,
            skip: first
                .siblings
                .iter()
                .filter(|n| !chosen.contains(&n.as_str()))
                .cloned()
                .collect(),
            include_ignored: group.iter().any(|s| s.ignored),
            env: scenario_env(&out_file, scale, ci_mode, &first.target.package_dir),
            timeout: Some(timeout),
        };
        let mut announced = 0u64;
        let done = exec::run_binary(&job, |exec::Event::Started(name)| {
            if announced > 0 {
                bar.inc(1);
            }
            announced += 1;
            bar.set_message(name.clone());
        })
        .infra_err()?;
        bar.inc(u64::from(announced > 0));
        if out.verbose > 0 {
            bar.suspend(|| {
                eprintln!("── {} ({})", first.target.target, first.exe.display());
                eprint!("{}{}", done.finished.stdout, done.finished.stderr);
            });
        }
        let records = RunFile::read(&out_file)
            .map(|r| r.scenarios)
            .unwrap_or_default();
        let per_scenario_ms = done.finished.elapsed.as_millis() as u64 / group.len() as u64;
        let died = done.finished.timed_out
            || done.finished.signal().is_some()
            || records.len() < group.len();
        for sel in group {
            if let Some(r) = recorded(sel, &records, per_scenario_ms) {
                results.push(r);
            } else if died && done.last_started.as_deref() == Some(sel.name.as_str()) {
                // The binary died in this scenario: report it as such.
                let out_file = run_dir
                    .join("scenarios")
                    .join(format!("binary-{k:03}.json"));
                results.push(result_of(sel, &done.finished, &out_file, timeout));
            } else {
                // Never reached: run it alone.
                let own = run_dir
                    .join("scenarios")
                    .join(format!("binary-{k:03}-{}.json", results.len()));
                let job = Job {
                    exe: &sel.exe,
                    dir: &sel.target.package_dir,
                    scenario: &sel.name,
                    ignored: sel.ignored,
                    env: scenario_env(&own, scale, ci_mode, &sel.target.package_dir),
                    timeout: Some(timeout),
                };
                bar.set_message(sel.name.clone());
                let finished = exec::run(&job).infra_err()?;
                results.push(result_of(sel, &finished, &own, timeout));
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();
    Ok(results)
}

/// Finds the baseline row of `row` (same package, scenario, phase).
fn baseline_for<'a>(base: &[&'a PhaseRow], row: &PhaseRow) -> Option<&'a PhaseRow> {
    base.iter()
        .find(|b| b.package == row.package && b.scenario == row.scenario && b.phase == row.phase)
        .copied()
}

/// Applies the gates to every phase of the run.
pub fn apply_gates(config: &Config, run: &Run, baseline: &[&PhaseRow]) -> Vec<GateResult> {
    let mut out = Vec::new();
    for s in &run.scenarios {
        for row in phase_log::rows_of(run, s, "", "") {
            out.extend(config.gates.check(&row, baseline_for(baseline, &row)));
        }
    }
    out
}

/// Where the phase log lives.
pub fn phase_log_path(flag: Option<&Path>, config: &Config, root: &Path) -> PathBuf {
    let p = flag
        .map(Path::to_path_buf)
        .or_else(|| config.phase_log.clone())
        .unwrap_or_else(|| PathBuf::from(phase_log::DEFAULT_PATH));
    if p.is_absolute() {
        p
    } else {
        root.join(p)
    }
}

/// Loads allocguard.toml from `--config` or the workspace root.
pub fn load_config(flag: Option<&Path>, root: &Path) -> CliResult<Config> {
    match flag {
        Some(p) => Config::load(p, true).usage_err(),
        None => Config::load(&root.join(CONFIG_FILE), false).usage_err(),
    }
}

/// Prints the results, the failures and the gates; writes the CI outputs.
pub fn report_run(
    run: &Run,
    gates: &[GateResult],
    root: &Path,
    ci_mode: bool,
    junit: Option<&Path>,
    elapsed: f64,
    out: &Output,
) -> CliResult<bool> {
    let mut stdout = out.stdout();
    if !out.quiet {
        let _ = write!(stdout, "{}", results::table(run));
        if gates.iter().any(|g| !g.passed) || out.verbose > 0 {
            let _ = write!(stdout, "\n{}", results::gate_table(gates));
        }
    }
    let _ = write!(stdout, "{}", results::failure_details(run));
    let _ = write!(stdout, "\n{}", results::summary_line(run, gates, elapsed));
    if ci_mode && ci::github_actions() {
        let _ = write!(stdout, "{}", ci::annotations(run, gates, root));
        ci::append_step_summary(&ci::markdown_summary(run, gates)).infra_err()?;
    }
    if let Some(path) = junit {
        ci::write_junit(run, path).usage_err()?;
    }
    Ok(run.failures().next().is_none() && gates.iter().all(|g| g.passed))
}

/// `cargo allocguard run`.
pub fn run(args: RunArgs, out: &Output) -> CliResult<bool> {
    let started_at = Instant::now();
    let started = std::time::SystemTime::now();
    let partition = args
        .partition
        .as_deref()
        .map(Partition::parse)
        .transpose()
        .usage_err()?;
    let ci_mode = ci::ci_mode(args.ci);

    let stage = |what: &str| {
        if out.verbose > 1 {
            eprintln!("[{:>7.3} s] {what}", started_at.elapsed().as_secs_f64());
        }
    };
    let meta = discover::metadata(&args.cargo).usage_err()?;
    stage("cargo metadata");
    let root = meta.workspace_root.as_std_path().to_path_buf();
    let config = load_config(args.config.as_deref(), &root)?;
    let log_path = phase_log_path(args.phase_log.as_deref(), &config, &root);
    // Read the baseline first: a bad label should stop us before the build.
    let baseline_rows = match &args.baseline {
        Some(label) => {
            let rows = phase_log::read(&log_path).usage_err()?;
            let latest: Vec<PhaseRow> = phase_log::latest_run(&rows, label)
                .into_iter()
                .cloned()
                .collect();
            if latest.is_empty() {
                return Err(CliError::usage(anyhow::anyhow!(
                    "--baseline {label}: no run with that label in {}; labels there: {}",
                    log_path.display(),
                    phase_log::labels(&rows).join(", ")
                )));
            }
            latest
        }
        None => Vec::new(),
    };
    let scale = args
        .scale
        .map(Into::into)
        .or(config.scale)
        .unwrap_or(allocguard::Scale::Default);
    let timeout = args.timeout.or(config.timeout).unwrap_or(DEFAULT_TIMEOUT);

    let mut selected = select(&meta, &args.cargo, &args.filters, &[], out)?;
    stage("built and listed");
    if let Some(p) = partition {
        let ids: Vec<String> = selected
            .iter()
            .map(|s| format!("{}/{}/{}", s.target.package, s.target.target, s.name))
            .collect();
        selected = selected
            .into_iter()
            .enumerate()
            .filter(|(i, _)| p.contains(*i, &ids[*i]))
            .map(|(_, s)| s)
            .collect();
    }
    let target_dir = args
        .cargo
        .target_dir
        .clone()
        .unwrap_or_else(|| meta.target_directory.as_std_path().to_path_buf());
    let run_id = new_run_id(started);
    let run_dir = target_dir.join("allocguard").join(&run_id);
    std::fs::create_dir_all(run_dir.join("scenarios"))
        .with_context(|| format!("cannot create {}", run_dir.display()))
        .infra_err()?;

    let scenarios = execute(&selected, &run_dir, scale, ci_mode, timeout, out)?;
    stage("scenarios ran");
    let mut run = Run {
        schema_version: RUN_SCHEMA_VERSION,
        run_id,
        started: humantime::format_rfc3339_seconds(started).to_string(),
        git_rev: git_rev(&root),
        scale,
        build_profile: args.cargo.profile.clone(),
        partition: partition.map(|p| p.to_string()),
        scenarios,
    };
    run.sort();
    stage("git revision read");
    let run_file = run_dir.join("run.json");
    run.write_new(&run_file).infra_err()?;
    stage("run file written");

    let base_refs: Vec<&PhaseRow> = baseline_rows.iter().collect();
    let gates = apply_gates(&config, &run, &base_refs);
    if let Some(label) = &args.label {
        let rows: Vec<PhaseRow> = run
            .scenarios
            .iter()
            .flat_map(|s| phase_log::rows_of(&run, s, label, args.notes.as_deref().unwrap_or("")))
            .collect();
        phase_log::append(&log_path, &rows).usage_err()?;
    }
    let passed = report_run(
        &run,
        &gates,
        &root,
        ci_mode,
        args.junit.as_deref(),
        started_at.elapsed().as_secs_f64(),
        out,
    )?;
    if !out.quiet {
        let mut stderr = out.stderr();
        let _ = writeln!(stderr, "run written to {}", run_file.display());
        if let Some(label) = &args.label {
            let _ = writeln!(
                stderr,
                "phase log: {} rows labelled `{label}` appended to {}",
                run.scenarios
                    .iter()
                    .filter_map(|s| s.profile.as_ref())
                    .map(|p| p.phases.len())
                    .sum::<usize>(),
                log_path.display()
            );
        }
    }
    Ok(passed)
}
