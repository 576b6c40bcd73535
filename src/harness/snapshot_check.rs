//! Reads a snapshot file back, strictly: what `cargo allocguard review`
//! checks before it accepts a pending `.snap.new`, so that a truncated file,
//! a hand-edited count (`ticks: banana`) or a header with no phases never
//! becomes a committed snapshot.
//!
//! The grammar is exactly what [`snapshot_content`](super::snapshot_content)
//! writes: insta's header between `---` lines, then `scenario`, `rustc`,
//! `build_profile` and `scale`, then `phases:` and one block or more, each
//! with its counts in their order, the byte counts optional together (a
//! scenario may leave them out), `first_violation_tick` and `metrics`
//! optional.

use super::scale::Scale;

/// What is wrong with a snapshot file: the line (in the file, from 1) and
/// what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    /// The line, counted from the top of the file; `None` for the file as a
    /// whole (empty, no header).
    pub line: Option<usize>,
    /// What was expected, and what was found.
    pub message: String,
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(n) => write!(f, "line {n}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The type of a value.
#[derive(Clone, Copy)]
enum Kind {
    /// A count: an unsigned integer.
    Count,
    /// A signed integer (growth, peak).
    Signed,
    /// `true` or `false`.
    Bool,
}

/// The counts of a phase, in the order they are written; the byte counts
/// (`optional` group) are written all or none.
const COUNTS_BEFORE_BYTES: [(&str, Kind); 6] = [
    ("ticks", Kind::Count),
    ("warmup_ticks", Kind::Count),
    ("hot_ticks", Kind::Count),
    ("allocs", Kind::Count),
    ("deallocs", Kind::Count),
    ("reallocs", Kind::Count),
];
const BYTES: [(&str, Kind); 4] = [
    ("bytes_allocated", Kind::Count),
    ("bytes_freed", Kind::Count),
    ("growth", Kind::Signed),
    ("peak", Kind::Signed),
];
const COUNTS_AFTER_BYTES: [(&str, Kind); 2] =
    [("hot_ops", Kind::Count), ("violating_ticks", Kind::Count)];

/// Checks that `file` (a whole `.snap` or `.snap.new`) is a snapshot as
/// allocguard writes them; returns its scenario's name.
pub fn check_snapshot_file(file: &str) -> Result<String, SnapshotError> {
    let whole = |message: &str| SnapshotError {
        line: None,
        message: message.to_string(),
    };
    if file.is_empty() {
        return Err(whole("the file is empty"));
    }
    let lines: Vec<&str> = file.lines().collect();
    if lines.first() != Some(&"---") {
        return Err(whole(
            "no insta header (the file does not start with `---`)",
        ));
    }
    let end = lines[1..]
        .iter()
        .position(|l| *l == "---")
        .map(|i| i + 1)
        .ok_or_else(|| whole("the insta header never ends (no second `---` line)"))?;
    let mut r = Reader {
        lines: &lines,
        at: end + 1,
    };
    let scenario = r.string("scenario")?;
    r.string("rustc")?;
    r.string("build_profile")?;
    let (n, scale) = r.field("scale")?;
    scale
        .parse::<Scale>()
        .map_err(|e| r.error(n, &format!("`scale: {scale}`: {e}")))?;
    r.exact("phases:")?;
    let mut phases = 0;
    while r.peek().is_some() {
        r.phase()?;
        phases += 1;
    }
    if phases == 0 {
        return Err(r.error(
            r.at,
            "expected a phase (`  - name: …`), found the end of the file",
        ));
    }
    Ok(scenario)
}

/// A cursor over the file's lines.
struct Reader<'a> {
    lines: &'a [&'a str],
    /// The next line's index.
    at: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, index: usize, message: &str) -> SnapshotError {
        SnapshotError {
            line: Some(index + 1),
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<&'a str> {
        self.lines.get(self.at).copied()
    }

    /// The next line, which must be `expected`.
    fn exact(&mut self, expected: &str) -> Result<(), SnapshotError> {
        match self.peek() {
            Some(l) if l == expected => {
                self.at += 1;
                Ok(())
            }
            Some(l) => Err(self.error(self.at, &format!("expected `{expected}`, found `{l}`"))),
            None => Err(self.error(
                self.at,
                &format!("expected `{expected}`, found the end of the file"),
            )),
        }
    }

    /// The next line as `INDENTkey: value`; returns its index and value.
    fn field_at(&mut self, indent: &str, key: &str) -> Result<(usize, String), SnapshotError> {
        let n = self.at;
        let prefix = format!("{indent}{key}: ");
        match self.peek() {
            Some(l) if l.starts_with(&prefix) => {
                self.at += 1;
                Ok((n, l[prefix.len()..].to_string()))
            }
            Some(l) => Err(self.error(n, &format!("expected `{prefix}…`, found `{l}`"))),
            None => Err(self.error(
                n,
                &format!("expected `{prefix}…`, found the end of the file"),
            )),
        }
    }

    fn field(&mut self, key: &str) -> Result<(usize, String), SnapshotError> {
        self.field_at("", key)
    }

    /// A top-level string field.
    fn string(&mut self, key: &str) -> Result<String, SnapshotError> {
        let (n, v) = self.field(key)?;
        parse_string(&v).ok_or_else(|| {
            self.error(
                n,
                &format!("`{key}: {v}` is not a string (plain, or quoted as JSON)"),
            )
        })
    }

    /// A phase field of kind `kind`.
    fn typed(&mut self, key: &str, kind: Kind) -> Result<(), SnapshotError> {
        let (n, v) = self.field_at("    ", key)?;
        let ok = match kind {
            Kind::Count => v.parse::<u64>().is_ok(),
            Kind::Signed => v.parse::<i64>().is_ok(),
            Kind::Bool => v == "true" || v == "false",
        };
        if ok {
            Ok(())
        } else {
            let expected = match kind {
                Kind::Count => "a count (a whole number, 0 or more)",
                Kind::Signed => "a whole number",
                Kind::Bool => "`true` or `false`",
            };
            Err(self.error(n, &format!("`{key}: {v}`: expected {expected}")))
        }
    }

    /// One phase block.
    fn phase(&mut self) -> Result<(), SnapshotError> {
        let (n, name) = self.field_at("  - ", "name")?;
        if parse_string(&name).is_none() {
            return Err(self.error(n, &format!("`name: {name}` is not a string")));
        }
        for (key, kind) in COUNTS_BEFORE_BYTES {
            self.typed(key, kind)?;
        }
        if self
            .peek()
            .is_some_and(|l| l.starts_with("    bytes_allocated: "))
        {
            for (key, kind) in BYTES {
                self.typed(key, kind)?;
            }
        }
        for (key, kind) in COUNTS_AFTER_BYTES {
            self.typed(key, kind)?;
        }
        if self
            .peek()
            .is_some_and(|l| l.starts_with("    first_violation_tick: "))
        {
            self.typed("first_violation_tick", Kind::Count)?;
        }
        self.typed("steady_growth", Kind::Bool)?;
        if self.peek() == Some("    metrics:") {
            self.at += 1;
            let first = self.at;
            while let Some(l) = self.peek().and_then(|l| l.strip_prefix("      ")) {
                let n = self.at;
                let Some((k, v)) = l.split_once(": ") else {
                    return Err(self.error(n, &format!("expected `name: value`, found `{l}`")));
                };
                if parse_string(k).is_none() || parse_f64(v).is_none() {
                    return Err(
                        self.error(n, &format!("`{l}`: expected a metric's name and a number"))
                    );
                }
                self.at += 1;
            }
            if self.at == first {
                return Err(self.error(first, "`metrics:` with no metric under it"));
            }
        }
        match self.peek() {
            None => Ok(()),
            Some(l) if l.starts_with("  - name: ") => Ok(()),
            Some(l) => Err(self.error(
                self.at,
                &format!("expected the next phase (`  - name: …`) or the end, found `{l}`"),
            )),
        }
    }
}

