//! The test suites other allocation counters wrote for themselves, ported to
//! allocguard: each test cites the one it ports and says how the peer's
//! notions map onto allocguard's (see the crate docs, "Coming from dhat,
//! assert_no_alloc, stats_alloc or allocation-counter"). Where the peer's
//! semantics differ, the port asserts allocguard's, with the difference.
//!
//! The global allocator can be told to fail the next reallocation on this
//! thread, to check that a failed `realloc` is not counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::panic::catch_unwind;

use allocguard::{assert_no_alloc, measure, permit_alloc, try_no_alloc, CountingAlloc, Violation};

/// `System`, except that it fails the next `alloc` or `realloc` on a thread that asked.
struct FailOnDemand;

thread_local! {
    static FAIL_NEXT_REALLOC: Cell<bool> = const { Cell::new(false) };
    static FAIL_NEXT_ALLOC: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards to `System`, or fails an `alloc` or a `realloc`
// (returning null, which `GlobalAlloc` allows) leaving the block untouched.
unsafe impl GlobalAlloc for FailOnDemand {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if FAIL_NEXT_ALLOC.with(|f| f.replace(false)) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if FAIL_NEXT_REALLOC.with(|f| f.replace(false)) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static ALLOC: CountingAlloc<FailOnDemand> = CountingAlloc::new(FailOnDemand);

/// assert_no_alloc's `do_alloc`: a boxed `u32`, made and freed.
#[inline(never)]
fn do_alloc() {
    let b: Box<u32> = black_box(Box::new(42));
    drop(b);
}

/// The heap operations a guard saw: assert_no_alloc's violation count, in
/// allocguard's terms (a reallocation is one operation here, two there).
fn ops(r: Result<(), Violation>) -> u64 {
    r.err().map_or(0, |v| v.ops())
}

// ---------------------------------------------------------------- dhat-rs

/// Ports dhat-rs `tests/heap.rs` (`fn main`): the same sequence, with
/// blocks made before the region. DHAT ignores the free of a block made
/// before profiling began and counts a reallocation of one as a new block;
/// allocguard counts every operation in the region, so its live bytes dip
/// below zero (the early free) before they peak. DHAT's figures for the same
/// sequence: total 14 blocks / 1,642 bytes, current 2 / 432, max 3 / 1,432;
/// allocguard's: 12 allocations and 2 reallocations (DHAT's 14 blocks),
/// live +400 (DHAT's 432 minus the 32 bytes of `v3`, which allocguard counts
/// as 16 bytes of growth of a block made before), peak +1,400.
#[test]
fn dhat_heap_sequence() {
    let v1 = vec![1u32, 2, 3, 4];
    let mut v3 = vec![1u32, 2, 3, 4];
    let (kept, s) = measure(|| {
        drop(black_box(v1)); // live -16: below zero
        v3.push(5); // 16 → 32: +16
        let v5 = black_box(vec![0u8; 1000]);
        let mut v6 = black_box(vec![0u8; 200]);
        v6.reserve(200); // 200 → 400: +200, the peak at +1,400
        drop(v5);
        for i in 0..10 {
            black_box(vec![i as u8]);
        }
        v6
    });
    assert_eq!((s.allocs, s.reallocs, s.deallocs), (12, 2, 12), "{s:?}");
    assert_eq!(s.allocs + s.reallocs, 14, "DHAT's total blocks");
    assert_eq!((s.bytes_allocated, s.bytes_freed), (1426, 1026), "{s:?}");
    assert_eq!(s.live_bytes(), 400);
    assert_eq!(s.peak_live_bytes, 1400);
    assert_eq!(
        s.allocs as i64 - s.deallocs as i64,
        0,
        "blocks: v1 and v5 freed, v6 made, v3 moved"
    );
    drop((kept, v3));
}

/// Ports dhat-rs's crate-level doc test (testing mode): one vector kept,
/// two made and dropped. DHAT: total 3 / 48, max 2 / 32, current 1 / 16.
#[test]
fn dhat_doc_example() {
    let (kept, s) = measure(|| {
        let v1 = vec![1i32, 2, 3, 4];
        let v2 = black_box(vec![1i32, 2, 3, 4]);
        drop(v2);
        let v3 = black_box(vec![1i32, 2, 3, 4]);
        drop(v3);
        v1
    });
    assert_eq!((s.allocs, s.bytes_allocated), (3, 48));
    assert_eq!((s.allocs - s.deallocs, s.live_bytes()), (1, 16));
    assert_eq!(s.peak_live_bytes, 32);
    drop(kept);
}

// ---------------------------------------------------------- assert_no_alloc
//
// assert_no_alloc's `tests/test.rs`: nine tests. There a violation only
// counts (with its `warn_debug` feature); here a guard's result says what it
// saw. `try_no_alloc` stands for one `assert_no_alloc` scope.

#[test]
fn assert_no_alloc_ok_noop() {
    do_alloc(); // outside any scope: nothing to see
    assert_eq!(ops(try_no_alloc(|| ())), 0);
}

#[test]
fn assert_no_alloc_ok_simple() {
    assert_eq!(ops(try_no_alloc(|| ())), 0);
    do_alloc();
}

#[test]
fn assert_no_alloc_ok_nested() {
    let outer = try_no_alloc(|| assert_eq!(ops(try_no_alloc(|| ())), 0));
    assert_eq!(ops(outer), 0);
    do_alloc();
}

#[test]
fn assert_no_alloc_forbidden_simple() {
    // One allocation and its free: 2 operations, as assert_no_alloc counts.
    assert_eq!(ops(try_no_alloc(do_alloc)), 2);
}

#[test]
fn assert_no_alloc_forbidden_in_nested() {
    let outer = try_no_alloc(|| {
        let inner = try_no_alloc(do_alloc);
        // The inner report is a value on the heap: dropped where the outer
        // scope does not look, as assert_no_alloc's counter never is.
        permit_alloc(|| assert_eq!(ops(inner), 2));
    });
    // The outer scope sees what the inner one saw.
    assert_eq!(ops(outer), 2);
}

#[test]
fn assert_no_alloc_forbidden_after_nested() {
    let outer = try_no_alloc(|| {
        assert_eq!(ops(try_no_alloc(|| ())), 0);
        do_alloc();
    });
    assert_eq!(ops(outer), 2);
}

/// Unwinds as `panic!()` does, without the panic hook: its message, written
/// to libtest's capture buffer, would reallocate it now and then and blur
/// the counts.
fn unwind() -> ! {
    std::panic::resume_unwind(Box::new(()))
}

/// What an outer scope sees of `body`, which panics inside it and is caught.
fn outer_after_unwinding(body: impl Fn() + std::panic::RefUnwindSafe, then_alloc: bool) -> u64 {
    let r = try_no_alloc(|| {
        let r = catch_unwind(&body);
        assert!(r.is_err());
        permit_alloc(|| drop(r));
        if then_alloc {
            do_alloc();
        }
    });
    // Its report is dropped where an enclosing scope does not look.
    permit_alloc(|| ops(r))
}

#[test]
fn assert_no_alloc_unwind_ok() {
    let _ = outer_after_unwinding(|| assert_no_alloc(|| unwind()), false);
    // The unwound scope is gone: outside every scope nothing is seen, and
    // a new scope counts from zero.
    do_alloc();
    assert_eq!(ops(try_no_alloc(do_alloc)), 2);
}

#[test]
fn assert_no_alloc_unwind_nested() {
    let inner = || assert_no_alloc(|| unwind());
    let _first = outer_after_unwinding(inner, false); // the first panic sets things up
    let panic_only = outer_after_unwinding(inner, false);
    let with_alloc = outer_after_unwinding(inner, true);
    // After the inner scope unwound, the outer one still watches.
    assert_eq!(with_alloc - panic_only, 2);
}

#[test]
fn assert_no_alloc_unwind_nested2() {
    let inner = || assert_no_alloc(|| assert_no_alloc(|| unwind()));
    // Two outer levels around two unwinding ones.
    let seen = |then_alloc| {
        let mut inner_outer = 0;
        let outermost = ops(try_no_alloc(|| {
            inner_outer = outer_after_unwinding(inner, then_alloc);
        }));
        (inner_outer, outermost)
    };
    let _first = seen(false); // the first panic sets things up
    let (a, a_outermost) = seen(false);
    let (b, b_outermost) = seen(true);
    assert_eq!(b - a, 2, "two levels deep, still watched");
    assert_eq!(b_outermost - a_outermost, 2);
    // Both levels ended: nothing is watched.
    do_alloc();
    assert_eq!(ops(try_no_alloc(|| ())), 0);
}

// -------------------------------------------------------------- stats_alloc

/// Ports stats_alloc `tests/test.rs` (`example_using_region`), which prints
/// the region's change without asserting it: one allocation of 1,024 bytes.
/// stats_alloc's region is the process; allocguard's `measure` is the
/// thread and `measure_process` the process.
#[test]
fn stats_alloc_region() {
    let (x, s) = measure(|| Vec::<u8>::with_capacity(1_024));
    assert_eq!((s.allocs, s.deallocs, s.reallocs), (1, 0, 0));
    assert_eq!((s.bytes_allocated, s.bytes_freed), (1_024, 0));
    drop(x);
    // A reallocation is one operation with its growth in bytes allocated,
    // as stats_alloc counts it (its `bytes_reallocated` is the signed sum).
    let mut v: Vec<u8> = Vec::with_capacity(1);
    let ((), s) = measure(|| v.extend([1, 2]));
    assert_eq!((s.reallocs, s.reallocs_grow, s.bytes_allocated), (1, 1, 7));
}

// ------------------------------------------------------- allocation-counter

/// Ports allocation-counter's `test_measure`. Its fields map as:
/// `count_total` = allocations, `count_current` = allocations − deallocations,
/// `bytes_total` = bytes allocated, `bytes_current` = live bytes,
/// `bytes_max` = peak live bytes.
#[test]
fn allocation_counter_measure() {
    let ((), s) = measure(|| ());
    assert_eq!(s, allocguard::Stats::default());

    let ((), s) = measure(|| {
        let _a = black_box(Box::new(1u32));
        drop(_a);
        let _b = black_box(Box::new(1u32));
    });
    assert_eq!((s.allocs, s.allocs - s.deallocs), (2, 0));
    assert_eq!(
        (s.bytes_allocated, s.live_bytes(), s.peak_live_bytes),
        (8, 0, 4)
    );

    let ((), s) = measure(|| {
        let _a = black_box(Box::new(1u32));
        drop(_a);
        std::mem::forget(black_box(Box::new(1u32)));
    });
    assert_eq!((s.allocs, s.allocs - s.deallocs), (2, 1));
    assert_eq!(
        (s.bytes_allocated, s.live_bytes(), s.peak_live_bytes),
        (8, 4, 4)
    );

    let ((), s) = measure(|| {
        let a = black_box(Box::new(1u32));
        let b = black_box(Box::new(1u32));
        let c = black_box(Box::new(*a + *b));
        black_box((a, b, c));
    });
    assert_eq!((s.allocs, s.allocs - s.deallocs), (3, 0));
    assert_eq!(
        (s.bytes_allocated, s.live_bytes(), s.peak_live_bytes),
        (12, 0, 12)
    );
}

/// Ports allocation-counter's `test_nested_counting`: the outer region sees
/// the inner one's allocation, and its peak is the true peak (there, the
/// parent's max is its own plus the child's: 8 here too).
#[test]
fn allocation_counter_nested() {
    let (inner, outer) = measure(|| {
        let _a = black_box(Box::new(1u32));
        let ((), inner) = measure(|| drop(black_box(Box::new(1u32))));
        inner
    });
    assert_eq!(
        (inner.allocs, inner.bytes_allocated, inner.peak_live_bytes),
        (1, 4, 4)
    );
    assert_eq!(
        (outer.allocs, outer.bytes_allocated, outer.peak_live_bytes),
        (2, 8, 8)
    );
    assert_eq!(outer.live_bytes(), 0);
}

/// allocation-counter nests at most 64 deep (documented, untested there);
/// allocguard's regions nest without limit, each exact.
#[test]
fn regions_nest_deeper_than_64() {
    fn nest(depth: u32) -> allocguard::Stats {
        let ((), s) = measure(|| {
            let kept = black_box(Box::new([0u8; 16]));
            if depth > 1 {
                let inner = nest(depth - 1);
                assert_eq!(inner.allocs, u64::from(depth - 1));
            }
            drop(kept);
        });
        s
    }
    let s = nest(100);
    assert_eq!((s.allocs, s.deallocs), (100, 100));
    // Every level holds its 16 bytes while the levels below run.
    assert_eq!(s.peak_live_bytes, 100 * 16);
}

/// Ports allocation-counter's `test_opt_out`: there `opt_out` hides what it
/// wraps (3 of 5 allocations counted); allocguard's `permit_alloc` only
/// lets a hot scope allow them: they are still counted (5).
#[test]
fn allocation_counter_opt_out_is_permit_alloc_which_still_counts() {
    let ((), s) = measure(|| {
        black_box(vec![12u32]);
        permit_alloc(|| {
            black_box(vec![12u32]);
            permit_alloc(|| black_box(vec![12u32]));
        });
        black_box(vec![12u32]);
        black_box(vec![12u32]);
    });
    assert_eq!(s.allocs, 5);
    // …and a hot scope does not see them.
    assert_eq!(ops(try_no_alloc(|| permit_alloc(do_alloc))), 0);
}

// -------------------------------------------------------------------- divan

/// Ports divan's `alloc::tests::tally`: one `Vec<i32>` allocated, grown,
/// shrunk and freed, each step one operation of 4 bytes (divan's grow and
/// shrink tallies are allocguard's growing and shrinking reallocations).
#[test]
fn divan_tally() {
    let mut buf: Vec<i32> = Vec::new();
    let ((), zero) = measure(|| ());
    assert_eq!(zero, allocguard::Stats::default());
    let ((), s) = measure(|| buf.reserve_exact(1));
    assert_eq!((s.allocs, s.bytes_allocated, s.reallocs), (1, 4, 0));
    let ((), s) = measure(|| buf.reserve_exact(2));
    assert_eq!((s.reallocs_grow, s.bytes_allocated, s.allocs), (1, 4, 0));
    let ((), s) = measure(|| buf.shrink_to(1));
    assert_eq!((s.reallocs_shrink, s.bytes_freed, s.allocs), (1, 4, 0));
    let ((), s) = measure(|| drop(buf));
    assert_eq!((s.deallocs, s.bytes_freed), (1, 4));

    let ((), s) = measure(|| {
        let mut buf: Vec<i32> = Vec::new();
        buf.reserve_exact(1);
        buf.reserve_exact(2);
        buf.shrink_to(1);
        drop(black_box(buf));
    });
    assert_eq!(
        (s.allocs, s.reallocs_grow, s.reallocs_shrink, s.deallocs),
        (1, 1, 1, 1)
    );
    assert_eq!((s.bytes_allocated, s.bytes_freed), (8, 8));
}

// ------------------------------------------------------------ failed realloc

/// A failed `realloc` is not counted (a failed `alloc` is tested in
/// `tests/counts.rs`): the block stays as it was, and so do the counts.
#[test]
fn a_failed_realloc_is_not_counted() {
    let mut v: Vec<u8> = Vec::with_capacity(8);
    v.push(1);
    let ((), s) = measure(|| {
        FAIL_NEXT_REALLOC.with(|f| f.set(true));
        assert!(v.try_reserve_exact(1_000).is_err());
    });
    assert_eq!(s, allocguard::Stats::default(), "{s:?}");
    assert_eq!(v.capacity(), 8);
    // The next one succeeds and is counted.
    let ((), s) = measure(|| v.reserve_exact(1_000));
    assert_eq!((s.reallocs, s.bytes_allocated), (1, 993));
}

/// A failed `alloc` of an ordinary size, in both of the allocator's paths: one
/// that would raise the thread's peak (counted after the call) and one within
/// the headroom below the peak (counted ahead of the call and taken back).
/// Neither leaves a trace, the peak included.
#[test]
fn a_failed_alloc_is_not_counted_on_either_path() {
    let layout = Layout::from_size_align(100, 8).unwrap();
    let try_alloc = || {
        FAIL_NEXT_ALLOC.with(|f| f.set(true));
        // SAFETY: a valid layout; the null result is checked.
        let p = unsafe { std::alloc::alloc(black_box(layout)) };
        assert!(black_box(p).is_null());
    };
    // At the peak: the failure would have raised it.
    let ((), s) = measure(try_alloc);
    assert_eq!(s, allocguard::Stats::default(), "{s:?}");
    // Below the peak (1,000 bytes made and freed first): counted ahead.
    let ((), s) = measure(|| {
        drop(black_box(vec![0u8; 1_000]));
        try_alloc();
        // The counts and the headroom are as they were: 100 bytes fit.
        drop(black_box(vec![0u8; 100]));
    });
    let expected = (2, 2, 1_100, 1_100, 1_000);
    let got = (
        s.allocs,
        s.deallocs,
        s.bytes_allocated,
        s.bytes_freed,
        s.peak_live_bytes,
    );
    assert_eq!(got, expected, "{s:?}");
}
