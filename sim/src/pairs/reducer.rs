//! The streaming top-N reducer of the stage-2 pairing results (seed 001).
//!
//! It reads pair shards (see [`crate::pairs::shards`]) one record at a time and keeps
//! the best N pairs (default 5,000) by overall average turns, lower first,
//! ties broken by pair id so the output is deterministic. Along the way it
//! counts every pair into the synergy buckets of the original's report.
//!
//! - [`Variant::Naive`] is what died at 23 GB: every record of every shard
//!   goes into one vector (grown shard by shard, as the original extended its
//!   list file by file), which is sorted and truncated at the end. Its memory
//!   grows linearly with the number of results.
//! - [`Variant::Lean`] keeps a bounded max-heap of N entries (the worst kept
//!   pair on top, replaced when a better one arrives) and reads through one
//!   reused buffer: memory independent of the number of results.
//!
//! Both give the same top N. The reports are built from that top N, as the
//! original's were ([`crate::pairs::reports`]): the stage-2 report, the top
//! 1,000 and the synergy analysis; with the shards' attack catalogue
//! ([`crate::pairs::catalogue`](mod@crate::pairs::catalogue)) also the five enhancement rankings, the five
//! saturation reports and the pair cost analysis, and attacks are named
//! rather than numbered.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

use crate::pairs::catalogue::Catalogue;
use crate::pairs::shards::{PairRecord, ShardError, ShardReader, RECORD_SIZE};
use crate::Variant;

/// The default N.
pub const DEFAULT_TOP: usize = 5_000;

/// Records read per disk read (one reused buffer).
const BUFFER_RECORDS: usize = 1_024;

/// A record ordered best-last, so a max-heap has the worst kept pair on top.
#[derive(Clone, Copy, Debug)]
struct Ranked(PairRecord);

impl Ranked {
    fn key(&self) -> (f32, u64) {
        (self.0.overall_avg, self.0.pair_id)
    }
}

/// Lower average turns first, then lower pair id.
pub fn better_first(a: &PairRecord, b: &PairRecord) -> Ordering {
    a.overall_avg
        .total_cmp(&b.overall_avg)
        .then(a.pair_id.cmp(&b.pair_id))
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.key(), other.key());
        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
    }
}

/// The reduction so far.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Reduced {
    /// The best N, best first.
    pub top: Vec<PairRecord>,
    /// Records read.
    pub records: u64,
    /// The attacks the pairs are made of, when the shards came with them.
    #[serde(skip)]
    pub catalogue: Option<Catalogue>,
}

enum Keep {
    Lean(BinaryHeap<Ranked>),
    Naive(Vec<PairRecord>),
}

/// The reducer over a list of shards, fed a batch at a time.
pub struct Reducer {
    shards: Vec<PathBuf>,
    shard: usize,
    reader: Option<ShardReader>,
    buf: Vec<u8>,
    n: usize,
    keep: Keep,
    records: u64,
    catalogue: Option<Catalogue>,
}

impl Reducer {
    /// A reducer keeping the best `n` of the records in `shards`, in order.
    pub fn new(shards: Vec<PathBuf>, n: usize, variant: Variant) -> Reducer {
        Reducer {
            shards,
            shard: 0,
            reader: None,
            buf: vec![0; BUFFER_RECORDS * RECORD_SIZE],
            n,
            keep: match variant {
                Variant::Lean => Keep::Lean(BinaryHeap::with_capacity(n + 1)),
                Variant::Naive => Keep::Naive(Vec::new()),
            },
            records: 0,
            catalogue: None,
        }
    }

    /// Names attacks from `catalogue`, which the enhancement and cost
    /// reports need.
    pub fn with_catalogue(mut self, catalogue: Catalogue) -> Reducer {
        self.catalogue = Some(catalogue);
        self
    }

    fn offer(&mut self, r: PairRecord) {
        self.records += 1;
        match &mut self.keep {
            Keep::Lean(heap) => {
                if heap.len() < self.n {
                    heap.push(Ranked(r));
                } else if let Some(mut worst) = heap.peek_mut() {
                    if Ranked(r) < *worst {
                        *worst = Ranked(r);
                    }
                }
            }
            Keep::Naive(all) => all.push(r),
        }
    }

    /// Reads up to `max` records; `Ok(false)` once every shard is read.
    pub fn feed(&mut self, max: u64) -> Result<bool, ShardError> {
        let mut done = 0;
        while done < max {
            if self.reader.is_none() {
                let Some(path) = self.shards.get(self.shard) else {
                    return Ok(false);
                };
                let reader = ShardReader::open(path)?;
                if let Keep::Naive(all) = &mut self.keep {
                    // The original extended one list with each file's results.
                    // The count is the file's own (`open` checked its length).
                    all.reserve_exact(usize::try_from(reader.count()).unwrap_or(usize::MAX));
                }
                self.reader = Some(reader);
            }
            let reader = self.reader.as_mut().expect("opened above");
            match reader.next(&self.shards[self.shard], &mut self.buf)? {
                Some(r) => {
                    self.offer(r);
                    done += 1;
                }
                None => {
                    self.reader = None;
                    self.shard += 1;
                }
            }
        }
        Ok(self.shard < self.shards.len())
    }

    /// Records read so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Pairs kept in memory now.
    pub fn kept(&self) -> usize {
        match &self.keep {
            Keep::Lean(h) => h.len(),
            Keep::Naive(v) => v.len(),
        }
    }

    /// The best N, best first.
    pub fn finish(self) -> Reduced {
        let mut top = match self.keep {
            Keep::Lean(heap) => heap.into_iter().map(|r| r.0).collect(),
            Keep::Naive(all) => all,
        };
        top.sort_by(better_first);
        top.truncate(self.n);
        Reduced {
            top,
            records: self.records,
            catalogue: self.catalogue,
        }
    }

