//! End-to-end tests of faults: timeouts and signals end every process a
//! scenario started, a leaked process is named and ended, a crash is blamed
//! on the scenario that crashed, a missing result fails a comparison, and a
//! phase log that is not one is said without losing the run's results.

use std::time::{Duration, Instant};

mod support;
use support::{read, Fixture, Run};

/// Processes whose command line contains `needle`, as `PID COMMAND`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = e.file_name().to_string_lossy().to_string();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, r)| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if cmd.contains(needle) && !zombie {
            out.push(format!("{pid} {cmd}"));
        }
    }
    out
}

/// The children of process `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        out.extend(
            children
                .split_whitespace()
                .map(|c| c.parse::<u32>().unwrap()),
        );
    }
    out
}

/// Whether process `pid` exists and is not a zombie.
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, r)| !r.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Waits up to `secs` for `f` to hold.
fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// Starts `cargo allocguard ARGS` with `FIXTURE_SLEEP=sleep` and waits
/// (up to `secs`) until the scenario has started its `sleep`; returns the
/// subcommand's process and its one child, the harness.
fn started_with_child(
    f: &Fixture,
    args: &[&str],
    sleep: &str,
    secs: u64,
) -> (std::process::Child, u32) {
    let child = f
        .command(args)
        .env("FIXTURE_SLEEP", sleep)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let needle = format!("sleep {sleep}");
    assert!(
        eventually(secs, || !processes_with(&needle).is_empty()),
        "the scenario never started its child"
    );
    let harness = children_of(child.id());
    assert_eq!(harness.len(), 1, "the harness: {harness:?}");
    (child, harness[0])
}

/// Whether a command that `took` this long returned before a child of the
/// run, `sleep SECONDS`, would have ended by itself: it did not wait for
/// the child (it ended it). Not a speed measure: the child's lifetime is
/// the bound, and a run that waits for it can only take longer.
fn returned_before_the_child_ended(took: Duration, seconds: &str) -> bool {
    took < Duration::from_secs_f64(seconds.parse().unwrap())
}

/// Runs `SCENARIO` with a 3 s timeout and `FIXTURE_SLEEP=sleep`; returns the
/// run and how long it took.
fn run_with_timeout(f: &Fixture, scenario: &str, sleep: &str) -> (Run, Duration) {
    assert_eq!(f.scenarios(&["fixture/clean"]).code, 0, "built");
    let started = Instant::now();
    let r = Run::from(
        f.command(&[
            "run",
            "--profile",
            "dev",
            "--scale",
            "smoke",
            scenario,
            "--timeout",
            "3s",
        ])
        .env("FIXTURE_SLEEP", sleep)
        .output()
        .unwrap(),
    );
    (r, started.elapsed())
}

#[test]
fn a_timeout_ends_the_scenario_and_the_process_it_started() {
    let f = Fixture::new();
    let (r, took) = run_with_timeout(&f, "fixture/spawn_and_hang", "40.0417");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.out_has("TIMED OUT fixture/spawn_and_hang"), "{r:?}");
    assert!(
        returned_before_the_child_ended(took, "40.0417"),
        "took {took:?}: the child's 40 s were waited for"
    );
    assert!(
        eventually(2, || processes_with("sleep 40.0417").is_empty()),
        "the scenario's child outlived the command: {:?}",
        processes_with("sleep 40.0417")
    );
}

#[test]
fn sigterm_to_cargo_allocguard_ends_every_scenario_process() {
    let f = Fixture::new();
    assert_eq!(f.scenarios(&["fixture/clean"]).code, 0, "built");
    let run = [
        "run",
        "--profile",
        "dev",
        "--scale",
        "smoke",
        "fixture/spawn_and_hang",
    ];
    let (child, harness) = started_with_child(&f, &run, "40.0418", 60);
    send("-TERM", child.id());
    let out = child.wait_with_output().unwrap();
    let r = Run::from(out);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.err_has("interrupted by a signal"), "{r:?}");
    assert!(
        processes_with("sleep 40.0418").is_empty() && !running(harness),
        "left behind: {:?} {:?}",
        processes_with("sleep 40.0418"),
        harness
    );
}

