//! End-to-end tests of workspaces and snapshots: packages that share a
//! scenario name or a target directory, scenario targets under another name,
//! a worker that starts lazily, a snapshot made by another compiler.

mod support;
use support::{read, Fixture};

/// Adds a member package `other` to the fixture's workspace, whose scenario
/// target declares `scenario`.
fn add_member(f: &Fixture, scenario: &str) {
    let manifest =
        read(&f.path("Cargo.toml")).replace("[workspace]", "[workspace]\nmembers = [\"other\"]");
    std::fs::write(f.path("Cargo.toml"), manifest).unwrap();
    std::fs::create_dir_all(f.path("other/tests")).unwrap();
    std::fs::create_dir_all(f.path("other/src")).unwrap();
    std::fs::write(f.path("other/src/lib.rs"), "").unwrap();
    std::fs::write(
        f.path("other/Cargo.toml"),
        format!(
            "[package]\nname = \"fixture-other\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nallocguard = {{ path = \"{}\" }}\n\n[[test]]\nname = \"allocguard\"\nharness = false\n",
            support::workspace_root().display()
        ),
    )
    .unwrap();
    std::fs::write(
        f.path("other/tests/allocguard.rs"),
        format!(
            "#[global_allocator]\nstatic ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();\n\
             fn main() -> std::process::ExitCode {{\n    allocguard::Harness::from_args()\n        \
             .scenario(allocguard::Scenario::new(\"{scenario}\").phase(allocguard::Phase::new(\"run\"), |_, _| {{}}))\n        \
             .run()\n}}\n"
        ),
    )
    .unwrap();
}

