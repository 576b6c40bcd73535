//! The self-modifying JSONL automaton (seed 003): a set of objects persisted
//! one JSON object per line, acted on every iteration by a continuous runner.
//!
//! Actions: *self-modify* appends a modification object carrying a ~500
//! character snippet chosen by the current dimension; *evolve* moves to the
//! next dimension (mod 8) and appends a topology object; *self-reference*
//! appends a reference object; *self-io* reloads the file; *self-observe*
//! resets the dimension to 0. The runner picks by iteration: every 20th
//! self-modifies, every 15th self-ios, every 10th self-references; otherwise
//! a random draw (and the dimension) decides. Every 25 iterations it saves;
//! every action goes into the execution history.
//!
//! - [`Variant::Naive`] is the leak the seed document investigates: ids from
//!   the millisecond clock (so objects made within one millisecond share an
//!   id), an execution history that is never trimmed, self-io re-reading and
//!   re-parsing the whole file with a linear duplicate search per object,
//!   saves that rewrite the whole file, and a memory snapshot kept for every
//!   iteration and never released.
//! - [`Variant::Lean`] is the fix: monotonic ids, the history in a ring of
//!   500, objects capped at 2,000 by trimming the oldest, an id index for
//!   de-duplication, append-only saves, and self-io that reads only what was
//!   appended since it last read.
//!
//! Both variants take the same actions in the same order (the domain
//! result); they differ in what they keep. Choices where SIM_SPEC.md is
//! silent: the clock advances 0.4 ms per iteration (a fixed, simulated
//! clock, so runs are deterministic); the random choice is evolve below 0.6,
//! self-modify below 0.8, else self-reference, and self-observe instead when
//! the dimension is 7 and the draw is below 0.5.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::rng::Rng;
use crate::Variant;

/// Most objects the lean variant keeps.
pub const MAX_OBJECTS: usize = 2_000;
/// Most history entries the lean variant keeps.
pub const MAX_HISTORY: usize = 500;

/// One automaton object, as persisted.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Object {
    /// Identifier.
    pub id: String,
    /// `modification`, `topology` or `reference`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The state it records.
    #[serde(rename = "currentState")]
    pub state: String,
    /// Dimension 0-7 when made.
    pub dimension: u8,
    /// Where in the automaton's source it points.
    #[serde(rename = "selfReference")]
    pub self_reference: SelfReference,
    /// Canvas position and size.
    pub x: f32,
    /// Canvas position.
    pub y: f32,
    /// Canvas size.
    pub width: f32,
    /// Canvas size.
    pub height: f32,
    /// Colour.
    pub color: String,
    /// Text (the snippet, for modifications).
    pub text: String,
}

/// A self-reference: file, line, pattern.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SelfReference {
    /// File.
    pub file: String,
    /// Line.
    pub line: u32,
    /// Pattern.
    pub pattern: String,
}

/// An action of the runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Action {
    /// Append a modification object.
    SelfModify,
    /// Next dimension; append a topology object.
    Evolve,
    /// Append a reference object.
    SelfReference,
    /// Reload the file.
    SelfIo,
    /// Dimension back to 0.
    SelfObserve,
}

const DIMENSION_NAMES: [&str; 8] = [
    "0D-topology",
    "1D-temporal",
    "2D-structural",
    "3D-algebraic",
    "4D-network",
    "5D-consensus",
    "6D-intelligence",
    "7D-quantum",
];

fn snippet(dimension: u8) -> String {
    // ~500 characters, different per dimension.
    let name = DIMENSION_NAMES[dimension as usize % 8];
    let mut s = format!("// {name}: self-modification\n");
    while s.len() < 500 {
        s.push_str(&format!(
            "const {name}_{} = evolve({});\n",
            s.len(),
            dimension
        ));
    }
    s.truncate(500);
    s
}

