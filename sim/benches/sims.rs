//! Step costs of the simulations, naive against lean in the same run:
//! `cargo bench -p allocguard-sim --bench sims`.
//!
//! The naive variants grow as they run (the waves registry and the
//! automaton's history and snapshots: that is their problem), so a benchmark
//! that kept stepping one state would measure an older state the more
//! iterations criterion chose. Each measurement here starts from a state of
//! fixed age instead, built afresh outside the timed part (the simulations
//! are deterministic: the same seed and steps give the same state, as a
//! clone would) and stepped through the same window: waves 30 steps (one
//! second) from the 30th step of `combat_stress`, genes one generation after
//! the fifth, the automaton 25 iterations (one save period) after its
//! 1,000th. Times are per window.

use std::time::Duration;

use allocguard_sim::automaton::Automaton;
use allocguard_sim::genes::{self, Network};
use allocguard_sim::waves::{self, WavePhase, World};
use allocguard_sim::Variant;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};

const VARIANTS: [Variant; 2] = [Variant::Lean, Variant::Naive];
/// Steps measured per waves window: one second at 30 Hz.
const WAVES_WINDOW: usize = 30;
/// Generations a network has lived before the one measured (the naive
/// variant's matrices are fresh every step; the first steps also touch
/// fresh pages).
const GENES_AGE: usize = 5;
/// Iterations measured per automaton window: one save period.
const AUTOMATON_WINDOW: u64 = 25;

/// A world in `combat_stress` (the pool full, three to eight spawns tried
/// every combat step, bosses piling up outside the pool).
fn warmed_world(cap: usize, variant: Variant) -> World {
    let mut w = World::new(waves::Config::stress(cap), variant);
    w.begin_phase(WavePhase::CombatStress);
    for _ in 0..30 {
        w.step();
    }
    w
}

fn waves_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("waves_30_steps");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for cap in [500usize, 10_000, 100_000] {
        for variant in VARIANTS {
            g.bench_with_input(BenchmarkId::new(variant.name(), cap), &cap, |b, &cap| {
                b.iter_batched(
                    || warmed_world(cap, variant),
                    |mut w| {
                        for _ in 0..WAVES_WINDOW {
                            w.step();
                        }
                        w
                    },
                    BatchSize::PerIteration,
                )
            });
        }
    }
    g.finish();
}

fn genes_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("genes_step_5000x100");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for regulated in [true, false] {
        for variant in VARIANTS {
            let young = || {
                let mut net = Network::new(
                    genes::Config::new(5_000, 100, 1_000_000, regulated),
                    variant,
                );
                for _ in 0..GENES_AGE {
                    net.step();
                }
                net
            };
            let id = BenchmarkId::new(
                variant.name(),
                if regulated {
                    "regulated"
                } else {
                    "unregulated"
                },
            );
            g.bench_function(id, |b| {
                b.iter_batched(
                    young,
                    |mut net| {
                        net.step();
                        net
                    },
                    BatchSize::PerIteration,
                )
            });
        }
    }
    g.finish();
}

