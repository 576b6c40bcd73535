//! End-to-end tests of what CI reads: the exact annotation lines, step
//! summary and JUnit file GitHub Actions takes, the per-scenario lines a log
//! shows while the run goes on, the table's width, and shards.

use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

mod support;
use support::{line_of, read, Fixture, Run};

fn on_github(f: &Fixture, args: &[&str], summary: &Path) -> Run {
    Run::from(
        f.command(args)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", summary)
            .output()
            .unwrap(),
    )
}

/// The value of attribute `name` in the first tag that has it.
fn attr<'a>(xml: &'a str, tag: &str, name: &str) -> &'a str {
    let start = xml
        .find(&format!("<{tag} "))
        .unwrap_or_else(|| panic!("no <{tag}>"));
    let rest = &xml[start..];
    let key = format!(" {name}=\"");
    let at = rest
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in <{tag}>"))
        + key.len();
    &rest[at..at + rest[at..].find('"').unwrap()]
}

#[test]
fn github_actions_gets_one_annotation_per_failure_a_summary_and_junit() {
    let f = Fixture::new();
    // A gate that only the clean scenario is held to, and fails: a scenario
    // that passes its own checks can still fail the run. The `hot_ops` gate
    // fails with the hot scenario's own check: one failure, said once.
    std::fs::write(
        f.path("allocguard.toml"),
        "[gates]\nhot_ops = { max = 0 }\n\
         step_max_us = { max = 0.001, exclude = [\"fixture/hot_alloc\", \"fixture/leak\"] }\n",
    )
    .unwrap();
    let summary = f.path("summary.md");
    let junit = f.path("out/junit.xml");
    let r = on_github(
        &f,
        &[
            "run",
            "--profile",
            "dev",
            "--scale",
            "smoke",
            "--junit",
            junit.to_str().unwrap(),
        ],
        &summary,
    );
    assert_eq!(r.code, 1, "{r:?}");

    // Annotations: exactly one per failure, each at a workspace line.
    let errors: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    let alloc_line = line_of(&f, "kept.push(black_box(Box::new([0; 48])))");
    assert!(
        errors[0].starts_with(&format!(
            "::error file=tests/allocguard.rs,line={alloc_line},title=allocguard%3A fixture/hot_alloc failed::"
        )),
        "the allocating line: {}",
        errors[0]
    );
    let leak_line = line_of(&f, "Scenario::new(\"fixture/leak\")");
    assert!(
        errors[1].starts_with(&format!(
            "::error file=tests/allocguard.rs,line={leak_line},title=allocguard%3A fixture/leak failed::"
        )),
        "growth points at the scenario: {}",
        errors[1]
    );
    let clean_line = line_of(&f, "Scenario::new(\"fixture/clean\")");
    assert!(
        errors[2].starts_with(&format!(
            "::error file=tests/allocguard.rs,line={clean_line},title=allocguard%3A fixture/clean › run failed step_max_us::fixture/clean › run: step_max_us = "
        )),
        "{}",
        errors[2]
    );
    assert!(errors[2].ends_with("> 1 ns (max 1 ns)"), "{}", errors[2]);

    // The step summary: failures first, then the table.
    let md = read(&summary);
    assert!(md.starts_with("## allocguard: FAIL\n"), "{md}");
    let failures = md.find("### Failures").expect("a failures section");
    let table = md.find("### Scenarios").expect("the table");
    assert!(failures < table, "{md}");
    // Where: the failure's sites, recorded by the failing run itself (CI
    // mode records every phase's sites).
    assert!(
        md.contains(&format!(
            "| fixture/hot_alloc | run | heap operations in hot ticks | 1 | 0 | `tests/allocguard.rs:{alloc_line}` 1 op |"
        )),
        "{md}"
    );
    // 95 boxes of 48 bytes after warm-up, and the vector that keeps them,
    // pushed on the same line: reallocated 4 times (capacity 8 → 128), now
    // 1,024 bytes. Kept late in the phase: from the second quarter's first
    // tick (23 of 95 after warm-up) to the last's (71), 48 boxes and the
    // vector's growth from 32 pointers to 128: 3,072 bytes over 47.5 ticks.
    // Kept since tick 6: 5 of warm-up, then the first measured tick's box.
    assert!(
        md.contains(&format!(
            "| fixture/leak | run | memory kept in a bounded phase | 64.7 B a tick since tick 6 (+5.39 KiB in all) | no steady growth | `tests/allocguard.rs:{alloc_line}` 5.45 KiB held |"
        )),
        "{md}"
    );
    assert!(
        md.contains("| fixture/clean | run | gate `step_max_us` (max 1 ns) | "),
        "{md}"
    );
    assert!(
        md.contains("| fixture/leak | FAIL | run | 100 | 95 |"),
        "{md}"
    );

    // JUnit: the failed gate is a failure; every case has its real time
    // and its phase table.
    let xml = read(&junit);
    assert_eq!(attr(&xml, "testsuite", "tests"), "3", "{xml}");
    assert_eq!(attr(&xml, "testsuite", "failures"), "3", "{xml}");
    assert_eq!(attr(&xml, "testsuites", "failures"), "3", "{xml}");
    let clean = &xml[xml.find("<testcase name=\"fixture/clean\"").unwrap()..];
    let clean = &clean[..clean.find("</testcase>").unwrap()];
    assert!(
        clean.contains("<failure message=\"gate failed: fixture/clean › run: step_max_us = "),
        "{clean}"
    );
    assert!(clean.contains("type=\"gate\""), "{clean}");
    assert!(
        clean.contains("<system-out>phase") && clean.contains("hot_ops"),
        "{clean}"
    );
    // The hot scenario's failure: its message is what went wrong, not the
    // heading; the description lists its sites.
    let hot = &xml[xml.find("<testcase name=\"fixture/hot_alloc\"").unwrap()..];
    assert!(
        hot.contains("<failure message=\"FAIL fixture/hot_alloc: phase `run`, tick "),
        "{hot}"
    );
    let hot = &xml[xml.find("<testcase name=\"fixture/hot_alloc\"").unwrap()..];
    let hot = &hot[..hot.find("</testcase>").unwrap()];
    assert!(
        hot.contains("every site that used the heap in them:")
            && !hot.contains("second run")
            && hot.contains(&format!(
                "tests/allocguard.rs:{alloc_line} in allocguard::spawn_enemy (called from tests/allocguard.rs:{}): 1 allocation (in 1 of 18 ticks), 48 B allocated, 48 B still held",
                line_of(&f, "spawn_enemy(kept);")
            )),
        "{hot}"
    );
    let run = r.run_json();
    let ms = run["scenarios"][0]["duration_ms"].as_f64().unwrap();
    let time: f64 = attr(clean, "testcase", "time").parse().unwrap();
    assert!(
        ms > 0.0 && (time - ms / 1e3).abs() < 1e-3,
        "{time} s vs {ms} ms"
    );
}

