//! The phase log: one CSV row per scenario × phase × labelled run.
//!
//! Appended under an exclusive file lock with a single write per run, read by
//! header name (so columns can be added later), never rewritten or truncated.
//!
//! The counts and bytes of a row are those of the phase's ticks *after its
//! warm-up*, as in snapshots: what gates and `compare` judge must not change
//! because a pool or a buffer started a little sooner or later. The warm-up's
//! ticks and allocations have columns of their own; the run table and the
//! report show whole phases.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use allocguard::harness::StepHistogram;
use anyhow::{bail, Context};

use crate::model::{Run, ScenarioResult};

/// The default path, relative to the workspace root.
pub const DEFAULT_PATH: &str = "ci/phase_log.csv";

/// One row: one phase of one scenario of one run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PhaseRow {
    /// When the run started (RFC 3339, UTC).
    pub timestamp: String,
    /// The run's id (rows of one run share it).
    pub run_id: String,
    /// `git rev-parse --short HEAD` (`-dirty` with uncommitted changes).
    pub git_rev: String,
    /// The label given with `--label`.
    pub label: String,
    /// Package of the scenario target.
    pub package: String,
    /// Scenario name.
    pub scenario: String,
    /// Phase name.
    pub phase: String,
    /// Cargo profile.
    pub build_profile: String,
    /// smoke, default or full.
    pub scale: String,
    /// passed, failed, crashed, timed_out.
    pub status: String,
    /// Ticks run, warm-up included.
    pub ticks: u64,
    /// Of which warm-up (empty in rows written before it was recorded, whose
    /// counts are of every tick).
    pub warmup_ticks: Option<u64>,
    /// Allocations in the warm-up ticks (measured, never gated).
    pub warmup_allocs: Option<u64>,
    /// Allocations in the ticks after warm-up.
    pub allocs: u64,
    /// Deallocations in the ticks after warm-up.
    pub deallocs: u64,
    /// Reallocations in the ticks after warm-up.
    pub reallocs: u64,
    /// Bytes allocated in the ticks after warm-up.
    pub bytes_allocated: u64,
    /// Heap operations (allocations, reallocations, deallocations) in armed
    /// ticks; the column was called `hot_allocs` before, and is read under
    /// that name too.
    #[serde(alias = "hot_allocs")]
    pub hot_ops: u64,
    /// Live bytes at the end minus at the end of warm-up.
    pub growth_bytes: i64,
    /// Highest live bytes after warm-up, above their level at its end.
    pub peak_bytes: i64,
    /// Mean tick time, µs.
    pub step_mean_us: f64,
    /// Median tick time, µs (empty in rows written before it was recorded).
    pub step_p50_us: Option<f64>,
    /// 95th percentile tick time, µs.
    pub step_p95_us: f64,
    /// Slowest tick, µs.
    pub step_max_us: f64,
    /// Every tick's time, bucketed (see `StepHistogram::encode`): what
    /// relative time gates compare.
    pub step_hist: StepHistogram,
    /// The compiler the scenario was built with.
    pub rustc: String,
    /// Custom metrics, as a JSON object.
    pub metrics: String,
    /// `--notes`.
    pub notes: String,
}

/// The column names, in the order a new log is written.
pub const COLUMNS: &[&str] = &[
    "timestamp",
    "run_id",
    "git_rev",
    "label",
    "package",
    "scenario",
    "phase",
    "build_profile",
    "scale",
    "rustc",
    "status",
    "ticks",
    "warmup_ticks",
    "warmup_allocs",
    "allocs",
    "deallocs",
    "reallocs",
    "bytes_allocated",
    "hot_ops",
    "growth_bytes",
    "peak_bytes",
    "step_mean_us",
    "step_p50_us",
    "step_p95_us",
    "step_max_us",
    "metrics",
    "notes",
    "step_hist",
];

/// Old column names, and the column they are now.
const RENAMED: &[(&str, &str)] = &[("hot_allocs", "hot_ops")];

