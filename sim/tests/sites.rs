//! What allocguard's allocation sites say about the naive simulations: the
//! lines their users would have to change. One test, so that no other test
//! of this binary allocates while sites are recorded (they are
//! process-wide).

use allocguard::{CountingAlloc, Site, SiteRecorder, Sites};
use allocguard_sim::waves::{self, WavePhase, World};
use allocguard_sim::Variant;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

/// `file:line in function` of every site.
fn described(sites: &Sites) -> Vec<String> {
    sites
        .sites
        .iter()
        .map(|s: &Site| format!("{} in {}", s.location(), s.function().unwrap_or("?")))
        .collect()
}

/// Ten steps of the stress test's first phase at 500 enemies, after 30 of
/// warm-up, with sites recorded.
fn waves_sites(variant: Variant) -> Sites {
    let mut world = World::new(waves::Config::stress(500), variant);
    world.begin_phase(WavePhase::ALL[0]);
    for _ in 0..30 {
        world.step();
    }
    let mut recorder = SiteRecorder::new();
    for _ in 0..10 {
        recorder.record(|| world.step());
    }
    recorder.finish()
}

#[test]
fn the_naive_waves_sites_are_its_string_keyed_maps_and_per_step_vectors() {
    let naive = waves_sites(Variant::Naive);
    let sites = described(&naive);
    let naive_rs = |function: &str| {
        sites
            .iter()
            .any(|s| s.contains("waves/naive.rs:") && s.contains(function))
    };
    // The string keys of the entity map and the grid, the maps themselves,
    // the vector of living enemies and the render buffers, every step.
    for function in ["entity_key", "cell_key", "rebuild", "render"] {
        assert!(naive_rs(function), "no site in {function}: {sites:#?}");
    }
    let keys = naive
        .sites
        .iter()
        .find(|s| s.function().is_some_and(|f| f.contains("entity_key")))
        .unwrap();
    assert_eq!(keys.counts.ticks, 10, "every step: {keys:?}");
    // The lean world allocates nothing after warm-up: no site at all.
    let lean = waves_sites(Variant::Lean);
    assert_eq!(lean.totals().ops(), 0, "{:#?}", described(&lean));
    the_lean_waves_make_no_heap_operation_at_ten_thousand_enemies();
}

/// The lean world at 10,000 enemies: no heap operation in any frame of any
/// phase after a warm-up of 30 frames (500 and 100,000 are the scenarios').
/// Called from the one test above.
fn the_lean_waves_make_no_heap_operation_at_ten_thousand_enemies() {
    let config = waves::Config {
        time_scale: 0.5,
        ..waves::Config::stress(10_000)
    };
    let mut world = World::new(config, Variant::Lean);
    world.begin_phase(WavePhase::ALL[0]);
    for _ in 0..30 {
        world.step();
    }
    let mut recorder = SiteRecorder::new();
    for (i, phase) in WavePhase::ALL.into_iter().enumerate() {
        if i > 0 {
            recorder.record(|| world.begin_phase(phase));
        }
        for _ in 0..config.steps(phase) {
            recorder.record(|| world.step());
        }
    }
    let sites = recorder.finish();
    assert_eq!(sites.totals().ops(), 0, "{:#?}", described(&sites));
    assert!(world.alive() > 0 && world.bosses_alive() > 0);
}
