//! Reading a harness binary's run file as it grows, trusting only what the
//! harness wrote.
//!
//! `cargo allocguard` hands each binary a key (see
//! `allocguard::_cargo_allocguard::SealKey`); the harness seals every line
//! with it. A line that is not sealed, or whose seal does not open, was
//! written by something else (a scenario, a program it started) or was
//! damaged: it is refused, and said, at its line, against the scenario it
//! names or the one that was running. A scenario's result is its first
//! sealed record; a second one is refused too.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use allocguard::_cargo_allocguard::{Line, ScenarioRecord, SealKey};

/// What a harness binary reports, through its run file, as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum HarnessEvent {
    /// The harness says the scenario starts.
    Started(String),
    /// The harness appended the scenario's record: it ended.
    Finished(Box<ScenarioRecord>),
    /// A line that cannot be trusted.
    Refused(Problem),
}

/// A line of a run file that was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Its line number (1 is the header).
    pub line: usize,
    /// The scenario it concerns: the one it names, else the one that was
    /// running when it was written; `None` before any started.
    pub scenario: Option<String>,
    /// What is wrong with it.
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} of its run file {}", self.line, self.what)
    }
}

/// Reads the lines a harness appends to its run file (JSON Lines) while it
/// runs: only whole lines, each once.
#[derive(Debug)]
pub struct RunFileFollower {
    path: PathBuf,
    key: Option<SealKey>,
    offset: u64,
    partial: Vec<u8>,
    line: usize,
    running: Option<String>,
    /// The line of each scenario's accepted record.
    recorded: BTreeMap<String, usize>,
    /// Where each scenario is declared, as its `started` line said.
    declared: BTreeMap<String, (String, u32)>,
}

impl RunFileFollower {
    /// Follows `path`, which may not exist yet, expecting lines sealed with
    /// `key` (any line, without one).
    pub fn new(path: &Path, key: Option<SealKey>) -> Self {
        Self {
            path: path.to_path_buf(),
            key,
            offset: 0,
            partial: Vec::new(),
            line: 0,
            running: None,
            recorded: BTreeMap::new(),
            declared: BTreeMap::new(),
        }
    }

    /// What was appended since the last call.
    pub fn poll(&mut self) -> Vec<HarnessEvent> {
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            // Recreated: start over.
            *self = Self::new(&self.path, self.key);
        }
        if len == self.offset || f.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        let mut buf = Vec::new();
        if f.read_to_end(&mut buf).is_err() {
            return Vec::new();
        }
        self.offset += buf.len() as u64;
        self.partial.extend_from_slice(&buf);
        let mut out = Vec::new();
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let bytes: Vec<u8> = self.partial.drain(..=end).collect();
            self.line += 1;
            if self.line == 1 {
                continue; // the header
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Some(ev) = self.classify(text.trim_end()) {
                out.push(ev);
            }
        }
        out
    }

    /// Once the binary has exited: what it appended last, and a last line
    /// it left without its newline (cut short), refused.
    pub fn finish(&mut self) -> Vec<HarnessEvent> {
        let mut events = self.poll();
        if !self.partial.iter().all(u8::is_ascii_whitespace) {
            self.partial.clear();
            self.line += 1;
            events.push(HarnessEvent::Refused(Problem {
                line: self.line,
                scenario: self.running.clone(),
                what: "is cut short (no newline at its end): the binary died while writing it"
                    .to_string(),
            }));
        }
        events
    }

    /// Where scenario `name` is declared, as the harness said.
    pub fn declared_at(&self, name: &str) -> Option<(String, u32)> {
        self.declared.get(name).cloned()
    }

    fn refuse(&self, scenario: Option<String>, what: String) -> Option<HarnessEvent> {
        Some(HarnessEvent::Refused(Problem {
            line: self.line,
            scenario: scenario.or_else(|| self.running.clone()),
            what,
        }))
    }

    fn classify(&mut self, text: &str) -> Option<HarnessEvent> {
        if text.trim().is_empty() {
            return None;
        }
        let line = match serde_json::from_str::<Line>(text) {
            Ok(line) => line,
            Err(e) => {
                return self.refuse(
                    None,
                    format!("is not a line the harness writes ({e}): damaged"),
                )
            }
        };
        let line = match (line, self.key) {
            (Line::Sealed { sealed, line }, key) => {
                if let Some(key) = key {
                    if !key.opens(&line, &sealed) {
                        return self.refuse(
                            claimed(&line),
                            "has a seal that does not match it: not written by the harness \
                             (a scenario forged it, or it was damaged)"
                                .to_string(),
                        );
                    }
                }
                match serde_json::from_str::<Line>(&line) {
                    Ok(inner @ (Line::Started { .. } | Line::Record(_))) => inner,
                    _ => {
                        return self.refuse(None, "holds a sealed line that is not one".to_string())
                    }
                }
            }
            (line, Some(_)) => {
                let name = match &line {
                    Line::Record(r) => Some(r.name.clone()),
                    Line::Started { started, .. } => Some(started.clone()),
                    Line::Sealed { .. } => None,
                };
                return self.refuse(
                    name,
                    "is not sealed: not written by the harness (the scenario, or a program it \
                     started, wrote to the run file)"
                        .to_string(),
                );
            }
            (line, None) => line,
        };
        match line {
            Line::Started {
                started,
                source_file,
                source_line,
            } => {
                if let (Some(f), Some(l)) = (source_file, source_line) {
                    self.declared.insert(started.clone(), (f, l));
                }
                self.running = Some(started.clone());
                Some(HarnessEvent::Started(started))
            }
            Line::Record(r) => {
                if let Some(first) = self.recorded.get(&r.name) {
                    let what = format!(
                        "is a second result for `{}` (its first is line {first}): refused",
                        r.name
                    );
                    return self.refuse(Some(r.name.clone()), what);
                }
                self.recorded.insert(r.name.clone(), self.line);
                Some(HarnessEvent::Finished(r))
            }
            Line::Sealed { .. } => None,
        }
    }
}

