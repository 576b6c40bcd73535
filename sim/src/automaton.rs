//! The self-modifying JSONL automaton (seed 003), as bthornemail/automaton's
//! continuous runner (`evolutions/continuous-automaton/continuous-automaton.ts`)
//! drives `AdvancedSelfReferencingAutomaton`
//! (`evolutions/advanced-automaton/advanced-automaton.ts`): a file of JSON
//! objects, one per line, and an action every iteration.
//!
//! # The runner's rules
//!
//! - **Actions by iteration, then by dimension.** Iteration `i` (from 0)
//!   self-modifies when `i % 20 == 0`, else self-ios when `i % 15 == 0`, else
//!   validates itself when `i % 10 == 0`, else self-trains when `i % 8 == 0`;
//!   otherwise one draw `r` decides by the current dimension: d0 self-reference
//!   if `r > 0.7`, d2 self-modify if `r > 0.6`, d4 self-io if `r > 0.5`, d6
//!   self-train if `r > 0.4`, d7 self-observe if `r > 0.3`, else (and in any
//!   other dimension) evolve.
//! - **No automaton, no action.** An action runs only when the objects hold a
//!   `type: "automaton"` object of the current dimension; otherwise the
//!   iteration does nothing (the original returns early). A new file is
//!   therefore started with the kernel's eight automata (`0D-automaton` to
//!   `7D-automaton`, states `identity` to `quantum`), as
//!   `automaton-kernel.jsonl` holds them.
//! - **Evolution steps twice** (a quirk, kept): `executeEvolution` moves to
//!   `(d + 1) % 8` and writes `"<n>D-topology"` for that dimension, then the
//!   runner's `progressDimension` adds 1 again. Only dimensions 0, 2, 4 and 6
//!   are ever current, the topology objects are those of 1, 3, 5 and 7 (their
//!   ids repeat), and self-observe can never fire.
//! - **Self-io is `load()`**: the objects are *replaced* by the file's, each
//!   id's latest line winning, so whatever was made since the last save is
//!   lost. Validate-self and self-train only read (the execution history they
//!   read stays empty: the runner never pushes to it).
//! - **Saves** at iterations 0, 25, 50, …: the original's `save()` keeps one
//!   object per id (at its last position, with its first copy's fields) and
//!   rewrites the whole file. `sim` also saves when the run ends, which the
//!   original does not (its last up to 24 iterations' objects were never
//!   written): the file then holds everything the run made.
//! - **Objects** are the original's, field for field: `id`, `type: "text"`,
//!   `currentState` (`modified`, `referencing`, `evolved`),
//!   `dimensionalLevel`, `selfReference` (`file`, `line` = the number of
//!   objects before it, `pattern`), `x`, `y`, `width`, `height`, `color` (`"1"`
//!   to `"8"`), `text`; ids `modification-<ms>`, `self-ref-<ms>` and
//!   `<n>D-topology`. Whole numbers are written without a decimal point, as
//!   JavaScript writes them. Fields `sim` does not know (edges' `fromNode`,
//!   `provenanceHistory`, …) are kept as they were read. The `text` of each
//!   object is `sim`'s own Scheme-like snippet of the original's length, not
//!   the original's prose.
//!
//! Choices where the original is silent or cannot be followed: the clock is
//! simulated, starting at 1,762,634,818,910 ms (the first id of the
//! repository's `automaton.jsonl`) and advancing 0.4 ms an iteration, since
//! `sim` runs iterations back to back where the original slept 2 s between
//! them (so its own ids rarely collided); the original's `provenanceHistory`
//! and its keeping of cross-file duplicates are not reproduced.
//!
//! # Variants
//!
//! Both take the same actions in the same dimensions (the domain result).
//!
//! - [`Variant::Naive`] is the leak seed 003 investigates: ids from the
//!   millisecond clock (objects made within one millisecond share an id),
//!   the memory-optimized fork's execution history as an unbounded list of
//!   strings, a memory snapshot allocated every iteration and never
//!   released, saves that rewrite the whole file, and self-io that re-reads
//!   and re-parses all of it with a linear duplicate search per object.
//! - [`Variant::Lean`] is the fix: monotonic ids (the clock, bumped past the
//!   last id used), the history in a preallocated ring of 500, the runner's
//!   objects capped at 2,000 by trimming the oldest (the kernel's automata
//!   are never trimmed: the runner would stop), an id index for
//!   de-duplication, append-only saves, and self-io that restores the state
//!   of the last save without re-reading the file, which holds exactly that
//!   state (it re-reads in full when the file is not as it left it). Read by
//!   `load()`, its file gives each id its latest copy.
//!
//! # Files
//!
//! An existing `--file` is continued only if it is an automaton file: every
//! line blank, an `@` header, or a JSON object with an `id` and a `type`.
//! Anything else (a text file, other JSON) is refused before a byte is
//! written. Saves that rewrite the file write a temporary file beside it and
//! rename it into place.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::rng::Rng;
use crate::Variant;

