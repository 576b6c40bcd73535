//! A scenario binary's last word, and words that are not its own: a binary
//! that dies after every scenario reported, a record a scenario forged, a
//! run file with a line the harness did not write, a crash that prints
//! 2 MB, and a leaky scenario's processes ended before the next scenario.

mod support;
use support::Fixture;

#[test]
fn a_binary_that_dies_after_its_scenarios_reported_fails_the_run() {
    let f = Fixture::new();
    // `clean` runs first, then `aborts_at_exit`, whose exit handler aborts
    // the binary once both have reported.
    let r = f.scenarios(&["fixture/clean", "fixture/aborts_at_exit"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.out_has("CRASHED fixture/aborts_at_exit"), "{r:?}");
    assert!(
        r.out_has(
            "after every scenario had reported, the scenario binary was killed by signal 6 \
             (SIGABRT): outside any scenario"
        ),
        "{r:?}"
    );
    assert!(
        r.out_has("the results of the scenarios that ran in it (fixture/clean, fixture/aborts_at_exit) are not trusted"),
        "{r:?}"
    );
    // Said ended as it passed, then revised: counted once.
    assert!(r.stderr.contains("(2/2) fixture/aborts_at_exit"), "{r:?}");
    assert!(!r.stderr.contains("(3/2)"), "{r:?}");
    let run = r.run_json();
    let statuses: Vec<&str> = run["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["crashed", "passed"], "{run}");
}

#[test]
fn a_record_the_scenario_forged_is_refused() {
    let f = Fixture::new();
    let r = f.scenarios(&["fixture/forges_a_pass"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.out_has("CRASHED fixture/forges_a_pass"), "{r:?}");
    assert!(
        r.out_has("the scenario binary was killed by signal 6 (SIGABRT)"),
        "{r:?}"
    );
    assert!(
        r.out_has("line 3 of its run file is not sealed: not written by the harness"),
        "{r:?}"
    );
}

#[test]
fn a_line_the_harness_did_not_write_is_said_at_its_line() {
    let f = Fixture::new();
    let r = f.scenarios(&["fixture/scribbles", "fixture/clean"]);
    assert_eq!(r.code, 1, "{r:?}");
    // Its own record is read, the line before it refused, against it; the
    // next scenario's result is untouched.
    assert!(r.out_has("FAIL fixture/scribbles"), "{r:?}");
    assert!(
        r.out_has("line 5 of its run file is not a line the harness writes"),
        "{r:?}"
    );
    assert!(r.out_has("PASS fixture/clean"), "{r:?}");
    assert!(!r.out_has("without a result"), "{r:?}");
    assert!(!r.stderr.contains("(3/2)"), "{r:?}");
}

#[test]
fn a_crash_shows_the_end_of_its_output_and_the_run_file_keeps_all() {
    let f = Fixture::new();
    let r = f.scenarios(&["fixture/shouts_and_crashes"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.len() < 20_000, "{} bytes", r.stdout.len());
    assert!(r.out_has("… [cut: 2000000 bytes in all"), "{r:?}");
    assert!(r.out_has("the last words"), "{r:?}");
    let run = r.run_json();
    let output = run["scenarios"][0]["output"].as_str().unwrap();
    assert!(output.contains(&"x".repeat(2_000_000)));
    assert!(
        output.ends_with("the last words"),
        "{}",
        &output[output.len() - 40..]
    );
}

#[test]
#[cfg(target_os = "linux")]
fn a_leaky_scenarios_processes_end_before_the_next_scenario_runs() {
    let f = Fixture::new();
    // `after_leaky` fails if `leaky`'s sleep still runs.
    let r = f.scenarios(&["fixture/leaky", "fixture/after_leaky"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.out_has("LEAKY fixture/leaky"), "{r:?}");
    assert!(r.out_has("PASS fixture/after_leaky"), "{r:?}");
}
