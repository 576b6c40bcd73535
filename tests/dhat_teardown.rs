//! A DHAT profiler's own tables are invisible to allocguard in both
//! directions: allocated inside DHAT's calls (not counted) and freed when the
//! profiler is dropped, outside them (not counted either). One profiler per
//! process: this binary holds a single test.

use std::hint::black_box;

use allocguard::{process_stats, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc<dhat::Alloc> = CountingAlloc::wrapping_profiler(dhat::Alloc);

#[test]
fn a_profilers_life_leaves_the_counts_as_the_program_left_them() {
    assert!(allocguard::is_installed());
    // Kept across the profiler's life, and freed after it.
    let mut kept: Vec<Box<[u8; 64]>> = Vec::with_capacity(100);
    let before = process_stats();
    {
        let profiler = dhat::Profiler::builder().testing().build();
        for i in 0..100u8 {
            kept.push(black_box(Box::new([i; 64])));
        }
        // Freed while profiling: DHAT drops their records from its tables.
        for _ in 0..50 {
            drop(kept.pop());
        }
        // Built outside DHAT's calls, as the program's: counted both ways.
        drop(profiler);
    }
    let d = process_stats().since(&before);
    // 100 boxes allocated, 50 freed, 50 held: 3,200 bytes, whatever DHAT
    // allocated and freed for itself meanwhile.
    let kept_bytes = 50 * 64;
    assert_eq!(d.live_bytes(), kept_bytes, "{d:?}");
    drop(kept);
}
