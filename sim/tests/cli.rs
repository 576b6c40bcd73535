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
    let out = sim(&["genes", "--variant", "naive", "--scale", "smoke", "--quiet"]);
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
        .filter(|l| l.starts_with("     location: ") && l.contains("src/genes.rs:"))
        .count();
    assert_eq!(locations, 3, "{out}");
    // 200 individuals: one matrix row, one new-levels vector and one
    // fitness row each, every generation.
    assert!(ranks[0].contains("(200 allocations per step)"), "{out}");
    let lean = sim(&["genes", "--variant", "lean", "--scale", "smoke", "--quiet"]);
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
    let listing: Vec<&str> = out[at..].lines().skip(1).take(3).collect();
    assert_eq!(listing.len(), 3, "{out}");
    for line in listing {
        assert!(
            line.contains(" held (") && line.contains("src/automaton.rs:"),
            "{out}"
        );
    }
}

#[test]
fn an_existing_file_is_refused_and_left_as_it_was() {
    let dir = std::env::temp_dir().join(format!("allocguard-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keep.jsonl");
    std::fs::write(&file, "precious\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["automaton", "--scale", "smoke", "--quiet", "--file"])
        .arg(&file)
        .output()
        .expect("sim runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("keep.jsonl exists") && err.contains("never overwrites"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious\n");
    std::fs::remove_dir_all(&dir).unwrap();
}
