//! A build scored against every scenario and run, and the scores
//! folded into the top N (lean: a bounded heap) or kept and sorted (naive),
//! tallied for the ranking report.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::combat::arena::Arena;
use crate::combat::data::AttackType;
use crate::combat::fight::{fight, Loadout, Match};
use crate::combat::log::Log;
use crate::rng::Rng;
use crate::Variant;

use super::{combat_seed, Config, SCENARIOS};

/// One build's results: turns summed over the runs of each scenario, wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BuildScore {
    /// Index in the catalog.
    pub index: u32,
    /// Turns summed over the runs, per scenario.
    pub turns: [u32; 4],
    /// Combats won.
    pub wins: u32,
}

impl BuildScore {
    /// Turns over every combat.
    pub fn total(&self) -> u32 {
        self.turns.iter().sum()
    }

    /// The score: mean of the scenarios' average turns (lower is better).
    pub fn avg_turns(&self, runs: u32) -> f64 {
        f64::from(self.total()) / f64::from(4 * runs)
    }

    /// Average turns in scenario `s`.
    pub fn scenario_avg(&self, s: usize, runs: u32) -> f64 {
        f64::from(self.turns[s]) / f64::from(runs)
    }

    /// Mean over scenarios of HP pool / average turns (`avg_dpt`).
    pub fn dpt(&self, runs: u32) -> f64 {
        SCENARIOS
            .iter()
            .enumerate()
            .map(|(s, g)| {
                let avg = self.scenario_avg(s, runs);
                if avg > 0.0 {
                    f64::from(g.pool()) / avg
                } else {
                    0.0
                }
            })
            .sum::<f64>()
            / 4.0
    }

    /// Win rate, percent.
    pub fn win_rate(&self, runs: u32) -> f64 {
        f64::from(self.wins) * 100.0 / f64::from(4 * runs)
    }

    fn key(&self) -> (u32, u32) {
        (self.total(), self.index)
    }
}

/// Ordered by score then index: the best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ranked(BuildScore);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.key().cmp(&other.0.key())
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Plays one loadout's combats: every scenario, every run.
pub fn evaluate<A: Arena>(
    arena: &mut A,
    cfg: &Config,
    mt: &Match,
    loadout: &Loadout,
    index: u32,
) -> BuildScore {
    let mut score = BuildScore {
        index,
        turns: [0; 4],
        wins: 0,
    };
    for (s, g) in SCENARIOS.iter().enumerate() {
        for run in 0..cfg.runs {
            let mut rng = Rng::new(combat_seed(cfg.seed, u64::from(index), s, run));
            let o = fight(arena, &mut rng, &mut Log::off(), mt, loadout, g.hps);
            score.turns[s] += o.turns as u32;
            score.wins += u32::from(o.win);
        }
    }
    score
}

/// Counts and distributions over every build tested, folded exactly (in
/// integers) so they do not depend on how work was split.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Tally {
    /// Builds tested.
    pub builds: u64,
    /// Combats played.
    pub combats: u64,
    /// Combats won.
    pub wins: u64,
    /// Turns over every combat.
    pub turns: u64,
    /// Builds per total-turns value (index: turns summed over a build's combats).
    pub histogram: Vec<u64>,
    /// Per attack type of the first attack, in [`AttackType::ALL`] order.
    pub by_type: [TypeTally; 6],
}

/// Builds of one attack type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TypeTally {
    /// Builds tested.
    pub builds: u64,
    /// Turns over their combats.
    pub turns: u64,
    /// The best: (total turns, build index).
    pub best: Option<(u32, u32)>,
}

impl Tally {
    fn new(cfg: &Config) -> Tally {
        Tally {
            builds: 0,
            combats: 0,
            wins: 0,
            turns: 0,
            histogram: vec![0; (4 * cfg.runs * cfg.max_turns as u32) as usize + 1],
            by_type: [TypeTally::default(); 6],
        }
    }

    fn add(&mut self, s: &BuildScore, kind: AttackType, runs: u32) {
        let total = s.total();
        self.builds += 1;
        self.combats += u64::from(4 * runs);
        self.wins += u64::from(s.wins);
        self.turns += u64::from(total);
        self.histogram[total as usize] += 1;
        let t = &mut self.by_type[kind as usize];
        t.builds += 1;
        t.turns += u64::from(total);
        if t.best.is_none_or(|best| (total, s.index) < best) {
            t.best = Some((total, s.index));
        }
    }