#[test]
fn an_allocation_made_inside_a_dependency_is_annotated_at_the_workspace_line() {
    let f = Fixture::new();
    let summary = f.path("summary.md");
    let r = on_github(
        &f,
        &[
            "run",
            "--profile",
            "dev",
            "--scale",
            "smoke",
            "fixture/dep_alloc",
        ],
        &summary,
    );
    assert_eq!(r.code, 1, "{r:?}");
    // The first frame of the stack is serde_json's, in the cargo registry.
    let first_frame = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("0: "))
        .expect("a stack");
    assert!(first_frame.contains("serde_json"), "{r:?}");
    let call = line_of(&f, "serde_json::to_string(&[1u8, 2, 3])");
    let errors: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(&format!("::error file=tests/allocguard.rs,line={call},")),
        "{}",
        errors[0]
    );
    let properties = errors[0].split("::").nth(1).unwrap();
    assert!(!properties.contains("registry"), "{properties}");
    assert!(
        read(&summary).contains(&format!("`tests/allocguard.rs:{call}`")),
        "{}",
        read(&summary)
    );
}

#[test]
fn scenario_lines_reach_a_pipe_as_scenarios_end() {
    let f = Fixture::new();
    // Build first, so that only the run is timed.
    assert_eq!(f.scenarios(&["fixture/clean"]).code, 0);
    let mut cmd = f.command(&[
        "run",
        "--profile",
        "dev",
        "--scale",
        "smoke",
        "fixture/clean",
        "fixture/hang",
        "--timeout",
        "3s",
    ]);
    // stdout and stderr into one pipe, as `cmd 2>&1 | tee log` makes them.
    let (reader, writer) = std::io::pipe().unwrap();
    cmd.stdout(writer.try_clone().unwrap()).stderr(writer);
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let mut lines: Vec<(Duration, String)> = Vec::new();
    for line in std::io::BufReader::new(reader).lines() {
        lines.push((started.elapsed(), line.unwrap()));
    }
    assert_eq!(child.wait().unwrap().code(), Some(1));
    let end = started.elapsed();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|(_, l)| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in {lines:#?}"))
    };
    let clean = at("PASS [");
    let hang = at("TIMED OUT [");
    let table = at("scenario / phase");
    assert!(clean < hang && hang < table, "{lines:#?}");
    assert!(
        lines[clean].1.ends_with("(1/2) fixture/clean"),
        "{lines:#?}"
    );
    // The clean scenario's line came while the hung one still ran.
    assert!(
        end - lines[clean].0 >= Duration::from_secs(2),
        "the line came {:?} before the end",
        end - lines[clean].0
    );
    // The hung scenario's own time: from its start to the timeout's kill.
    let secs: f64 = lines[hang]
        .1
        .split('[')
        .nth(1)
        .unwrap()
        .split('s')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!((2.5..3.5).contains(&secs), "{lines:#?}");
}