fn automaton_iteration(c: &mut Criterion) {
    let mut g = c.benchmark_group("automaton_25_iterations");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for variant in VARIANTS {
        let aged = || {
            let dir = tempfile::tempdir().unwrap();
            let mut a = Automaton::new(&dir.path().join("a.jsonl"), 42, variant).unwrap();
            for _ in 0..1_000 {
                a.iterate().unwrap();
            }
            (dir, a)
        };
        g.bench_function(variant.name(), |b| {
            b.iter_batched(
                aged,
                |(dir, mut a)| {
                    for _ in 0..AUTOMATON_WINDOW {
                        a.iterate().unwrap();
                    }
                    (dir, a)
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn reducer_throughput(c: &mut Criterion) {
    use allocguard_sim::pairs::reducer::Reducer;
    let dir = tempfile::tempdir().unwrap();
    let shards =
        allocguard_sim::pairs::shards::generate_synthetic(dir.path(), 1_000_000, 8, 1).unwrap();
    let mut g = c.benchmark_group("reducer_1M_results");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    g.throughput(criterion::Throughput::Elements(1_000_000));
    for variant in VARIANTS {
        g.bench_function(variant.name(), |b| {
            b.iter(|| Reducer::run(shards.clone(), 5_000, variant).unwrap())
        });
    }
    g.finish();
}

/// One combat in the Mixed scenario per archetype, a fresh seed each
/// iteration, in the lean and the naive arena.
fn combat_one(c: &mut Criterion) {
    use allocguard_sim::combat::arena::{LeanArena, NaiveArena};
    use allocguard_sim::combat::data::{up, AttackType};
    use allocguard_sim::combat::log::Log;
    use allocguard_sim::combat::{fight, Attack, Character, Loadout, Match};
    use allocguard_sim::rng::Rng;
    let me = Character::new([2, 2, 2, 2, 4]);
    let best = Attack::new(
        AttackType::MeleeAc,
        &[up::ARMOR_PIERCING, up::DOUBLE_TAP, up::RELIABLE_ACCURACY],
        &[],
    );
    let loadouts = [
        ("focused", Loadout::Focused(best), true),
        (
            "dual_natured",
            Loadout::dual(best, AttackType::Area, 1, &me, &me),
            false,
        ),
        (
            "versatile_master",
            Loadout::Versatile([
                Attack::new(AttackType::Ranged, &[up::POWER_ATTACK], &[]),
                Attack::new(AttackType::Area, &[up::POWER_ATTACK], &[]),
                Attack::new(AttackType::MeleeDg, &[up::BOSS_SLAYER], &[]),
            ]),
            false,
        ),
    ];
    let hps = &allocguard_sim::combat::batch::SCENARIOS[1].hps;
    let mut g = c.benchmark_group("combat_mixed");
    for (name, loadout, focused) in loadouts {
        let mt = Match {
            attacker: me,
            defender: me,
            max_turns: 100,
            focused,
        };
        let mut seed = 0u64;
        let mut lean = LeanArena::default();
        g.bench_function(BenchmarkId::new(name, "lean"), |b| {
            b.iter(|| {
                seed += 1;
                fight(
                    &mut lean,
                    &mut Rng::new(seed),
                    &mut Log::off(),
                    &mt,
                    &loadout,
                    hps,
                )
            })
        });
        let mut naive = NaiveArena::default();
        g.bench_function(BenchmarkId::new(name, "naive"), |b| {
            b.iter(|| {
                seed += 1;
                fight(
                    &mut naive,
                    &mut Rng::new(seed),
                    &mut Log::off(),
                    &mt,
                    &loadout,
                    hps,
                )
            })
        });
    }
    g.finish();
}

/// One stage-2 pair: 2 profiles × 4 scenarios × 2 runs.
fn pair_simulation(c: &mut Criterion) {
    use allocguard_sim::combat::arena::{LeanArena, NaiveArena};
    use allocguard_sim::combat::data::{lim, up, AttackType};
    use allocguard_sim::combat::Attack;
    use allocguard_sim::pairs::{evaluate_pair, Config, Solo};
    let a = Attack::new(
        AttackType::MeleeDg,
        &[up::POWER_ATTACK, up::RELIABLE_ACCURACY],
        &[lim::TIMID],
    );
    let b = Attack::new(AttackType::Area, &[up::POWER_ATTACK], &[lim::CHARGES_2]);
    let solo = Solo {
        overall: 10.0,
        ..Solo::default()
    };
    let cfg = Config::original();
    let mut g = c.benchmark_group("pair_16_combats");
    let mut id = 0u64;
    let mut lean = LeanArena::default();
    g.bench_function("lean", |bench| {
        bench.iter(|| {
            id += 1;
            evaluate_pair(&mut lean, &cfg, id, [&a, &b], [&solo, &solo])
        })
    });
    let mut naive = NaiveArena::default();
    g.bench_function("naive", |bench| {
        bench.iter(|| {
            id += 1;
            evaluate_pair(&mut naive, &cfg, id, [&a, &b], [&solo, &solo])
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    waves_step,
    genes_step,
    automaton_iteration,
    reducer_throughput,
    combat_one,
    pair_simulation
);
criterion_main!(benches);