    fn merge(&mut self, o: &Tally) {
        self.builds += o.builds;
        self.combats += o.combats;
        self.wins += o.wins;
        self.turns += o.turns;
        for (a, b) in self.histogram.iter_mut().zip(&o.histogram) {
            *a += b;
        }
        for (a, b) in self.by_type.iter_mut().zip(&o.by_type) {
            a.builds += b.builds;
            a.turns += b.turns;
            a.best = match (a.best, b.best) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
        }
    }

    /// The total-turns value below which `q` (0-1) of the builds fall.
    pub fn quantile_total(&self, q: f64) -> u32 {
        let target = (q * self.builds as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (t, &c) in self.histogram.iter().enumerate() {
            seen += c;
            if seen >= target {
                return t as u32;
            }
        }
        self.histogram.len() as u32 - 1
    }
}

/// Where results go: a bounded heap (lean) or a growing list (naive).
#[derive(Debug)]
pub struct Collector {
    variant: Variant,
    top: usize,
    heap: BinaryHeap<Ranked>,
    all: Vec<BuildScore>,
    /// The tallies so far.
    pub tally: Tally,
}

impl Collector {
    /// An empty collector for `cfg`. Like the naive list, the lean heap is
    /// allocated with the first result, once, at its final size.
    pub fn new(cfg: &Config) -> Collector {
        Collector {
            variant: cfg.variant,
            top: cfg.top,
            heap: BinaryHeap::new(),
            all: Vec::new(),
            tally: Tally::new(cfg),
        }
    }

    /// Adds one build's score.
    pub fn add(&mut self, s: BuildScore, kind: AttackType, runs: u32) {
        self.tally.add(&s, kind, runs);
        match self.variant {
            Variant::Lean => {
                if self.heap.capacity() == 0 {
                    self.heap.reserve_exact(self.top + 1);
                }
                if self.heap.len() < self.top {
                    self.heap.push(Ranked(s));
                } else if self.heap.peek().is_some_and(|worst| Ranked(s) < *worst) {
                    self.heap.pop();
                    self.heap.push(Ranked(s));
                }
            }
            Variant::Naive => self.all.push(s),
        }
    }

    /// Builds collected so far.
    pub fn builds(&self) -> u64 {
        self.tally.builds
    }

    pub(super) fn merge(&mut self, other: Collector) {
        self.tally.merge(&other.tally);
        for r in other.heap {
            self.add_ranked(r.0);
        }
        self.all.extend(other.all);
    }

    fn add_ranked(&mut self, s: BuildScore) {
        if self.heap.len() < self.top {
            self.heap.push(Ranked(s));
        } else if self.heap.peek().is_some_and(|worst| Ranked(s) < *worst) {
            self.heap.pop();
            self.heap.push(Ranked(s));
        }
    }

    /// The best `top` builds, best first, and the tallies.
    pub fn finish(self) -> (Vec<BuildScore>, Tally) {
        let mut best: Vec<BuildScore> = match self.variant {
            Variant::Lean => self.heap.into_vec().into_iter().map(|r| r.0).collect(),
            Variant::Naive => self.all,
        };
        best.sort_by_key(BuildScore::key);
        best.truncate(self.top);
        (best, self.tally)
    }
}

/// A fixed permutation of `0..n`: `k ↦ k × step mod n`, `step` coprime with
/// `n` and near `0.618 n`, so consecutive stretches mix every attack type.
#[derive(Clone, Copy, Debug)]
pub struct Order {
    n: usize,
    step: usize,
}

impl Order {
    /// The permutation of `0..n`.
    pub fn new(n: usize) -> Order {
        fn gcd(a: usize, b: usize) -> usize {
            if b == 0 {
                a
            } else {
                gcd(b, a % b)
            }
        }
        let mut step = ((n as f64 * 0.618_033_988_75) as usize).max(1);
        while n > 1 && gcd(step, n) != 1 {
            step += 1;
        }
        Order { n, step }
    }

    /// The `k`-th build to test (an index of the planned builds).
    pub fn build(&self, k: usize) -> usize {
        ((k as u128 * self.step as u128) % self.n.max(1) as u128) as usize
    }
}
