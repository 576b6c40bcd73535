//! W1's loop under mod-alloc's call-site capture (`mod_alloc::ModAlloc` as
//! the global allocator, built with its `backtraces` feature: a walk of up
//! to eight frame pointers and a per-site table on every allocation; frees
//! are counted, not attributed to sites). `benches/sites.sh` compares it
//! per box with the system allocator and with allocguard's sites. Without
//! frame pointers in the build its walk stops early (shallow stacks), so
//! its figure is only like for like in the frame-pointer build.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

// Shares W1 with the other overhead benches; the rest is theirs.
#[allow(dead_code)]
mod workloads;
use workloads::{w1_boxes_n, workload_group, W1_BOXES};

#[global_allocator]
static ALLOC: mod_alloc::ModAlloc = mod_alloc::ModAlloc::new();

fn bench(c: &mut Criterion) {
    w1_boxes_n(10);
    assert!(
        !ALLOC.call_sites().is_empty(),
        "mod-alloc recorded no call site"
    );
    let mut g = workload_group(c, "sites");
    g.throughput(Throughput::Elements(W1_BOXES));
    g.bench_function(BenchmarkId::new("W1_box32_x10M", "mod-alloc"), |b| {
        b.iter(|| w1_boxes_n(W1_BOXES))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
