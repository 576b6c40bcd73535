//! End-to-end tests: the `cargo-allocguard` binary run against temporary
//! copies of the sample workspace in `tests/fixtures/basic` (see
//! `support/`): running, labelling, comparing, gating, reviewing, reporting
//! and bad input.

use std::path::Path;
use std::process::Command;

mod support;
use support::{read, redact, Fixture};

#[test]
fn a_full_run_fails_on_the_hot_allocation_and_the_leak() {
    let f = Fixture::new();
    let r = f.scenarios(&[]);
    assert_eq!(r.code, 1, "{r:?}");
    insta::assert_snapshot!("full_run_stdout", redact(&r.stdout, &f));
    assert!(r.err_has("run written to "), "{r:?}");
    // One line per scenario as it ends, with its own time.
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains("s] (")).collect();
    assert_eq!(lines.len(), 3, "{r:?}");
    assert!(lines[0].starts_with("     PASS [") && lines[0].ends_with("(1/3) fixture/clean"));
    assert!(lines[1].starts_with("     FAIL [") && lines[1].ends_with("(2/3) fixture/hot_alloc"));
    assert!(lines[2].starts_with("     FAIL [") && lines[2].ends_with("(3/3) fixture/leak"));
    let run_json = r
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("run written to "))
        .unwrap();
    let run: serde_json::Value = serde_json::from_str(&read(Path::new(run_json))).unwrap();
    let names: Vec<&str> = run["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["fixture/clean", "fixture/hot_alloc", "fixture/leak"],
        "ignored ones stay out"
    );
    assert_eq!(run["scenarios"][1]["profile"]["phases"][0]["hot_ops"], 1);
}

