//! allocguard scenarios for this crate: `cargo allocguard run` runs them,
//! `cargo test --test allocguard` too.
//!
//! A scenario builds a state, then runs phases of ticks on it. After its
//! warm-up, a `hot` phase fails if any tick touches the heap on any thread
//! (the failure names the line); a `bounded` phase fails if live bytes grow
//! steadily. Every run is a memory profile, snapshotted in snapshots/.
//! Replace the example with your own code: build your world in `setup`, call
//! its step in the phase.

use allocguard::{Harness, Phase, Scenario};

#[global_allocator]
static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();

fn main() -> std::process::ExitCode {
    Harness::from_args()
        .scenario(
            Scenario::new("example/steady")
                // Built once; measured, never armed. `scale` is smoke under
                // `cargo test`, default under `cargo allocguard run`.
                .setup(|scale| vec![0u64; scale.pick(1_000, 100_000, 1_000_000)])
                // 10 warm-up ticks, then every tick is armed.
                .phase(
                    Phase::new("run").ticks(200).warmup(10).hot().bounded(),
                    |data, t| {
                        for x in data.iter_mut() {
                            *x = x.wrapping_add(t.index);
                        }
                    },
                )
                .metric("len", |data| data.len() as f64),
        )
        .run()
}