/// Most runner-made objects the lean variant keeps.
pub const MAX_OBJECTS: usize = 2_000;
/// Most history entries the lean variant keeps.
pub const MAX_HISTORY: usize = 500;
/// Iterations between saves.
pub const SAVE_EVERY: u64 = 25;
/// The simulated clock's start, in ms since the Unix epoch.
pub const CLOCK_START_MS: u64 = 1_762_634_818_910;
/// Simulated time per iteration, µs.
pub const CLOCK_STEP_US: u64 = 400;

/// The kernel automata's states, by dimension.
const STATES: [&str; 8] = [
    "identity",
    "successor",
    "pair",
    "addition",
    "network",
    "consensus",
    "intelligence",
    "quantum",
];
/// Self-reference patterns, by dimension (Church encodings).
const REFERENCE_PATTERNS: [&str; 8] = [
    "Church Boolean/Identity (0D)",
    "Church Successor (1D)",
    "Church Pairs (2D)",
    "Church Algebra + Y-Combinator (3D)",
    "Network Topology (4D)",
    "Blockchain Consensus (5D)",
    "Neural Networks + Attention (6D)",
    "Quantum Computing (7D)",
];
/// Self-modification patterns, by dimension.
const MODIFICATION_PATTERNS: [&str; 8] = [
    "Identity Evolution (0D)",
    "Successor Recursion (1D)",
    "Pair Restructuring (2D)",
    "Algebraic Transformation (3D)",
    "Network Rewiring (4D)",
    "Consensus Evolution (5D)",
    "Neural Evolution (6D)",
    "Quantum Evolution (7D)",
];
/// Topology patterns, by dimension.
const TOPOLOGY_PATTERNS: [&str; 8] = [
    "Quantum Vacuum Topology (0D)",
    "Temporal Topology (1D)",
    "Bipartite Topology (2D)",
    "3-Manifold Structure (3D)",
    "Spacetime Structure (4D)",
    "Consensus Topology (5D)",
    "Intelligence Topology (6D)",
    "Quantum Superposition (7D)",
];

/// Writes a whole number without a decimal point (`-300`, not `-300.0`), as
/// JavaScript's `JSON.stringify` does.
fn js_number<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match *v {
        Some(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 => {
            s.serialize_i64(x as i64)
        }
        Some(x) => s.serialize_f64(x),
        None => s.serialize_none(),
    }
}

/// One line of an automaton file. The fields the automaton writes are named,
/// in the original's order; any others are kept as read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Object {
    /// Identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `text` for what the runner writes; `automaton`, `vertical`, … in a kernel.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `modified`, `referencing`, `evolved`, or an automaton's state.
    #[serde(
        rename = "currentState",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub current_state: Option<String>,
    /// The dimension it belongs to.
    #[serde(
        rename = "dimensionalLevel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub dimensional_level: Option<i64>,
    /// `{file, line, pattern}`.
    #[serde(
        rename = "selfReference",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub self_reference: Option<Value>,
    /// Canvas position.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number"
    )]
    pub x: Option<f64>,
    /// Canvas position.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number"
    )]
    pub y: Option<f64>,
    /// Canvas size.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number"
    )]
    pub width: Option<f64>,
    /// Canvas size.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number"
    )]
    pub height: Option<f64>,
    /// Colour, `"1"` to `"8"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Its code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Fields `sim` does not name, as read.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl Object {
    /// Whether this is a kernel automaton of dimension `d`.
    fn is_automaton_of(&self, d: u8) -> bool {
        self.kind.as_deref() == Some("automaton") && self.dimensional_level == Some(i64::from(d))
    }

    /// Whether the runner made it (the objects the lean variant may trim).
    fn is_runners(&self) -> bool {
        self.kind.as_deref() == Some("text")
            && matches!(
                self.current_state.as_deref(),
                Some("modified" | "referencing" | "evolved")
            )
    }
}

