//! The workload both callgrind examples run: N allocate-and-free pairs of a
//! `Box<[u8; 32]>`, N from the first argument (default 1,000,000).

use std::hint::black_box;

/// Reads N and runs the pairs.
pub fn run_pairs() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N must be a whole number"))
        .unwrap_or(1_000_000);
    for i in 0..n {
        let b = Box::new([i as u8; 32]);
        black_box(&b);
    }
}