#[test]
fn a_scenario_that_leaves_a_process_running_is_leaky_and_the_process_ends() {
    let f = Fixture::new();
    let r = f.scenarios(&["fixture/leaky"]);
    assert_eq!(r.code, 0, "it passed: {r:?}");
    assert!(r.stderr.contains("    LEAKY ["), "{r:?}");
    assert!(
        r.out_has("LEAKY fixture/leaky: it left processes running"),
        "{r:?}"
    );
    assert!(r.out_has("sleep 30.0421"), "the process is named: {r:?}");
    assert!(
        eventually(2, || processes_with("sleep 30.0421").is_empty()),
        "{:?}",
        processes_with("sleep 30.0421")
    );
    assert_eq!(
        r.run_json()["scenarios"][0]["leaked"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Sends `signal` (`-INT`, `-TERM`) to process `pid`.
fn send(signal: &str, pid: u32) {
    let ok = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn a_timeout_ends_a_child_that_left_the_process_group_and_holds_the_output() {
    // `setsid sleep`: another session and group, and the harness's stdout
    // and stderr pipes open in it. Before: the run waited the sleep's 40 s.
    let f = Fixture::new();
    let (r, took) = run_with_timeout(&f, "fixture/setsid_and_hang", "40.0419");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.out_has("TIMED OUT fixture/setsid_and_hang"), "{r:?}");
    assert!(
        returned_before_the_child_ended(took, "40.0419"),
        "took {took:?}"
    );
    assert!(
        processes_with("sleep 40.0419").is_empty(),
        "the child outlived the command: {:?}",
        processes_with("sleep 40.0419")
    );
}

#[test]
fn sigint_ends_a_child_that_left_the_process_group() {
    let f = Fixture::new();
    assert_eq!(f.scenarios(&["fixture/clean"]).code, 0, "built");
    let run = [
        "run",
        "--profile",
        "dev",
        "--scale",
        "smoke",
        "fixture/setsid_and_hang",
    ];
    let (child, harness) = started_with_child(&f, &run, "40.0420", 60);
    let started = Instant::now();
    send("-INT", child.id());
    let r = Run::from(child.wait_with_output().unwrap());
    assert!(
        returned_before_the_child_ended(started.elapsed(), "40.0420"),
        "{r:?}"
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.err_has("interrupted by a signal"), "{r:?}");
    assert!(
        processes_with("sleep 40.0420").is_empty() && !running(harness),
        "left behind: {:?} {harness}",
        processes_with("sleep 40.0420"),
    );
}

#[test]
fn sigint_to_profile_ends_the_scenario_and_its_child() {
    let f = Fixture::new();
    let profile = [
        "profile",
        "--profile",
        "dev",
        "fixture/spawn_and_hang",
        "--out",
        "hang.json",
    ];
    let (child, harness) = started_with_child(&f, &profile, "40.0421", 300);
    send("-INT", child.id());
    let r = Run::from(child.wait_with_output().unwrap());
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.err_has("interrupted by a signal"), "{r:?}");
    assert!(
        processes_with("sleep 40.0421").is_empty() && !running(harness),
        "left behind: {:?} {harness}",
        processes_with("sleep 40.0421"),
    );
    assert!(!f.path("hang.json").exists());
}

#[test]
fn a_child_in_its_own_session_or_an_orphaned_grandchild_is_leaky_and_ended() {
    let f = Fixture::new();
    let started = Instant::now();
    let r = f.scenarios(&["fixture/leaky_setsid", "fixture/leaky_grandchild"]);
    assert_eq!(r.code, 0, "both passed: {r:?}");
    assert!(
        returned_before_the_child_ended(started.elapsed(), "30.0422"),
        "the sleeps' 30 s were waited for: {r:?}"
    );
    for (name, sleep) in [
        ("fixture/leaky_setsid", "sleep 30.0422"),
        ("fixture/leaky_grandchild", "sleep 30.0423"),
    ] {
        let at = r
            .stdout
            .find(&format!("LEAKY {name}: it left"))
            .unwrap_or_else(|| panic!("{name} is not leaky: {r:?}"));
        // The first process listed under it (`PID COMMAND`), past the
        // heading's wrapped lines.
        let block = r.stdout[at..]
            .lines()
            .skip(1)
            .find(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or("");
        assert!(block.ends_with(sleep), "{name}: {block:?} in {r:?}");
        assert!(
            processes_with(sleep).is_empty(),
            "{sleep} outlived the command: {:?}",
            processes_with(sleep)
        );
    }
}

#[test]
fn a_crash_shows_its_own_output_not_the_scenario_before() {
    let f = Fixture::new();
    let r = f.scenarios(&["fixture/panics", "fixture/crash"]);
    assert_eq!(r.code, 1, "{r:?}");
    let crash = r
        .stdout
        .find("CRASHED fixture/crash (")
        .unwrap_or_else(|| panic!("{r:?}"));
    let panics = r
        .stdout
        .find("FAIL fixture/panics (")
        .unwrap_or_else(|| panic!("{r:?}"));
    let (before, after) = if panics < crash {
        (&r.stdout[panics..crash], &r.stdout[crash..])
    } else {
        (&r.stdout[panics..], &r.stdout[crash..panics])
    };
    assert!(before.contains("the panic of fixture/panics"), "{r:?}");
    assert!(
        !after.contains("the panic of fixture/panics"),
        "another scenario's panic is shown as the crash's output: {after}"
    );
    assert!(after.contains("SIGABRT"), "{after}");
}

#[test]
fn a_crash_is_blamed_on_the_scenario_that_crashed_whatever_it_printed() {
    let f = Fixture::new();
    let r = f.scenarios(&["fixture/imposter", "fixture/clean"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.out_has("CRASHED fixture/imposter"), "{r:?}");
    assert!(
        r.stdout.lines().any(|l| l == "PASS fixture/clean"),
        "the innocent ran and passed: {r:?}"
    );
    assert!(r.out_has("2 scenarios, 1 passed, 1 failed"), "{r:?}");
}

#[test]
fn a_missing_or_crashed_result_fails_the_comparison_and_the_baseline_run() {
    let f = Fixture::new();
    assert_eq!(f.scenarios(&["fixture/clean", "--label", "pre"]).code, 0);
    // The post run of the same scenario crashes: a row with its status.
    let r = f.scenarios(&["fixture/clean", "fixture/crash", "--label", "post"]);
    assert_eq!(r.code, 1, "{r:?}");
    let csv = read(&f.path("ci/phase_log.csv"));
    let crash = csv
        .lines()
        .find(|l| l.contains("fixture/crash"))
        .expect("a row for the crash");
    assert!(crash.contains(",crashed,,,"), "status, no counts: {crash}");
    let c = f.run(&["compare", "pre", "post"]);
    assert_eq!(c.code, 1, "{c:?}");
    assert!(
        c.out_has("FAIL fixture/crash (fixture-basic) crashed in the post run"),
        "{c:?}"
    );
    // A phase in pre that post lacks: missing, a failure.
    assert_eq!(
        f.scenarios(&["fixture/clean", "fixture/leak", "--label", "pre2"])
            .code,
        1
    );
    assert_eq!(f.scenarios(&["fixture/clean", "--label", "post2"]).code, 0);
    let c = f.run(&["compare", "pre2", "post2"]);
    assert_eq!(c.code, 1, "{c:?}");
    assert!(
        c.out_has(
            "fixture/leak › run (fixture-basic) is in the pre run and missing in the post run"
        ),
        "{c:?}"
    );
    assert!(c.out_has("; 1 missing"), "{c:?}");
    // Removed on purpose: the pull request says so in allocguard.toml.
    std::fs::write(
        f.path("allocguard.toml"),
        "[compare]\nallow_missing = [\"fixture/le*\"]\n",
    )
    .unwrap();
    let c = f.run(&["compare", "pre2", "post2"]);
    assert_eq!(c.code, 0, "{c:?}");
    assert!(
        c.out_has("missing, allowed by [compare] allow_missing in allocguard.toml:"),
        "{c:?}"
    );
    std::fs::remove_file(f.path("allocguard.toml")).unwrap();
    // `run --baseline` with a filter holds only what the filter chose.
    let r = f.scenarios(&["fixture/clean", "--baseline", "pre2"]);
    assert_eq!(r.code, 0, "a filter chose a part: {r:?}");
}

#[test]
fn a_phase_log_that_is_not_one_is_said_after_the_results() {
    let f = Fixture::new();
    let log = f.path("binary.log");
    let bytes = [0xffu8, 0xfe, 0x00, 0x01, b'\n', 0x80, 0x81];
    std::fs::write(&log, bytes).unwrap();
    let r = f.scenarios(&[
        "fixture/clean",
        "--label",
        "x",
        "--phase-log",
        log.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.out_has("PASS fixture/clean"),
        "the results are shown: {r:?}"
    );
    assert!(
        r.err_has(&format!(
            "{}:1: this is not a phase log: it is not text",
            log.display()
        )),
        "{r:?}"
    );
    assert_eq!(std::fs::read(&log).unwrap(), bytes, "left as it was");
}

#[test]
fn profile_never_overwrites_a_file_that_is_not_a_dhat_profile() {
    let f = Fixture::new();
    // Not UTF-8 (it was overwritten before: the check read it as text and
    // skipped it when it could not), then text that is not a profile.
    for (file, bytes) in [
        (
            "a.out",
            vec![0x7f, b'E', b'L', b'F', 0xff, 0xfe, 0x00, 0x01],
        ),
        (
            "notes.json",
            b"{\"mine\": \"dhatFileVersion is a word I use\"}".to_vec(),
        ),
    ] {
        std::fs::write(f.path(file), &bytes).unwrap();
        let r = f.run(&[
            "profile",
            "--profile",
            "dev",
            "fixture/clean",
            "--out",
            file,
        ]);
        assert_eq!(r.code, 2, "{r:?}");
        assert!(
            r.err_has("exists and is not a DHAT profile; refusing to overwrite it"),
            "{r:?}"
        );
        assert_eq!(std::fs::read(f.path(file)).unwrap(), bytes);
    }
}

#[test]
fn sigkill_to_cargo_allocguard_takes_the_harness_with_it() {
    let f = Fixture::new();
    assert_eq!(f.scenarios(&["fixture/clean"]).code, 0, "built");
    let run = [
        "run",
        "--profile",
        "dev",
        "--scale",
        "smoke",
        "fixture/spawn_and_hang",
    ];
    let (child, harness) = started_with_child(&f, &run, "40.0424", 60);
    send("-KILL", child.id());
    let _ = child.wait_with_output();
    assert!(
        eventually(5, || !running(harness)),
        "the harness outlived a SIGKILL of cargo allocguard"
    );
    // What the scenario itself started is out of reach (documented); not
    // left behind by this test.
    for p in processes_with("sleep 40.0424") {
        send("-KILL", p.split(' ').next().unwrap().parse().unwrap());
    }
}

#[test]
fn a_result_missing_against_the_baseline_fails_every_report_not_just_the_exit_code() {
    let f = Fixture::new();
    assert_eq!(f.scenarios(&["fixture/clean", "--label", "base"]).code, 0);
    // The baseline also has a scenario this revision no longer has.
    let log = f.path("ci/phase_log.csv");
    let text = read(&log);
    let row = text
        .lines()
        .find(|l| l.contains(",fixture/clean,"))
        .unwrap()
        .replace(",fixture/clean,", ",fixture/gone,");
    std::fs::write(&log, format!("{text}{row}\n")).unwrap();
    let summary = f.path("summary.md");
    let junit = f.path("junit.xml");
    let r = Run::from(
        f.command(&[
            "run",
            "--profile",
            "dev",
            "--scale",
            "smoke",
            "--ci",
            "--baseline",
            "base",
            "--junit",
            junit.to_str().unwrap(),
        ])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap(),
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.out_has("; 1 result missing against the baseline ("),
        "the last line says it: {r:?}"
    );
    assert!(
        r.stdout.lines().any(|l| l.starts_with(
            "::error title=allocguard%3A a result is missing against the baseline::fixture/gone"
        )),
        "{r:?}"
    );
    let md = read(&summary);
    assert!(md.starts_with("## allocguard: FAIL"), "{md}");
    assert!(md.contains("### Missing results\n\n- fixture/gone"), "{md}");
    let xml = read(&junit);
    assert!(
        xml.contains("<testcase name=\"fixture/gone\" classname=\"allocguard::baseline\"")
            && xml.contains("type=\"missing\""),
        "{xml}"
    );
}

#[test]
fn runs_of_different_scales_are_not_compared() {
    let f = Fixture::new();
    assert_eq!(f.scenarios(&["fixture/clean", "--label", "small"]).code, 0);
    let big = f.run(&[
        "run",
        "--profile",
        "dev",
        "--scale",
        "default",
        "fixture/clean",
        "--label",
        "big",
    ]);
    // It has no snapshot at that scale (a failure), and is logged all the same.
    assert_eq!(big.code, 1, "{big:?}");
    assert!(big.err_has("labelled `big` appended"), "{big:?}");
    let c = f.run(&["compare", "small", "big"]);
    assert_eq!(c.code, 2, "{c:?}");
    assert!(
        c.err_has(
            "`small` ran at smoke scale, dev profile and `big` at default scale, dev profile: \
             counts and times of different scales or build profiles are not comparable"
        ),
        "{c:?}"
    );
    // Against a baseline: said before anything is built or run.
    let r = f.run(&[
        "run",
        "--profile",
        "dev",
        "--scale",
        "default",
        "fixture/clean",
        "--baseline",
        "small",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has(
            "--baseline small ran at smoke scale, dev profile, this run would at default scale, dev profile"
        ),
        "{r:?}"
    );
    assert!(!r.err_has("Compiling"), "{r:?}");
}