/// An action of the runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Action {
    /// Append a modification object.
    SelfModify,
    /// Replace the objects with the file's (`load()`).
    SelfIo,
    /// Count the automata (read only).
    ValidateSelf,
    /// Read the execution history (read only; it is empty).
    SelfTrain,
    /// Append a self-reference object.
    SelfReference,
    /// Two dimensions on; append a topology object.
    Evolve,
    /// Dimension back to 0 (never reached: see the module docs).
    SelfObserve,
}

impl Action {
    /// All seven, in [`AutomatonResult::actions`] order.
    pub const ALL: [Action; 7] = [
        Action::SelfModify,
        Action::SelfIo,
        Action::ValidateSelf,
        Action::SelfTrain,
        Action::SelfReference,
        Action::Evolve,
        Action::SelfObserve,
    ];

    /// The original's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Action::SelfModify => "self-modify",
            Action::SelfIo => "self-io",
            Action::ValidateSelf => "validate-self",
            Action::SelfTrain => "self-train",
            Action::SelfReference => "self-reference",
            Action::Evolve => "evolve",
            Action::SelfObserve => "self-observe",
        }
    }
}

/// The action for iteration `i` in dimension `d`; `draw` gives the one
/// random number the dimension rule needs (drawn only then).
pub fn choose(i: u64, d: u8, draw: impl FnOnce() -> f64) -> Action {
    if i.is_multiple_of(20) {
        return Action::SelfModify;
    }
    if i.is_multiple_of(15) {
        return Action::SelfIo;
    }
    if i.is_multiple_of(10) {
        return Action::ValidateSelf;
    }
    if i.is_multiple_of(8) {
        return Action::SelfTrain;
    }
    let (threshold, action) = match d {
        0 => (0.7, Action::SelfReference),
        2 => (0.6, Action::SelfModify),
        4 => (0.5, Action::SelfIo),
        6 => (0.4, Action::SelfTrain),
        7 => (0.3, Action::SelfObserve),
        _ => return Action::Evolve,
    };
    if draw() > threshold {
        action
    } else {
        Action::Evolve
    }
}

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

/// A ring entry of the lean history: iteration, action, from, to.
#[derive(Clone, Copy, Debug, Default)]
struct HistoryEntry {
    #[allow(dead_code)] // what the fork kept; read by nobody
    iteration: u64,
    #[allow(dead_code)]
    action: u8,
    #[allow(dead_code)]
    from: u8,
    #[allow(dead_code)]
    to: u8,
}

/// Fixed-key hashing: the table's layout, and so its allocations, are the
/// same on every run.
type Index = HashMap<String, u64, BuildHasherDefault<DefaultHasher>>;

