//! The simulations' scenarios, laid out as any user's crate would have them:
//! a `harness = false` test target named `allocguard` whose `main` is the
//! allocguard harness. `cargo allocguard run` finds and runs it.
//!
//! `SIM_VARIANT=naive|lean` (default lean) switches every scenario's variant
//! while the names stay the same, for seed 002's pre/post protocol:
//!
//! ```sh
//! SIM_VARIANT=naive cargo allocguard run --label pre
//! cargo allocguard run --label post
//! cargo allocguard compare pre post
//! ```
//!
//! A naive run skips snapshots (they hold the lean counts). The `*_naive`
//! scenarios always run the naive variant and pass only when allocguard
//! catches what is wrong with it.

use allocguard::{Harness, Phase, Scale, Scenario};
use allocguard_sim::automaton::Automaton;
use allocguard_sim::combat::{self, Archetype, Batch};
use allocguard_sim::genes::{self, Network};
use allocguard_sim::pairs::catalogue::{self, Catalogue};
use allocguard_sim::pairs::reducer::{self, Reducer};
use allocguard_sim::pairs::shards;
use allocguard_sim::pairs::{self, Pairing};
use allocguard_sim::waves::{self, WavePhase, World};
use allocguard_sim::Variant;

#[global_allocator]
static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();

/// A phase whose tick count at each scale is `ticks(scale)`.
fn scaled_phase(name: &str, ticks: impl Fn(Scale) -> u64) -> Phase {
    Phase::new(name).ticks_by_scale(
        ticks(Scale::Smoke),
        ticks(Scale::Default),
        ticks(Scale::Full),
    )
}

fn waves_config(max_enemies: usize, scale: Scale) -> waves::Config {
    waves::Config {
        time_scale: scale.pick(0.25, 1.0, 1.0),
        ..waves::Config::stress(max_enemies)
    }
}

/// The original test's four phases at 30 steps a second, every step hot
/// after a warm-up of 30 steps.
fn waves_scenario(
    name: &str,
    cap: impl Fn(Scale) -> usize + Send + 'static,
    variant: Variant,
) -> Scenario<World> {
    let reference = waves::Config::stress(500);
    let mut s = Scenario::new(name)
        .setup(move |scale| World::new(waves_config(cap(scale), scale), variant));
    for phase in WavePhase::ALL {
        let steps = |scale: Scale| waves_config(500, scale).steps(phase);
        let mut p = scaled_phase(phase.name(), steps)
            .dt(f64::from(reference.dt()))
            .hot();
        if phase == WavePhase::GradualScaling {
            p = p.warmup(30);
        }
        s = s.phase(p, move |w, t| {
            if t.index == 0 {
                w.begin_phase(phase);
            }
            w.step();
        });
    }
    s.metric("enemies_final", |w| w.current().enemies_final as f64)
        .metric("enemies_peak", |w| w.current().enemies_peak as f64)
        .metric("kills", |w| w.current().kills as f64)
        .metric("events_dropped", |w| w.current().events_dropped as f64)
}

/// A gene network and the heap its setup took, for bytes per gene.
struct Genes {
    net: Network,
    setup_bytes: i64,
    cells: usize,
}

/// Individuals, genes and generations at each scale.
type GenesSizes = [(usize, usize, u64); 3];

/// The seed document's sizes: one name, one workload, whichever variant runs.
const GENES_SIZES: GenesSizes = [(200, 20, 10), (5_000, 100, 100), (10_000, 100, 100)];
/// The always-naive scenario runs smaller (about 8 ms a generation at
/// 5,000 × 100) so that the default run stays in seconds.
const GENES_NAIVE_SIZES: GenesSizes = [(200, 20, 10), (1_000, 100, 20), (5_000, 100, 100)];

fn genes_config(regulated: bool, scale: Scale, sizes: GenesSizes) -> genes::Config {
    let (n, g, gens) = scale.pick(sizes[0], sizes[1], sizes[2]);
    genes::Config::new(n, g, gens, regulated)
}

