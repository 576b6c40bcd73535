//! The `dhat` feature is additive: with it on, `CountingAlloc::system()` is
//! still a `CountingAlloc<System>` (this file would not compile otherwise)
//! and still hands its blocks to `System` alone, so a DHAT profiler that
//! runs beside it sees none of them. Only `cargo allocguard profile`
//! switches a harness over to DHAT's allocator (tested end to end in
//! cargo-allocguard's `profile_*` tests).

use std::alloc::System;
use std::hint::black_box;

use allocguard::{measure, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc<System> = CountingAlloc::system();

#[test]
fn system_means_system_with_the_dhat_feature_on() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let before = dhat::HeapStats::get();
    let ((), s) = measure(|| {
        for n in 1..=10 {
            drop(black_box(vec![0u8; 100 * n]));
        }
    });
    let after = dhat::HeapStats::get();
    assert_eq!((s.allocs, s.deallocs), (10, 10), "allocguard counts them");
    assert_eq!(
        after.total_blocks, before.total_blocks,
        "DHAT's allocator never saw them: they went to System"
    );
}