/// The automaton and its runner.
pub struct Automaton {
    variant: Variant,
    path: PathBuf,
    rng: Rng,
    iteration: u64,
    dimension: u8,
    clock_us: u64,
    last_id_ms: u64,
    /// Naive: everything, duplicates included, until a save or a load.
    /// Lean: the runner's objects, one per id, oldest first.
    objects: VecDeque<Object>,
    /// Lean: every other object (the kernel's automata, a continued file's
    /// edges and nodes), never trimmed.
    pinned: Vec<Object>,
    /// Lean: id → place in `objects` counted from the front of all time.
    index: Index,
    /// Lean: objects popped from the front so far (places in `index` are
    /// `front + position`).
    front: u64,
    /// Lean: one entry per object made since the last save (the last
    /// `unsaved.len()` objects), holding the copy it replaced and that
    /// copy's place, so that self-io can undo each add exactly.
    unsaved: Vec<Option<(u64, Object)>>,
    /// Lean: the file's length after the last save.
    saved_len: u64,
    naive_history: Vec<String>,
    ring: Box<[HistoryEntry]>,
    ring_len: usize,
    ring_next: usize,
    /// Naive: one snapshot per iteration, never released.
    snapshots: Vec<String>,
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
        a.saved_len = f.metadata()?.len();
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
        a.saved_len = std::fs::metadata(path)?.len();
        Ok(a)
    }

    fn empty(path: &Path, seed: u64, variant: Variant) -> Automaton {
        let lean = variant == Variant::Lean;
        Automaton {
            variant,
            path: path.to_path_buf(),
            rng: Rng::new(seed),
            iteration: 0,
            dimension: 0,
            clock_us: CLOCK_START_MS * 1_000,
            last_id_ms: 0,
            objects: if lean {
                VecDeque::with_capacity(MAX_OBJECTS + 64)
            } else {
                VecDeque::new()
            },
            index: if lean {
                HashMap::with_capacity_and_hasher(2 * MAX_OBJECTS, Default::default())
            } else {
                HashMap::default()
            },
            pinned: Vec::new(),
            front: 0,
            unsaved: Vec::with_capacity(if lean { SAVE_EVERY as usize + 1 } else { 0 }),
            saved_len: 0,
            naive_history: Vec::new(),
            ring: vec![HistoryEntry::default(); if lean { MAX_HISTORY } else { 0 }]
                .into_boxed_slice(),
            ring_len: 0,
            ring_next: 0,
            snapshots: Vec::new(),
            result: AutomatonResult::default(),
        }
    }

    /// Holds `loaded` as the objects (lean: split into the runner's and the
    /// pinned, the runner's capped).
    fn take(&mut self, loaded: Vec<Object>) {
        match self.variant {
            Variant::Naive => self.objects = loaded.into(),
            Variant::Lean => {
                let (runners, pinned): (Vec<Object>, Vec<Object>) =
                    loaded.into_iter().partition(Object::is_runners);
                let skip = runners.len().saturating_sub(MAX_OBJECTS);
                self.objects.clear();
                self.objects.extend(runners.into_iter().skip(skip));
                self.pinned = pinned;
                self.unsaved.clear();
                self.rebuild_index();
            }
        }
    }

    fn rebuild_index(&mut self) {
        self.index.clear();
        self.front = 0;
        for (i, o) in self.objects.iter().enumerate() {
            if let Some(id) = &o.id {
                self.index.insert(id.clone(), i as u64);
            }
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
        let line = self.pinned.len() + self.objects.len();
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

    fn add(&mut self, o: Object) {
        match self.variant {
            Variant::Naive => {
                if self.objects.iter().any(|x| x.id == o.id) {
                    self.result.duplicates += 1;
                }
                self.objects.push_back(o);
            }
            Variant::Lean => {
                let id = o.id.clone().expect("the runner's objects have ids");
                let replaced = self.index.remove(&id).map(|old| {
                    self.result.duplicates += 1;
                    let o = self
                        .objects
                        .remove((old - self.front) as usize)
                        .expect("the index points into the objects");
                    for v in self.index.values_mut() {
                        if *v > old {
                            *v -= 1;
                        }
                    }
                    (old, o)
                });
                self.index
                    .insert(id, self.front + self.objects.len() as u64);
                self.objects.push_back(o);
                self.unsaved.push(replaced);
            }
        }
    }

    /// Self-io: the objects become the file's.
    fn self_io(&mut self) -> std::io::Result<()> {
        match self.variant {
            Variant::Naive => {
                let before = self.objects.len();
                let text = std::fs::read_to_string(&self.path)?;
                let mut loaded: Vec<Object> = Vec::new();
                for line in text.lines().map(str::trim) {
                    if !(line.starts_with('{') && line.ends_with('}')) {
                        continue;
                    }
                    let Ok(o) = serde_json::from_str::<Object>(line) else {
                        continue;
                    };
                    if let Some(at) = loaded.iter().position(|x| x.id.is_some() && x.id == o.id) {
                        loaded.remove(at);
                    }
                    loaded.push(o);
                }
                self.result.lost += before.saturating_sub(loaded.len()) as u64;
                self.objects = loaded.into();
            }
            Variant::Lean => {
                if std::fs::metadata(&self.path)?.len() != self.saved_len {
                    // Someone else wrote the file: read it as load() does.
                    let before = self.objects.len() + self.pinned.len();
                    self.take(load(&self.path)?);
                    let after = self.objects.len() + self.pinned.len();
                    self.result.lost += before.saturating_sub(after) as u64;
                    self.saved_len = std::fs::metadata(&self.path)?.len();
                    return Ok(());
                }
                // The file holds the state of the last save: undo what came
                // after it, newest first, each add exactly reversed.
                let before = self.objects.len();
                while let Some(replaced) = self.unsaved.pop() {
                    let o = self.objects.pop_back().expect("an unsaved object");
                    self.index.remove(o.id.as_deref().expect("an id"));
                    if let Some((old, o)) = replaced {
                        for v in self.index.values_mut() {
                            if *v >= old {
                                *v += 1;
                            }
                        }
                        self.index.insert(o.id.clone().expect("an id"), old);
                        self.objects.insert((old - self.front) as usize, o);
                    }
                }
                self.result.lost += (before - self.objects.len()) as u64;
            }
        }
        Ok(())
    }

    /// Saves: rewrites the file with one object per id (naive, as the
    /// original), or appends what was made since the last save (lean).
    fn save(&mut self) -> std::io::Result<()> {
        self.result.saves += 1;
        match self.variant {
            Variant::Naive => {
                let kept = dedup_for_save(std::mem::take(&mut self.objects).into());
                let dir = self.path.parent().filter(|p| !p.as_os_str().is_empty());
                let mut tmp = tempfile::NamedTempFile::new_in(dir.unwrap_or(Path::new(".")))?;
                {
                    let mut w = std::io::BufWriter::new(tmp.as_file_mut());
                    for o in &kept {
                        serde_json::to_writer(&mut w, o)?;
                        w.write_all(b"\n")?;
                    }
                    w.flush()?;
                }
                tmp.persist(&self.path).map_err(|e| e.error)?;
                self.objects = kept.into();
            }
            Variant::Lean => {
                let mut w =
                    std::io::BufWriter::new(OpenOptions::new().append(true).open(&self.path)?);
                let start = self.objects.len() - self.unsaved.len();
                for o in self.objects.range(start..) {
                    serde_json::to_writer(&mut w, o)?;
                    w.write_all(b"\n")?;
                }
                w.flush()?;
                drop(w);
                self.unsaved.clear();
                self.trim();
                self.saved_len = std::fs::metadata(&self.path)?.len();
            }
        }
        Ok(())
    }

    /// Lean: drops the oldest runner-made objects beyond [`MAX_OBJECTS`].
    fn trim(&mut self) {
        while self.objects.len() > MAX_OBJECTS {
            let o = self.objects.pop_front().expect("more than the cap");
            self.front += 1;
            if let Some(id) = &o.id {
                self.index.remove(id);
            }
        }
    }

    fn record_history(&mut self, action: Action, from: u8) {
        match self.variant {
            Variant::Naive => {
                self.naive_history
                    .push(format!("{}:{from}→{}", action.name(), self.dimension));
                self.snapshots.push(format!(
                    "{{\"iteration\":{},\"objects\":{},\"history\":{}}}",
                    self.iteration,
                    self.objects.len(),
                    self.naive_history.len()
                ));
            }
            Variant::Lean => {
                self.ring[self.ring_next] = HistoryEntry {
                    iteration: self.iteration,
                    action: action as u8,
                    from,
                    to: self.dimension,
                };
                self.ring_next = (self.ring_next + 1) % MAX_HISTORY;
                self.ring_len = (self.ring_len + 1).min(MAX_HISTORY);
            }
        }
    }

    /// One iteration of the continuous runner.
    pub fn iterate(&mut self) -> std::io::Result<()> {
        let d = self.dimension;
        self.result.dimensions_visited |= 1 << d;
        let rng = &mut self.rng;
        let action = choose(self.iteration, d, || rng.unit());
        let held = match self.variant {
            Variant::Naive => self.objects.iter().any(|o| o.is_automaton_of(d)),
            Variant::Lean => self.pinned.iter().any(|o| o.is_automaton_of(d)),
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
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.pinned.iter().chain(self.objects.iter())
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The result so far.
    pub fn result(&self) -> AutomatonResult {
        AutomatonResult {
            iterations: self.iteration,
            objects: (self.pinned.len() + self.objects.len()) as u64,
            history: match self.variant {
                Variant::Naive => self.naive_history.len(),
                Variant::Lean => self.ring_len,
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

/// The kernel's automaton of dimension `d`.
fn kernel_automaton(d: u8, path: &Path) -> Object {
    Object {
        id: Some(format!("{d}D-automaton")),
        kind: Some("automaton".into()),
        current_state: Some(STATES[d as usize].into()),
        dimensional_level: Some(i64::from(d)),
        self_reference: Some(serde_json::json!({
            "file": path.to_string_lossy(),
            "line": usize::from(d) + 1,
            "pattern": STATES[d as usize],
        })),
        ..Object::default()
    }
}

/// `sim`'s snippet for an object: Scheme-like lines about `kind` in
/// dimension `d`, `len` characters.
fn snippet(kind: &str, d: u8, len: usize) -> String {
    let mut s = format!(";; {d}D {kind}\n");
    let mut k = 0;
    while s.len() < len {
        s.push_str(&format!(
            "(define {kind}-{d}-{k} (lambda (x) (compose x (step-{d} x))))\n"
        ));
        k += 1;
    }
    s.truncate(len);
    s
}

/// The original's save: one object per id, at the place of its last copy,
/// with its first copy's fields; objects without an id are all kept.
fn dedup_for_save(objects: Vec<Object>) -> Vec<Object> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        if let Some(id) = o.id.as_deref() {
            first.entry(id).or_insert(i);
            last.insert(id, i);
        }
    }
    let mut keep = Vec::with_capacity(last.len());
    for (i, o) in objects.iter().enumerate() {
        match o.id.as_deref() {
            None => keep.push(o.clone()),
            Some(id) if last[id] == i => keep.push(objects[first[id]].clone()),
            Some(_) => {}
        }
    }
    keep
}

/// Reads an automaton file as the original's `load()` does: lines trimmed,
/// only those that start with `{` and end with `}` parsed, lines that do not
/// parse skipped, and each id's latest line kept, at its place.
pub fn load(path: &Path) -> std::io::Result<Vec<Object>> {
    let mut out: Vec<Object> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        let line = line.trim();
        if !(line.starts_with('{') && line.ends_with('}')) {
            continue;
        }
        let Ok(o) = serde_json::from_str::<Object>(line) else {
            continue;
        };
        if let Some(id) = &o.id {
            if let Some(old) = at.remove(id) {
                out.remove(old);
                for v in at.values_mut() {
                    if *v > old {
                        *v -= 1;
                    }
                }
            }
            at.insert(id.clone(), out.len());
        }
        out.push(o);
    }
    Ok(out)
}

/// Refuses a file that is not an automaton file: empty, not UTF-8, or a line
/// that is neither blank, an `@` header, nor a JSON object with an `id` and a
/// `type`. The error names the file and the line, and says what to do.
pub fn check_file(path: &Path) -> std::io::Result<()> {
    let refuse = |why: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{}: {why}; `sim automaton --file` continues automaton files only \
                 (JSON objects with an id and a type, one per line) and leaves \
                 others as they are: name a new path, or an automaton file",
                path.display()
            ),
        )
    };
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8(bytes).map_err(|_| refuse("not UTF-8 text".into()))?;
    let mut objects = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('@') {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|_| refuse(format!("line {} is not a JSON object", n + 1)))?;
        let ok = v.get("id").is_some_and(Value::is_string) && v.get("type").is_some();
        if !ok {
            return Err(refuse(format!(
                "line {} is not an automaton object (no id or no type)",
                n + 1
            )));
        }
        objects += 1;
    }
    if objects == 0 {
        return Err(refuse("it holds no objects".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