/// Every generation is one tick, hot after the first.
fn genes_scenario(
    name: &str,
    regulated: bool,
    variant: Variant,
    sizes: GenesSizes,
) -> Scenario<Genes> {
    let gens = move |scale| genes_config(regulated, scale, sizes).generations;
    Scenario::new(name)
        .setup(move |scale| {
            let config = genes_config(regulated, scale, sizes);
            let (net, stats) = allocguard::measure(|| Network::new(config, variant));
            Genes {
                net,
                setup_bytes: stats.live_bytes(),
                cells: config.individuals * config.genes,
            }
        })
        .phase(scaled_phase("generations", gens).warmup(1).hot(), |s, _| {
            s.net.step()
        })
        .metric("mean_fitness", |s| {
            s.net.last().map_or(0.0, |g| g.mean_fitness)
        })
        .metric("best_fitness", |s| {
            s.net.last().map_or(0.0, |g| g.best_fitness)
        })
        .metric("bytes_per_gene", |s| s.setup_bytes as f64 / s.cells as f64)
}

/// The automaton and the directory its JSONL file lives in.
struct Continuous {
    automaton: Automaton,
    _dir: tempfile::TempDir,
}

/// One iteration per tick in a bounded phase: the live heap must level off
/// after the warm-up (lean) or is caught growing (naive).
fn automaton_scenario(
    name: &str,
    variant: Variant,
    iterations: [u64; 3],
    warmup: u64,
) -> Scenario<Continuous> {
    Scenario::new(name)
        .setup(move |_| {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let automaton = Automaton::new(&dir.path().join("automaton.jsonl"), 42, variant)
                .expect("the automaton's file can be created");
            Continuous {
                automaton,
                _dir: dir,
            }
        })
        .phase(
            Phase::new("continuous")
                .ticks_by_scale(iterations[0], iterations[1], iterations[2])
                .warmup(warmup)
                .bounded(),
            |c, _| {
                c.automaton
                    .iterate()
                    .expect("the automaton's file stays writable")
            },
        )
        .metric("objects", |c| c.automaton.result().objects as f64)
        .metric("history", |c| c.automaton.result().history as f64)
        .metric("duplicates", |c| c.automaton.result().duplicates as f64)
        .metric("file_bytes", |c| c.automaton.result().file_bytes as f64)
}

/// Records read per tick of the stream phase.
const REDUCE_BATCH: u64 = 10_000;

/// A reducer over synthetic shards in a temporary directory.
struct Reduce {
    reducer: Option<Reducer>,
    reduced: Option<reducer::Reduced>,
    dir: tempfile::TempDir,
}

/// Setup writes the shards (synthetic results: see `shards::generate_synthetic`);
/// the stream phase reads them 10,000 records a tick; the report phase ranks
/// and writes the reports. `sizes` is (records, shards) at each scale.
fn reducer_scenario(name: &str, variant: Variant, sizes: [(u64, u64); 3]) -> Scenario<Reduce> {
    let ticks = move |scale: Scale| {
        let (total, _) = scale.pick(sizes[0], sizes[1], sizes[2]);
        total.div_ceil(REDUCE_BATCH)
    };
    let mut stream = scaled_phase("stream", ticks).warmup(2).bounded();
    if variant == Variant::Lean {
        // One reused read buffer and a heap of 5,000: nothing to allocate.
        stream = stream.hot();
    }
    Scenario::new(name)
        .setup(move |scale| {
            let (total, count) = scale.pick(sizes[0], sizes[1], sizes[2]);
            let dir = tempfile::tempdir().expect("a temporary directory");
            let paths = shards::generate_synthetic(dir.path(), total, count, 1)
                .expect("shards can be written");
            Reduce {
                reducer: Some(
                    Reducer::new(paths, reducer::DEFAULT_TOP, variant).with_catalogue(
                        Catalogue::load(&dir.path().join(catalogue::FILE))
                            .expect("the synthetic catalogue"),
                    ),
                ),
                reduced: None,
                dir,
            }
        })
        .phase(stream, |r, _| {
            let reducer = r.reducer.as_mut().expect("reducing");
            reducer.feed(REDUCE_BATCH).expect("the shards are sound");
        })
        .phase(Phase::new("report"), |r, _| {
            let reduced = r.reducer.take().expect("reduced once").finish();
            reducer::write_reports(&reduced, &r.dir.path().join("reports"))
                .expect("reports can be written");
            r.reduced = Some(reduced);
        })
        .metric("records", |r| match (&r.reducer, &r.reduced) {
            (Some(red), _) => red.records() as f64,
            (None, Some(done)) => done.records as f64,
            _ => 0.0,
        })
        .metric("best_avg_turns", |r| {
            r.reduced
                .as_ref()
                .and_then(|d| d.top.first())
                .map_or(0.0, |p| f64::from(p.overall_avg))
        })
}