#[test]
fn the_table_fits_80_columns_and_narrower_terminals_lose_columns_not_lines() {
    let f = Fixture::new();
    let table = |columns: &str| {
        let r = Run::from(
            f.command(&["run", "--profile", "dev", "--scale", "smoke"])
                .env("COLUMNS", columns)
                .output()
                .unwrap(),
        );
        assert_eq!(r.code, 1, "{r:?}");
        let start = r.stdout.find("scenario / phase").unwrap();
        let end = r.stdout[start..].find("\n\n").unwrap() + start;
        r.stdout[start..end].to_string()
    };
    let wide = table("80");
    assert!(wide.lines().all(|l| l.chars().count() <= 80), "{wide}");
    assert!(wide.lines().next().unwrap().contains("ticks"), "{wide}");
    let narrow = table("60");
    assert!(narrow.lines().all(|l| l.chars().count() <= 60), "{narrow}");
    assert!(
        !narrow.lines().next().unwrap().contains("ticks"),
        "{narrow}"
    );
    assert!(
        narrow.contains("(left out to fit 60 columns: ticks, peak)"),
        "{narrow}"
    );
    assert!(
        narrow.contains("  run "),
        "every phase still has its row: {narrow}"
    );
}

#[test]
fn an_empty_shard_says_so_and_merge_wants_every_shard() {
    let f = Fixture::new();
    let empty = f.scenarios(&["--partition", "slice:4/4"]);
    assert_eq!(empty.code, 0, "{empty:?}");
    assert!(
        empty.err_has("note: shard slice:4/4 has no scenarios: 3 scenarios selected in all"),
        "{empty:?}"
    );
    assert!(empty.out_has("PASS: 0 scenarios"), "{empty:?}");
    let mut shards = vec![empty.run_file()];
    for m in 1..=2 {
        let r = f.scenarios(&["--partition", &format!("slice:{m}/4")]);
        shards.push(r.run_file());
    }
    let args = |out: &str, extra: &[&str]| {
        let mut a: Vec<String> = vec!["merge".into()];
        a.extend(shards.iter().map(|p| p.display().to_string()));
        a.extend(["--out".to_string(), f.path(out).display().to_string()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let partial = args("partial.json", &[]);
    let r = f.run(&partial.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has("3 of 4 shards given: shard missing (slice:3/4); merge them all, or pass --allow-partial"),
        "{r:?}"
    );
    assert!(!f.path("partial.json").exists());
    let allowed = args("partial.json", &["--allow-partial"]);
    let r = f.run(&allowed.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        r.out_has("merged 3 of 4 shards of slice:M/4 (2 scenarios) into")
            && r.out_has("missing, as --allow-partial allows: slice:3/4"),
        "{r:?}"
    );
}

#[test]
fn a_regression_compare_finds_leads_the_summary_and_is_annotated() {
    let f = Fixture::new();
    std::fs::write(
        f.path("allocguard.toml"),
        "[gates]\nallocs = { no_increase = true }\n",
    )
    .unwrap();
    // base: one allocating line per tick; head: two. Gates read the 8
    // ticks after the 2 of warm-up: 8 allocations, then 16.
    let base = Run::from(
        f.command(&[
            "run",
            "--profile",
            "dev",
            "--scale",
            "smoke",
            "fixture/two_sites",
            "--label",
            "base",
        ])
        .env("FIXTURE_SECOND_SITE", "off")
        .output()
        .unwrap(),
    );
    assert_eq!(base.code, 0, "{base:?}");
    let head = f.scenarios(&["fixture/two_sites", "--label", "head"]);
    assert_eq!(head.code, 0, "{head:?}");
    let summary = f.path("summary.md");
    let r = on_github(
        &f,
        &["compare", "base", "head", "--format", "markdown"],
        &summary,
    );
    assert_eq!(r.code, 1, "{r:?}");
    let md = &r.stdout;
    let failed = md
        .find("**Failed gates**")
        .unwrap_or_else(|| panic!("{md}"));
    let table = md.find("| scenario | verdict |").unwrap();
    assert!(failed < table, "failures first: {md}");
    let line = md[failed..].lines().find(|l| l.starts_with("- ")).unwrap();
    assert!(
        line == "- `fixture/two_sites` › `run`: allocs = 16, baseline 8 (no increase)",
        "{line}"
    );
    // One annotation, on standard error (stdout goes to the summary), at
    // the scenario's declaration in the fixture's own file.
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 1, "{r:?}");
    assert!(
        errors[0].starts_with("::error file=tests/allocguard.rs,line=")
            && errors[0].contains(
                "title=allocguard regression%3A fixture/two_sites › run allocs (base → head)::"
            ),
        "{}",
        errors[0]
    );
    assert!(!r.out_has("::error"), "{md}");
}

#[test]
fn a_crash_is_annotated_at_its_scenarios_declaration() {
    // A crash leaves no profile to place it; the harness's `started` line
    // says where the scenario is declared.
    let f = Fixture::new();
    let summary = f.path("summary.md");
    let r = on_github(
        &f,
        &[
            "run",
            "--profile",
            "dev",
            "--scale",
            "smoke",
            "fixture/crash",
        ],
        &summary,
    );
    assert_eq!(r.code, 1, "{r:?}");
    let line = line_of(&f, "Scenario::new(\"fixture/crash\")");
    let expected = format!(
        "::error file=tests/allocguard.rs,line={line},title=allocguard%3A fixture/crash crashed::"
    );
    assert!(
        r.stdout.lines().any(|l| l.starts_with(&expected)),
        "{expected} in {r:?}"
    );
    // It printed nothing: said so, not an empty "last output".
    assert!(
        r.out_has("(none: it printed nothing to standard error)"),
        "{r:?}"
    );
}

#[test]
fn a_leaky_scenario_shows_in_junit_the_summary_and_an_annotation() {
    let f = Fixture::new();
    let summary = f.path("summary.md");
    let junit = f.path("junit.xml");
    let r = on_github(
        &f,
        &[
            "run",
            "--profile",
            "dev",
            "--scale",
            "smoke",
            "fixture/leaky",
            "--junit",
            junit.to_str().unwrap(),
        ],
        &summary,
    );
    assert_eq!(r.code, 0, "it passed: {r:?}");
    assert!(
        r.stdout.lines().any(
            |l| l.starts_with("::warning file=tests/allocguard.rs,line=")
                && l.contains("title=allocguard%3A fixture/leaky is leaky::")
                && l.contains("sleep 30.0421")
        ),
        "{r:?}"
    );
    let md = read(&summary);
    assert!(md.contains("### Leaky scenarios"), "{md}");
    assert!(
        md.contains("- fixture/leaky: ") && md.contains("sleep 30.0421"),
        "{md}"
    );
    let xml = read(&junit);
    let case = &xml[xml.find("<testcase name=\"fixture/leaky\"").unwrap()..];
    let case = &case[..case.find("</testcase>").unwrap()];
    assert!(
        case.contains("<system-err>LEAKY: it left processes running")
            && case.contains("sleep 30.0421"),
        "{case}"
    );
    assert!(!case.contains("<failure"), "{case}");
}
