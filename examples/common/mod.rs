//! The workload both callgrind examples run: N allocate-and-free pairs of a
//! `Box<[u8; 32]>`, N from the first argument (default 1,000,000), made in
//! the workload crate (`benches/workload`): through the allocator shims, as
//! a user's allocations are, where the optimiser cannot fold the counting
//! into the loop.

/// Reads N and runs the pairs.
pub fn run_pairs() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N must be a whole number"))
        .unwrap_or(1_000_000);
    allocguard_bench_workload::box_pairs(n);
}
