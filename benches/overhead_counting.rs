//! The workloads on `CountingAlloc<System>`.

use criterion::{criterion_group, criterion_main, Criterion};

mod workloads;

#[global_allocator]
static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();

fn bench(c: &mut Criterion) {
    // Prove the allocator under test is really the one counting.
    let ((), s) = allocguard::measure(|| drop(std::hint::black_box(Box::new([0u8; 32]))));
    assert_eq!(s.allocs, 1, "CountingAlloc is not counting");
    workloads::bench_all(c, "counting");
}

criterion_group!(benches, bench);
criterion_main!(benches);
