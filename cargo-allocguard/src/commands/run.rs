//! `cargo allocguard run`: build, run each scenario in its own process,
//! write the run file, apply the gates, report, append the phase log.
//!
//! The steps, each a call into its layer: settle the flags, the
//! configuration and the baseline ([`plan`]: a bad label stops the run
//! before the build); build and select (`workspace`); run (`runner`, heard
//! by the terminal's `Progress`); keep the run (`store`); judge it (`judge`);
//! say it (`reporter`); append the labelled rows (`store::phase_log`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;

use crate::cli::RunArgs;
use crate::commands::{build_output, test_snapshots};
use crate::config::env::ci_mode;
use crate::config::Config;
use crate::error::{CliError, CliResult, WithCode};
use crate::judge::compare::{missing_against_baseline, Missing};
use crate::judge::gates::{apply_gates, unmatched_excludes};
use crate::judge::Judged;
use crate::reporter::progress::Progress;
use crate::reporter::run_report::{self, Outcome};
use crate::reporter::Output;
use crate::runner::schedule::{execute, Settings};
use crate::runner::signals;
use crate::store::phase_log::{self, PhaseRow};
use crate::store::run_file::{new_run_id, Run, RUN_SCHEMA_VERSION};
use crate::units::plural;
use crate::workspace::git::git_rev;
use crate::workspace::metadata;
use crate::workspace::partition::Partition;
use crate::workspace::select::{select, take_shard};

/// The default per-scenario timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What a run settles before it builds anything.
struct Plan {
    meta: cargo_metadata::Metadata,
    root: PathBuf,
    config: Config,
    log_path: PathBuf,
    /// The baseline's latest run, all its phases (empty without one).
    baseline: Vec<PhaseRow>,
    scale: allocguard::Scale,
    timeout: Duration,
    partition: Option<Partition>,
    ci_mode: bool,
}

/// Reads the flags, the workspace, allocguard.toml and the baseline: a bad
/// flag, file or label stops the run here, before the build.
fn plan(args: &RunArgs, out: &Output) -> CliResult<Plan> {
    let partition = args
        .partition
        .as_deref()
        .map(Partition::parse)
        .transpose()
        .usage_err()?;
    if let Some(path) = &args.junit {
        crate::reporter::ci::check_junit_target(path).usage_err()?;
    }
    let meta = metadata::metadata(&args.cargo).usage_err()?;
    let root = meta.workspace_root.as_std_path().to_path_buf();
    let config = crate::config::load(args.config.as_deref(), &root)?;
    for note in &config.notes {
        out.note(note);
    }
    let log_path = crate::config::phase_log_path(args.phase_log.as_deref(), &config, &root);
    let scale = args
        .scale
        .map(Into::into)
        .or(config.scale)
        .unwrap_or(allocguard::Scale::Default);
    let baseline = match &args.baseline {
        Some(label) => baseline_rows(label, &log_path, &config, scale, &args.cargo.profile)?,
        None => Vec::new(),
    };
    Ok(Plan {
        timeout: args.timeout.or(config.timeout).unwrap_or(DEFAULT_TIMEOUT),
        ci_mode: ci_mode(args.ci),
        meta,
        root,
        config,
        log_path,
        baseline,
        scale,
        partition,
    })
}

/// The latest run labelled `label`, refused when it ran at another scale or
/// build profile (its counts and times are no baseline for this run).
fn baseline_rows(
    label: &str,
    log_path: &Path,
    config: &Config,
    scale: allocguard::Scale,
    profile: &str,
) -> CliResult<Vec<PhaseRow>> {
    let rows = phase_log::read(log_path, &config.gates.columns_read()).usage_err()?;
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
    let this = format!("{scale} scale, {profile} profile");
    let theirs = phase_log::settings(&latest.iter().collect::<Vec<_>>());
    if theirs != [this.clone()] {
        return Err(CliError::usage(anyhow::anyhow!(
            "--baseline {label} ran at {}, this run would at {this}: counts and times of \
             different scales or build profiles are not comparable. Run at the baseline's \
             (--scale, --profile), or record a baseline at this one",
            theirs.join(" and ")
        )));
    }
    Ok(latest)
}

/// How much of itself a run says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Say {
    /// The table, the failures, the verdict, and in CI on GitHub Actions
    /// the annotations and the step summary: `cargo allocguard run`.
    Everything,
    /// The same but nothing for GitHub: `ci`'s head runs (`ci` says it
    /// once, for the whole pull request).
    NoGithub,
    /// Only the lines as scenarios end: `ci`'s base runs, whose failures
    /// are not the pull request's.
    Progress,
}

/// `cargo allocguard run`.
pub fn run(args: RunArgs, out: &Output) -> CliResult<bool> {
    perform(&args, out, Say::Everything).map(|p| p.passed)
}

