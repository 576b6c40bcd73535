//! The fix: the runner's objects capped at [`MAX_OBJECTS`] by trimming the
//! oldest (the kernel's automata, pinned, are never trimmed: the runner
//! would stop), an id index for de-duplication, append-only saves, self-io
//! that restores the state of the last save without re-reading the file
//! (which holds exactly that state), and the history in a preallocated ring
//! of [`MAX_HISTORY`].

use std::collections::{HashMap, VecDeque};
use std::fs::OpenOptions;
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::io::Write;
use std::path::Path;

use super::action::Action;
use super::object::{load, Object};
use super::{MAX_HISTORY, MAX_OBJECTS, SAVE_EVERY};

/// A ring entry of the history: iteration, action, from, to.
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

/// The lean variant's state.
pub(super) struct LeanStore {
    /// The runner's objects, one per id, oldest first.
    pub(super) objects: VecDeque<Object>,
    /// Every other object (the kernel's automata, a continued file's edges
    /// and nodes), never trimmed.
    pub(super) pinned: Vec<Object>,
    /// id → place in `objects` counted from the front of all time.
    index: Index,
    /// Objects popped from the front so far (places in `index` are
    /// `front + position`).
    front: u64,
    /// One entry per add since the last save, holding the copy it replaced
    /// and that copy's place, so that self-io can undo each add exactly.
    /// Not a count of the objects made since the save: an add that replaces
    /// an object made since the save leaves one object for two entries.
    unsaved: Vec<Option<(u64, Object)>>,
    /// Most runner-made objects kept: [`MAX_OBJECTS`] (smaller in tests).
    cap: usize,
    /// How many of `objects`, from the front, are copies the file holds
    /// (the rest were made since the last save).
    saved: usize,
    /// The file's length after the last save.
    pub(super) saved_len: u64,
    ring: Box<[HistoryEntry]>,
    pub(super) ring_len: usize,
    ring_next: usize,
}

impl LeanStore {
    /// Empty, every table at the size it keeps.
    pub(super) fn new() -> Self {
        Self::with_cap(MAX_OBJECTS)
    }

    /// Empty, keeping at most `cap` runner-made objects.
    pub(super) fn with_cap(cap: usize) -> Self {
        Self {
            objects: VecDeque::with_capacity(cap + 64),
            pinned: Vec::new(),
            index: HashMap::with_capacity_and_hasher(2 * cap, Default::default()),
            front: 0,
            unsaved: Vec::with_capacity(SAVE_EVERY as usize + 1),
            cap,
            saved: 0,
            saved_len: 0,
            ring: vec![HistoryEntry::default(); MAX_HISTORY].into_boxed_slice(),
            ring_len: 0,
            ring_next: 0,
        }
    }

    /// Holds `loaded`: split into the runner's and the pinned, the runner's
    /// capped.
    pub(super) fn take(&mut self, loaded: Vec<Object>) {
        let (runners, pinned): (Vec<Object>, Vec<Object>) =
            loaded.into_iter().partition(Object::is_runners);
        let skip = runners.len().saturating_sub(self.cap);
        self.objects.clear();
        self.objects.extend(runners.into_iter().skip(skip));
        self.pinned = pinned;
        self.unsaved.clear();
        self.saved = self.objects.len();
        self.rebuild_index();
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

    /// Adds `o`, replacing the copy of its id; true when there was one.
    pub(super) fn add(&mut self, o: Object) -> bool {
        let id = o.id.clone().expect("the runner's objects have ids");
        let replaced = self.index.remove(&id).map(|old| {
            let place = (old - self.front) as usize;
            let o = self
                .objects
                .remove(place)
                .expect("the index points into the objects");
            if place < self.saved {
                self.saved -= 1;
            }
            for v in self.index.values_mut() {
                if *v > old {
                    *v -= 1;
                }
            }
            (old, o)
        });
        let duplicate = replaced.is_some();
        self.index
            .insert(id, self.front + self.objects.len() as u64);
        self.objects.push_back(o);
        self.unsaved.push(replaced);
        duplicate
    }

    /// Self-io: back to the state of the last save, which the file holds;
    /// read in full when someone else wrote the file. Returns how many
    /// fewer objects it left than it found.
    pub(super) fn self_io(&mut self, path: &Path) -> std::io::Result<u64> {
        if std::fs::metadata(path)?.len() != self.saved_len {
            // Someone else wrote the file: read it as load() does.
            let before = self.objects.len() + self.pinned.len();
            self.take(load(path)?);
            let after = self.objects.len() + self.pinned.len();
            self.saved_len = std::fs::metadata(path)?.len();
            return Ok(before.saturating_sub(after) as u64);
        }
        // The file holds the state of the last save: undo what came after
        // it, newest first, each add exactly reversed.
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
        self.saved = self.objects.len();
        Ok((before - self.objects.len()) as u64)
    }

    /// Appends what was made since the last save, then trims.
    pub(super) fn save(&mut self, path: &Path) -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(OpenOptions::new().append(true).open(path)?);
        for o in self.objects.range(self.saved..) {
            serde_json::to_writer(&mut w, o)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
        drop(w);
        self.unsaved.clear();
        self.trim();
        self.saved = self.objects.len();
        self.saved_len = std::fs::metadata(path)?.len();
        Ok(())
    }

    /// Drops the oldest runner-made objects beyond the cap.
    fn trim(&mut self) {
        while self.objects.len() > self.cap {
            let o = self.objects.pop_front().expect("more than the cap");
            self.front += 1;
            if let Some(id) = &o.id {
                self.index.remove(id);
            }
        }
    }

    /// One history entry, in the ring.
    pub(super) fn record(&mut self, iteration: u64, action: Action, from: u8, to: u8) {
        self.ring[self.ring_next] = HistoryEntry {
            iteration,
            action: action as u8,
            from,
            to,
        };
        self.ring_next = (self.ring_next + 1) % MAX_HISTORY;
        self.ring_len = (self.ring_len + 1).min(MAX_HISTORY);
    }
}