/// Columns that gates and `compare` read: a log without one of them is
/// refused, naming it (a missing column must never read as zero).
/// `hot_ops` may be under its old name `hot_allocs`.
pub const REQUIRED: &[&str] = &[
    "timestamp",
    "run_id",
    "label",
    "package",
    "scenario",
    "phase",
    "status",
    "allocs",
    "bytes_allocated",
    "hot_ops",
    "growth_bytes",
    "peak_bytes",
    "step_mean_us",
    "step_p95_us",
    "step_max_us",
];

/// Columns a result without a profile leaves empty: its counts and times.
const MEASURED: &[&str] = &[
    "ticks",
    "warmup_ticks",
    "warmup_allocs",
    "allocs",
    "deallocs",
    "reallocs",
    "bytes_allocated",
    "hot_ops",
    "hot_allocs",
    "growth_bytes",
    "peak_bytes",
    "step_mean_us",
    "step_p50_us",
    "step_p95_us",
    "step_max_us",
    "metrics",
    "step_hist",
];

impl PhaseRow {
    /// Whether this row stands for a scenario that left no profile (it
    /// crashed or timed out): status only, no phase, no counts.
    pub fn is_missing_result(&self) -> bool {
        self.phase.is_empty() && (self.status == "crashed" || self.status == "timed_out")
    }
}

/// The rows of one scenario: one per phase, or, for a scenario that left no
/// profile (it crashed or timed out), one row with its status and no counts,
/// so that a comparison can see it.
pub fn rows_of(run: &Run, s: &ScenarioResult, label: &str, notes: &str) -> Vec<PhaseRow> {
    let Some(profile) = &s.profile else {
        return vec![PhaseRow {
            timestamp: run.started.clone(),
            run_id: run.run_id.clone(),
            git_rev: run.git_rev.clone(),
            label: label.to_string(),
            package: s.package.clone(),
            scenario: s.name.clone(),
            phase: String::new(),
            build_profile: run.build_profile.clone(),
            scale: run.scale.to_string(),
            status: s.status.name().to_string(),
            notes: notes.to_string(),
            ..PhaseRow::default()
        }];
    };
    profile
        .phases
        .iter()
        .map(|p| PhaseRow {
            timestamp: run.started.clone(),
            run_id: run.run_id.clone(),
            git_rev: run.git_rev.clone(),
            label: label.to_string(),
            package: s.package.clone(),
            scenario: s.name.clone(),
            phase: p.name.clone(),
            build_profile: run.build_profile.clone(),
            scale: run.scale.to_string(),
            status: s.status.name().to_string(),
            ticks: p.ticks,
            warmup_ticks: Some(p.warmup_ticks),
            warmup_allocs: Some(p.allocs - p.after_warmup.allocs.min(p.allocs)),
            allocs: p.after_warmup.allocs,
            deallocs: p.after_warmup.deallocs,
            reallocs: p.after_warmup.reallocs,
            bytes_allocated: p.after_warmup.bytes_allocated,
            hot_ops: p.hot_ops,
            growth_bytes: p.after_warmup.growth,
            peak_bytes: p.after_warmup.peak,
            step_mean_us: round3(p.step.mean_ns / 1e3),
            step_p50_us: Some(round3(p.step.p50_ns as f64 / 1e3)),
            step_p95_us: round3(p.step.p95_ns as f64 / 1e3),
            step_max_us: round3(p.step.max_ns as f64 / 1e3),
            step_hist: p.step_histogram.clone(),
            rustc: profile.rustc.clone(),
            metrics: serde_json::to_string(&p.metrics).unwrap_or_default(),
            notes: notes.to_string(),
        })
        .collect()
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The row's fields by column name, as CSV text; old column names map to
/// the values of the columns they became; a missing result's counts are empty.
fn fields(row: &PhaseRow) -> BTreeMap<&'static str, String> {
    let value = serde_json::to_value(row).expect("a row serialises");
    let missing = row.is_missing_result();
    let text = |c: &str| match &value[c] {
        _ if missing && MEASURED.contains(&c) => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    COLUMNS
        .iter()
        .map(|&c| (c, text(c)))
        .chain(RENAMED.iter().map(|&(old, new)| (old, text(new))))
        .collect()
}

/// Appends `rows` to the log at `path` (created with a header if new) in one
/// write, holding an exclusive lock so concurrent runs never interleave.
/// Rows follow the existing file's header by name; columns it lacks are
/// left out (with a warning), columns it has that we do not know stay empty.
///
/// `needed` names the columns configured gates read (with the gate, for the
/// error): a log that lacks one is refused, as [`read`] refuses it.
pub fn append(path: &Path, rows: &[PhaseRow], needed: &[(&str, String)]) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("cannot open the phase log {}", path.display()))?;
    file.lock()
        .with_context(|| format!("cannot lock the phase log {}", path.display()))?;
    let result = append_locked(&mut file, path, rows, needed);
    let _ = file.unlock();
    result
}

