//! End-to-end tests of allocation sites: `run --sites` lists them under each
//! phase, `compare` says which appeared or went away, the report has a
//! table of them. On the fixture's `fixture/two_sites`: ten ticks, two of
//! warm-up, each allocating and freeing a 24-byte box at one line and a
//! 32-byte vector at another (the second unless FIXTURE_SECOND_SITE=off).

mod support;
use support::{line_of, read, Fixture, Run};

fn run_with(f: &Fixture, second: &str, args: &[&str]) -> Run {
    let mut all = vec!["run", "--profile", "dev", "--scale", "smoke"];
    all.extend_from_slice(args);
    Run::from(
        f.command(&all)
            .env("FIXTURE_SECOND_SITE", second)
            .output()
            .unwrap(),
    )
}

#[test]
fn run_with_sites_lists_them_and_compare_names_the_one_that_went_away() {
    let f = Fixture::new();
    let first = line_of(&f, "black_box(Box::new([1; 24]))");
    let second = line_of(&f, "black_box(vec![2; 4])");
    let (first_call, second_call) = (
        line_of(&f, "first_site()[0]"),
        line_of(&f, "second_site()[0]"),
    );
    let with = run_with(
        &f,
        "on",
        &["--sites", "--label", "with", "fixture/two_sites"],
    );
    assert_eq!(with.code, 0, "{with:?}");
    // Eight ticks after warm-up, each allocating and freeing at both lines:
    // where (the line, its function, its caller), then what.
    let lines: Vec<&str> = with.stdout.lines().map(str::trim).collect();
    for (place, what) in [
        (
            format!(
                "tests/allocguard.rs:{first} in allocguard::first_site (called from tests/allocguard.rs:{first_call})"
            ),
            "8 allocations, 8 deallocations (2 a tick), 192 B allocated",
        ),
        (
            format!(
                "tests/allocguard.rs:{second} in allocguard::second_site (called from tests/allocguard.rs:{second_call})"
            ),
            "8 allocations, 8 deallocations (2 a tick), 256 B allocated",
        ),
    ] {
        assert!(
            lines.windows(2).any(|w| w[0] == place && w[1] == what),
            "no `{place}` then `{what}` in:\n{}",
            with.stdout
        );
    }
    // A run file from before sites (schema 2, no `sites`) is still read.
    let mut old = with.run_json();
    old["schema_version"] = 2.into();
    for s in old["scenarios"].as_array_mut().unwrap() {
        for p in s["profile"]["phases"].as_array_mut().unwrap() {
            p.as_object_mut()
                .unwrap()
                .remove("sites")
                .expect("recorded");
        }
    }
    std::fs::write(f.path("old.json"), old.to_string()).unwrap();
    let r = f.run(&["report", "old.json", "--out", "old"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!read(&f.path("old/report.html")).contains("Allocation sites"));

    // Without --sites the table has no site lines.
    let plain = run_with(&f, "on", &["fixture/two_sites"]);
    assert!(!plain.out_has("first_site"), "{}", plain.stdout);

    let without = run_with(
        &f,
        "off",
        &["--sites", "--label", "without", "fixture/two_sites"],
    );
    assert_eq!(without.code, 0, "{without:?}");
    assert!(
        without.out_has("first_site") && !without.out_has("second_site"),
        "{}",
        without.stdout
    );

    let c = f.run(&["compare", "with", "without"]);
    let gone = format!(
        "fixture/two_sites › run: gone: tests/allocguard.rs:{second} in allocguard::second_site (called from tests/allocguard.rs:{second_call}), was 2 heap operations a tick"
    );
    assert!(
        support::flat(&c.stdout).contains(&format!(" {gone} ")),
        "no line `{gone}` in:\n{}",
        c.stdout
    );
    assert!(
        !c.out_has("first_site"),
        "an unchanged site is not listed:\n{}",
        c.stdout
    );
    let back = f.run(&["compare", "without", "with", "--format", "markdown"]);
    assert!(
        back.out_has(&format!(
            "| fixture/two_sites | run | new: tests/allocguard.rs:{second} in allocguard::second_site (called from tests/allocguard.rs:{second_call}), 2 heap operations a tick |"
        )),
        "{}",
        back.stdout
    );

    // The report of the latest run: a table of the phase's sites.
    let report = f.run(&["report", "--out", "rep"]);
    assert_eq!(report.code, 0, "{report:?}");
    let html = read(&f.path("rep/report.html"));
    assert!(
        html.contains("Allocation sites of <code>run</code>"),
        "{html}"
    );
    let row = html
        .split("<tr>")
        .find(|r| r.contains(&format!("tests/allocguard.rs:{first}")))
        .unwrap_or_else(|| panic!("no row of the first site"));
    assert!(
        row.contains("allocguard::first_site")
            && row.contains(">8<")
            && row.contains(">192 B<")
            && row.contains(">2<"),
        "{row}"
    );
    assert!(!html.contains("second_site"));
}

#[test]
fn two_runs_of_unchanged_code_list_no_changed_site() {
    // This repository's naive waves and automaton: many sites, several
    // stacks through one line, dependency frames (serde_json). Run twice
    // with sites on and compared, they must agree site for site.
    let root = support::workspace_root();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("phase_log.csv");
    let run = |label: &str| -> Run {
        support::command_in(&root, &[])
            .env_remove("CARGO_TARGET_DIR")
            .args([
                "run",
                "-p",
                "allocguard-sim",
                "--profile",
                "dev",
                "--scale",
                "smoke",
                "--ci",
                "--sites",
                "--label",
                label,
                "--phase-log",
                log.to_str().unwrap(),
                "waves/stress_500_naive",
                "automaton/continuous_naive",
            ])
            .output()
            .unwrap()
            .into()
    };
    for label in ["a", "b"] {
        let r = run(label);
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            !r.out_has("/.cargo/registry/"),
            "dependency frames by crate, not by a path of this machine: {}",
            r.stdout
        );
    }
    let c: Run = support::command_in(&root, &[])
        .env_remove("CARGO_TARGET_DIR")
        .args([
            "compare",
            "a",
            "b",
            "--format",
            "json",
            "--phase-log",
            log.to_str().unwrap(),
        ])
        .output()
        .unwrap()
        .into();
    assert_eq!(c.code, 0, "{c:?}");
    let v: serde_json::Value = serde_json::from_str(&c.stdout).unwrap();
    let sites = v["sites"].as_array().cloned().unwrap_or_default();
    assert!(
        sites.is_empty(),
        "{} sites said to differ: {}",
        sites.len(),
        serde_json::to_string_pretty(&sites).unwrap()
    );
}