#[test]
fn a_clean_filter_passes_and_labels_append_to_the_csv_and_compare() {
    let f = Fixture::new();
    let r = f.scenarios(&[
        "fixture/clean",
        "--label",
        "pre",
        "--notes",
        "before, \"quoted\"",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.out_has("PASS: 1 scenario, 1 passed, 0 failed"), "{r:?}");
    let r = f.scenarios(&["fixture/clean", "--label", "post"]);
    assert_eq!(r.code, 0, "{r:?}");
    let csv = read(&f.path("ci/phase_log.csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("timestamp,run_id,git_rev,label,package,scenario,phase,"));
    assert!(
        lines[1].contains(&format!(
            ",pre,fixture-basic,fixture/clean,run,dev,smoke,{},passed,30,",
            allocguard::harness::RUSTC_VERSION
        )),
        "{csv}"
    );
    assert!(lines[1].contains(",\"before, \"\"quoted\"\"\","), "{csv}");
    assert!(
        lines[2].contains(",post,fixture-basic,fixture/clean,run,"),
        "{csv}"
    );

    // By default only what failed or changed: two runs of the same code
    // change no count, so no count row is listed (a time may move beyond its
    // noise on a busy machine, so times are not asserted either way).
    let c = f.run(&["compare", "pre", "post"]);
    assert_eq!(c.code, 0, "{c:?}");
    assert!(c.out_has("PASS: 0 gates checked, 0 failed; "), "{c:?}");
    let listed: Vec<&str> = c.stdout.lines().filter(|l| l.starts_with("  ")).collect();
    assert!(listed.iter().all(|l| l.contains(" step_")), "{c:?}");
    if listed.is_empty() {
        assert!(
            c.out_has("1 scenario: pass, unchanged (--all lists every row)"),
            "{c:?}"
        );
    }
    // `--all`: every row. Times differ from run to run: check their rows
    // exist, snapshot the rest.
    let c = f.run(&["compare", "pre", "post", "--all"]);
    assert_eq!(c.code, 0, "{c:?}");
    let redacted = redact(&c.stdout, &f);
    let (times, counts): (Vec<&str>, Vec<&str>) =
        redacted.lines().partition(|l| l.contains(" step_"));
    assert_eq!(times.len(), 4, "{redacted}");
    // Whether a time moved beyond its noise shows in the verdicts: those
    // lines are checked for their shape, the rest snapshotted.
    let (verdicts, counts): (Vec<&str>, Vec<&str>) = counts
        .into_iter()
        .partition(|l| l.contains("change") && !l.starts_with(' '));
    assert_eq!(verdicts.len(), 2, "{redacted}");
    assert!(
        verdicts[0].starts_with("fixture/clean  pass")
            && verdicts[1].starts_with("PASS: 0 gates checked, 0 failed;"),
        "{redacted}"
    );
    // The table's gaps shrink to one space when its times make it wider
    // than 80 columns, and times vary: the snapshot has single spaces.
    let single = regex::Regex::new(" +").unwrap();
    let counts: Vec<String> = counts
        .iter()
        .map(|l| single.replace_all(l, " ").into_owned())
        .collect();
    insta::assert_snapshot!("compare_pre_post", counts.join("\n"));
    let md = f.run(&["compare", "pre", "post", "--format", "markdown"]);
    assert!(
        md.out_has("| scenario | verdict |\n| --- | --- |\n"),
        "{md:?}"
    );
    let md = f.run(&["compare", "pre", "post", "--format", "markdown", "--all"]);
    assert!(
        md.out_has("| scenario | phase | metric | pre | post | Δ | Δ% | gates |"),
        "{md:?}"
    );
    let json = f.run(&["compare", "pre", "post", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["passed"], true);
}

#[test]
fn failing_gates_fail_the_run_and_the_comparison() {
    let f = Fixture::new();
    std::fs::write(
        f.path("allocguard.toml"),
        "[gates]\nallocs = { max = 0 }\nhot_ops = { max = 0, exclude = [\"fixture/leak\"] }\n",
    )
    .unwrap();
    let r = f.scenarios(&["fixture/clean", "--label", "a"]);
    // The clean scenario's phase allocates nothing (its setup is not a
    // phase), so `allocs = { max = 0 }` passes.
    assert_eq!(r.code, 0, "{r:?}");
    std::fs::write(
        f.path("allocguard.toml"),
        "[gates]\nbytes_allocated = { max = 0 }\nallocs = { max = 0 }\n",
    )
    .unwrap();
    let r = f.scenarios(&["fixture/hot_alloc", "--label", "b"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.out_has("FAIL fixture/hot_alloc › run: bytes_allocated = 48 B > 0 B (max 0 B)"),
        "{r:?}"
    );
    assert!(r.out_has("gates checked, 2 failed"), "{r:?}");
    let c = f.run(&["compare", "a", "b"]);
    assert_eq!(c.code, 1, "{c:?}");
    assert!(c.out_has("max 0 FAIL"), "{c:?}");
    assert!(c.out_has("FAIL: 2 gates checked, 2 failed"), "{c:?}");
}

#[test]
fn partitioned_shards_merge_into_the_unpartitioned_run() {
    let f = Fixture::new();
    let mut shard_files = Vec::new();
    for m in 1..=2 {
        let r = f.scenarios(&["--partition", &format!("hash:{m}/2")]);
        assert!(r.code == 0 || r.code == 1, "{r:?}");
        shard_files.push(
            r.stderr
                .lines()
                .find_map(|l| l.strip_prefix("run written to "))
                .unwrap()
                .to_string(),
        );
    }
    let whole = f.scenarios(&[]);
    let whole_file = whole
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("run written to "))
        .unwrap();
    let merged = f.path("merged.json");
    let m = f.run(&[
        "merge",
        &shard_files[0],
        &shard_files[1],
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(
        m.code, 1,
        "the merged run holds the failing scenarios: {m:?}"
    );
    let strip = |path: &Path| {
        let v: serde_json::Value = serde_json::from_str(&read(path)).unwrap();
        v["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let phases: Vec<(u64, u64, u64)> = s["profile"]["phases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        (
                            p["allocs"].as_u64().unwrap(),
                            p["hot_ops"].as_u64().unwrap(),
                            p["bytes_allocated"].as_u64().unwrap(),
                        )
                    })
                    .collect();
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["status"].as_str().unwrap().to_string(),
                    phases,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&merged), strip(Path::new(whole_file)));
    assert!(
        m.out_has("merged 2 of 2 shards of hash:M/2 (3 scenarios)"),
        "{m:?}"
    );
    // Merging refuses to write over an existing file.
    let again = f.run(&[
        "merge",
        &shard_files[0],
        &shard_files[1],
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.err_has("it must not exist yet"), "{again:?}");
}

#[test]
fn eight_concurrent_labelled_runs_append_every_row_untorn() {
    let f = Fixture::new();
    // Build once first so the eight processes only run.
    assert_eq!(f.scenarios(&["fixture/clean"]).code, 0);
    let children: Vec<_> = (0..8)
        .map(|i| {
            f.command(&[
                "run",
                "--profile",
                "dev",
                "--scale",
                "smoke",
                "-q",
                "fixture/clean",
                "--label",
                &format!("l{i}"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    for c in children {
        assert!(c.wait_with_output().unwrap().status.success());
    }
    let csv = read(&f.path("ci/phase_log.csv"));
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let label = headers.iter().position(|h| h == "label").unwrap();
    let mut labels: Vec<String> = rdr
        .records()
        .map(|r| r.unwrap()[label].to_string())
        .collect();
    labels.sort();
    assert_eq!(
        labels,
        (0..8).map(|i| format!("l{i}")).collect::<Vec<_>>(),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 9, "one header, eight rows: {csv}");
}

#[test]
fn snapshot_mismatches_are_reviewed_and_ci_writes_nothing() {
    let f = Fixture::new();
    let snap = f.path("snapshots/fixture__clean@debug-smoke.snap");
    let original = read(&snap);
    std::fs::write(&snap, original.replace("ticks: 30", "ticks: 31")).unwrap();
    let pending = f.path("snapshots/fixture__clean@debug-smoke.snap.new");

    let ci = f.scenarios(&["fixture/clean", "--ci"]);
    assert_eq!(ci.code, 1, "{ci:?}");
    assert!(ci.out_has("CI is set, so nothing was written"), "{ci:?}");
    assert!(!pending.exists());

    let local = f.scenarios(&["fixture/clean"]);
    assert_eq!(local.code, 1, "{local:?}");
    assert!(pending.exists(), "a local mismatch leaves the new snapshot");
    let refuse = f.run(&["review"]);
    assert_eq!(refuse.code, 2, "no terminal: {refuse:?}");
    assert!(
        refuse.err_has("cargo allocguard review --accept"),
        "{refuse:?}"
    );
    let accept = f.run(&["review", "--accept"]);
    assert_eq!(accept.code, 0, "{accept:?}");
    assert!(!pending.exists());
    assert!(read(&snap).contains("ticks: 30"));
    assert_eq!(f.scenarios(&["fixture/clean"]).code, 0);
}

#[test]
fn reports_are_markdown_and_self_contained_html() {
    let f = Fixture::new();
    let r = f.scenarios(&[]);
    let run_json = r
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("run written to "))
        .unwrap()
        .to_string();
    let out = f.path("report");
    let rep = f.run(&["report", &run_json, "--out", out.to_str().unwrap()]);
    assert_eq!(rep.code, 0, "{rep:?}");
    let html = read(&out.join("report.html"));
    assert!(
        html.contains("<svg") && html.contains("fixture/hot_alloc"),
        "charts and scenarios"
    );
    assert_eq!(
        html.matches("<svg").count(),
        6,
        "two charts for each of three scenarios"
    );
    assert!(
        !html.contains("<script") && !html.contains("src=\"http"),
        "self-contained"
    );
    let md = read(&out.join("report.md"));
    assert!(
        md.contains("| phase | ticks | warm-up | warm-up allocs | allocs | hot_ops |"),
        "{md}"
    );
    // It will not overwrite a file that is not a report.
    std::fs::write(out.join("report.md"), "my notes").unwrap();
    assert_eq!(
        f.run(&["report", &run_json, "--out", out.to_str().unwrap()])
            .code,
        2
    );
    assert_eq!(read(&out.join("report.md")), "my notes");
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let f = Fixture::new();
    let colored = f.scenarios(&["fixture/clean", "--color", "always"]);
    assert!(colored.out_has("\u{1b}["), "{colored:?}");
    let plain = f.scenarios(&["fixture/clean"]); // NO_COLOR=1, auto
    assert!(!plain.stdout.contains('\u{1b}'), "{plain:?}");
    assert_eq!(colored.code, 0);
}

#[test]
fn listing_shows_targets_scenarios_and_ignored_ones() {
    let f = Fixture::new();
    let r = f.run(&["list", "--profile", "dev"]);
    assert_eq!(r.code, 0, "{r:?}");
    // Every scenario, the ignored ones marked (they were left out before).
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "allocguard (fixture-basic):");
    for name in ["fixture/clean", "fixture/hot_alloc", "fixture/leak"] {
        assert!(lines.contains(&format!("  {name}").as_str()), "{r:?}");
    }
    for name in ["fixture/crash", "fixture/lazy_pool", "fixture/two_sites"] {
        assert!(
            lines.contains(&format!("  {name} (ignored)").as_str()),
            "{r:?}"
        );
    }
    let ignored = lines.iter().filter(|l| l.ends_with(" (ignored)")).count();
    assert_eq!(
        *lines.last().unwrap(),
        format!(
            "{} scenarios ({ignored} ignored: `run` runs those only when named exactly)",
            lines.len() - 2
        )
    );
    // A filter that matches only ignored scenarios says which, and how.
    let r = f.scenarios(&["lazy"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has(
            "no scenario matches lazy; ignored scenarios run only when named exactly, and these \
             match: fixture/lazy_pool, fixture/lazy_worker"
        ),
        "{r:?}"
    );
    let j = f.run(&[
        "list",
        "--profile",
        "dev",
        "--format",
        "json",
        "fixture/crash",
    ]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v[0]["name"], "fixture/crash");
    assert_eq!(v[0]["ignored"], true);
}

#[test]
fn bad_input_is_named_and_nothing_is_overwritten() {
    let f = Fixture::new();
    // Malformed allocguard.toml: line and column, exit 2, file untouched.
    let bad_toml = "[gates]\nallocs = { max = 0 \n";
    std::fs::write(f.path("allocguard.toml"), bad_toml).unwrap();
    let r = f.scenarios(&[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has("allocguard.toml is not a valid allocguard configuration"),
        "{r:?}"
    );
    assert!(r.err_has("line 2, column"), "{r:?}");
    assert_eq!(read(&f.path("allocguard.toml")), bad_toml);
    std::fs::remove_file(f.path("allocguard.toml")).unwrap();

    // Malformed CSV row: its line and column, exit 2, log untouched.
    std::fs::create_dir_all(f.path("ci")).unwrap();
    let head = "timestamp,run_id,label,package,scenario,phase,status,allocs,bytes_allocated,\
                hot_ops,growth_bytes,peak_bytes,step_mean_us,step_p95_us,step_max_us\n";
    let log = format!(
        "{head}t1,r1,pre,p,s,p,passed,3,0,0,0,0,1,1,1\nt2,r2,post,p,s,p,passed,many,0,0,0,0,1,1,1\n"
    );
    std::fs::write(f.path("ci/phase_log.csv"), &log).unwrap();
    let r = f.run(&["compare", "pre", "post"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has("phase_log.csv:3: malformed row: column `allocs`:"),
        "{r:?}"
    );
    assert_eq!(read(&f.path("ci/phase_log.csv")), log);

    // A log whose header lacks a column gates read: refused, naming it.
    std::fs::write(
        f.path("ci/phase_log.csv"),
        "timestamp,run_id,label,scenario,phase,allocs\nt1,r1,pre,s,p,3\n",
    )
    .unwrap();
    let r = f.run(&["compare", "pre", "post"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.err_has("the phase log has no `package` column"), "{r:?}");

    // An unknown label: exit 2, the labels that exist are listed.
    std::fs::write(
        f.path("ci/phase_log.csv"),
        format!("{head}t1,r1,pre,p,s,p,passed,3,0,0,0,0,1,1,1\n"),
    )
    .unwrap();
    let r = f.run(&["compare", "pre", "nope"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has("no run labelled `nope`") && r.err_has("labels there: pre"),
        "{r:?}"
    );

    // A scenario binary killed by a signal: CRASHED, exit 1. The scenario
    // that finished before it in the same process keeps its result.
    let r = f.scenarios(&["fixture/clean", "fixture/crash"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.out_has("CRASHED") && r.out_has("killed by signal 6 (SIGABRT)"),
        "{r:?}"
    );
    assert!(r.stdout.lines().any(|l| l == "PASS fixture/clean"), "{r:?}");
    assert!(r.out_has("2 scenarios, 1 passed, 1 failed"), "{r:?}");

    // A hung binary hitting --timeout: TIMED OUT, exit 1; the scenario it
    // never reached is run on its own.
    let r = f.scenarios(&["fixture/hang", "fixture/leak", "--timeout", "2s"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.out_has("TIMED OUT") && r.out_has("killed after the timeout of 2s"),
        "{r:?}"
    );
    let leak = r
        .stdout
        .find("FAIL fixture/leak\n  run ")
        .expect("the leak's rows");
    assert!(
        r.stdout[leak..].lines().nth(1).unwrap().ends_with("GROWTH"),
        "{r:?}"
    );

    // A filter that matches nothing: exit 2.
    let r = f.scenarios(&["no_such_scenario"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.err_has("no scenario matches no_such_scenario"), "{r:?}");
}

#[test]
fn a_build_failure_is_shown_as_cargo_shows_it_and_exits_3() {
    let f = Fixture::new();
    let lib = f.path("src/lib.rs");
    let broken = read(&lib).replace(
        "pub fn step(&mut self, dt: f32) {",
        "pub fn step(&mut self, dt: f32) { let x: u8 = \"no\";",
    );
    std::fs::write(&lib, broken).unwrap();
    let r = f.scenarios(&[]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.err_has("error[E0308]: mismatched types"),
        "cargo's own diagnostic: {r:?}"
    );
    assert!(
        r.err_has("building the scenario targets of `fixture-basic` failed"),
        "{r:?}"
    );
}

#[test]
fn a_workspace_without_scenario_targets_is_a_usage_error() {
    let f = Fixture::new();
    let manifest = read(&f.path("Cargo.toml")).replace("name = \"allocguard\"", "name = \"other\"");
    std::fs::write(f.path("Cargo.toml"), manifest).unwrap();
    std::fs::rename(f.path("tests/allocguard.rs"), f.path("tests/other.rs")).unwrap();
    let r = f.scenarios(&[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has("no scenario targets in") && r.err_has("name = \"allocguard\""),
        "{r:?}"
    );
}

#[test]
fn profile_writes_a_dhat_heap_profile() {
    let f = Fixture::new();
    let out = f.path("dhat-heap.json");
    let r = f.run(&[
        "profile",
        "fixture/leak",
        "--profile",
        "dev",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&read(&out)).unwrap();
    assert_eq!(v["dhatFileVersion"], 2);
    assert!(r.out_has("dh_view.html"), "{r:?}");
    // Not a DHAT file at the destination: refused, left alone.
    std::fs::write(&out, "precious").unwrap();
    let r = f.run(&[
        "profile",
        "fixture/leak",
        "--profile",
        "dev",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(read(&out), "precious");
}

#[test]
fn unreferenced_snapshots_are_listed_then_deleted_when_asked() {
    let f = Fixture::new();
    let snaps = f.path("snapshots");
    let stale = [
        "fixture__renamed@release-default.snap.new",
        "gone@debug-smoke.snap",
    ];
    for s in stale {
        std::fs::write(snaps.join(s), "---\nsource: t.rs\n---\nscenario: gone\n").unwrap();
    }
    let kept: Vec<String> = std::fs::read_dir(&snaps)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !stale.contains(&n.as_str()))
        .collect();
    assert!(
        kept.iter().any(|n| n.starts_with("fixture__lazy_worker@")),
        "{kept:?}"
    );
    // Not at a terminal: listed, nothing deleted, exit 1.
    let r = f.run(&["review", "--unreferenced", "--profile", "dev"]);
    assert_eq!(r.code, 1, "{r:?}");
    let listed: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .collect();
    let expected: Vec<String> = stale
        .iter()
        .map(|s| snaps.join(s).display().to_string())
        .collect();
    assert_eq!(
        listed, expected,
        "ignored scenarios' snapshots are theirs: {r:?}"
    );
    assert!(r.out_has("2 snapshots of no scenario that exists"), "{r:?}");
    assert!(stale.iter().all(|s| snaps.join(s).exists()));
    // At a terminal, `y` deletes exactly those.
    let command = format!(
        "cd {} && CARGO_TARGET_DIR={} {} allocguard review --unreferenced --profile dev",
        f.dir.path().display(),
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("fixture-target")
            .display(),
        env!("CARGO_BIN_EXE_cargo-allocguard"),
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"y").unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("delete them? [y/N]") && shown.contains("deleted 2 snapshots"),
        "{shown}"
    );
    assert!(stale.iter().all(|s| !snaps.join(s).exists()));
    for k in &kept {
        assert!(snaps.join(k).exists(), "{k} was kept");
    }
}

#[test]
fn the_profile_of_a_scenario_is_its_phases_and_nothing_of_allocguard() {
    // The repository's own example: 40 hot ticks, one 64-byte allocation in
    // tick 17, kept in a vector whose capacity setup reserved. Built in the
    // dev profile into this workspace's target directory, where the tests'
    // dependencies are already built.
    let root = support::workspace_root();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dhat-heap.json");
    let r: support::Run = support::command_in(&root, &[])
        .env_remove("CARGO_TARGET_DIR")
        .args([
            "profile",
            "examples/allocates_in_tick_17",
            "-p",
            "allocguard",
            "--profile",
            "dev",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.out_has(
            "it covers the phases of examples/allocates_in_tick_17 at smoke scale: hot (40 \
             ticks); not its setup or teardown, nor allocguard's own work"
        ),
        "{r:?}"
    );
    let v: serde_json::Value = serde_json::from_str(&read(&out)).unwrap();
    let frames = |pp: &serde_json::Value| -> Vec<String> {
        pp["fs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                v["ftbl"][i.as_u64().unwrap() as usize]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let pps = v["pps"].as_array().unwrap();
    // Setup's reservation, the runner's buffers, its symbolising of the
    // violation: none of it. The one allocation of the phase is all there is.
    assert_eq!(pps.len(), 1, "{v:#}");
    assert_eq!(
        (pps[0]["tb"].as_u64(), pps[0]["tbk"].as_u64()),
        (Some(64), Some(1))
    );
    let fs = frames(&pps[0]);
    let program = fs
        .iter()
        .find(|f| !f.contains(" alloc::") && !f.contains(" <alloc::"))
        .unwrap();
    assert!(
        program.contains("allocate_on_tick_17 (tests/support/examples.rs:53:"),
        "{fs:#?}"
    );
    assert!(
        fs.iter()
            .all(|f| !f.contains("allocguard::") && !f.contains("dhat::")),
        "no frame of allocguard's or DHAT's: {fs:#?}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the profile is left"
    );
}

#[test]
fn review_asks_at_a_terminal_and_does_what_it_is_told() {
    // `script` (util-linux) runs the command on a pseudo-terminal and feeds
    // it single keys, no Enter: accept the first pending snapshot, then
    // reject all that remain.
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snapshots");
    std::fs::create_dir_all(&snaps).unwrap();
    // As the harness writes them: two phases, the first named `name`.
    let snap = |name: &str| {
        let phase = |n: &str| {
            format!(
                "  - name: {n}\n    ticks: 1\n    warmup_ticks: 0\n    hot_ticks: 0\n    \
                 allocs: 0\n    deallocs: 0\n    reallocs: 0\n    hot_ops: 0\n    \
                 violating_ticks: 0\n    steady_growth: false\n"
            )
        };
        format!(
            "---\nsource: t.rs\n---\nscenario: a\nrustc: \"1.95.0\"\nbuild_profile: debug\n\
             scale: smoke\nphases:\n{}{}",
            phase(name),
            phase("same")
        )
    };
    std::fs::write(snaps.join("a@debug-smoke.snap"), snap("old")).unwrap();
    std::fs::write(snaps.join("a@debug-smoke.snap.new"), snap("new")).unwrap();
    std::fs::write(snaps.join("b@debug-smoke.snap.new"), snap("unwanted")).unwrap();
    std::fs::write(snaps.join("c@debug-smoke.snap.new"), snap("unwanted")).unwrap();
    let command = format!(
        "{} allocguard review --snapshots {} --color never",
        env!("CARGO_BIN_EXE_cargo-allocguard"),
        snaps.display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs the review on a terminal");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"aR").unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(out.status.success(), "{shown}");
    // The diff: numbered lines of the old and new snapshot, the changed line
    // with its context, not the whole file's header.
    assert!(shown.contains("[1/3]"), "{shown}");
    for line in [
        "    5     5 │ phases:",
        "    6       │-  - name: old",
        "          6 │+  - name: new",
        "    7     7 │     ticks: 1",
    ] {
        assert!(shown.contains(line), "{line:?} missing in:\n{shown}");
    }
    assert!(!shown.contains("source: t.rs"), "{shown}");
    assert!(
        shown.contains("a accept · r reject · s skip · A/R/S the same for all that remain"),
        "{shown}"
    );
    // One prompt for a, one for b; the capital R answered for b and c.
    assert_eq!(shown.matches("q quit:").count(), 2, "{shown}");
    assert!(
        shown.contains("1 accepted, 2 rejected, 0 skipped"),
        "{shown}"
    );
    assert_eq!(
        read(&snaps.join("a@debug-smoke.snap")),
        snap("new"),
        "accepted"
    );
    for gone in ["a", "b", "c"] {
        assert!(!snaps.join(format!("{gone}@debug-smoke.snap.new")).exists());
    }
    assert!(
        !snaps.join("b@debug-smoke.snap").exists() && !snaps.join("c@debug-smoke.snap").exists(),
        "a rejection writes nothing"
    );
}
