//! What the harness itself costs per tick: opening a process peak region,
//! summing every registered thread's counters twice, arming and disarming a
//! process-wide guard, timing the tick, and the per-phase statistics
//! afterwards, amortised. The tick does nothing, so all of it is overhead.
//!
//! `cargo bench --bench harness_tick`; the target is at most 1 µs per tick
//! with up to 8 registered threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use allocguard::{Phase, Scale, Scenario};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[global_allocator]
static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();

/// Starts threads that allocate once (registering their counter blocks) and
/// then wait, so the registry holds `total` blocks with the main thread.
fn park_registered_threads(total: usize) -> (Arc<AtomicBool>, Vec<std::thread::JoinHandle<()>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let handles = (1..total)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                drop(std::hint::black_box(Box::new(1u8)));
                while !stop.load(Ordering::Acquire) {
                    std::thread::park_timeout(Duration::from_millis(50));
                }
            })
        })
        .collect();
    (stop, handles)
}

fn per_tick(c: &mut Criterion) {
    let mut g = c.benchmark_group("harness_tick");
    for threads in [1usize, 8] {
        let (stop, handles) = park_registered_threads(threads);
        while allocguard::registered_threads() < threads {
            std::thread::yield_now();
        }
        for hot in [false, true] {
            let id = BenchmarkId::new(
                if hot { "hot" } else { "cold" },
                format!("{threads}_threads"),
            );
            g.bench_function(id, |b| {
                b.iter_custom(|ticks| {
                    let phase = Phase::new("empty").ticks(ticks);
                    let phase = if hot { phase.hot() } else { phase };
                    let mut s = Scenario::new("bench/empty")
                        .setup(|_| ())
                        .phase(phase, |_, _| {});
                    let started = Instant::now();
                    s.run(Scale::Smoke).expect("empty ticks cannot fail");
                    started.elapsed()
                })
            });
        }
        stop.store(true, Ordering::Release);
        for h in handles {
            h.thread().unpark();
            h.join().unwrap();
        }
    }
    g.finish();
}

criterion_group!(benches, per_tick);
criterion_main!(benches);
