//! The overhead workloads, shared by one bench target per global allocator
//! (a binary can have only one). Each target installs its allocator and calls
//! [`bench_all`] with its name, so criterion files the three allocators side
//! by side under the same group and workload ids.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};

/// W1: this many `Box<[u8; 32]>` allocated and freed, one at a time.
pub const W1_BOXES: u64 = 10_000_000;
/// W2: this many short `String`s built and dropped.
pub const W2_STRINGS: u64 = 1_000_000;

/// W1 on the calling thread, from the workload crate (see its docs: the
/// allocations come from another crate, as a user's do).
pub fn w1_boxes() {
    w1_boxes_n(W1_BOXES);
}

/// W1's loop over `n` boxes.
pub fn w1_boxes_n(n: u64) {
    allocguard_bench_workload::box_pairs(n);
}

/// W2: formatting a short string allocates, and may grow it once or twice.
pub fn w2_strings() {
    allocguard_bench_workload::strings(W2_STRINGS);
}

/// W3: W1 on two threads at once.
pub fn w3_boxes_two_threads() {
    std::thread::scope(|s| {
        s.spawn(w1_boxes);
        s.spawn(w1_boxes);
    });
}

/// A group `name` for whole workloads: each iteration is one (tenths of a
/// second), so one iteration per sample, ten samples, one second of warm-up.
pub fn workload_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    g
}

/// Runs W1, W2 and W3 under the id `allocator`.
pub fn bench_all(c: &mut Criterion, allocator: &str) {
    let mut g = workload_group(c, "overhead");
    g.throughput(Throughput::Elements(W1_BOXES));
    g.bench_function(BenchmarkId::new("W1_box32_x10M", allocator), |b| {
        b.iter(w1_boxes)
    });
    g.throughput(Throughput::Elements(W2_STRINGS));
    g.bench_function(BenchmarkId::new("W2_string_x1M", allocator), |b| {
        b.iter(w2_strings)
    });
    g.throughput(Throughput::Elements(2 * W1_BOXES));
    g.bench_function(BenchmarkId::new("W3_box32_x10M_2threads", allocator), |b| {
        b.iter(w3_boxes_two_threads)
    });
    g.finish();
}