/// What happened in a run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct AutomatonResult {
    /// Iterations run.
    pub iterations: u64,
    /// Actions taken, by kind: modify, evolve, reference, io, observe.
    pub actions: [u64; 5],
    /// Hash of the action sequence and dimensions (equal for both variants).
    pub action_hash: u64,
    /// Objects held at the end.
    pub objects: u64,
    /// Execution history entries held at the end.
    pub history: u64,
    /// Objects sharing an id with an earlier one.
    pub duplicates: u64,
    /// Size of the JSONL file at the end.
    pub file_bytes: u64,
}

#[derive(Clone, Copy, Debug)]
struct HistoryEntry {
    #[allow(dead_code)] // what the original kept; read by nobody
    iteration: u64,
    #[allow(dead_code)]
    action: Action,
}

/// The automaton and its runner.
pub struct Automaton {
    variant: Variant,
    path: PathBuf,
    rng: Rng,
    iteration: u64,
    dimension: u8,
    clock_us: u64,
    next_id: u64,
    objects: VecDeque<Object>,
    /// Fixed-key hashing: the table's layout, and so its allocations, must
    /// be the same on every run.
    index: HashMap<String, u32, BuildHasherDefault<DefaultHasher>>,
    history: VecDeque<HistoryEntry>,
    /// Naive: one snapshot per iteration, never released.
    snapshots: Vec<String>,
    unsaved: usize,
    read_offset: u64,
    actions: [u64; 5],
    action_hash: u64,
    duplicates: u64,
}

impl Automaton {
    /// A fresh automaton writing to `path` (created empty).
    pub fn new(path: &Path, seed: u64, variant: Variant) -> std::io::Result<Automaton> {
        File::create(path)?;
        let lean = variant == Variant::Lean;
        Ok(Automaton {
            variant,
            path: path.to_path_buf(),
            rng: Rng::new(seed),
            iteration: 0,
            dimension: 0,
            clock_us: 1_700_000_000_000_000,
            next_id: 0,
            objects: if lean {
                VecDeque::with_capacity(MAX_OBJECTS + 1)
            } else {
                VecDeque::new()
            },
            index: if lean {
                HashMap::with_capacity_and_hasher(2 * MAX_OBJECTS, Default::default())
            } else {
                HashMap::default()
            },
            history: if lean {
                VecDeque::with_capacity(MAX_HISTORY + 1)
            } else {
                VecDeque::new()
            },
            snapshots: Vec::new(),
            unsaved: 0,
            read_offset: 0,
            actions: [0; 5],
            action_hash: 0xcbf2_9ce4_8422_2325,
            duplicates: 0,
        })
    }

    /// The action for the current iteration.
    fn choose(&mut self) -> Action {
        let i = self.iteration;
        if i.is_multiple_of(20) {
            return Action::SelfModify;
        }
        if i.is_multiple_of(15) {
            return Action::SelfIo;
        }
        if i.is_multiple_of(10) {
            return Action::SelfReference;
        }
        let r = self.rng.unit();
        if self.dimension == 7 && r < 0.5 {
            Action::SelfObserve
        } else if r < 0.6 {
            Action::Evolve
        } else if r < 0.8 {
            Action::SelfModify
        } else {
            Action::SelfReference
        }
    }

    fn new_id(&mut self) -> String {
        match self.variant {
            Variant::Lean => {
                self.next_id += 1;
                format!("obj-{}", self.next_id)
            }
            Variant::Naive => format!("obj-{}", self.clock_us / 1_000),
        }
    }

    fn make(&mut self, kind: &str, text: String) -> Object {
        let d = self.dimension;
        Object {
            id: self.new_id(),
            kind: kind.to_string(),
            state: DIMENSION_NAMES[d as usize].to_string(),
            dimension: d,
            self_reference: SelfReference {
                file: "advanced-automaton.ts".to_string(),
                line: 100 + u32::from(d) * 10,
                pattern: format!("dimension-{d}"),
            },
            x: self.rng.uniform(0.0, 800.0) as f32,
            y: self.rng.uniform(0.0, 600.0) as f32,
            width: 120.0,
            height: 60.0,
            color: ["#ff6b6b", "#4ecdc4", "#45b7d1", "#f9ca24"][d as usize % 4].to_string(),
            text,
        }
    }