/// The scenario a line's JSON names, if it can be read at all.
fn claimed(json: &str) -> Option<String> {
    match serde_json::from_str::<Line>(json).ok()? {
        Line::Record(r) => Some(r.name),
        Line::Started { started, .. } => Some(started),
        Line::Sealed { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> String {
        serde_json::to_string(&serde_json::json!({
            "name": name, "passed": true, "failure": null, "profile": null,
            "duration_ns": 5
        }))
        .unwrap()
    }

    fn sealed(key: SealKey, line: &str) -> String {
        serde_json::to_string(&Line::Sealed {
            sealed: key.seal(line),
            line: line.to_string(),
        })
        .unwrap()
    }

    fn said(events: Vec<HarnessEvent>) -> Vec<String> {
        events
            .into_iter()
            .map(|e| match e {
                HarnessEvent::Started(n) => format!("started {n}"),
                HarnessEvent::Finished(r) => format!("ended {}", r.name),
                HarnessEvent::Refused(p) => format!(
                    "refused {} ({}): {}",
                    p.line,
                    p.scenario.unwrap_or_default(),
                    p.what.split(':').next().unwrap_or("")
                ),
            })
            .collect()
    }

    #[test]
    fn the_follower_reports_each_whole_record_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let mut f = RunFileFollower::new(&path, None);
        assert!(f.poll().is_empty(), "no file yet");
        let (a, b) = (record("a"), record("b"));
        let head = "{\"header\":1}\n{\"started\":\"a\"}\n";
        std::fs::write(&path, format!("{head}{a}\n{}", &b[..10])).unwrap();
        assert_eq!(
            said(f.poll()),
            ["started a", "ended a"],
            "the header is skipped, half a line waits"
        );
        std::fs::write(&path, format!("{head}{a}\n{b}\n")).unwrap();
        assert_eq!(said(f.poll()), ["ended b"]);
        assert!(f.poll().is_empty());
        assert!(f.finish().is_empty());
    }

    #[test]
    fn with_a_key_only_sealed_lines_count_and_one_result_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let key = SealKey::random();
        let started = "{\"started\":\"a\"}";
        let lines = [
            "{\"header\":1}".to_string(),
            sealed(key, started),
            // The scenario appends a forged passing record, unsealed…
            record("a"),
            // …or sealed with a key of its own making.
            sealed(SealKey::random(), &record("a")),
            sealed(key, &record("a")),
            // A copy of the real one: a second result.
            sealed(key, &record("a")),
            "not json".to_string(),
        ];
        std::fs::write(&path, lines.join("\n") + "\n{\"started\"").unwrap();
        let mut f = RunFileFollower::new(&path, Some(key));
        let mut events = f.poll();
        events.extend(f.finish());
        assert!(f.finish().is_empty(), "said once");
        assert_eq!(
            said(events),
            [
                "started a",
                "refused 3 (a): is not sealed",
                "refused 4 (a): has a seal that does not match it",
                "ended a",
                "refused 6 (a): is a second result for `a` (its first is line 5)",
                "refused 7 (a): is not a line the harness writes (expected ident at line 1 column 2)",
                "refused 8 (a): is cut short (no newline at its end)",
            ]
        );
    }
}
