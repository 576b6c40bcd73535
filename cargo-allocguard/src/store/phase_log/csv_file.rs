//! The phase log as a file: rows appended under an exclusive lock with one
//! write per run, read back by header name, never rewritten or truncated.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{bail, Context};

use super::{PhaseRow, COLUMNS, MEASURED, RENAMED, REQUIRED};

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
/// left out (and returned, for the caller to say), columns it has that we
/// do not know stay empty.
///
/// `needed` names the columns configured gates read (with the gate, for the
/// error): a log that lacks one is refused, as [`read`] refuses it.
pub fn append(
    path: &Path,
    rows: &[PhaseRow],
    needed: &[(&str, String)],
) -> anyhow::Result<Vec<&'static str>> {
    if rows.is_empty() {
        return Ok(Vec::new());
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
) -> anyhow::Result<Vec<&'static str>> {
    let len = file.metadata()?.len();
    let header: Vec<String> = if len == 0 {
        COLUMNS.iter().map(|c| c.to_string()).collect()
    } else {
        appendable(file, path, needed)?
    };
    let has = |c: &str| {
        header
            .iter()
            .any(|h| h == c || RENAMED.iter().any(|&(old, new)| new == c && h == old))
    };
    let missing: Vec<&'static str> = COLUMNS.iter().copied().filter(|c| !has(c)).collect();

    let mut buf = Vec::new();
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
    Ok(missing)
}

/// The header of the non-empty log `file`, after checking that rows can be
/// appended to it: a phase log's header, and a last line that is whole (a
/// row cut short, by a run killed as it wrote, or an editor, would have our
/// first row glued onto it, and `compare` refuse the log after).
fn appendable(
    file: &mut File,
    path: &Path,
    needed: &[(&str, String)],
) -> anyhow::Result<Vec<String>> {
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
    let header: Vec<String> = r
        .records()
        .next()
        .transpose()
        .with_context(|| format!("{}:1: the header line is not CSV", path.display()))?
        .unwrap_or_default()
        .iter()
        .map(str::to_string)
        .collect();
    if !header.iter().any(|h| h == "scenario") {
        bail!(
            "{}:1: this is not a phase log (no `scenario` column); give another path with \
             --phase-log",
            path.display()
        );
    }
    // Rows that `compare` and the gates could not read back are not
    // appended: the same check as reading.
    check_header(path, &header, needed)?;
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    if last[0] != b'\n' {
        file.seek(SeekFrom::Start(0))?;
        let mut all = Vec::new();
        file.read_to_end(&mut all)?;
        let line = all.iter().filter(|&&b| b == b'\n').count() + 1;
        bail!(
            "{}:{line}: the last line is cut short (no newline at its end: a run killed while \
             it wrote, or an edit): this run's rows were not added (allocguard never rewrites \
             a log). Finish or delete that line, or start a new log with --phase-log NEW.csv",
            path.display()
        );
    }
    Ok(header)
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
             allocguard.toml reads it: without it the gate could not be applied. A log \
             started before cargo-allocguard recorded `{missing}` cannot gain the column \
             (allocguard never rewrites a log): start a new one with --phase-log NEW.csv \
             or `[phase_log] path` in allocguard.toml",
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
        // A control character (a NUL byte) is damage, or a cell allocguard
        // did not write: read on, it would be another label or scenario.
        let control = record.iter().enumerate().find_map(|(i, f)| {
            f.chars()
                .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
                .map(|c| (i, c))
        });
        if let Some((i, c)) = control {
            bail!(
                "{}:{line}: column `{}` holds the control character {c:?}: a damaged row \
                 (allocguard writes none). Fix or delete that line (allocguard never rewrites \
                 the log)",
                path.display(),
                headers.get(i).unwrap_or("?")
            );
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

#[cfg(test)]
#[path = "csv_file_tests.rs"]
mod tests;
