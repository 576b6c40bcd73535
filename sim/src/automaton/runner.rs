//! The continuous runner: an action every iteration (chosen by iteration,
//! then by dimension), taken only while an automaton of the current
//! dimension is held, a save every [`SAVE_EVERY`] iterations. What the
//! objects are kept in is the variant's (`naive`, `lean`).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::action::{choose, Action};
use super::lean::LeanStore;
use super::naive::NaiveStore;
use super::object::{
    check_file, kernel_automaton, load, snippet, Object, MODIFICATION_PATTERNS, REFERENCE_PATTERNS,
    TOPOLOGY_PATTERNS,
};
use super::{CLOCK_START_MS, CLOCK_STEP_US, SAVE_EVERY};
use crate::rng::Rng;
use crate::Variant;

/// What happened in a run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct AutomatonResult {
    /// Iterations run.
    pub iterations: u64,
    /// Actions taken, in [`Action::ALL`] order.
    pub actions: [u64; 7],
    /// Iterations that did nothing: no automaton of the current dimension.
    pub idle: u64,
    /// Bit `d` set when dimension `d` was ever current.
    pub dimensions_visited: u8,
    /// Hash of the action sequence and dimensions (equal for both variants).
    pub action_hash: u64,
    /// Objects held at the end.
    pub objects: u64,
    /// Execution history entries held at the end.
    pub history: u64,
    /// Objects made with an id already held.
    pub duplicates: u64,
    /// Objects lost by self-io (made since the last save): how many fewer
    /// it left than it found.
    pub lost: u64,
    /// Saves made.
    pub saves: u64,
    /// Size of the JSONL file at the end.
    pub file_bytes: u64,
}

/// Where a variant keeps its objects and history.
pub(super) enum Store {
    Naive(NaiveStore),
    Lean(LeanStore),
}

/// The automaton and its runner.
pub struct Automaton {
    variant: Variant,
    path: PathBuf,
    rng: Rng,
    iteration: u64,
    dimension: u8,
    clock_us: u64,
    last_id_ms: u64,
    pub(super) store: Store,
    result: AutomatonResult,
}

impl Automaton {
    /// A new automaton at `path`, which must not exist: the file is created
    /// with the kernel's eight automata.
    pub fn new(path: &Path, seed: u64, variant: Variant) -> std::io::Result<Automaton> {
        let mut a = Automaton::empty(path, seed, variant);
        let kernel: Vec<Object> = (0..8u8).map(|d| kernel_automaton(d, path)).collect();
        let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
        for o in &kernel {
            serde_json::to_writer(&mut f, o)?;
            f.write_all(b"\n")?;
        }
        a.saved(f.metadata()?.len());
        a.take(kernel);
        Ok(a)
    }

