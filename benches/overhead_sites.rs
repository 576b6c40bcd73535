//! W1 with allocation sites off and on, on `CountingAlloc<System>`.
//! `benches/sites.sh` runs it with the system allocator's W1
//! (`overhead_system`) and DHAT's profiler on the same loop
//! (`overhead_dhat`), and prints the ratios per box.
//!
//! Ids (throughput in boxes):
//! - `counting`: sites off;
//! - `sites`: inside `measure_sites` (the symbolisation after it untimed).

use std::alloc::System;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

// Shares W1 with the other overhead benches; the rest is theirs.
#[allow(dead_code)]
mod workloads;
use workloads::{w1_boxes_n, workload_group, W1_BOXES};

#[global_allocator]
static ALLOC: allocguard::CountingAlloc<System> = allocguard::CountingAlloc::new(System);

fn bench(c: &mut Criterion) {
    let ((), sites) = allocguard::measure_sites(|| w1_boxes_n(10));
    assert_eq!(sites.totals().allocs, 10, "sites are not being recorded");

    let mut g = workload_group(c, "sites");
    g.throughput(Throughput::Elements(W1_BOXES));
    g.bench_function(BenchmarkId::new("W1_box32_x10M", "counting"), |b| {
        b.iter(|| w1_boxes_n(W1_BOXES))
    });
    g.bench_function(BenchmarkId::new("W1_box32_x10M", "sites"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (took, _sites) = allocguard::measure_sites(|| {
                    let t = Instant::now();
                    w1_boxes_n(W1_BOXES);
                    t.elapsed()
                });
                total += took;
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
