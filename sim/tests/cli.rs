//! `sim` as its users run it: the hotspots and growing sites it prints.

use std::process::Command;

fn sim(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .expect("sim runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn naive_genes_lists_its_top_three_hotspots_with_bytes_per_step() {
    let out = sim(&[
        "genes",
        "--preset",
        "memory-profile",
        "--variant",
        "naive",
        "--scale",
        "smoke",
        "--quiet",
    ]);
    let at = out
        .find("allocation hotspots (top 3 of ")
        .unwrap_or_else(|| panic!("{out}"));
    let listing: Vec<&str> = out[at..].lines().skip(1).collect();
    let ranks: Vec<&str> = listing
        .iter()
        .copied()
        .filter(|l| l.starts_with("  ") && l.as_bytes()[2].is_ascii_digit())
        .collect();
    // Seed 004's form: rank, bytes per step, then where.
    assert_eq!(ranks.len(), 3, "{out}");
    for (i, line) in ranks.iter().enumerate() {
        assert!(
            line.starts_with(&format!("  {}. ", i + 1))
                && line.contains(" per step (")
                && line.contains("KiB"),
            "{out}"
        );
    }
    let locations = listing
        .iter()
        .filter(|l| l.starts_with("     location: ") && l.contains("src/genes/naive.rs:"))
        .count();
    assert_eq!(locations, 3, "{out}");
    // 200 individuals: one matrix row, one new-levels vector and one
    // fitness row each, every generation.
    assert!(ranks[0].contains("(200 allocations per step)"), "{out}");
    let lean = sim(&[
        "genes",
        "--preset",
        "memory-profile",
        "--scale",
        "smoke",
        "--quiet",
    ]);
    assert!(
        lean.contains("allocation hotspots: none (no heap operation in 10 steps)"),
        "{lean}"
    );
}

#[test]
fn naive_automaton_names_the_sites_that_grow() {
    let out = sim(&[
        "automaton",
        "--variant",
        "naive",
        "--scale",
        "smoke",
        "--quiet",
    ]);
    let at = out
        .find("growing sites (held at the end, top 3 of ")
        .unwrap_or_else(|| panic!("{out}"));
    // Three sites, two lines each: what is held, then where.
    let listing: Vec<&str> = out[at..].lines().skip(1).take(6).collect();
    assert_eq!(listing.len(), 6, "{out}");
    for pair in listing.chunks(2) {
        assert!(
            pair[0].contains(" held (") && pair[1].starts_with("     at "),
            "{out}"
        );
    }
    // The history and the snapshots lead (the third holds the objects'
    // JSON maps, inside serde_json).
    for place in [listing[1], listing[3]] {
        assert!(
            place.contains("src/automaton/naive.rs:") && place.contains("NaiveStore::record"),
            "{out}"
        );
    }
}

#[test]
fn a_file_that_is_not_an_automaton_file_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keep.jsonl");
    std::fs::write(&file, "precious\n").unwrap();
    let run = |file: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_sim"))
            .args([
                "automaton",
                "--scale",
                "smoke",
                "--quiet",
                "--no-hotspots",
                "--file",
            ])
            .arg(file)
            .output()
            .expect("sim runs")
    };
    let out = run(&file);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("keep.jsonl: line 1 is not a JSON object")
            && err.contains("continues automaton files only"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious\n");
    // A new path is created with the kernel and kept; run again, continued.
    let auto = dir.path().join("auto.jsonl");
    let first = run(&auto);
    assert!(first.status.success(), "{first:?}");
    let lines = std::fs::read_to_string(&auto).unwrap().lines().count();
    let second = run(&auto);
    assert!(second.status.success(), "{second:?}");
    assert!(String::from_utf8_lossy(&second.stdout).contains("auto.jsonl (continued)"));
    assert!(std::fs::read_to_string(&auto).unwrap().lines().count() > lines);
    // Nothing else was left in the directory (no temporary files).
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["auto.jsonl", "keep.jsonl"]);
}

#[test]
fn without_a_file_the_automaton_leaves_no_temporary_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["automaton", "--scale", "smoke", "--quiet", "--no-hotspots"])
        .env("TMPDIR", tmp.path())
        .output()
        .expect("sim runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn waves_prints_the_originals_report_and_keeps_its_baseline_files() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("baselines");
    let out = sim(&[
        "waves",
        "--scale",
        "smoke",
        "--quiet",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    for heading in [
        "=== PHASE BREAKDOWN ===",
        "Phase 1 - gradual_scaling:",
        "Phase 4 - mixed_tier:",
        "=== PERFORMANCE TEST RESULTS ===",
        "=== TEST EVALUATION ===",
        "Pass/Fail Breakdown:",
        "  Step Time 95th < 33.3ms: ",
    ] {
        assert!(out.contains(heading), "{heading}: {out}");
    }
    assert_eq!(out.matches("  Steps over the 33.3 ms budget: ").count(), 4);
    // Every line but the paths written fits 80 columns.
    for line in out.lines().filter(|l| !l.starts_with("wrote ")) {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line}");
    }
    let mut files: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files[0].ends_with("_performance_500_enemies.csv"),
        "{files:?}"
    );
    assert!(files[1].ends_with("_performance_500_enemies_summary.txt"));
    let csv = std::fs::read_to_string(out_dir.join(&files[0])).unwrap();
    assert!(csv.starts_with("timestamp,duration_seconds,total_frames,average_fps,"));
    assert_eq!(csv.lines().count(), 2);
    let summary = std::fs::read_to_string(out_dir.join(&files[1])).unwrap();
    assert!(summary.starts_with("=== ARCHITECTURE PERFORMANCE STRESS TEST SUMMARY ==="));
    assert!(summary.contains("=== PASS/FAIL CRITERIA ==="));
}

