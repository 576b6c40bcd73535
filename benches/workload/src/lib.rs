//! The allocation workloads of allocguard's overhead benches and callgrind
//! comparison, compiled as a crate of their own.
//!
//! A user's allocations are made in other crates than the one that declares
//! the `#[global_allocator]`: they reach it through the `__rust_alloc` /
//! `__rust_dealloc` shims, and the optimiser cannot fold the allocator's
//! bookkeeping into the loop that calls it. A loop in the same crate as the
//! allocator can be folded, and measures less than users pay. Each function
//! is `#[inline(never)]`, and each block passes through `black_box` on its
//! way in and out.

use std::hint::black_box;

/// W1: `n` `Box<[u8; 32]>` allocated and freed, one at a time.
#[inline(never)]
pub fn box_pairs(n: u64) {
    for _ in 0..n {
        let b = Box::new(black_box([0u8; 32]));
        drop(black_box(b));
    }
}

/// W2: `n` short strings formatted and dropped (an allocation that may grow
/// once or twice, then a free).
#[inline(never)]
pub fn strings(n: u64) {
    for i in 0..n {
        let s = format!("item-{i}");
        drop(black_box(s));
    }
}