    /// Reads everything.
    pub fn run(shards: Vec<PathBuf>, n: usize, variant: Variant) -> Result<Reduced, ShardError> {
        let mut r = Reducer::new(shards, n, variant);
        while r.feed(u64::MAX)? {}
        Ok(r.finish())
    }
}

/// The shards in `dir`: every `*.bin`, sorted by name.
pub fn shards_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    v.sort();
    Ok(v)
}

/// The report files and their contents, built from the kept top N.
pub fn reports(r: &Reduced) -> Vec<(String, String)> {
    crate::pairs::reports::reports(&crate::pairs::reports::Input {
        top: &r.top,
        records: r.records,
        runs: crate::pairs::Config::original().stage2_runs,
        catalogue: r.catalogue.as_ref(),
    })
}

/// Every file [`write_reports`] may write.
pub fn report_files() -> Vec<String> {
    crate::pairs::reports::file_names()
}

/// Writes every report into `dir`, each through one buffered writer, all or
/// nothing (see [`crate::outfiles`]).
pub fn write_reports(r: &Reduced, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    crate::outfiles::write_texts(dir, &reports(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pairs::shards::ShardWriter;

    fn rec(id: u64, avg: f32, synergy: f32) -> PairRecord {
        PairRecord {
            pair_id: id,
            attacks: [1, 2],
            overall_avg: avg,
            profile_avg: [avg, avg],
            scenario_avg: [avg; 4],
            usage_by_profile: [[1, 0], [0, 1]],
            usage_by_scenario: [[1, 0], [0, 1], [0, 0], [0, 0]],
            synergy,
        }
    }

    fn shard(dir: &Path, name: &str, recs: &[PairRecord]) -> PathBuf {
        let p = dir.join(name);
        let mut w = ShardWriter::create(&p, recs.len() as u64).unwrap();
        for r in recs {
            w.write(r).unwrap();
        }
        w.finish().unwrap();
        p
    }

    #[test]
    fn both_variants_keep_the_same_best_with_ties_by_id() {
        let dir = tempfile::tempdir().unwrap();
        // Averages cycle so that many pairs tie; ids decide among them.
        let recs: Vec<PairRecord> = (0..3_000)
            .map(|i| rec(i, ((i * 7919) % 97) as f32 / 10.0, 0.0))
            .collect();
        let a = shard(dir.path(), "a.bin", &recs[..1_700]);
        let b = shard(dir.path(), "b.bin", &recs[1_700..]);
        let lean = Reducer::run(vec![a.clone(), b.clone()], 100, Variant::Lean).unwrap();
        let naive = Reducer::run(vec![a, b], 100, Variant::Naive).unwrap();
        assert_eq!(lean, naive);
        let mut expected = recs.clone();
        expected.sort_by(better_first);
        expected.truncate(100);
        assert_eq!(lean.top, expected);
        assert!(lean
            .top
            .windows(2)
            .all(|w| better_first(&w[0], &w[1]) == Ordering::Less));
    }

    #[test]
    fn the_lean_reducer_keeps_at_most_n_and_naive_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        let recs: Vec<PairRecord> = (0..5_000).map(|i| rec(i, (i % 13) as f32, 0.0)).collect();
        let p = shard(dir.path(), "s.bin", &recs);
        for (variant, kept) in [(Variant::Lean, 50), (Variant::Naive, 5_000)] {
            let mut r = Reducer::new(vec![p.clone()], 50, variant);
            while r.feed(700).unwrap() {}
            assert_eq!((r.records(), r.kept()), (5_000, kept), "{variant:?}");
        }
    }

    #[test]
    fn a_bad_shard_stops_the_reducer_and_leaves_no_report() {
        let dir = tempfile::tempdir().unwrap();
        let good = shard(dir.path(), "a.bin", &[rec(1, 1.0, 0.0), rec(2, 2.0, 0.0)]);
        let bad = shard(dir.path(), "b.bin", &[rec(3, 3.0, 0.0), rec(4, 4.0, 0.0)]);
        let mut bytes = std::fs::read(&bad).unwrap();
        bytes[32 + RECORD_SIZE + 5] ^= 1;
        std::fs::write(&bad, bytes).unwrap();
        let out = dir.path().join("reports");
        let result = Reducer::run(vec![good, bad.clone()], 10, Variant::Lean)
            .map(|r| write_reports(&r, &out));
        let e = result.unwrap_err().to_string();
        assert_eq!(e, format!("{}: record 1: checksum mismatch", bad.display()));
        assert!(!out.exists(), "no report directory, no partial report");
    }

    #[test]
    fn reports_are_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = shard(
            dir.path(),
            "s.bin",
            &(0..60).map(|i| rec(i, i as f32, 40.0)).collect::<Vec<_>>(),
        );
        let r = Reducer::run(vec![p], 5_000, Variant::Lean).unwrap();
        let files = write_reports(&r, &dir.path().join("out")).unwrap();
        assert_eq!(files.len(), 3, "without a catalogue: three reports");
        let top = std::fs::read_to_string(&files[0]).unwrap();
        assert!(
            top.contains("### Rank 1: #")
                && top.contains("### Rank 50: #")
                && !top.contains("### Rank 51:")
        );
        let syn = std::fs::read_to_string(&files[2]).unwrap();
        assert!(
            syn.contains("| Strong Positive (>30%) | 60 | 100.0% |"),
            "{syn}"
        );
        assert!(std::fs::read_dir(dir.path().join("out"))
            .unwrap()
            .all(|e| !e.unwrap().path().to_string_lossy().ends_with(".partial")));
    }
}