#[test]
fn reports_never_replace_a_users_file_but_replace_their_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ranking.md"), "mine\n").unwrap();
    let combat = || {
        Command::new(env!("CARGO_BIN_EXE_sim"))
            .args([
                "combat", "--stride", "2000", "--runs", "1", "--quiet", "--out",
            ])
            .arg(dir.path())
            .output()
            .expect("sim runs")
    };
    let out = combat();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ranking.md exists and sim did not write it"),
        "{err}"
    );
    // Refused before the run: no results were printed.
    assert!(out.stdout.is_empty(), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ranking.md")).unwrap(),
        "mine\n"
    );
    // Without it, the reports are written, and a second run replaces them.
    std::fs::remove_file(dir.path().join("ranking.md")).unwrap();
    assert!(combat().status.success());
    assert!(combat().status.success());
    assert!(std::fs::read_to_string(dir.path().join("ranking.md"))
        .unwrap()
        .starts_with('#'));
}

#[test]
fn one_build_from_the_command_line_plays_the_originals_deterministic_cells() {
    for (label, turns) in [
        ("direct_damage", ["17.00", "19.00", "20.00", "19.00"]),
        ("direct_area_damage", ["50.00", "25.00", "13.00", "25.00"]),
    ] {
        let out = sim(&["combat", "--build", label, "--runs", "50"]);
        let rows: Vec<&str> = out.lines().skip(3).collect();
        assert_eq!(rows.len(), 4, "{out}");
        for ((row, scenario), t) in rows
            .iter()
            .zip(["Boss", "Mixed", "Swarm 1", "Swarm 2"])
            .zip(turns)
        {
            assert!(row.starts_with(scenario), "{out}");
            assert!(row.contains(&format!("{t} ± 0.00")), "{label}: {row}");
        }
    }
    let refused = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused(&["combat", "--build", "melee_ac + double_tap, ricochet"]);
    assert!(
        err.contains("breaks a rule: at most one of double_tap"),
        "{err}"
    );
    let err = refused(&["combat", "--build", "melee_ac + blead"]);
    assert!(err.contains("no upgrade `blead`"), "{err}");
    let err = refused(&["combat", "--tier", "6", "--build", "direct_damage"]);
    assert!(err.contains("6 is not in 3..=5"), "{err}");
}

#[test]
fn genes_names_its_configuration_and_prints_and_writes_every_generation() {
    let out = sim(&["genes", "--quiet", "--no-hotspots"]);
    assert!(
        out.starts_with("genes: happygene's README 5-minute example"),
        "{out}"
    );
    // 150 generations of the README example: Hill at tf 0.7 is 0.662 ≥ 0.4.
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .filter(|l| l.split_whitespace().count() == 3)
        .collect();
    assert_eq!(rows.len(), 150, "{out}");
    assert!(
        rows.iter().all(|r| r.ends_with("1.000000        1.000000")),
        "{out}"
    );
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line}");
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("series.csv");
    let args = |csv: &std::path::Path| {
        vec![
            "genes".to_string(),
            "--preset".into(),
            "memory-profile".into(),
            "--scale".into(),
            "smoke".into(),
            "--network".into(),
            "--regulation".into(),
            "multiplicative".into(),
            "--quiet".into(),
            "--no-hotspots".into(),
            "--csv".into(),
            csv.to_str().unwrap().into(),
        ]
    };
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args(&csv))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("generation,mean_fitness,best_fitness")
    );
    assert_eq!(text.lines().count(), 11);
    // A second run refuses to overwrite it.
    let again = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args(&csv))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), text);
    // Epistatic selection without a matrix says what it needs.
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["genes", "--selection", "epistatic", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--matrix FILE"));
}

#[test]
fn pairs_takes_the_original_configs_knobs() {
    let dir = tempfile::tempdir().unwrap();
    let out = sim(&[
        "pairs",
        "--stride",
        "400",
        "--tier",
        "5",
        "--archetype",
        "focused",
        "--tanky",
        "2,2,1,3",
        "--runs",
        "1",
        "--max-turns",
        "20",
        "--quiet",
        "--out",
        dir.path().join("p").to_str().unwrap(),
    ]);
    // Tier 5 focused: a budget of 10 points; the tier stat follows --tier.
    assert!(
        out.contains("pairs: 10 points per attack, tier 5\n"),
        "{out}"
    );
    assert!(
        out.contains("attacker [2, 2, 2, 2, 5], evasive [2, 2, 4, 0, 5], tanky [2, 2, 1, 3, 5]"),
        "{out}"
    );
    assert!(
        out.contains(" × 8 combats "),
        "one run: 2 profiles × 4 scenarios: {out}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["pairs", "--evasive", "2,2,4", "--out"])
        .arg(dir.path().join("q"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("give four: focus, power, mobility, endurance"));
}

#[test]
fn every_command_fits_80_columns_but_for_paths() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let runs: Vec<Vec<String>> = [
        "genes --variant naive --preset memory-profile --scale smoke --quiet",
        "automaton --variant naive --scale smoke --quiet",
        "combat --stride 500 --runs 1 --quiet --out {d}/c",
        "combat --build direct_damage --runs 10",
        "pairs --stride 400 --quiet --out {d}/p",
        "reduce --shards {d}/p --out {d}/r --quiet",
    ]
    .iter()
    .map(|c| c.replace("{d}", d).split(' ').map(String::from).collect())
    .collect();
    for args in runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = sim(&args);
        for line in out.lines() {
            // Paths are as long as they are (cargo's are too).
            if line.starts_with("wrote ") || line.starts_with("     at ") {
                continue;
            }
            assert!(line.chars().count() <= 80, "{args:?}: {line}");
        }
    }
}
