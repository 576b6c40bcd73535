//! Baseline: the workloads on the system allocator.

use criterion::{criterion_group, criterion_main, Criterion};

mod workloads;

fn bench(c: &mut Criterion) {
    workloads::bench_all(c, "system");
}

criterion_group!(benches, bench);
criterion_main!(benches);
