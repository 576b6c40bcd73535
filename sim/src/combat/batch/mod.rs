//! Batches (`build_tester.py`): every build of an archetype against the
//! four scenarios, five runs each, scored by mean turns; the results folded
//! into the top N (lean: a bounded heap) or kept and sorted (naive), and
//! tallied for the ranking report. Work is split by build index and every
//! combat has its own seed, so results do not depend on the thread count.

use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use super::arena::{LeanArena, NaiveArena};
use super::attack::Character;
use super::data::AttackType;
use super::fight::Match;
use super::Archetype;
use crate::Variant;

pub use super::enemies::{EnemyGroup, BUILD_TESTER as SCENARIOS};

/// Attacker and defender stats of the build tester.
pub use super::enemies::BUILD_TESTER_STATS as STATS;

/// What to test.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Config {
    /// Character tier (3-5 have budgets; others get 2 points).
    pub tier: u32,
    /// How points are spent.
    pub archetype: Archetype,
    /// Runs per scenario (5).
    pub runs: u32,
    /// Turn limit (100).
    pub max_turns: i32,
    /// Seed of every combat.
    pub seed: u64,
    /// Builds kept for the report (50).
    pub top: usize,
    /// Test only every `stride`-th build (1: all), for smaller scales.
    pub stride: usize,
    /// Worker threads.
    pub threads: usize,
    /// Allocation behaviour.
    pub variant: Variant,
    /// Dual-natured fallback types and their bonus.
    pub fallbacks: Vec<AttackType>,
    /// Dual-natured fallback bonus.
    pub fallback_bonus: i32,
    /// Versatile master: attacks kept per type after pruning.
    pub per_type: usize,
}

impl Config {
    /// The original's settings for `tier` and `archetype`.
    pub fn new(tier: u32, archetype: Archetype) -> Config {
        Config {
            tier,
            archetype,
            runs: 5,
            max_turns: 100,
            seed: 1,
            top: 50,
            stride: 1,
            threads: 1,
            variant: Variant::Lean,
            fallbacks: vec![AttackType::Ranged, AttackType::Area],
            fallback_bonus: 1,
            per_type: 50,
        }
    }

    /// The match every combat is played under.
    pub fn matchup(&self) -> Match {
        let mut stats = STATS;
        stats[4] = self.tier as i32;
        Match {
            attacker: Character::new(stats),
            defender: Character::new(stats),
            max_turns: self.max_turns,
            focused: self.archetype == Archetype::Focused,
        }
    }
}

/// splitmix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed of one combat: a function of the batch seed, the build, the
/// scenario and the run only.
pub fn combat_seed(seed: u64, build: u64, scenario: usize, run: u32) -> u64 {
    mix(mix(seed ^ mix(build)) ^ ((scenario as u64) << 32 | u64::from(run)))
}

mod catalog;
mod collect;

pub use catalog::Catalog;
pub use collect::{evaluate, BuildScore, Collector, Order, Tally, TypeTally};

/// A batch tested step by step on the calling thread (what a scenario's
/// ticks drive), or all at once over threads with [`run`].
pub struct Batch {
    /// Its configuration.
    pub cfg: Config,
    /// The loadouts under test.
    pub catalog: Catalog,
    matchup: Match,
    order: Order,
    next: usize,
    lean: LeanArena,
    naive: NaiveArena,
    collector: Collector,
}

impl Batch {
    /// Enumerates the builds.
    pub fn new(cfg: Config) -> Batch {
        let catalog = Catalog::new(&cfg);
        let matchup = cfg.matchup();
        let collector = Collector::new(&cfg);
        let order = Order::new(catalog.len().div_ceil(cfg.stride));
        Batch {
            cfg,
            catalog,
            matchup,
            order,
            next: 0,
            lean: LeanArena::default(),
            naive: NaiveArena::default(),
            collector,
        }
    }

    /// Builds to test (every `stride`-th of the catalog).
    pub fn planned(&self) -> usize {
        self.catalog.len().div_ceil(self.cfg.stride)
    }