/// Tier-4 focused builds (checked against the original generator's count
/// in `combat::builds`).
const TIER4_FOCUSED_BUILDS: usize = 282_440;
/// Builds tested per tick of the simulate phase (20 combats each).
const BUILDS_PER_TICK: usize = 50;

/// The build tester mid-run.
struct CombatRun {
    cfg: combat::Config,
    batch: Option<Batch>,
    ranking: Option<combat::Ranking>,
    dir: tempfile::TempDir,
}

/// Enumerate the tier-4 focused builds, simulate every `strides`-th (at
/// smoke, default and full scale) 50 a tick with every tick after the first
/// hot, then rank and write the reports.
fn combat_scenario(name: &str, variant: Variant, strides: [usize; 3]) -> Scenario<CombatRun> {
    let stride = move |scale: Scale| scale.pick(strides[0], strides[1], strides[2]);
    let ticks = move |scale: Scale| {
        (TIER4_FOCUSED_BUILDS
            .div_ceil(stride(scale))
            .div_ceil(BUILDS_PER_TICK)) as u64
    };
    let mut simulate = scaled_phase("simulate", ticks).warmup(1).hot();
    if variant == Variant::Lean {
        simulate = simulate.bounded();
    }
    Scenario::new(name)
        .setup(move |scale| {
            let mut cfg = combat::Config::new(4, Archetype::Focused);
            cfg.stride = stride(scale);
            cfg.variant = variant;
            CombatRun {
                cfg,
                batch: None,
                ranking: None,
                dir: tempfile::tempdir().expect("a temporary directory"),
            }
        })
        .phase(Phase::new("enumerate"), |c, _| {
            let b = Batch::new(c.cfg.clone());
            assert_eq!(
                b.catalog.len(),
                TIER4_FOCUSED_BUILDS,
                "the tier-4 focused enumeration changed size"
            );
            c.batch = Some(b);
        })
        .phase(simulate, |c, _| {
            c.batch.as_mut().expect("enumerated").step(BUILDS_PER_TICK);
        })
        .phase(Phase::new("rank"), |c, _| {
            let ranking = c.batch.take().expect("simulated").finish();
            combat::report::write_reports(&ranking, c.dir.path()).expect("reports can be written");
            c.ranking = Some(ranking);
        })
        .metric("builds", |c| match (&c.batch, &c.ranking) {
            (Some(b), _) => b.done() as f64,
            (None, Some(r)) => r.tally.builds as f64,
            _ => 0.0,
        })
        .metric("best_avg_turns", |c| {
            c.ranking
                .as_ref()
                .and_then(|r| r.top.first().map(|b| b.avg_turns(r.cfg.runs)))
                .unwrap_or(0.0)
        })
}

/// Pairs played per tick of the simulate phase (16 combats each).
const PAIRS_PER_TICK: usize = 100;

/// Stage 2 mid-run.
struct PairRun {
    cfg: pairs::Config,
    pairing: Option<Pairing>,
    shards: usize,
    dir: tempfile::TempDir,
}