    /// Continues the automaton file at `path`, refusing one that is not an
    /// automaton file (nothing is written then).
    pub fn open(path: &Path, seed: u64, variant: Variant) -> std::io::Result<Automaton> {
        check_file(path)?;
        let mut a = Automaton::empty(path, seed, variant);
        let loaded = load(path)?;
        // The clock resumes after the newest id the file holds, as the real
        // clock would have moved on since it was written.
        let newest = loaded
            .iter()
            .filter_map(|o| o.id.as_deref()?.rsplit('-').next()?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        a.clock_us = a.clock_us.max((newest + 1) * 1_000);
        a.take(loaded);
        a.saved(std::fs::metadata(path)?.len());
        Ok(a)
    }

    fn empty(path: &Path, seed: u64, variant: Variant) -> Automaton {
        Automaton {
            variant,
            path: path.to_path_buf(),
            rng: Rng::new(seed),
            iteration: 0,
            dimension: 0,
            clock_us: CLOCK_START_MS * 1_000,
            last_id_ms: 0,
            store: match variant {
                Variant::Naive => Store::Naive(NaiveStore::default()),
                Variant::Lean => Store::Lean(LeanStore::new()),
            },
            result: AutomatonResult::default(),
        }
    }

    fn take(&mut self, loaded: Vec<Object>) {
        match &mut self.store {
            Store::Naive(s) => s.take(loaded),
            Store::Lean(s) => s.take(loaded),
        }
    }

    /// The file's length is `len`, as the last save left it.
    fn saved(&mut self, len: u64) {
        if let Store::Lean(s) = &mut self.store {
            s.saved_len = len;
        }
    }

    /// The current dimension.
    pub fn dimension(&self) -> u8 {
        self.dimension
    }

    /// The next id with `prefix`: the millisecond clock (naive), bumped past
    /// the last one used (lean).
    fn new_id(&mut self, prefix: &str) -> String {
        let mut ms = self.clock_us / 1_000;
        if self.variant == Variant::Lean {
            ms = ms.max(self.last_id_ms + 1);
            self.last_id_ms = ms;
        }
        format!("{prefix}-{ms}")
    }

    fn self_reference_value(&self, line: usize, pattern: &str) -> Value {
        serde_json::json!({
            "file": self.path.to_string_lossy(),
            "line": line,
            "pattern": pattern,
        })
    }

    /// The object an action makes, laid out as the original's.
    fn make(&mut self, action: Action) -> Object {
        let d = self.dimension;
        let line = self.len();
        let (id, state, level, pattern, x, y, w, h, color, text) = match action {
            Action::SelfModify => {
                let x = 400.0 + self.rng.unit() * 200.0;
                let y = 300.0 + self.rng.unit() * 200.0;
                (
                    self.new_id("modification"),
                    "modified",
                    d,
                    MODIFICATION_PATTERNS[d as usize],
                    x,
                    y,
                    280.0,
                    140.0,
                    (d + 3) % 7 + 1,
                    snippet("self-modification", d, 420),
                )
            }
            Action::SelfReference => {
                let x = 800.0 + self.rng.unit() * 200.0;
                let y = self.rng.unit() * 200.0;
                (
                    self.new_id("self-ref"),
                    "referencing",
                    d,
                    REFERENCE_PATTERNS[d as usize],
                    x,
                    y,
                    320.0,
                    160.0,
                    d + 1,
                    snippet("church-encoding", d, 360),
                )
            }
            _ => {
                // Evolve: the topology of the next dimension.
                let n = (d + 1) % 8;
                (
                    format!("{n}D-topology"),
                    "evolved",
                    n,
                    TOPOLOGY_PATTERNS[n as usize],
                    -600.0 + f64::from(n % 3) * 300.0,
                    180.0 + f64::from(n / 3) * 200.0,
                    280.0,
                    140.0 + f64::from(n) * 10.0,
                    n % 7 + 1,
                    snippet("topology", n, 320),
                )
            }
        };
        Object {
            id: Some(id),
            kind: Some("text".into()),
            current_state: Some(state.into()),
            dimensional_level: Some(i64::from(level)),
            self_reference: Some(self.self_reference_value(line, pattern)),
            x: Some(x),
            y: Some(y),
            width: Some(w),
            height: Some(h),
            color: Some(color.to_string()),
            text: Some(text),
            other: serde_json::Map::new(),
        }
    }

    /// Objects held, pinned ones included.
    fn len(&self) -> usize {
        match &self.store {
            Store::Naive(s) => s.objects.len(),
            Store::Lean(s) => s.pinned.len() + s.objects.len(),
        }
    }

    fn add(&mut self, o: Object) {
        let duplicate = match &mut self.store {
            Store::Naive(s) => s.add(o),
            Store::Lean(s) => s.add(o),
        };
        self.result.duplicates += u64::from(duplicate);
    }

    /// Self-io: the objects become the file's.
    fn self_io(&mut self) -> std::io::Result<()> {
        self.result.lost += match &mut self.store {
            Store::Naive(s) => s.self_io(&self.path)?,
            Store::Lean(s) => s.self_io(&self.path)?,
        };
        Ok(())
    }

    /// Saves: rewrites the file with one object per id (naive, as the
    /// original), or appends what was made since the last save (lean).
    fn save(&mut self) -> std::io::Result<()> {
        self.result.saves += 1;
        match &mut self.store {
            Store::Naive(s) => s.save(&self.path),
            Store::Lean(s) => s.save(&self.path),
        }
    }

    fn record_history(&mut self, action: Action, from: u8) {
        let (i, to) = (self.iteration, self.dimension);
        match &mut self.store {
            Store::Naive(s) => s.record(i, action, from, to),
            Store::Lean(s) => s.record(i, action, from, to),
        }
    }

    /// One iteration of the continuous runner.
    pub fn iterate(&mut self) -> std::io::Result<()> {
        let d = self.dimension;
        self.result.dimensions_visited |= 1 << d;
        let rng = &mut self.rng;
        let action = choose(self.iteration, d, || rng.unit());
        let held = match &self.store {
            Store::Naive(s) => s.objects.iter().any(|o| o.is_automaton_of(d)),
            Store::Lean(s) => s.pinned.iter().any(|o| o.is_automaton_of(d)),
        };
        if held {
            match action {
                Action::SelfModify | Action::SelfReference => {
                    let o = self.make(action);
                    self.add(o);
                }
                Action::Evolve => {
                    let o = self.make(action);
                    self.add(o);
                    self.dimension = (d + 2) % 8;
                }
                Action::SelfIo => self.self_io()?,
                Action::ValidateSelf | Action::SelfTrain => {}
                Action::SelfObserve => self.dimension = 0,
            }
            let k = Action::ALL.iter().position(|&a| a == action).unwrap_or(0);
            self.result.actions[k] += 1;
            self.result.action_hash = (self.result.action_hash
                ^ (k as u64 * 8 + u64::from(self.dimension)))
            .wrapping_mul(0x0100_0000_01b3);
            self.record_history(action, d);
        } else {
            self.result.idle += 1;
        }
        if self.iteration.is_multiple_of(SAVE_EVERY) {
            self.save()?;
        }
        self.iteration += 1;
        self.clock_us += CLOCK_STEP_US;
        Ok(())
    }

    /// Objects held (lean: the pinned ones first).
    pub fn objects(&self) -> Box<dyn Iterator<Item = &Object> + '_> {
        match &self.store {
            Store::Naive(s) => Box::new(s.objects.iter()),
            Store::Lean(s) => Box::new(s.pinned.iter().chain(s.objects.iter())),
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The result so far.
    pub fn result(&self) -> AutomatonResult {
        AutomatonResult {
            iterations: self.iteration,
            objects: self.len() as u64,
            history: match &self.store {
                Store::Naive(s) => s.history_len(),
                Store::Lean(s) => s.ring_len,
            } as u64,
            file_bytes: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            ..self.result.clone()
        }
    }

    /// Ends a run: the final save.
    pub fn finish(&mut self) -> std::io::Result<AutomatonResult> {
        self.save()?;
        Ok(self.result())
    }

    /// Runs `iterations` iterations on a new file at `path`.
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
        a.finish()
    }
}
