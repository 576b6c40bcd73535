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

use allocguard::_cargo_allocguard::{ScenarioRecord, SealKey, OUT_ENV};
use allocguard::harness::{SCALE_ENV, SITES_ENV};

use crate::error::{CliError, CliResult, WithCode};
use crate::runner::binary;
use crate::runner::blame::{
    abnormal_end, died_after as died_after_all, died_in, from_record, with_refused,
};
use crate::runner::records::{HarnessEvent, Problem, RunFileFollower};
use crate::runner::{signals, Event, Reporter};
use crate::store::run_file::ScenarioResult;
use crate::workspace::select::Selected;

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
    /// The key each binary seals its run file with: a new random one per
    /// binary when `None` (what every command does; a test fixes it).
    pub seal: Option<SealKey>,
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

/// Runs the selected scenarios, telling `reporter` as each starts and ends.
pub fn execute(
    selected: &[Selected],
    settings: Settings<'_>,
    reporter: &mut dyn Reporter,
) -> CliResult<Vec<ScenarioResult>> {
    if signals::terminating() {
        return Err(interrupted());
    }
    let mut results = Vec::with_capacity(selected.len());
    for (k, group) in groups(selected).iter().enumerate() {
        run_group(k, group, settings, reporter, &mut results)?;
    }
    Ok(results)
}

fn run_group(
    k: usize,
    group: &[&Selected],
    settings: Settings<'_>,
    reporter: &mut dyn Reporter,
    results: &mut Vec<ScenarioResult>,
) -> CliResult<()> {
    let first = group[0];
    let out_file = settings
        .run_dir
        .join("scenarios")
        .join(format!("binary-{k:03}.json"));
    let chosen: Vec<&str> = group.iter().map(|s| s.name.as_str()).collect();
    let key = settings.seal.unwrap_or_else(SealKey::random);
    let job = binary::BinaryJob {
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
        seal: Some(key),
    };
    let mut started_at: HashMap<String, Instant> = HashMap::new();
    // What was said ended as it ended, to revise rather than count twice.
    let mut reported: HashMap<String, ScenarioResult> = HashMap::new();
    let mut records: Vec<ScenarioRecord> = Vec::new();
    let mut refused: Vec<Problem> = Vec::new();
    let done = binary::run_binary(&job, |ev| match ev {
        HarnessEvent::Started(name) => {
            started_at.insert(name.clone(), Instant::now());
            reporter.event(Event::Started { name });
        }
        HarnessEvent::Finished(r) => {
            records.push((**r).clone());
            if let Some(sel) = group.iter().find(|s| s.name == r.name) {
                let result = from_record(sel, r, Duration::ZERO);
                reporter.event(Event::Finished { result: &result });
                reported.insert(r.name.clone(), result);
            }
        }
        HarnessEvent::Refused(p) => refused.push(p.clone()),
    })
    .infra_err()?;
    if done.finished.interrupted {
        return Err(interrupted());
    }
    reporter.event(Event::BinaryExited {
        target: &first.target.target,
        exe: &first.exe,
        output: &done.finished.output_unmarked(),
    });
    let named: Vec<&str> = records
        .iter()
        .flat_map(|r| &r.leaked)
        .map(String::as_str)
        .collect();
    left_behind(&first.target.target, &done.finished, &named, reporter);
    let ours: Vec<&ScenarioRecord> = records
        .iter()
        .filter(|r| chosen.contains(&r.name.as_str()))
        .collect();
    let all_reported = ours.len() == group.len();
    let died = done.finished.timed_out || done.finished.signal().is_some() || !all_reported;
    // Every scenario reported, and then the binary died (a signal, or an
    // exit code the harness does not give): the last one to run carries
    // it, naming them all.
    let died_after = if all_reported && !done.finished.timed_out {
        abnormal_end(&done.finished, &ours)
    } else {
        None
    };
    let declared = |name: &str| done.follower.as_ref().and_then(|f| f.declared_at(name));
    for sel in group {
        let concerns: Vec<&Problem> = refused
            .iter()
            .filter(|p| p.scenario.as_deref() == Some(sel.name.as_str()))
            .collect();
        let was_last = done.last_started.as_deref() == Some(sel.name.as_str());
        if let Some(r) = ours.iter().find(|r| r.name == sel.name) {
            let mut result = with_refused(from_record(sel, r, Duration::ZERO), &concerns);
            if let (Some(how), true) = (&died_after, was_last) {
                let ran: Vec<&str> = ours.iter().map(|r| r.name.as_str()).collect();
                result = died_after_all(result, how, &ran, &done.finished);
                result.declared_at = declared(&sel.name);
            }
            match reported.get(&sel.name) {
                Some(said) if *said == result => {}
                Some(_) => reporter.event(Event::Revised { result: &result }),
                None => reporter.event(Event::Finished { result: &result }),
            }
            results.push(result);
        } else if (died && was_last) || !concerns.is_empty() {
            // The binary died in this scenario, or its result could not be
            // trusted: report it as such.
            let ran_for = started_at
                .get(&sel.name)
                .map(|t| t.elapsed())
                .unwrap_or(done.finished.elapsed);
            let result = with_refused(
                died_in(
                    sel,
                    &done.finished,
                    settings.timeout,
                    ran_for,
                    declared(&sel.name),
                ),
                &concerns,
            );
            reporter.event(Event::Finished { result: &result });
            results.push(result);
        } else {
            let result = run_alone(k, sel, settings, results.len(), reporter)?;
            results.push(result);
        }
    }
    Ok(())
}