    fn add(&mut self, o: Object) {
        match self.variant {
            Variant::Lean => {
                if self.index.contains_key(&o.id) {
                    self.duplicates += 1;
                    return;
                }
                self.index.insert(o.id.clone(), 0);
                self.objects.push_back(o);
                while self.objects.len() > MAX_OBJECTS {
                    if let Some(old) = self.objects.pop_front() {
                        self.index.remove(&old.id);
                    }
                }
            }
            Variant::Naive => {
                if self.objects.iter().any(|x| x.id == o.id) {
                    self.duplicates += 1;
                }
                self.objects.push_back(o);
            }
        }
        self.unsaved += 1;
    }

    /// Reloads the file. Naive: all of it, every object searched linearly.
    /// Lean: only the lines appended since the last read, through the index.
    fn self_io(&mut self) -> std::io::Result<()> {
        match self.variant {
            Variant::Naive => {
                let text = std::fs::read_to_string(&self.path)?;
                for line in text.lines().filter(|l| !l.is_empty()) {
                    let o: Object = serde_json::from_str(line).map_err(std::io::Error::other)?;
                    let _known = self.objects.iter().any(|x| x.id == o.id);
                }
            }
            Variant::Lean => {
                let mut f = File::open(&self.path)?;
                f.seek(SeekFrom::Start(self.read_offset))?;
                let mut tail = String::new();
                let n = f.read_to_string(&mut tail)?;
                self.read_offset += n as u64;
                for line in tail.lines().filter(|l| !l.is_empty()) {
                    let o: Object = serde_json::from_str(line).map_err(std::io::Error::other)?;
                    let _known = self.index.contains_key(&o.id);
                }
            }
        }
        Ok(())
    }

    /// Saves. Naive: rewrites the file with every object. Lean: appends the
    /// objects made since the last save.
    fn save(&mut self) -> std::io::Result<()> {
        match self.variant {
            Variant::Naive => {
                let mut w = std::io::BufWriter::new(File::create(&self.path)?);
                for o in &self.objects {
                    serde_json::to_writer(&mut w, o)?;
                    w.write_all(b"\n")?;
                }
                w.flush()?;
            }
            Variant::Lean => {
                let mut w =
                    std::io::BufWriter::new(OpenOptions::new().append(true).open(&self.path)?);
                let start = self.objects.len().saturating_sub(self.unsaved);
                for o in self.objects.range(start..) {
                    serde_json::to_writer(&mut w, o)?;
                    w.write_all(b"\n")?;
                }
                w.flush()?;
            }
        }
        self.unsaved = 0;
        Ok(())
    }

    /// One iteration of the continuous runner.
    pub fn iterate(&mut self) -> std::io::Result<()> {
        let action = self.choose();
        match action {
            Action::SelfModify => {
                let o = self.make("modification", snippet(self.dimension));
                self.add(o);
            }
            Action::Evolve => {
                self.dimension = (self.dimension + 1) % 8;
                let o = self.make("topology", String::new());
                self.add(o);
            }
            Action::SelfReference => {
                let o = self.make("reference", String::new());
                self.add(o);
            }
            Action::SelfIo => self.self_io()?,
            Action::SelfObserve => self.dimension = 0,
        }
        let k = action as usize;
        self.actions[k] += 1;
        self.action_hash = (self.action_hash ^ (k as u64 * 8 + u64::from(self.dimension)))
            .wrapping_mul(0x0100_0000_01b3);
        self.history.push_back(HistoryEntry {
            iteration: self.iteration,
            action,
        });
        match self.variant {
            Variant::Lean => {
                while self.history.len() > MAX_HISTORY {
                    self.history.pop_front();
                }
            }
            Variant::Naive => self.snapshots.push(format!(
                "{{\"iteration\":{},\"objects\":{},\"history\":{}}}",
                self.iteration,
                self.objects.len(),
                self.history.len()
            )),
        }
        self.iteration += 1;
        self.clock_us += 400;
        if self.iteration.is_multiple_of(25) {
            self.save()?;
        }
        Ok(())
    }

