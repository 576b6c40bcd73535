//! The phase log's file: appended and read back by header, and what it
//! refuses.

use super::*;
use crate::store::phase_log::tests::row;

#[test]
fn appends_and_reads_back_by_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs/phase_log.csv");
    append(&path, &[row("pre", "r1", "2026-01-01T00:00:00Z", 5)], &[]).unwrap();
    append(&path, &[row("post", "r2", "2026-01-02T00:00:00Z", 3)], &[]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.starts_with("timestamp,run_id,git_rev,label,"));
    let rows = read(&path, &[]).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].allocs, 3);
    assert_eq!(rows[0].notes, "a, \"quoted\" note");
}

#[test]
fn an_older_header_is_followed_and_extra_columns_stay_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    // Every column gates read, none of the later optional ones, and
    // one of the user's own.
    let header = format!("{},mystery", REQUIRED.join(","));
    std::fs::write(&path, format!("{header}\n")).unwrap();
    append(&path, &[row("l", "r", "t", 9)], &[]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let written: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(written.len(), REQUIRED.len() + 1);
    let at = |c: &str| REQUIRED.iter().position(|r| *r == c).unwrap();
    assert_eq!(written[at("allocs")], "9");
    assert_eq!(written[at("label")], "l");
    assert_eq!(
        *written.last().unwrap(),
        "",
        "the user's column stays empty"
    );
    assert_eq!(read(&path, &[]).unwrap()[0].allocs, 9);
}

#[test]
fn rows_are_not_appended_to_a_header_gates_could_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    append(&path, &[row("pre", "r1", "t1", 5)], &[]).unwrap();
    let good = std::fs::read_to_string(&path).unwrap();
    let header = good.lines().next().unwrap().to_string();
    for (broken, says) in [
        (
            good.replacen(",allocs,", ",allocations,", 1),
            "log.csv:1: the phase log has no `allocs` column (its header: ",
        ),
        (
            good.replacen(",deallocs,", ",allocs,", 1),
            "log.csv:1: the phase log's header names the column `allocs` twice",
        ),
        ("\n".to_string(), "log.csv:1: this is not a phase log"),
    ] {
        std::fs::write(&path, &broken).unwrap();
        let e = format!(
            "{:#}",
            append(&path, &[row("post", "r2", "t2", 6)], &[]).unwrap_err()
        );
        assert!(e.contains(says), "{says:?} not in {e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), broken, "untouched");
    }
    // A column a configured gate reads, but no other does: refused on
    // appending and on reading when that gate is configured (the gate
    // passed silently before, its value read as absent).
    let no_hist = format!("{}\n", header.replacen(",step_hist", "", 1));
    std::fs::write(&path, &no_hist).unwrap();
    let needed = [(
        "step_hist",
        "the gate `step_p50_us = { max_regression_pct = 50 }`".to_string(),
    )];
    let e = format!(
        "{:#}",
        append(&path, &[row("post", "r2", "t2", 6)], &needed).unwrap_err()
    );
    assert!(
        e.contains("log.csv:1: the phase log has no `step_hist` column (its header: ")
            && e.contains("and the gate `step_p50_us = { max_regression_pct = 50 }` in allocguard.toml reads it"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        no_hist,
        "untouched"
    );
    assert!(read(&path, &needed).is_err());
    assert!(
        read(&path, &[]).is_ok(),
        "without that gate the log is fine"
    );
    // The same checks on reading.
    std::fs::write(&path, good.replacen(",deallocs,", ",allocs,", 1)).unwrap();
    let e = read(&path, &[]).unwrap_err().to_string();
    assert!(e.contains("names the column `allocs` twice"), "{e}");
    assert!(header.contains(",allocs,"));
}

#[test]
fn a_renamed_column_is_refused_not_read_as_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    append(&path, &[row("pre", "r1", "t1", 5)], &[]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen(",allocs,", ",allocations,", 1)).unwrap();
    let e = read(&path, &[]).unwrap_err().to_string();
    assert!(
        e.contains("has no `allocs` column") && e.contains("--phase-log NEW.csv"),
        "{e}"
    );
    // Its old name is still read.
    std::fs::write(&path, text.replacen(",hot_ops,", ",hot_allocs,", 1)).unwrap();
    assert_eq!(read(&path, &[]).unwrap().len(), 1);
}

#[test]
fn a_type_error_names_its_column_and_a_crashed_scenario_is_a_row_without_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    let crashed = PhaseRow {
        phase: String::new(),
        status: "crashed".into(),
        ..row("post", "r2", "t2", 0)
    };
    append(&path, &[row("pre", "r1", "t1", 5), crashed], &[]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let last = text.lines().nth(2).unwrap();
    assert!(last.contains(",post,,s,,,,,crashed,,,,,"), "{last}");
    let rows = read(&path, &[]).unwrap();
    assert!(rows[1].is_missing_result() && rows[1].scenario == "s");
    std::fs::write(&path, text.replacen(",5,", ",five,", 1)).unwrap();
    let e = read(&path, &[]).unwrap_err().to_string();
    assert!(
        e.contains("log.csv:2: malformed row: column `allocs`:"),
        "{e}"
    );
}

#[test]
fn an_unknown_status_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    append(
        &path,
        &[row("pre", "r1", "t1", 5), row("pre", "r1", "t1", 6)],
        &[],
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.rfind(",passed,").unwrap();
    let broken = format!(
        "{}{}",
        &text[..at],
        text[at..].replacen(",passed,", ",pased,", 1)
    );
    std::fs::write(&path, &broken).unwrap();
    let e = read(&path, &[]).unwrap_err().to_string();
    assert!(
        e.contains("log.csv:3: column `status` is \"pased\"; a row's status is passed,"),
        "{e}"
    );
}

#[test]
fn a_malformed_row_names_its_line_and_nothing_is_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    append(
        &path,
        &[row("a", "r1", "t1", 1), row("a", "r1", "t1", 2)],
        &[],
    )
    .unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("t2,r2,,a,,s,p,,,,not-a-number\n");
    std::fs::write(&path, &text).unwrap();
    let e = read(&path, &[]).unwrap_err().to_string();
    assert!(e.contains("log.csv:4: malformed row"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn a_control_character_in_a_cell_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    append(
        &path,
        &[row("pre", "r1", "t1", 5), row("post", "r2", "t2", 6)],
        &[],
    )
    .unwrap();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(",post,", ",po\0st,");
    std::fs::write(&path, &text).unwrap();
    let e = read(&path, &[]).unwrap_err().to_string();
    assert!(
        e.contains("log.csv:3: column `label` holds the control character '\\0': a damaged row"),
        "{e}"
    );
}

#[test]
fn a_log_whose_last_line_is_cut_short_takes_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    append(
        &path,
        &[row("pre", "r1", "t1", 5), row("pre", "r1", "t1", 6)],
        &[],
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let torn = &text[..text.len() - 10];
    std::fs::write(&path, torn).unwrap();
    let e = append(&path, &[row("post", "r2", "t2", 1)], &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("log.csv:3: the last line is cut short (no newline at its end"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        torn,
        "not a byte added"
    );
}