/// A string as the writer writes one: plain, or a JSON string.
fn parse_string(v: &str) -> Option<String> {
    if v.starts_with('"') {
        serde_json::from_str::<String>(v).ok()
    } else if !v.is_empty() && !v.contains(": ") && !v.starts_with(['-', '[', '{', '\'']) {
        Some(v.to_string())
    } else {
        None
    }
}

/// A number as the writer writes one (`.nan`, `.inf` and `-.inf` included).
fn parse_f64(v: &str) -> Option<f64> {
    match v {
        ".nan" => Some(f64::NAN),
        ".inf" => Some(f64::INFINITY),
        "-.inf" => Some(f64::NEG_INFINITY),
        _ => v.parse::<f64>().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every snapshot committed in this repository (written by the harness:
    /// metrics, violations, with and without bytes) reads back.
    #[test]
    fn every_committed_snapshot_passes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut seen = 0;
        for dir in ["snapshots", "tests/fixtures/basic/snapshots"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap();
                let name = check_snapshot_file(&text)
                    .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
                assert!(text.contains(&format!("scenario: {name}\n")));
                seen += 1;
            }
        }
        assert!(seen >= 40, "{seen}");
    }

    const GOOD: &str = "---\nsource: tests/a.rs\n---\nscenario: a/b\nrustc: \"1.95.0 (x)\"\n\
        build_profile: debug\nscale: smoke\nphases:\n  - name: run\n    ticks: 20\n    \
        warmup_ticks: 5\n    hot_ticks: 15\n    allocs: 0\n    deallocs: 0\n    reallocs: 0\n    \
        hot_ops: 0\n    violating_ticks: 0\n    steady_growth: false\n    metrics:\n      \
        kills: 3.5\n";

    #[test]
    fn a_well_formed_file_without_bytes_and_with_metrics_passes() {
        assert_eq!(check_snapshot_file(GOOD).as_deref(), Ok("a/b"));
    }

    /// The line and message for `file`.
    fn error(file: &str) -> String {
        check_snapshot_file(file).unwrap_err().to_string()
    }

    #[test]
    fn a_broken_file_is_refused_at_its_line() {
        assert_eq!(error(""), "the file is empty");
        assert_eq!(
            error("\u{7f}ELF\u{1}binary"),
            "no insta header (the file does not start with `---`)"
        );
        // Header and top-level keys only: no phase.
        let header_only = &GOOD[..GOOD.find("  - name").unwrap()];
        assert_eq!(
            error(header_only),
            "line 9: expected a phase (`  - name: …`), found the end of the file"
        );
        assert_eq!(
            error(&GOOD.replace("ticks: 20", "ticks: banana")),
            "line 10: `ticks: banana`: expected a count (a whole number, 0 or more)"
        );
        // Cut in the middle of a phase.
        let cut = &GOOD[..GOOD.find("    reallocs").unwrap()];
        assert_eq!(
            error(cut),
            "line 15: expected `    reallocs: …`, found the end of the file"
        );
        assert_eq!(
            error(&GOOD.replace("scale: smoke", "scale: huge")),
            "line 7: `scale: huge`: unknown scale `huge`: use smoke, default or full"
        );
        assert_eq!(
            error(&GOOD.replace("steady_growth: false", "steady_growth: maybe")),
            "line 18: `steady_growth: maybe`: expected `true` or `false`"
        );
        assert_eq!(
            error(&format!("{GOOD}    stray: 1\n")),
            "line 21: expected the next phase (`  - name: …`) or the end, found `    stray: 1`"
        );
    }
}
