//! allocguard scenarios for this crate: `cargo allocguard run` runs them,
//! `cargo test --test allocguard` too.
//!
//! A scenario builds a state, then runs phases of ticks on it. After its
//! warm-up, a `hot` phase fails if any tick touches the heap on any thread
//! (the failure names the line); a `bounded` phase fails if it keeps memory
//! tick after tick (a Vec or a map that only grows); a phase that `grows` is
//! expected to keep memory (loading, filling a cache) and is not judged on
//! it. Every run is a memory profile, snapshotted in snapshots/. Replace the
//! example with your own code: build your world in `setup`, call its step in
//! the phases.

use std::collections::HashMap;

use allocguard::{Harness, Phase, Scenario};

/// The example's world: data it steps over, and a cache it loads.
struct World {
    data: Vec<u64>,
    cache: HashMap<u64, u64>,
}

#[global_allocator]
static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();

fn main() -> std::process::ExitCode {
    Harness::from_args()
        .scenario(
            Scenario::new("example/steady")
                // Built once; measured, never armed. `scale` is smoke under
                // `cargo test`, default under `cargo allocguard run`.
                .setup(|scale| World {
                    data: vec![0u64; scale.pick(1_000, 100_000, 1_000_000)],
                    cache: HashMap::new(),
                })
                // Loading fills the cache: the memory it keeps is the point.
                .phase(Phase::new("load").ticks(200).grows(), |w, t| {
                    w.cache.insert(t.index, t.index * t.index);
                })
                // The steady state: 10 warm-up ticks, then every tick is
                // armed, and no memory may be kept. Both phases are long
                // enough for every gate of allocguard.toml to fire (a 95th
                // percentile needs about 120 ticks to be bounded).
                .phase(
                    Phase::new("run").ticks(400).warmup(10).hot().bounded(),
                    |w, t| {
                        for x in w.data.iter_mut() {
                            *x = x.wrapping_add(t.index);
                        }
                    },
                )
                .metric("cached", |w| w.cache.len() as f64),
        )
        .run()
}