#[test]
fn two_packages_with_one_scenario_name_are_refused_naming_both() {
    let f = Fixture::new();
    add_member(&f, "fixture/clean");
    let r = f.scenarios(&[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has(
            "two scenarios are named `fixture/clean`: one in package `fixture-basic` (test target \
             `allocguard`), one in package `fixture-other` (test target `allocguard`)"
        ),
        "{r:?}"
    );
    assert!(r.err_has("rename one"), "{r:?}");
    // Nothing ran, so no snapshot was touched.
    assert!(!f
        .path("snapshots/fixture__clean@debug-smoke.snap.new")
        .exists());
}

#[test]
fn a_second_package_with_its_own_names_runs_beside_the_first() {
    let f = Fixture::new();
    add_member(&f, "other/empty");
    let r = f.scenarios(&["other/empty", "fixture/clean"]);
    assert!(r.out_has("PASS fixture/clean"), "{r:?}");
    assert!(r.err_has("(2/2) other/empty"), "{r:?}");
}

#[test]
fn report_takes_the_latest_run_of_its_own_workspace() {
    // Every fixture copy shares one target directory, as the members of a
    // monorepo with a global CARGO_TARGET_DIR do.
    let ours = Fixture::new();
    let theirs = Fixture::new();
    let mine = ours.scenarios(&["fixture/clean"]);
    assert_eq!(mine.code, 0, "{mine:?}");
    let later = theirs.scenarios(&["fixture/clean"]);
    assert_eq!(later.code, 0, "{later:?}");
    assert_ne!(mine.run_file(), later.run_file());
    let out = ours.path("report");
    let r = ours.run(&["report", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    let run_id = mine
        .run_file()
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let md = read(&out.join("report.md"));
    assert!(md.contains(&format!("Run `{run_id}`")), "{md}");
}

#[test]
fn list_mentions_a_scenario_target_under_another_name() {
    let f = Fixture::new();
    std::fs::copy(f.path("tests/allocguard.rs"), f.path("tests/scenarios2.rs")).unwrap();
    let manifest =
        read(&f.path("Cargo.toml")) + "\n[[test]]\nname = \"scenarios2\"\nharness = false\n";
    std::fs::write(f.path("Cargo.toml"), manifest).unwrap();
    let r = f.run(&["list", "--profile", "dev"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.err_has(
            "note: test target `scenarios2` (fixture-basic) has `harness = false` but is not a \
             scenario target, so it is not run"
        ),
        "{r:?}"
    );
    assert!(
        r.err_has("targets = [\"scenarios2\"]"),
        "it says how to include it: {r:?}"
    );
}

#[test]
fn a_worker_started_lazily_in_warm_up_keeps_one_snapshot_over_ten_runs() {
    let f = Fixture::new();
    let snap = f.path("snapshots/fixture__lazy_worker@debug-smoke.snap");
    let committed = read(&snap);
    let mut warmup_allocs = Vec::new();
    for i in 0..10 {
        let r = f.scenarios(&["fixture/lazy_worker"]);
        assert_eq!(r.code, 0, "run {i}: {r:?}");
        let phase = &r.run_json()["scenarios"][0]["profile"]["phases"][0];
        warmup_allocs.push(phase["allocs"].as_u64().unwrap());
        assert_eq!(phase["after_warmup"]["allocs"], 0, "run {i}");
    }
    assert_eq!(read(&snap), committed);
    assert!(!f
        .path("snapshots/fixture__lazy_worker@debug-smoke.snap.new")
        .exists());
    // The warm-up itself allocated, a varying number of times: a snapshot
    // of every tick would not have held.
    assert!(warmup_allocs.iter().all(|&n| n > 0), "{warmup_allocs:?}");
}

#[test]
fn a_pool_started_in_warm_up_and_never_waited_for_keeps_one_snapshot_over_ten_runs() {
    // Four workers spawned by the first tick, each blocking on its own
    // channel: their threads' start-up allocations (thread-locals, the
    // channel's wait registration) come whenever the scheduler runs them.
    // Without the settle after warm-up, 4 runs in 20 diffed on this machine.
    let f = Fixture::new();
    let snap = f.path("snapshots/fixture__lazy_pool@debug-smoke.snap");
    let committed = read(&snap);
    for i in 0..10 {
        let r = f.scenarios(&["fixture/lazy_pool"]);
        assert_eq!(r.code, 0, "run {i}: {r:?}");
        let phase = &r.run_json()["scenarios"][0]["profile"]["phases"][0];
        assert_eq!(phase["after_warmup"]["allocs"], 0, "run {i}: {phase}");
        assert_eq!(phase["after_warmup"]["deallocs"], 0, "run {i}: {phase}");
        assert!(
            phase["allocs"].as_u64().unwrap() > 0,
            "the pool's start is counted in warm-up"
        );
    }
    assert_eq!(read(&snap), committed);
    assert!(!f
        .path("snapshots/fixture__lazy_pool@debug-smoke.snap.new")
        .exists());
}

#[test]
fn a_snapshot_made_by_another_compiler_says_so_before_its_diff() {
    let f = Fixture::new();
    let snap = f.path("snapshots/fixture__clean@debug-smoke.snap");
    let text = read(&snap).replacen(
        allocguard::harness::RUSTC_VERSION,
        "1.80.0 (051478957 2024-07-21)",
        1,
    );
    std::fs::write(&snap, &text).unwrap();
    let r = f.scenarios(&["fixture/clean", "--ci"]);
    assert_eq!(r.code, 1, "{r:?}");
    let said = support::flat(&r.stdout);
    let note = said
        .find("note: the snapshot was made with rustc 1.80.0 (051478957 2024-07-21), this run with rustc ")
        .unwrap_or_else(|| panic!("{r:?}"));
    let diff = said.find("-old snapshot").expect("the diff");
    assert!(note < diff, "{r:?}");
    assert!(
        r.out_has("│-rustc: \"1.80.0 (051478957 2024-07-21)\""),
        "{r:?}"
    );
    assert!(r.out_has("CI is set, so nothing was written"), "{r:?}");
    assert_eq!(read(&snap), text, "CI writes nothing");
}
