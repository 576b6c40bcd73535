//! The automaton over many seeds, both variants, as its users run it: no
//! panic, and the same actions in both. The lean variant once subtracted
//! past zero when saving on about a quarter of seeds (a topology made twice
//! between two saves); the unit tests hold the 300-iteration sweep and a
//! property test of the bookkeeping, this one the long runs.
//!
//! In release (`.ci/run` runs it so) 200 seeds × 5,000 iterations; a debug
//! build runs 20 seeds × 1,000, which is what `cargo test` can afford.

use allocguard_sim::automaton::Automaton;
use allocguard_sim::Variant;

#[test]
fn every_seed_runs_long_in_both_variants_without_a_panic() {
    let (seeds, iterations) = if cfg!(debug_assertions) {
        (20, 1_000)
    } else {
        (200, 5_000)
    };
    let d = tempfile::tempdir().unwrap();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    // Seeds split by index over the cores: each seed's runs are on one
    // thread and independent of the others.
    std::thread::scope(|s| {
        for t in 0..threads {
            let dir = d.path();
            s.spawn(move || {
                for seed in (t..seeds).step_by(threads as usize) {
                    run_both(dir, seed, iterations);
                }
            });
        }
    });
}

fn run_both(dir: &std::path::Path, seed: u64, iterations: u64) {
    let mut results = Vec::new();
    for variant in [Variant::Naive, Variant::Lean] {
        let p = dir.join(format!("{seed}-{variant:?}.jsonl"));
        let r = Automaton::run(&p, seed, iterations, variant)
            .unwrap_or_else(|e| panic!("seed {seed}, {variant:?}: {e}"));
        assert_eq!(r.iterations, iterations, "seed {seed}, {variant:?}");
        results.push(r);
        std::fs::remove_file(&p).unwrap();
    }
    assert_eq!(results[0].actions, results[1].actions, "seed {seed}");
    assert_eq!(
        results[0].action_hash, results[1].action_hash,
        "seed {seed}"
    );
}
