//! `CountingAlloc::dhat()`: counting and guarding while DHAT profiles.
//!
//! DHAT's own bookkeeping allocates through the global allocator while it
//! serves each request; allocguard must pass those nested allocations through
//! uncounted, so that both tools report the same program. One profiler can
//! run per process, so this binary holds a single test.

use std::hint::black_box;

use allocguard::{measure, try_no_alloc, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc<dhat::Alloc> = CountingAlloc::dhat();

#[test]
fn counts_agree_with_dhat_and_guards_still_fire() {
    let _profiler = dhat::Profiler::builder().testing().build();
    // The first check allocates one probe byte; do it before DHAT's snapshot.
    assert!(allocguard::is_installed());

    let before = dhat::HeapStats::get();
    let (kept, s) = measure(|| {
        let boxes: Vec<Box<[u8; 100]>> = (0..10).map(|_| Box::new([1; 100])).collect();
        let mut grown: Vec<u32> = Vec::with_capacity(4);
        grown.extend(0..5); // one growing realloc
        drop(black_box(vec![0u64; 64]));
        (boxes, grown)
    });
    let after = dhat::HeapStats::get();

    // DHAT counts a realloc as a block of its new size.
    assert_eq!(
        after.total_blocks - before.total_blocks,
        s.allocs + s.reallocs
    );
    let grown_bytes = kept.1.capacity() as u64 * 4;
    assert_eq!(
        after.total_bytes - before.total_bytes,
        s.bytes_allocated - (grown_bytes - 16) + grown_bytes
    );
    assert_eq!(
        after.curr_bytes as i64 - before.curr_bytes as i64,
        s.live_bytes()
    );
    // 10 boxes + their vector + `grown` + the dropped vector.
    assert_eq!((s.allocs, s.reallocs, s.deallocs), (13, 1, 1));

    let err = try_no_alloc(|| std::mem::forget(black_box(Box::new(7u32)))).unwrap_err();
    assert_eq!(
        (err.allocs, err.deallocs, err.reallocs, err.bytes_allocated),
        (1, 0, 0, 4)
    );
    drop(kept);
}
