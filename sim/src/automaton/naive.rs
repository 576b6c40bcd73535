//! The leak seed 003 investigates, as the memory-optimized fork keeps its
//! state: every object made, duplicates included, until a save or a load;
//! the execution history as an unbounded list of strings; a memory
//! snapshot allocated every iteration and never released; saves that
//! rewrite the whole file; self-io that re-reads and re-parses all of it
//! with a linear duplicate search per object.

use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;

use super::action::Action;
use super::object::{dedup_for_save, Object};

/// The naive variant's state.
#[derive(Default)]
pub(super) struct NaiveStore {
    pub(super) objects: VecDeque<Object>,
    history: Vec<String>,
    /// One snapshot per iteration, never released.
    pub(super) snapshots: Vec<String>,
}

impl NaiveStore {
    /// Holds `loaded` as the objects.
    pub(super) fn take(&mut self, loaded: Vec<Object>) {
        self.objects = loaded.into();
    }

    /// Adds `o`; true when an object of its id was held already.
    pub(super) fn add(&mut self, o: Object) -> bool {
        let duplicate = self.objects.iter().any(|x| x.id == o.id);
        self.objects.push_back(o);
        duplicate
    }

    /// Self-io: the objects become the file's, read and parsed whole.
    /// Returns how many fewer objects it left than it found.
    pub(super) fn self_io(&mut self, path: &Path) -> std::io::Result<u64> {
        let before = self.objects.len();
        let text = std::fs::read_to_string(path)?;
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
        let lost = before.saturating_sub(loaded.len()) as u64;
        self.objects = loaded.into();
        Ok(lost)
    }

    /// Rewrites the file with one object per id, as the original's `save()`.
    pub(super) fn save(&mut self, path: &Path) -> std::io::Result<()> {
        let kept = dedup_for_save(std::mem::take(&mut self.objects).into());
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        let mut tmp = tempfile::NamedTempFile::new_in(dir.unwrap_or(Path::new(".")))?;
        {
            let mut w = std::io::BufWriter::new(tmp.as_file_mut());
            for o in &kept {
                serde_json::to_writer(&mut w, o)?;
                w.write_all(b"\n")?;
            }
            w.flush()?;
        }
        tmp.persist(path).map_err(|e| e.error)?;
        self.objects = kept.into();
        Ok(())
    }

    /// The history entry and the memory snapshot of one iteration.
    pub(super) fn record(&mut self, iteration: u64, action: Action, from: u8, to: u8) {
        self.history.push(format!("{}:{from}→{to}", action.name()));
        self.snapshots.push(format!(
            "{{\"iteration\":{iteration},\"objects\":{},\"history\":{}}}",
            self.objects.len(),
            self.history.len()
        ));
    }

    /// History entries held.
    pub(super) fn history_len(&self) -> usize {
        self.history.len()
    }
}