fn append_locked(
    file: &mut File,
    path: &Path,
    rows: &[PhaseRow],
    needed: &[(&str, String)],
) -> anyhow::Result<()> {
    let len = file.metadata()?.len();
    let header: Vec<String> = if len == 0 {
        COLUMNS.iter().map(|c| c.to_string()).collect()
    } else {
        file.seek(SeekFrom::Start(0))?;
        let mut first = Vec::new();
        BufReader::new(&mut *file).read_until(b'\n', &mut first)?;
        let Ok(first) = String::from_utf8(first) else {
            bail!(
                "{}:1: this is not a phase log: it is not text (UTF-8); give another path with \
                 --phase-log",
                path.display()
            );
        };
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(first.as_bytes());
        let rec = r
            .records()
            .next()
            .transpose()
            .with_context(|| format!("{}:1: the header line is not CSV", path.display()))?
            .unwrap_or_default();
        rec.iter().map(str::to_string).collect()
    };
    if len > 0 && !header.iter().any(|h| h == "scenario") {
        bail!(
            "{}:1: this is not a phase log (no `scenario` column); give another path with --phase-log",
            path.display()
        );
    }
    if len > 0 {
        // Rows that `compare` and the gates could not read back are not
        // appended: the same check as reading.
        check_header(path, &header, needed)?;
    }
    let has = |c: &str| {
        header
            .iter()
            .any(|h| h == c || RENAMED.iter().any(|&(old, new)| new == c && h == old))
    };
    let missing: Vec<&str> = COLUMNS.iter().copied().filter(|c| !has(c)).collect();
    if !missing.is_empty() {
        eprintln!(
            "warning: {} has no column for {}; those values are not recorded (the log is never rewritten)",
            path.display(),
            missing.join(", ")
        );
    }

    let mut buf = Vec::new();
    if len > 0 {
        // A log whose last line was cut short must not have our first row
        // glued onto it.
        file.seek(SeekFrom::End(-1))?;
        let mut last = [0u8; 1];
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            buf.push(b'\n');
        }
    }
    {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(&mut buf);
        if len == 0 {
            w.write_record(&header)?;
        }
        for row in rows {
            let f = fields(row);
            w.write_record(
                header
                    .iter()
                    .map(|h| f.get(h.as_str()).map(String::as_str).unwrap_or("")),
            )?;
        }
        w.flush()?;
    }
    file.write_all(&buf)
        .with_context(|| format!("cannot append to {}", path.display()))?;
    file.flush()?;
    Ok(())
}

