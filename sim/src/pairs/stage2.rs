//! Stage 2 (`stage2_pairing.py`): sampled pairs played, each result
//! streamed to its shard file.

use std::io;
use std::path::{Path, PathBuf};

use super::config::Config;
use super::selection::evaluate_pair;
use super::shards::{PairRecord, ShardWriter};
use super::stage1::{catalogue, Pruned};
use crate::combat::arena::{LeanArena, NaiveArena};
use crate::rng::Rng;
use crate::Variant;

/// `generate_sampled_pairs`: each attack with `max(1, ⌊percent × later⌋)`
/// distinct later attacks (Floyd's sampling), partners in increasing order.
pub fn sample_pairs(n: usize, percent: f64, seed: u64) -> Vec<(u32, u32)> {
    let mut rng = Rng::new(seed);
    let mut pairs = Vec::new();
    let mut chosen: Vec<usize> = Vec::new();
    for i in 0..n {
        let later = n - i - 1;
        if later == 0 {
            continue;
        }
        let k = if percent >= 1.0 {
            later
        } else {
            ((later as f64 * percent) as usize).max(1).min(later)
        };
        chosen.clear();
        for j in (later - k)..later {
            let t = rng.below(j as u64 + 1) as usize;
            let pick = if chosen.contains(&t) { j } else { t };
            chosen.push(pick);
        }
        chosen.sort_unstable();
        pairs.extend(chosen.iter().map(|&c| (i as u32, (i + 1 + c) as u32)));
    }
    pairs
}

/// Stage 2, a pair at a time, into shard files opened up front and closed
/// by [`Pairing::finish`].
pub struct Pairing {
    cfg: Config,
    pruned: Pruned,
    pairs: Vec<(u32, u32)>,
    next: usize,
    per_shard: usize,
    writers: Vec<Option<ShardWriter>>,
    paths: Vec<PathBuf>,
    pending: Vec<PairRecord>,
    lean: LeanArena,
    naive: NaiveArena,
}

impl Pairing {
    /// Samples the pairs, writes `attacks.tsv` and opens the shards in
    /// `dir` (which must not hold shards already).
    pub fn new(cfg: Config, pruned: Pruned, dir: &Path) -> io::Result<Pairing> {
        let mut pairs = sample_pairs(pruned.attacks.len(), cfg.sample_percent, cfg.seed);
        pairs.truncate(cfg.max_pairs);
        std::fs::create_dir_all(dir)?;
        catalogue(&pruned).write(&dir.join(crate::pairs::catalogue::FILE))?;
        let shards = cfg.shards.max(1);
        let per_shard = pairs.len().div_ceil(shards).max(1);
        let mut writers = Vec::new();
        let mut paths = Vec::new();
        for k in 0..shards {
            let n = pairs.len().saturating_sub(k * per_shard).min(per_shard);
            let path = dir.join(format!("stage2_shard_{k:03}.bin"));
            if path.exists() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} exists; write pairs into an empty directory",
                        path.display()
                    ),
                ));
            }
            writers.push(Some(ShardWriter::create(&path, n as u64)?));
            paths.push(path);
        }
        Ok(Pairing {
            cfg,
            pruned,
            pairs,
            next: 0,
            per_shard,
            writers,
            paths,
            pending: Vec::new(),
            lean: LeanArena::default(),
            naive: NaiveArena::default(),
        })
    }

    /// Pairs to play.
    pub fn planned(&self) -> usize {
        self.pairs.len()
    }

    /// Pairs played.
    pub fn done(&self) -> usize {
        self.next
    }

    /// The pruned attack list.
    pub fn pruned(&self) -> &Pruned {
        &self.pruned
    }

    /// Plays up to `n` more pairs; returns how many.
    pub fn step(&mut self, n: usize) -> io::Result<usize> {
        let end = (self.next + n).min(self.pairs.len());
        for id in self.next..end {
            let (a, b) = self.pairs[id];
            let attacks = [
                &self.pruned.attacks[a as usize],
                &self.pruned.attacks[b as usize],
            ];
            let solos = [
                &self.pruned.solos[a as usize],
                &self.pruned.solos[b as usize],
            ];
            let mut r = match self.cfg.variant {
                Variant::Lean => {
                    evaluate_pair(&mut self.lean, &self.cfg, id as u64, attacks, solos)
                }
                Variant::Naive => {
                    evaluate_pair(&mut self.naive, &self.cfg, id as u64, attacks, solos)
                }
            };
            r.attacks = [a, b];
            let shard = id / self.per_shard;
            match self.cfg.variant {
                Variant::Lean => self.writers[shard]
                    .as_mut()
                    .expect("an open shard")
                    .write(&r)?,
                Variant::Naive => self.pending.push(r),
            }
            // Naive writes a shard's results when it is complete; lean
            // closes its shards in `finish`, outside the hot loop.
            let last_of_shard = id + 1 == ((shard + 1) * self.per_shard).min(self.pairs.len());
            if last_of_shard && self.cfg.variant == Variant::Naive {
                let mut w = self.writers[shard].take().expect("an open shard");
                for r in self.pending.drain(..) {
                    w.write(&r)?;
                }
                w.finish()?;
            }
        }
        let stepped = end - self.next;
        self.next = end;
        Ok(stepped)
    }

    /// Closes every shard (empty ones included); returns their paths.
    pub fn finish(mut self) -> io::Result<Vec<PathBuf>> {
        if self.next < self.pairs.len() {
            return Err(io::Error::other(format!(
                "{} of {} pairs played; shards would be short",
                self.next,
                self.pairs.len()
            )));
        }
        for w in self.writers.iter_mut().filter_map(Option::take) {
            w.finish()?;
        }
        Ok(self.paths)
    }
}
