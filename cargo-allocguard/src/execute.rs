//! Running the selected scenarios and turning what each process left
//! behind into results.
//!
//! Each harness binary runs once for all of its selected scenarios (as by
//! hand, so each process pays its start-up and symbol loading once). The
//! harness appends a record to its run file as each scenario ends; those
//! records are followed as they come, so a scenario's line is printed when
//! it ends. When a binary crashes or times out, the scenario it was in is
//! reported so, and the ones it never reached run again, each in a process of
//! its own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use allocguard::harness::{RunFile, ScenarioRecord, OUT_ENV, SCALE_ENV, SITES_ENV};

use crate::error::{CliResult, WithCode};
use crate::exec::{self, Event};
use crate::model::{ScenarioResult, Status};
use crate::progress::Progress;
use crate::select::Selected;
use crate::Output;

/// How the scenarios run.
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    /// Where run files go (`<run dir>/scenarios/`).
    pub run_dir: &'a Path,
    /// The scale.
    pub scale: allocguard::Scale,
    /// CI mode: the harness writes no snapshot.
    pub ci_mode: bool,
    /// Per scenario.
    pub timeout: Duration,
    /// Record every phase's allocation sites (`--sites`).
    pub sites: bool,
}

fn scenario_env(
    settings: &Settings<'_>,
    out_file: &Path,
    sel: &Selected,
) -> Vec<(String, PathBuf)> {
    let mut env = vec![
        (OUT_ENV.to_string(), out_file.to_path_buf()),
        (
            SCALE_ENV.to_string(),
            PathBuf::from(settings.scale.to_string()),
        ),
        (
            "CARGO_MANIFEST_DIR".to_string(),
            sel.target.package_dir.clone(),
        ),
        (
            "CARGO_PKG_NAME".to_string(),
            PathBuf::from(&sel.target.package),
        ),
    ];
    if settings.ci_mode {
        env.push(("CI".to_string(), PathBuf::from("true")));
    }
    if settings.sites {
        env.push((SITES_ENV.to_string(), PathBuf::from("on")));
    }
    env
}

/// A result from the record the harness wrote.
fn from_record(sel: &Selected, r: &ScenarioRecord, fallback: Duration) -> ScenarioResult {
    ScenarioResult {
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
        duration_ms: r
            .duration_ns
            .map(|ns| ns as f64 / 1e6)
            .unwrap_or(fallback.as_secs_f64() * 1e3),
        leaked: r.leaked.clone(),
        declared_at: None,
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return "(none: it printed nothing to standard error)".to_string();
    }
    lines[lines.len().saturating_sub(20)..].join("\n")
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

/// A result for a scenario whose process died in it.
fn died_in(
    sel: &Selected,
    finished: &exec::Finished,
    timeout: Duration,
    ran_for: Duration,
    run_file: &Path,
) -> ScenarioResult {
    let (status, failure) = if finished.timed_out {
        (
            Status::TimedOut,
            format!(
                "killed after the timeout of {} (raise it with --timeout or [run] timeout); last output:\n{}",
                humantime::format_duration(timeout),
                tail(&finished.stderr_of(&sel.name))
            ),
        )
    } else if let Some(sig) = finished.signal() {
        (
            Status::Crashed,
            format!(
                "the scenario binary was killed by signal {sig}{}; last output:\n{}",
                signal_name(sig),
                tail(&finished.stderr_of(&sel.name))
            ),
        )
    } else {
        (
            Status::Crashed,
            format!(
                "the scenario binary exited ({}) without a result; last output:\n{}",
                finished
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "unknown status".into()),
                tail(&finished.stderr_of(&sel.name))
            ),
        )
    };
    ScenarioResult {
        package: sel.target.package.clone(),
        target: sel.target.target.clone(),
        name: sel.name.clone(),
        status,
        failure: Some(failure),
        profile: None,
        duration_ms: ran_for.as_secs_f64() * 1e3,
        leaked: Vec::new(),
        declared_at: exec::declared_at(run_file, &sel.name),
    }
}

/// Consecutive scenarios of one binary.
fn groups(selected: &[Selected]) -> Vec<Vec<&Selected>> {
    let mut groups: Vec<Vec<&Selected>> = Vec::new();
    for sel in selected {
        match groups.last_mut() {
            Some(g) if g[0].exe == sel.exe => g.push(sel),
            _ => groups.push(vec![sel]),
        }
    }
    groups
}

/// Runs the selected scenarios, printing a line for each as it ends.
pub fn execute(
    selected: &[Selected],
    settings: Settings<'_>,
    out: &Output,
) -> CliResult<Vec<ScenarioResult>> {
    if crate::process_group::terminating() {
        return Err(interrupted());
    }
    let mut progress = Progress::new(out, selected.len());
    let mut results = Vec::with_capacity(selected.len());
    for (k, group) in groups(selected).iter().enumerate() {
        run_group(k, group, settings, out, &mut progress, &mut results)?;
    }
    progress.finish();
    Ok(results)
}

