//! The workloads on `stats_alloc::StatsAlloc<System>` (global atomic counters),
//! for comparison.

use criterion::{criterion_group, criterion_main, Criterion};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};

mod workloads;

#[global_allocator]
static ALLOC: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

fn bench(c: &mut Criterion) {
    workloads::bench_all(c, "stats_alloc");
}

criterion_group!(benches, bench);
criterion_main!(benches);