/// Stage 1 (every 200th attack at smoke, every 5th by default, all at full)
/// and pruning, then the first 1,000 / 20,000 / 750,000 sampled pairs 100 a
/// tick into shards, every tick after the first hot.
fn pairs_scenario(name: &str, variant: Variant) -> Scenario<PairRun> {
    let max_pairs = |scale: Scale| scale.pick(1_000usize, 20_000, 750_000);
    let ticks = move |scale: Scale| max_pairs(scale).div_ceil(PAIRS_PER_TICK) as u64;
    let mut simulate = scaled_phase("simulate", ticks).warmup(1).hot();
    if variant == Variant::Lean {
        simulate = simulate.bounded();
    }
    Scenario::new(name)
        .setup(move |scale| PairRun {
            cfg: pairs::Config {
                stride: scale.pick(200, 5, 1),
                sample_percent: scale.pick(0.5, 0.005, 0.005),
                max_pairs: max_pairs(scale),
                variant,
                ..pairs::Config::original()
            },
            pairing: None,
            shards: 0,
            dir: tempfile::tempdir().expect("a temporary directory"),
        })
        .phase(Phase::new("prune"), |p, _| {
            let pruned = pairs::stage1(&p.cfg, 1);
            let pairing =
                Pairing::new(p.cfg.clone(), pruned, p.dir.path()).expect("shards can be opened");
            assert_eq!(
                pairing.planned(),
                p.cfg.max_pairs,
                "this scale samples fewer pairs than the simulate phase plays"
            );
            p.pairing = Some(pairing);
        })
        .phase(simulate, |p, _| {
            p.pairing
                .as_mut()
                .expect("pruned")
                .step(PAIRS_PER_TICK)
                .expect("shards can be written");
        })
        .phase(Phase::new("close"), |p, _| {
            let paths = p
                .pairing
                .take()
                .expect("simulated")
                .finish()
                .expect("shards close");
            p.shards = paths.len();
        })
        .metric("pairs", |p| {
            p.pairing.as_ref().map_or(p.cfg.max_pairs, |x| x.done()) as f64
        })
        .metric("shards", |p| p.shards as f64)
}

fn by_env<S: 'static>(s: Scenario<S>, variant: Variant) -> Scenario<S> {
    match variant {
        Variant::Lean => s,
        Variant::Naive => s.without_snapshot(),
    }
}

fn main() -> std::process::ExitCode {
    let variant = match Variant::from_env() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    Harness::from_args()
        .scenario(by_env(
            waves_scenario("waves/stress_500", |_| 500, variant),
            variant,
        ))
        .scenario(by_env(
            waves_scenario(
                "waves/stress_100k",
                |scale| scale.pick(2_000, 100_000, 100_000),
                variant,
            ),
            variant,
        ))
        .scenario(
            // Sites on: the report and `run --sites` list the string-keyed
            // maps and per-step vectors that make every step allocate.
            waves_scenario("waves/stress_500_naive", |_| 500, Variant::Naive)
                .expect_violation()
                .sites(),
        )
        .scenario(by_env(
            genes_scenario("genes/regulated_5k_x_100", true, variant, GENES_SIZES),
            variant,
        ))
        .scenario(by_env(
            genes_scenario("genes/unregulated_5k_x_100", false, variant, GENES_SIZES),
            variant,
        ))
        .scenario(
            genes_scenario(
                "genes/regulated_5k_x_100_naive",
                true,
                Variant::Naive,
                GENES_NAIVE_SIZES,
            )
            .expect_violation(),
        )
        .scenario(by_env(
            // Self-io drops what came after the last save, so the lean
            // automaton's objects reach their cap of 2,000 only near
            // iteration 54,000: the warm-up runs past it.
            automaton_scenario(
                "automaton/continuous",
                variant,
                [60_000, 80_000, 150_000],
                56_000,
            ),
            variant,
        ))
        .scenario(
            automaton_scenario(
                "automaton/continuous_naive",
                Variant::Naive,
                [1_500, 3_000, 5_000],
                100,
            )
            .expect_growth()
            .sites(),
        )
        .scenario(by_env(
            combat_scenario("combat/tier4_focused", variant, [2000, 10, 1]),
            variant,
        ))
        .scenario(
            // A tenth of the builds: the naive arena makes ~680 heap
            // operations a combat.
            combat_scenario(
                "combat/tier4_focused_naive",
                Variant::Naive,
                [2000, 100, 10],
            )
            .expect_violation(),
        )
        .scenario(by_env(pairs_scenario("pairs/stage2", variant), variant))
        .scenario(pairs_scenario("pairs/stage2_naive", Variant::Naive).expect_violation())
        .scenario(by_env(
            reducer_scenario(
                "reducer/top5000",
                variant,
                [(200_000, 8), (2_000_000, 16), (47_065_150, 48)],
            ),
            variant,
        ))
        .scenario(
            reducer_scenario(
                "reducer/top5000_naive",
                Variant::Naive,
                [(200_000, 8), (1_000_000, 16), (10_000_000, 48)],
            )
            .expect_growth(),
        )
        .run()
}