/// Runs a scenario its binary never reached, alone.
fn run_alone(
    k: usize,
    sel: &Selected,
    settings: Settings<'_>,
    n: usize,
    reporter: &mut dyn Reporter,
) -> CliResult<ScenarioResult> {
    let own = settings
        .run_dir
        .join("scenarios")
        .join(format!("binary-{k:03}-{n}.json"));
    let key = settings.seal.unwrap_or_else(SealKey::random);
    let job = binary::Job {
        exe: &sel.exe,
        dir: &sel.target.package_dir,
        scenario: &sel.name,
        ignored: sel.ignored,
        env: scenario_env(&settings, &own, sel),
        timeout: Some(settings.timeout),
        seal: Some(key),
    };
    reporter.event(Event::Started { name: &sel.name });
    let finished = binary::run(&job).infra_err()?;
    if finished.interrupted {
        return Err(interrupted());
    }
    let mut follower = RunFileFollower::new(&own, Some(key));
    let mut record = None;
    let mut refused = Vec::new();
    for ev in follower.finish() {
        match ev {
            HarnessEvent::Finished(r) if r.name == sel.name => record = Some(*r),
            HarnessEvent::Refused(p) => refused.push(p),
            _ => {}
        }
    }
    let named: Vec<&str> = record
        .iter()
        .flat_map(|r| &r.leaked)
        .map(String::as_str)
        .collect();
    left_behind(&sel.target.target, &finished, &named, reporter);
    let concerns: Vec<&Problem> = refused.iter().collect();
    let result = match record {
        Some(r) if !finished.timed_out && finished.signal().is_none() => {
            let result = from_record(sel, &r, finished.elapsed);
            match abnormal_end(&finished, &[&r]) {
                Some(how) => died_after_all(result, &how, &[sel.name.as_str()], &finished),
                None => result,
            }
        }
        _ => died_in(
            sel,
            &finished,
            settings.timeout,
            finished.elapsed,
            follower.declared_at(&sel.name),
        ),
    };
    let result = with_refused(result, &concerns);
    reporter.event(Event::Finished { result: &result });
    Ok(result)
}

/// Tells the reporter which processes a test target left running when it
/// exited (ended since), and any that could not be ended.
fn left_behind(
    target: &str,
    finished: &binary::Finished,
    named: &[&str],
    reporter: &mut dyn Reporter,
) {
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
        reporter.event(Event::LeftBehind {
            target,
            processes: &unnamed,
        });
    }
    if !finished.survivors.is_empty() {
        reporter.event(Event::Survivors {
            target,
            processes: &finished.survivors,
        });
    }
}

