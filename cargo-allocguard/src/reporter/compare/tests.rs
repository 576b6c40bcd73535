use super::*;
use crate::store::phase_log::PhaseRow;

fn row(label: &str, scenario: &str, allocs: u64, bytes: u64) -> PhaseRow {
    PhaseRow {
        timestamp: "t".into(),
        run_id: label.into(),
        label: label.into(),
        package: "p".into(),
        scenario: scenario.into(),
        phase: "run".into(),
        status: "passed".into(),
        ticks: 10,
        allocs,
        deallocs: allocs,
        bytes_allocated: bytes,
        ..PhaseRow::default()
    }
}

fn comparison() -> Comparison {
    let rows = vec![
        row("naive", "waves", 30, 3 * 1024 * 1024),
        row("naive", "genes", 0, 0),
        row("lean", "waves", 0, 0),
        row("lean", "genes", 0, 0),
    ];
    crate::judge::compare::compare(
        &rows,
        "naive",
        "lean",
        &crate::config::rules::Gates::default(),
    )
    .unwrap()
}

#[test]
fn by_default_only_what_changed_with_a_verdict_per_scenario() {
    let c = comparison();
    let text = anstream::adapter::strip_str(&human(&c, false)).to_string();
    // waves: allocs 30 → 0 and 3 MiB → 0 B changed; no other compared
    // metric did.
    assert!(text.contains("waves  pass (2 changes)"), "{text}");
    let listed: Vec<&str> = text.lines().filter(|l| l.starts_with("  run")).collect();
    assert_eq!(listed.len(), 2, "{text}");
    let bytes = listed
        .iter()
        .find(|l| l.contains("bytes_allocated"))
        .unwrap();
    assert!(
        bytes.contains(" 3 MiB") && bytes.contains("-3 MiB") && bytes.contains("-100.0%"),
        "{bytes}"
    );
    assert!(
        !text.contains("genes"),
        "an unchanged scenario is not listed: {text}"
    );
    assert!(text.contains("1 more scenario pass, unchanged"), "{text}");
    assert!(text.contains("PASS: 0 gates checked, 0 failed; 1 of 2 scenarios changed"));
    // --all lists every row of both.
    let all = anstream::adapter::strip_str(&human(&c, true)).to_string();
    assert!(all.contains("genes  pass, unchanged"), "{all}");
    assert!(
        all.lines().filter(|l| l.starts_with("  run")).count()
            == 2 * c.rows.iter().filter(|r| r.scenario == "waves").count(),
        "{all}"
    );
}

#[test]
fn markdown_has_the_verdicts_then_the_changed_rows() {
    let md = markdown(&comparison(), false);
    assert!(
        md.contains("| scenario | verdict |\n| --- | --- |\n| waves | pass (2 changes) |\n| 1 more scenario | pass, unchanged |\n"),
        "{md}"
    );
    assert!(
        md.contains("| waves | run | allocs | 30 | 0 | -30 | -100.0% |  |"),
        "{md}"
    );
}
