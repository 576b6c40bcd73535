//! Batches (`build_tester.py`): every build of an archetype against the
//! four scenarios, five runs each, scored by mean turns; the results folded
//! into the top N (lean: a bounded heap) or kept and sorted (naive), and
//! tallied for the ranking report. Work is split by build index and every
//! combat has its own seed, so results do not depend on the thread count.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use super::arena::{Arena, LeanArena, NaiveArena};
use super::attack::{Attack, Character};
use super::builds::visit;
use super::data::{budget, AttackType};
use super::fight::{fight, Loadout, Match};
use super::log::Log;
use super::Archetype;
use crate::rng::Rng;
use crate::Variant;

/// One enemy group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EnemyGroup {
    /// The original's name.
    pub name: &'static str,
    /// Each enemy's HP, in targeting order.
    pub hps: &'static [i32],
}

impl EnemyGroup {
    /// Total HP of the group.
    pub fn pool(&self) -> i32 {
        self.hps.iter().sum()
    }
}

/// The build tester's four scenarios (`configs/config.json`).
pub const SCENARIOS: [EnemyGroup; 4] = [
    EnemyGroup {
        name: "Boss",
        hps: &[100],
    },
    EnemyGroup {
        name: "Mixed",
        hps: &[25, 25, 50],
    },
    EnemyGroup {
        name: "Swarm 1",
        hps: &[10, 10, 10, 10, 10, 25, 25],
    },
    EnemyGroup {
        name: "Swarm 2",
        hps: &[10, 10, 10, 10, 10, 50],
    },
];

/// Attacker and defender stats of the build tester.
pub const STATS: [i32; 5] = [2, 2, 2, 2, 4];

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

/// Every loadout an archetype tests, addressed by index.
#[derive(Clone, Debug)]
pub enum Catalog {
    /// One attack each.
    Focused(Vec<Attack>),
    /// Each primary with each fallback type (index = primary × fallbacks + fallback).
    Dual {
        /// The primaries.
        primaries: Vec<Attack>,
        /// The fallback types.
        fallbacks: Vec<AttackType>,
        /// Their bonus.
        bonus: i32,
        /// For expected damages.
        matchup: Match,
    },
    /// Every multiset of three from the curated attacks.
    Versatile {
        /// The curated attacks.
        attacks: Vec<Attack>,
        /// Indices into `attacks`, `combinations_with_replacement` order.
        combos: Vec<[u16; 3]>,
    },
}

impl Catalog {
    /// Enumerates the archetype's builds (`generate_archetype_builds_chunked`).
    /// Versatile masters first prune the single attacks by a one-run test
    /// and keep the best `per_type` of each type, as the original does with
    /// pruning on.
    pub fn new(cfg: &Config) -> Catalog {
        let max = budget(cfg.tier, cfg.archetype);
        let mut attacks = Vec::new();
        visit(max, &AttackType::ALL, |kind, ups, lims| {
            attacks.push(Attack::new(kind, ups, lims))
        });
        match cfg.archetype {
            Archetype::Focused => Catalog::Focused(attacks),
            Archetype::DualNatured => Catalog::Dual {
                primaries: attacks,
                fallbacks: cfg.fallbacks.clone(),
                bonus: cfg.fallback_bonus,
                matchup: cfg.matchup(),
            },
            Archetype::VersatileMaster => {
                let attacks = curate(cfg, attacks);
                let n = attacks.len() as u16;
                let mut combos = Vec::new();
                for a in 0..n {
                    for b in a..n {
                        for c in b..n {
                            combos.push([a, b, c]);
                        }
                    }
                }
                Catalog::Versatile { attacks, combos }
            }
        }
    }

    /// How many loadouts.
    pub fn len(&self) -> usize {
        match self {
            Catalog::Focused(a) => a.len(),
            Catalog::Dual {
                primaries,
                fallbacks,
                ..
            } => primaries.len() * fallbacks.len(),
            Catalog::Versatile { combos, .. } => combos.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Loadout `i`.
    pub fn get(&self, i: usize) -> Loadout {
        match self {
            Catalog::Focused(a) => Loadout::Focused(a[i]),
            Catalog::Dual {
                primaries,
                fallbacks,
                bonus,
                matchup,
            } => {
                let f = fallbacks.len();
                Loadout::dual(
                    primaries[i / f],
                    fallbacks[i % f],
                    *bonus,
                    &matchup.attacker,
                    &matchup.defender,
                )
            }
            Catalog::Versatile { attacks, combos } => {
                let [a, b, c] = combos[i];
                Loadout::Versatile([
                    attacks[a as usize],
                    attacks[b as usize],
                    attacks[c as usize],
                ])
            }
        }
    }
}

/// `_prune_builds_by_performance` (top 10% by one run per scenario, with
/// basic-attack fallback) then `_apply_stratified_sampling` (the first
/// `per_type` of each type in ranked order; every build has its own
/// upgrade and limit signature, so the signature step keeps them all).
fn curate(cfg: &Config, attacks: Vec<Attack>) -> Vec<Attack> {
    let mt = Match {
        focused: false,
        ..cfg.matchup()
    };
    let mut arena = LeanArena::default();
    let mut scored: Vec<(u32, usize)> = attacks
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let total = SCENARIOS
                .iter()
                .enumerate()
                .map(|(s, g)| {
                    let mut rng = Rng::new(combat_seed(cfg.seed ^ 0x5052_554e, i as u64, s, 0));
                    fight(
                        &mut arena,
                        &mut rng,
                        &mut Log::off(),
                        &mt,
                        &Loadout::Focused(*a),
                        g.hps,
                    )
                    .turns as u32
                })
                .sum::<u32>();
            (total, i)
        })
        .collect();
    scored.sort();
    let keep = (scored.len() / 10).max(1);
    let mut per_type = [0usize; 6];
    let mut order: Vec<AttackType> = Vec::new();
    let mut kept: Vec<Vec<Attack>> = vec![Vec::new(); 6];
    for &(_, i) in &scored[..keep] {
        let a = attacks[i];
        let t = AttackType::ALL
            .iter()
            .position(|&k| k == a.kind)
            .expect("a type");
        if !order.contains(&a.kind) {
            order.push(a.kind);
        }
        if per_type[t] < cfg.per_type {
            per_type[t] += 1;
            kept[t].push(a);
        }
    }
    order
        .iter()
        .flat_map(|k| kept[AttackType::ALL.iter().position(|x| x == k).unwrap()].clone())
        .collect()
}

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

    fn merge(&mut self, other: Collector) {
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