/// Builds, runs, keeps and judges the scenarios `args` select, saying what
/// `say` asks.
pub(crate) fn perform(args: &RunArgs, out: &Output, say: Say) -> CliResult<Judged> {
    signals::listen_for_termination();
    let started_at = Instant::now();
    let started = SystemTime::now();
    let stage = |what: &str| {
        if out.verbose > 1 {
            eprintln!("[{:>7.3} s] {what}", started_at.elapsed().as_secs_f64());
        }
    };
    let plan = plan(args, out)?;
    stage("cargo metadata");

    let mut selected = select(
        &plan.meta,
        &args.cargo,
        &args.filters,
        &[],
        &mut build_output(out),
    )?;
    stage("built and listed");
    if let Some(p) = plan.partition {
        let before = selected.len();
        selected = take_shard(selected, p);
        if selected.is_empty() {
            out.note(&format!(
                "shard {p} has no scenarios: {} selected in all, none of them fell to this \
                 shard; its run file is written all the same, so that `merge` counts it",
                plural(before, "scenario")
            ));
        }
    }
    let target_dir = args
        .cargo
        .target_dir
        .clone()
        .unwrap_or_else(|| plan.meta.target_directory.as_std_path().to_path_buf());
    let run_id = new_run_id(started);
    let run_dir = target_dir.join("allocguard").join(&run_id);
    std::fs::create_dir_all(run_dir.join("scenarios"))
        .with_context(|| format!("cannot create {}", run_dir.display()))
        .infra_err()?;

    let settings = Settings {
        run_dir: &run_dir,
        scale: plan.scale,
        ci_mode: plan.ci_mode,
        timeout: plan.timeout,
        sites: args.sites || (plan.ci_mode && !args.no_sites),
        seal: None,
    };
    let mut progress = Progress::new(out, selected.len());
    let scenarios = execute(&selected, settings, &mut progress);
    progress.finish();
    let scenarios = scenarios?;
    stage("scenarios ran");
    let mut run = Run {
        schema_version: RUN_SCHEMA_VERSION,
        run_id,
        started: humantime::format_rfc3339_seconds(started).to_string(),
        git_rev: git_rev(&plan.root),
        scale: plan.scale,
        build_profile: args.cargo.profile.clone(),
        workspace_root: Some(plan.root.display().to_string()),
        partition: plan.partition.map(|p| p.to_string()),
        scenarios,
    };
    run.sort();
    stage("git revision read");
    let run_file = run_dir.join("run.json");
    run.write_new(&run_file).infra_err()?;
    stage("run file written");

    let base: Vec<&PhaseRow> = plan.baseline.iter().collect();
    let gates = apply_gates(&plan.config, &run, &base);
    if !base.is_empty() && plan.config.gates.has_relative_times() {
        out.note(&format!(
            "relative time gates compared this one run with {} of the baseline: a slow spell \
             on one run can fail them. For a verdict to trust, label several runs of each \
             side, alternately, and `compare` them (the workflow runs three of each)",
            plural(phase_log::run_count(&base), "run")
        ));
    }
    // Phases of the baseline this run lacks; whole scenarios too, unless a
    // filter or a partition chose a part. Crashes fail the run already.
    let whole = args.filters.is_empty() && plan.partition.is_none();
    if whole && say != Say::Progress {
        let names: Vec<&str> = run.scenarios.iter().map(|s| s.name.as_str()).collect();
        for (metric, pattern) in unmatched_excludes(&plan.config.gates, &names) {
            out.warning(&format!(
                "allocguard.toml: the `{metric}` gate excludes {pattern:?}, which names no \
                 scenario of this run (a typo, or a scenario renamed or gone): it excludes \
                 nothing"
            ));
        }
    }
    let Missing { kept, allowed } =
        missing_against_baseline(&run, &base, whole, &plan.config.allow_missing);
    for m in allowed {
        out.note(&format!(
            "{m}; allowed by [compare] allow_missing in allocguard.toml"
        ));
    }
    let outcome = Outcome {
        run: &run,
        gates: &gates,
        missing: &kept,
        show_sites: args.sites || out.verbose > 0,
    };
    let passed = if say == Say::Progress {
        outcome.passed()
    } else {
        run_report::report(
            &outcome,
            &plan.root,
            plan.ci_mode,
            plan.ci_mode && say == Say::Everything,
            args.junit.as_deref(),
            started_at.elapsed().as_secs_f64(),
            out,
        )?
    };
    if !out.quiet && say != Say::Progress {
        eprintln!("run written to {}", run_file.display());
    }
    // After the results, so that a log that cannot take the rows (not CSV,
    // not a phase log, a full disk) is said under them, not instead of them.
    if let Some(label) = &args.label {
        let notes = args.notes.as_deref().unwrap_or("");
        let rows = append_label(&run, label, notes, &plan, out)?;
        if !out.quiet {
            eprintln!(
                "{}",
                crate::reporter::wrap::wrap(
                    &format!(
                        "phase log: {} labelled `{label}` appended to {}",
                        plural(rows, "row"),
                        plan.log_path.display()
                    ),
                    2
                )
            );
        }
    }
    // Outside CI, the snapshots `cargo test` will check join the pending
    // ones, for one review.
    if say == Say::Everything
        && !plan.ci_mode
        && test_snapshots::differ_from_cargo_test(&args.cargo.profile, plan.scale)
    {
        test_snapshots::record(&plan.meta, &args.cargo, &run.scenarios, plan.timeout, out)?;
    }
    Ok(Judged {
        run,
        run_file,
        gates,
        missing: kept,
        passed,
    })
}

/// Appends the run's rows, labelled, to the phase log; returns how many.
fn append_label(
    run: &Run,
    label: &str,
    notes: &str,
    plan: &Plan,
    out: &Output,
) -> CliResult<usize> {
    let rows: Vec<PhaseRow> = run
        .scenarios
        .iter()
        .flat_map(|s| phase_log::rows_of(run, s, label, notes))
        .collect();
    let lacking = phase_log::append(&plan.log_path, &rows, &plan.config.gates.columns_read())
        .map_err(|e| {
            // A file that is not a phase log is the user's to fix (2); a disk
            // that will not take the rows is the machine's (3).
            let e = e.context(format!(
                "the rows of this run were not added to the phase log {}",
                plan.log_path.display()
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
    if !lacking.is_empty() {
        out.warning(&format!(
            "{} has no column for {}; those values are not recorded (the log is never \
             rewritten)",
            plan.log_path.display(),
            lacking.join(", ")
        ));
    }
    Ok(rows.len())
}