/// A termination signal arrived: the scenario processes are ended already.
fn interrupted() -> CliError {
    CliError::infra(anyhow::anyhow!(
        "interrupted by a signal: every scenario process this run started was ended; no run \
         file or phase log row was written"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Recorder;
    use crate::store::run_file::Status;
    use crate::workspace::metadata::ScenarioTarget;
    use std::sync::Arc;

    /// A harness binary in miniature: a shell script that writes the run
    /// file as the harness does (header, then `started` and a record per
    /// scenario, sealed with `key`), leaves a `sleep` running behind it, and
    /// exits as a harness whose scenario failed does.
    fn fake_harness(dir: &Path, key: SealKey) -> PathBuf {
        let sealed = |line: String| {
            serde_json::to_string(&allocguard::_cargo_allocguard::Line::Sealed {
                sealed: key.seal(&line),
                line,
            })
            .unwrap()
        };
        let record = |name: &str, passed: bool| {
            sealed(
                serde_json::to_string(&ScenarioRecord {
                    name: name.into(),
                    passed,
                    failure: (!passed).then(|| "it failed".to_string()),
                    profile: None,
                    duration_ns: Some(1_000_000),
                    leaked: Vec::new(),
                    snapshot: None,
                })
                .unwrap(),
            )
        };
        let started = |name: &str| sealed(format!("{{\"started\":\"{name}\"}}"));
        let script = format!(
            "#!/bin/sh\n\
             printf '%s\\n' '{{\"schema_version\":2,\"allocguard_version\":\"0\",\"build_profile\":\"debug\",\"scale\":\"smoke\",\"binary\":\"x\",\"scenarios\":[]}}' > \"$ALLOCGUARD_OUT\"\n\
             printf '%s\\n' '{}' >> \"$ALLOCGUARD_OUT\"\n\
             printf '%s\\n' '{}' >> \"$ALLOCGUARD_OUT\"\n\
             printf '%s\\n' '{}' >> \"$ALLOCGUARD_OUT\"\n\
             printf '%s\\n' '{}' >> \"$ALLOCGUARD_OUT\"\n\
             echo 'what a scenario printed' >&2\n\
             sleep 30 &\n\
             exit 101\n",
            started("fake/a"),
            record("fake/a", true),
            started("fake/b"),
            record("fake/b", false),
        );
        let exe = dir.join("fake-harness");
        std::fs::write(&exe, script).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        exe
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_runner_says_everything_as_events() {
        let dir = tempfile::tempdir().unwrap();
        let key = SealKey::random();
        let exe = fake_harness(dir.path(), key);
        let siblings = Arc::new(vec!["fake/a".to_string(), "fake/b".to_string()]);
        let selected: Vec<Selected> = ["fake/a", "fake/b"]
            .iter()
            .map(|name| Selected {
                target: ScenarioTarget {
                    package: "pkg".into(),
                    target: "fake".into(),
                    package_dir: dir.path().to_path_buf(),
                },
                exe: exe.clone(),
                name: name.to_string(),
                ignored: false,
                siblings: siblings.clone(),
            })
            .collect();
        let run_dir = dir.path().join("run");
        std::fs::create_dir_all(run_dir.join("scenarios")).unwrap();
        let settings = Settings {
            run_dir: &run_dir,
            scale: allocguard::Scale::Smoke,
            ci_mode: true,
            timeout: Duration::from_secs(60),
            sites: false,
            seal: Some(key),
        };
        let mut recorder = Recorder::default();
        let results = execute(&selected, settings, &mut recorder).unwrap();
        let statuses: Vec<(&str, Status)> = results
            .iter()
            .map(|r| (r.name.as_str(), r.status))
            .collect();
        assert_eq!(
            statuses,
            [("fake/a", Status::Passed), ("fake/b", Status::Failed)]
        );
        let events: Vec<&str> = recorder
            .events
            .iter()
            .map(|e| e.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            events,
            [
                "started fake/a",
                "finished fake/a passed",
                "started fake/b",
                "finished fake/b failed",
                "exited fake",
                "left behind fake",
            ],
            "{:?}",
            recorder.events
        );
        assert!(
            recorder.events[5].contains("sleep 30"),
            "the process left running is named: {:?}",
            recorder.events
        );
    }

    #[test]
    fn the_runner_has_no_way_to_print() {
        // What the runner says goes through `Reporter`; no file of it names
        // the terminal (the test above hears every event it sends).
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/runner");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
            for word in [
                "println!",
                "eprintln!",
                "print!(",
                "eprint!(",
                "stdout()",
                "stderr()",
                "reporter::",
            ] {
                assert!(
                    !code.contains(word),
                    "{} writes to the terminal ({word}); send an event instead",
                    path.display()
                );
            }
        }
    }
}