/// Refuses a header (line 1 of `path`) that gates and `compare` could not
/// read by name: a required column missing (it would read as 0 in every
/// row), or a column named twice (which of the two is meant?).
fn check_header(path: &Path, header: &[String], needed: &[(&str, String)]) -> anyhow::Result<()> {
    let fix = "Restore the header, or start a new log with --phase-log NEW.csv (allocguard never \
               rewrites a log)";
    let shown = if header.iter().all(|h| h.is_empty()) {
        "it is empty".to_string()
    } else {
        format!("its header: {}", header.join(","))
    };
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = header
        .iter()
        .find(|h| !h.is_empty() && !seen.insert(h.as_str()))
    {
        bail!(
            "{}:1: the phase log's header names the column `{twice}` twice ({shown}). {fix}",
            path.display()
        );
    }
    let has = |c: &str| {
        header
            .iter()
            .any(|h| h == c || RENAMED.iter().any(|&(old, new)| new == c && h == old))
    };
    if let Some(missing) = REQUIRED.iter().find(|c| !has(c)) {
        bail!(
            "{}:1: the phase log has no `{missing}` column ({shown}): gates and compare read \
             it, and a missing column would read as 0 in every row. {fix}",
            path.display()
        );
    }
    if let Some((missing, why)) = needed.iter().find(|(c, _)| !has(c)) {
        bail!(
            "{}:1: the phase log has no `{missing}` column ({shown}), and {why} in \
             allocguard.toml reads it: without it the gate could not be applied. {fix}",
            path.display()
        );
    }
    Ok(())
}

/// Reads every row, by header name. A log without a column that gates or
/// `compare` read is refused, naming the column; a malformed row is an error
/// naming its line and column.
///
/// `needed` names the columns configured gates read beyond those (a time
/// gate's column and histogram), each with the gate, for the error.
pub fn read(path: &Path, needed: &[(&str, String)]) -> anyhow::Result<Vec<PhaseRow>> {
    let file = File::open(path).with_context(|| {
        format!(
            "cannot read the phase log {}; runs are added to it with `cargo allocguard run --label NAME`",
            path.display()
        )
    })?;
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let headers = r
        .headers()
        .map_err(|e| {
            anyhow::anyhow!(
                "{}:1: not a phase log: the first line is not a CSV header ({e})",
                path.display()
            )
        })?
        .clone();
    let names: Vec<String> = headers.iter().map(str::to_string).collect();
    check_header(path, &names, needed)?;
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (status_at, phase_at) = (column("status"), column("phase"));
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = r.position().line();
        match r.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => bail!(
                "{}:{line}: malformed row: {e}; fix or delete that line (allocguard never rewrites the log)",
                path.display()
            ),
        }
        let cell = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or("");
        let status = cell(status_at);
        if !matches!(status, "passed" | "failed" | "crashed" | "timed_out") {
            bail!(
                "{}:{line}: column `status` is {status:?}; a row's status is passed, failed, \
                 crashed or timed_out. Fix or delete that line (allocguard never rewrites the log)",
                path.display()
            );
        }
        if cell(phase_at).is_empty() && (status == "crashed" || status == "timed_out") {
            // A scenario that left no profile: who, when and how it ended.
            let text = |name: &str| cell(column(name)).to_string();
            rows.push(PhaseRow {
                timestamp: text("timestamp"),
                run_id: text("run_id"),
                git_rev: text("git_rev"),
                label: text("label"),
                package: text("package"),
                scenario: text("scenario"),
                build_profile: text("build_profile"),
                scale: text("scale"),
                rustc: text("rustc"),
                status: status.to_string(),
                notes: text("notes"),
                ..PhaseRow::default()
            });
            continue;
        }
        let row: PhaseRow = record.deserialize(Some(&headers)).map_err(|e| {
            let what = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => {
                    let name = err
                        .field()
                        .and_then(|i| headers.get(i as usize))
                        .map(|h| format!(" column `{h}`:"))
                        .unwrap_or_default();
                    format!("{name} {}", err.kind())
                }
                other => format!(" {other:?}"),
            };
            anyhow::anyhow!(
                "{}:{line}: malformed row:{what}; fix or delete that line (allocguard never \
                 rewrites the log)",
                path.display()
            )
        })?;
        rows.push(row);
    }
    Ok(rows)
}

/// The scenario a missing result's text names (`compare`'s missing
/// results, whose texts begin with it, are read in `ci` and the outputs).
pub fn missing_scenario(text: &str) -> &str {
    text.split(' ').next().unwrap_or("")
}