fn run_group(
    k: usize,
    group: &[&Selected],
    settings: Settings<'_>,
    out: &Output,
    progress: &mut Progress<'_>,
    results: &mut Vec<ScenarioResult>,
) -> CliResult<()> {
    let first = group[0];
    let out_file = settings
        .run_dir
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
        env: scenario_env(&settings, &out_file, first),
        timeout: Some(settings.timeout),
        run_file: Some(&out_file),
    };
    let mut started_at: HashMap<String, Instant> = HashMap::new();
    let mut reported: Vec<String> = Vec::new();
    let done = exec::run_binary(&job, |ev| match ev {
        Event::Started(name) => {
            started_at.insert(name.clone(), Instant::now());
            progress.started(name);
        }
        Event::Finished(r) => {
            if let Some(sel) = group.iter().find(|s| s.name == r.name) {
                let result = from_record(sel, r, Duration::ZERO);
                progress.finished(&result);
                reported.push(r.name.clone());
            }
        }
    })
    .infra_err()?;
    if done.finished.interrupted {
        return Err(interrupted());
    }
    if out.verbose > 0 {
        eprintln!("── {} ({})", first.target.target, first.exe.display());
        eprint!("{}", done.finished.output_unmarked());
    }
    let records = RunFile::read(&out_file)
        .map(|r| r.scenarios)
        .unwrap_or_default();
    let named: Vec<&str> = records
        .iter()
        .flat_map(|r| &r.leaked)
        .map(String::as_str)
        .collect();
    warn_left_behind(&first.target.target, &done.finished, &named);
    let died =
        done.finished.timed_out || done.finished.signal().is_some() || records.len() < group.len();
    for sel in group {
        if let Some(r) = records.iter().find(|r| r.name == sel.name) {
            let result = from_record(sel, r, Duration::ZERO);
            if !reported.contains(&sel.name) {
                progress.finished(&result);
            }
            results.push(result);
        } else if died && done.last_started.as_deref() == Some(sel.name.as_str()) {
            // The binary died in this scenario: report it as such.
            let ran_for = started_at
                .get(&sel.name)
                .map(|t| t.elapsed())
                .unwrap_or(done.finished.elapsed);
            let result = died_in(sel, &done.finished, settings.timeout, ran_for, &out_file);
            progress.finished(&result);
            results.push(result);
        } else {
            // Never reached: run it alone.
            let own = settings
                .run_dir
                .join("scenarios")
                .join(format!("binary-{k:03}-{}.json", results.len()));
            let job = exec::Job {
                exe: &sel.exe,
                dir: &sel.target.package_dir,
                scenario: &sel.name,
                ignored: sel.ignored,
                env: scenario_env(&settings, &own, sel),
                timeout: Some(settings.timeout),
            };
            progress.started(&sel.name);
            let finished = exec::run(&job).infra_err()?;
            if finished.interrupted {
                return Err(interrupted());
            }
            let record = RunFile::read(&own)
                .ok()
                .and_then(|r| r.scenarios.into_iter().find(|s| s.name == sel.name));
            let named: Vec<&str> = record
                .iter()
                .flat_map(|r| &r.leaked)
                .map(String::as_str)
                .collect();
            warn_left_behind(&sel.target.target, &finished, &named);
            let result = match record {
                Some(r) if !finished.timed_out && finished.signal().is_none() => {
                    from_record(sel, &r, finished.elapsed)
                }
                _ => died_in(sel, &finished, settings.timeout, finished.elapsed, &own),
            };
            progress.finished(&result);
            results.push(result);
        }
    }
    Ok(())
}

/// Names the processes a test target left running when it exited (ended
/// since), and any that could not be ended.
fn warn_left_behind(target: &str, finished: &exec::Finished, named: &[&str]) {
    // Those a leaky scenario was blamed for are said under it already.
    let pid = |p: &str| p.split(' ').next().unwrap_or("").to_string();
    let named: Vec<String> = named.iter().map(|p| pid(p)).collect();
    let unnamed: Vec<&str> = finished
        .left_behind
        .iter()
        .filter(|p| !named.contains(&pid(p)))
        .map(String::as_str)
        .collect();
    if !unnamed.is_empty() {
        eprintln!(
            "warning: test target `{target}` left processes running when it exited, ended now: {}",
            unnamed.join("; ")
        );
    }
    if !finished.survivors.is_empty() {
        eprintln!(
            "warning: test target `{target}` left processes that could not be ended (still \
             running): {}",
            finished.survivors.join("; ")
        );
    }
}

/// A termination signal arrived: the scenario processes are ended already.
fn interrupted() -> crate::error::CliError {
    crate::error::CliError::infra(anyhow::anyhow!(
        "interrupted by a signal: every scenario process this run started was ended; no run \
         file or phase log row was written"
    ))
}