    /// Builds tested so far.
    pub fn done(&self) -> usize {
        self.next
    }

    /// Tests up to `n` more builds; returns how many.
    pub fn step(&mut self, n: usize) -> usize {
        let end = (self.next + n).min(self.planned());
        for k in self.next..end {
            let index = self.order.build(k) * self.cfg.stride;
            let loadout = self.catalog.get(index);
            let score = match self.cfg.variant {
                Variant::Lean => evaluate(
                    &mut self.lean,
                    &self.cfg,
                    &self.matchup,
                    &loadout,
                    index as u32,
                ),
                Variant::Naive => evaluate(
                    &mut self.naive,
                    &self.cfg,
                    &self.matchup,
                    &loadout,
                    index as u32,
                ),
            };
            self.collector
                .add(score, loadout.attacks()[0].kind, self.cfg.runs);
        }
        let stepped = end - self.next;
        self.next = end;
        stepped
    }

    /// The ranking.
    pub fn finish(self) -> Ranking {
        let (top, tally) = self.collector.finish();
        Ranking {
            cfg: self.cfg,
            catalog: self.catalog,
            top,
            tally,
        }
    }
}

/// A finished batch: the best builds and the tallies.
pub struct Ranking {
    /// The configuration it ran with.
    pub cfg: Config,
    /// The loadouts (to name the best ones).
    pub catalog: Catalog,
    /// The best builds, best first.
    pub top: Vec<BuildScore>,
    /// Counts over every build.
    pub tally: Tally,
}

/// Tests every planned build over `cfg.threads` threads, each with its own
/// arena and collector over a contiguous range of builds; `done` counts
/// builds as they finish (for a progress bar).
pub fn run(cfg: Config, done: &AtomicU64) -> Ranking {
    run_batch(Batch::new(cfg), done)
}

/// Builds a worker takes at a time.
const CHUNK: usize = 64;

/// [`run`] on an enumerated batch (its builds not yet stepped). Workers take
/// chunks of the shuffled build order from a shared counter, so every core
/// stays busy to the end and every stretch of the run has the same mix of
/// builds; each build's combats have their own seeds and the results are
/// folded by (score, index), so neither the order nor the split changes them.
pub fn run_batch(batch: Batch, done: &AtomicU64) -> Ranking {
    let planned = batch.planned();
    let threads = batch.cfg.threads.max(1).min(planned.max(1));
    let Batch {
        cfg,
        catalog,
        matchup,
        order,
        ..
    } = batch;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let parts: Vec<Collector> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (cfg, catalog, matchup, next) = (&cfg, &catalog, &matchup, &next);
                scope.spawn(move || {
                    let mut collector = Collector::new(cfg);
                    let mut lean = LeanArena::default();
                    let mut naive = NaiveArena::default();
                    loop {
                        let start = next.fetch_add(CHUNK, AtomicOrdering::Relaxed);
                        if start >= planned {
                            break;
                        }
                        for k in start..(start + CHUNK).min(planned) {
                            let index = order.build(k) * cfg.stride;
                            let loadout = catalog.get(index);
                            let score = match cfg.variant {
                                Variant::Lean => {
                                    evaluate(&mut lean, cfg, matchup, &loadout, index as u32)
                                }
                                Variant::Naive => {
                                    evaluate(&mut naive, cfg, matchup, &loadout, index as u32)
                                }
                            };
                            collector.add(score, loadout.attacks()[0].kind, cfg.runs);
                        }
                        done.fetch_add(
                            ((start + CHUNK).min(planned) - start) as u64,
                            AtomicOrdering::Relaxed,
                        );
                    }
                    collector
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a batch worker panicked"))
            .collect()
    });
    let mut parts = parts.into_iter();
    let mut all = parts.next().unwrap_or_else(|| Collector::new(&cfg));
    for p in parts {
        all.merge(p);
    }
    let (top, tally) = all.finish();
    Ranking {
        cfg,
        catalog,
        top,
        tally,
    }
}