#[test]
fn the_new_sites_gate_fails_a_comparison_on_a_site_the_base_did_not_have() {
    let f = Fixture::new();
    let second = line_of(&f, "black_box(vec![2; 4])");
    let second_call = line_of(&f, "second_site()[0]");
    let base = run_with(
        &f,
        "off",
        &["--sites", "--label", "base", "fixture/two_sites"],
    );
    assert_eq!(base.code, 0, "{base:?}");
    let head = run_with(
        &f,
        "on",
        &["--sites", "--label", "head", "fixture/two_sites"],
    );
    assert_eq!(head.code, 0, "{head:?}");
    let new = format!(
        "fixture/two_sites › run: new: tests/allocguard.rs:{second} in allocguard::second_site (called from tests/allocguard.rs:{second_call}), 2 heap operations a tick"
    );

    // Off by default: the new site is listed, nothing fails.
    let c = f.run(&["compare", "base", "head"]);
    assert_eq!(c.code, 0, "{c:?}");
    assert!(
        support::flat(&c.stdout).contains(&format!(" {new} ")),
        "{}",
        c.stdout
    );
    assert!(!c.out_has("new_sites"), "{}", c.stdout);

    std::fs::write(f.path("allocguard.toml"), "[gates]\nnew_sites = true\n").unwrap();
    let c = f.run(&["compare", "base", "head"]);
    assert_eq!(c.code, 1, "{c:?}");
    let flat = support::flat(&c.stdout);
    assert!(
        flat.contains(&format!(" FAIL new_sites: {new} ")),
        "{}",
        c.stdout
    );
    assert!(
        flat.contains("1 new allocation site in hot or bounded phases (new_sites)"),
        "{}",
        c.stdout
    );
    // A site gone is no failure.
    let back = f.run(&["compare", "head", "base"]);
    assert_eq!(back.code, 0, "{back:?}");

    // On GitHub: the summary lists it, an annotation points at its line.
    let c = Run::from(
        f.command(&["compare", "base", "head", "--format", "markdown"])
            .env("GITHUB_ACTIONS", "true")
            .output()
            .unwrap(),
    );
    assert_eq!(c.code, 1, "{c:?}");
    assert!(
        c.out_has(&format!(
            "**New allocation sites** (`new_sites`: a hot or bounded phase allocates where its base did not)\n\n- `fixture/two_sites` › `run`: new: tests/allocguard.rs:{second} in allocguard::second_site"
        )),
        "{}",
        c.stdout
    );
    let annotation = c
        .stderr
        .lines()
        .find(|l| l.contains("a new allocation site"))
        .unwrap_or_else(|| panic!("no annotation in:\n{}", c.stderr));
    assert!(
        annotation.starts_with(&format!(
            "::error file=tests/allocguard.rs,line={second},title=allocguard%3A a new allocation site in fixture/two_sites › run (base → head)::fixture/two_sites › run: new: "
        )),
        "{annotation}"
    );

    // A side without sites: the gate cannot judge, and says so.
    let plain = run_with(&f, "on", &["--label", "plain", "fixture/two_sites"]);
    assert_eq!(plain.code, 0, "{plain:?}");
    let c = f.run(&["compare", "base", "plain"]);
    assert_eq!(c.code, 0, "{c:?}");
    assert!(
        support::flat(&c.stdout).contains(
            "fixture/two_sites › run: the new_sites gate needs both runs to record the phase's sites, and the post run did not"
        ),
        "{}",
        c.stdout
    );
}

#[test]
fn ci_mode_records_sites_unless_told_not_to() {
    let f = Fixture::new();
    let phase_sites =
        |r: &Run| r.run_json()["scenarios"][0]["profile"]["phases"][0]["sites"].is_object();
    let ci = run_with(&f, "on", &["--ci", "--label", "ci", "fixture/two_sites"]);
    assert_eq!(ci.code, 0, "{ci:?}");
    assert!(phase_sites(&ci), "CI mode records every phase's sites");
    let off = run_with(
        &f,
        "on",
        &["--ci", "--no-sites", "--label", "off", "fixture/two_sites"],
    );
    assert_eq!(off.code, 0, "{off:?}");
    assert!(!phase_sites(&off), "--no-sites turns them off");
    // The phase log says which rows were timed with sites.
    let mut log = csv::Reader::from_path(f.path("ci/phase_log.csv")).unwrap();
    let col = log
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "sites")
        .expect("a sites column");
    let cells: Vec<String> = log.records().map(|r| r.unwrap()[col].to_string()).collect();
    assert_eq!(cells, ["true", "false"]);
    let both = f.run(&["run", "--sites", "--no-sites"]);
    assert_eq!(both.code, 2, "{both:?}");
    assert!(both.err_has("cannot be used with"), "{}", both.stderr);
}