/// How the rows were run: their distinct `scale, build profile` pairs, as
/// `smoke scale, dev profile`.
pub fn settings(rows: &[&PhaseRow]) -> Vec<String> {
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| format!("{} scale, {} profile", r.scale, r.build_profile))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The rows of the runs labelled `label` that repeat its latest one: the
/// same revision (for uncommitted changes, the same diff), build profile and
/// scale. That is the latest run alone, unless the label was run several
/// times at that revision, as the workflow's alternating base and head are.
pub fn latest_runs<'a>(rows: &'a [PhaseRow], label: &str) -> Vec<&'a PhaseRow> {
    let Some(latest) = rows
        .iter()
        .filter(|r| r.label == label)
        .max_by(|a, b| (&a.timestamp, &a.run_id).cmp(&(&b.timestamp, &b.run_id)))
    else {
        return Vec::new();
    };
    let same = |r: &PhaseRow| {
        r.label == label
            && r.git_rev == latest.git_rev
            && r.build_profile == latest.build_profile
            && r.scale == latest.scale
            && !latest.git_rev.is_empty()
            && latest.git_rev != "unknown"
            // Written before dirty trees were told apart by their diff.
            && !latest.git_rev.ends_with("-dirty")
    };
    rows.iter()
        .filter(|r| r.label == label && r.run_id == latest.run_id || same(r))
        .collect()
}

/// How many distinct runs `rows` hold.
pub fn run_count(rows: &[&PhaseRow]) -> usize {
    let mut ids: Vec<&str> = rows.iter().map(|r| r.run_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

/// `rows` of one phase (package, scenario, phase).
pub fn of_phase<'a>(rows: &[&'a PhaseRow], row: &PhaseRow) -> Vec<&'a PhaseRow> {
    rows.iter()
        .filter(|b| b.package == row.package && b.scenario == row.scenario && b.phase == row.phase)
        .copied()
        .collect()
}

/// Labels present in the log, in order of first appearance.
pub fn labels(rows: &[PhaseRow]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        if !out.contains(&r.label) {
            out.push(r.label.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, run: &str, ts: &str, allocs: u64) -> PhaseRow {
        PhaseRow {
            timestamp: ts.into(),
            run_id: run.into(),
            label: label.into(),
            scenario: "s".into(),
            phase: "p".into(),
            status: "passed".into(),
            allocs,
            notes: "a, \"quoted\" note".into(),
            ..PhaseRow::default()
        }
    }

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
    fn latest_run_of_a_label() {
        let rows = vec![
            row("pre", "r1", "2026-01-01T00:00:00Z", 1),
            row("pre", "r2", "2026-01-03T00:00:00Z", 2),
            row("post", "r3", "2026-01-02T00:00:00Z", 3),
        ];
        let latest = latest_runs(&rows, "pre");
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].allocs, 2);
        assert!(latest_runs(&rows, "nope").is_empty());

        assert_eq!(labels(&rows), vec!["pre", "post"]);
        // Runs of one clean revision are repeats of one measurement.
        let at = |run: &str, ts: &str, rev: &str| PhaseRow {
            git_rev: rev.into(),
            ..row("base", run, ts, 1)
        };
        let rows = vec![
            at("r1", "2026-01-01T00:00:00Z", "old"),
            at("r2", "2026-01-02T00:00:00Z", "abc"),
            at("r3", "2026-01-03T00:00:00Z", "abc"),
            at("r4", "2026-01-04T00:00:00Z", "abc"),
        ];
        let repeats = latest_runs(&rows, "base");
        assert_eq!(run_count(&repeats), 3);
        assert!(repeats.iter().all(|r| r.git_rev == "abc"));
        let dirty: Vec<PhaseRow> = rows
            .iter()
            .map(|r| PhaseRow {
                git_rev: format!("{}-dirty", r.git_rev),
                ..r.clone()
            })
            .collect();
        assert_eq!(
            run_count(&latest_runs(&dirty, "base")),
            1,
            "a dirty tree may differ between runs"
        );
    }
}
