//! `cargo allocguard run`: build, run each scenario in its own process,
//! write the run file, append the phase log, apply the gates, report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::cli::RunArgs;
use crate::config::{Config, CONFIG_FILE};
use crate::error::{CliError, CliResult, WithCode};
use crate::execute::{execute, Settings};
use crate::gates::GateResult;
use crate::model::{Run, RUN_SCHEMA_VERSION};
use crate::partition::Partition;
use crate::phase_log::{self, PhaseRow};
use crate::select::select;
use crate::{ci, discover, results, Output};

/// The default per-scenario timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// `git rev-parse --short HEAD`; with uncommitted changes to tracked files,
/// `-dirty-` and a hash of `git diff HEAD`.
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
                // Runs of one uncommitted state are repeats of each other;
                // an edit between two runs makes them two revisions.
                let diff = git(&["diff", "HEAD"]).unwrap_or_default();
                format!("{rev}-dirty-{:08x}", crate::partition::fnv1a(&diff) as u32)
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

/// Applies the gates to every phase of the run, against the baseline's rows
/// (all its repeats; empty: absolute rules only).
pub fn apply_gates(config: &Config, run: &Run, baseline: &[&PhaseRow]) -> Vec<GateResult> {
    let mut out = Vec::new();
    for s in &run.scenarios {
        for row in phase_log::rows_of(run, s, "", "") {
            let base = phase_log::of_phase(baseline, &row);
            out.extend(config.gates.check(&[&row], &base));
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

/// Loads allocguard.toml from `--config` or the workspace root, and prints
/// its notes (old names in use) on stderr.
pub fn load_config(flag: Option<&Path>, root: &Path, out: &Output) -> CliResult<Config> {
    let config = match flag {
        Some(p) => Config::load(p, true).usage_err()?,
        None => Config::load(&root.join(CONFIG_FILE), false).usage_err()?,
    };
    if !out.quiet {
        for note in &config.notes {
            let _ = writeln!(out.stderr(), "note: {note}");
        }
    }
    Ok(config)
}

/// What a run found: its results, the gates checked, and what the
/// baseline has that the run lacks.
pub struct Outcome<'a> {
    /// The run.
    pub run: &'a Run,
    /// Every gate checked.
    pub gates: &'a [GateResult],
    /// Missing results, against the baseline.
    pub missing: &'a [String],
    /// List the sites under each phase that recorded them.
    pub show_sites: bool,
}

/// Prints the results, the failures and the gates; writes the CI outputs.
pub fn report_run(
    outcome: &Outcome<'_>,
    root: &Path,
    ci_mode: bool,
    junit: Option<&Path>,
    elapsed: f64,
    out: &Output,
) -> CliResult<bool> {
    let Outcome {
        run,
        gates,
        missing,
        show_sites,
    } = *outcome;
    let mut stdout = out.stdout();
    if !out.quiet {
        let _ = write!(
            stdout,
            "{}",
            results::table(run, crate::table::terminal_width(), show_sites)
        );
    }
    let _ = write!(stdout, "{}", results::failure_details(run));
    let _ = write!(stdout, "{}", results::gate_lines(gates, out.verbose > 0));
    if !missing.is_empty() {
        let _ = writeln!(stdout, "\nmissing results (against the baseline):");
        for m in missing {
            let _ = writeln!(stdout, "  FAIL {m}");
        }
    }
    let _ = write!(
        stdout,
        "\n{}",
        results::summary_line(run, gates, missing, elapsed)
    );
    if ci_mode && ci::github_actions() {
        let prefix = ci::repo_prefix(root);
        let _ = write!(
            stdout,
            "{}",
            ci::annotations(run, gates, missing, root, &prefix)
        );
        ci::append_step_summary(&ci::markdown_summary(run, gates, missing, root)).infra_err()?;
    }
    if let Some(path) = junit {
        ci::write_junit(run, gates, missing, path).usage_err()?;
    }
    Ok(run.failures().next().is_none() && gates.iter().all(|g| g.passed) && missing.is_empty())
}

/// `cargo allocguard run`.
pub fn run(args: RunArgs, out: &Output) -> CliResult<bool> {
    crate::process_group::listen_for_termination();
    let started_at = Instant::now();
    let started = std::time::SystemTime::now();
    let partition = args
        .partition
        .as_deref()
        .map(Partition::parse)
        .transpose()
        .usage_err()?;
    let ci_mode = ci::ci_mode(args.ci);
    // A --junit path that would be refused is said before the build.
    if let Some(path) = &args.junit {
        ci::check_junit_target(path).usage_err()?;
    }

    let stage = |what: &str| {
        if out.verbose > 1 {
            eprintln!("[{:>7.3} s] {what}", started_at.elapsed().as_secs_f64());
        }
    };
    let meta = discover::metadata(&args.cargo).usage_err()?;
    stage("cargo metadata");
    let root = meta.workspace_root.as_std_path().to_path_buf();
    let config = load_config(args.config.as_deref(), &root, out)?;
    let log_path = phase_log_path(args.phase_log.as_deref(), &config, &root);
    // Read the baseline first: a bad label should stop us before the build.
    let baseline_rows = match &args.baseline {
        Some(label) => {
            let rows = phase_log::read(&log_path, &config.gates.columns_read()).usage_err()?;
            let latest: Vec<PhaseRow> = phase_log::latest_runs(&rows, label)
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
    if let Some(label) = &args.baseline {
        // Counts and times of another scale or build profile are no baseline.
        let base: Vec<&PhaseRow> = baseline_rows.iter().collect();
        let this = format!("{scale} scale, {} profile", args.cargo.profile);
        let theirs = phase_log::settings(&base);
        if theirs != [this.clone()] {
            return Err(CliError::usage(anyhow::anyhow!(
                "--baseline {label} ran at {}, this run would at {this}: counts and times of \
                 different scales or build profiles are not comparable. Run at the baseline's \
                 (--scale, --profile), or record a baseline at this one",
                theirs.join(" and ")
            )));
        }
    }

    let mut selected = select(&meta, &args.cargo, &args.filters, &[], out)?;
    stage("built and listed");
    if let Some(p) = partition {
        let before = selected.len();
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
        if selected.is_empty() && !out.quiet {
            let _ = writeln!(
                out.stderr(),
                "note: shard {p} has no scenarios: {} selected in all, none of them fell to \
                 this shard; its run file is written all the same, so that `merge` counts it",
                crate::table::plural(before, "scenario")
            );
        }
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

    let settings = Settings {
        run_dir: &run_dir,
        scale,
        ci_mode,
        timeout,
        sites: args.sites,
    };
    let scenarios = execute(&selected, settings, out)?;
    stage("scenarios ran");
    let mut run = Run {
        schema_version: RUN_SCHEMA_VERSION,
        run_id,
        started: humantime::format_rfc3339_seconds(started).to_string(),
        git_rev: git_rev(&root),
        scale,
        build_profile: args.cargo.profile.clone(),
        workspace_root: Some(root.display().to_string()),
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
    let relative_times = config
        .gates
        .rules
        .iter()
        .any(|(m, r)| m.is_time() && r.is_relative());
    if relative_times && !base_refs.is_empty() && !out.quiet {
        let _ = writeln!(
            out.stderr(),
            "note: relative time gates compared this one run with {} of the baseline: a slow \
             spell on one run can fail them. For a verdict to trust, label several runs of each \
             side, alternately, and `compare` them (the workflow runs three of each)",
            crate::table::plural(phase_log::run_count(&base_refs), "run")
        );
    }
    // Phases of the baseline this run lacks; whole scenarios too, unless a
    // filter or a partition chose a part. Crashes fail the run already.
    let missing = if base_refs.is_empty() {
        Vec::new()
    } else {
        let current: Vec<PhaseRow> = run
            .scenarios
            .iter()
            .flat_map(|s| phase_log::rows_of(&run, s, "", ""))
            .collect();
        let whole = args.filters.is_empty() && partition.is_none();
        let base: Vec<&PhaseRow> = base_refs
            .iter()
            .filter(|b| {
                whole
                    || current
                        .iter()
                        .any(|c| c.package == b.package && c.scenario == b.scenario)
            })
            .copied()
            .collect();
        let current: Vec<&PhaseRow> = current.iter().collect();
        let (kept, allowed) = crate::compare::split_allowed(
            crate::compare::missing_results(&base, &current, false),
            &config.allow_missing,
        );
        for m in allowed {
            let _ = writeln!(
                out.stderr(),
                "note: {m}; allowed by [compare] allow_missing in allocguard.toml"
            );
        }
        kept
    };
    let outcome = Outcome {
        run: &run,
        gates: &gates,
        missing: &missing,
        show_sites: args.sites || out.verbose > 0,
    };
    let passed = report_run(
        &outcome,
        &root,
        ci_mode,
        args.junit.as_deref(),
        started_at.elapsed().as_secs_f64(),
        out,
    )?;
    if !out.quiet {
        let _ = writeln!(out.stderr(), "run written to {}", run_file.display());
    }
    // After the results, so that a log that cannot take the rows (not CSV,
    // not a phase log, a full disk) is said under them, not instead of them.
    if let Some(label) = &args.label {
        let rows: Vec<PhaseRow> = run
            .scenarios
            .iter()
            .flat_map(|s| phase_log::rows_of(&run, s, label, args.notes.as_deref().unwrap_or("")))
            .collect();
        phase_log::append(&log_path, &rows, &config.gates.columns_read()).map_err(|e| {
            // A file that is not a phase log is the user's to fix (2); a disk
            // that will not take the rows is the machine's (3).
            let e = e.context(format!(
                "the rows of this run were not added to the phase log {}",
                log_path.display()
            ));
            if e.root_cause()
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() != std::io::ErrorKind::InvalidData)
            {
                CliError::infra(e)
            } else {
                CliError::usage(e)
            }
        })?;
        if !out.quiet {
            let _ = writeln!(
                out.stderr(),
                "phase log: {} labelled `{label}` appended to {}",
                crate::table::plural(rows.len(), "row"),
                log_path.display()
            );
        }
    }
    Ok(passed)
}