    /// Objects held.
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.objects.iter()
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The result so far.
    pub fn result(&self) -> AutomatonResult {
        AutomatonResult {
            iterations: self.iteration,
            actions: self.actions,
            action_hash: self.action_hash,
            objects: self.objects.len() as u64,
            history: self.history.len() as u64,
            duplicates: self.duplicates,
            file_bytes: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
        }
    }

    /// Runs `iterations` iterations on a file at `path`.
    pub fn run(
        path: &Path,
        seed: u64,
        iterations: u64,
        variant: Variant,
    ) -> std::io::Result<AutomatonResult> {
        let mut a = Automaton::new(path, seed, variant)?;
        for _ in 0..iterations {
            a.iterate()?;
        }
        a.save()?;
        Ok(a.result())
    }
}

/// Reads a JSONL file the way the lean automaton keeps it: later lines with a
/// known id are duplicates and skipped, and only the newest `MAX_OBJECTS` stay.
pub fn load(path: &Path) -> std::io::Result<Vec<Object>> {
    let mut seen = std::collections::HashSet::new();
    let mut out: VecDeque<Object> = VecDeque::new();
    for (n, line) in BufReader::new(File::open(path)?).lines().enumerate() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let o: Object = serde_json::from_str(&line).map_err(|e| {
            std::io::Error::other(format!(
                "{}:{}: not an automaton object: {e}",
                path.display(),
                n + 1
            ))
        })?;
        if seen.insert(o.id.clone()) {
            out.push_back(o);
            if out.len() > MAX_OBJECTS {
                out.pop_front();
            }
        }
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(name);
        (d, p)
    }

    #[test]
    fn both_variants_take_the_same_actions() {
        let (_d, p) = tmp("a.jsonl");
        let (_e, q) = tmp("b.jsonl");
        let lean = Automaton::run(&p, 7, 1_000, Variant::Lean).unwrap();
        let naive = Automaton::run(&q, 7, 1_000, Variant::Naive).unwrap();
        assert_eq!(
            (lean.actions, lean.action_hash),
            (naive.actions, naive.action_hash)
        );
        assert!(lean.actions[Action::SelfModify as usize] >= 50);
        assert!(naive.duplicates > 0, "millisecond ids collide: {naive:?}");
        assert_eq!(lean.duplicates, 0);
    }

    #[test]
    fn the_lean_automaton_stays_within_its_caps_and_reloads_to_the_same_objects() {
        let (_d, p) = tmp("lean.jsonl");
        let mut a = Automaton::new(&p, 3, Variant::Lean).unwrap();
        for _ in 0..4_000 {
            a.iterate().unwrap();
            assert!(a.objects.len() <= MAX_OBJECTS && a.history.len() <= MAX_HISTORY);
        }
        a.save().unwrap();
        let ids: std::collections::HashSet<&str> = a.objects().map(|o| o.id.as_str()).collect();
        assert_eq!(ids.len(), a.objects.len(), "no duplicate ids");
        assert_eq!(a.objects.len(), MAX_OBJECTS, "the cap was reached and held");
        let reloaded = load(&p).unwrap();
        assert_eq!(reloaded, a.objects().cloned().collect::<Vec<_>>());
    }

    #[test]
    fn the_naive_automaton_keeps_everything() {
        let (_d, p) = tmp("naive.jsonl");
        let r = Automaton::run(&p, 3, 600, Variant::Naive).unwrap();
        assert_eq!(r.history, 600, "history never trimmed");
        let made = r.actions[0] + r.actions[1] + r.actions[2];
        assert_eq!(r.objects, made, "every object kept");
    }

    #[test]
    fn snippets_are_about_500_characters_and_differ_by_dimension() {
        assert_eq!(snippet(0).len(), 500);
        assert_ne!(snippet(0), snippet(1));
    }
}
