//! Exact counts for operations whose allocations are known by construction.
//!
//! Every test measures its own thread only, so tests running in parallel do
//! not disturb each other. Pointers pass through `black_box`: in release
//! builds LLVM removes an allocation whose pointer never escapes, which is
//! itself one of the pitfalls the crate documents. CI runs these in release too.

use std::alloc::Layout;
use std::hint::black_box;
use std::mem::size_of;

use allocguard::{measure, thread_stats, CountingAlloc, Stats};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

#[test]
fn the_counting_allocator_is_installed() {
    assert!(allocguard::is_installed());
}

#[test]
fn box_new_is_one_allocation_of_its_size_and_drop_one_deallocation() {
    let (b, s) = measure(|| black_box(Box::new([7u64; 5])));
    assert_eq!(s.allocs, 1);
    assert_eq!(s.bytes_allocated, size_of::<[u64; 5]>() as u64);
    assert_eq!((s.deallocs, s.reallocs, s.bytes_freed), (0, 0, 0));
    assert_eq!(s.live_bytes(), 40);
    assert_eq!(s.peak_live_bytes, 40);

    let ((), s) = measure(|| drop(b));
    assert_eq!((s.allocs, s.deallocs, s.bytes_freed), (0, 1, 40));
    assert_eq!(s.live_bytes(), -40);
    assert_eq!(s.peak_live_bytes, 0);
}

#[test]
fn vec_with_capacity_then_pushes_is_one_allocation() {
    let (v, s) = measure(|| {
        let mut v: Vec<u32> = Vec::with_capacity(100);
        for i in 0..100 {
            v.push(black_box(i));
        }
        v
    });
    assert_eq!(s.allocs, 1);
    assert_eq!(s.bytes_allocated, 400);
    assert_eq!(s.reallocs, 0);
    assert_eq!(v.capacity(), 100);
    drop(v);
}

#[test]
fn one_push_past_capacity_is_one_growing_reallocation() {
    let mut v: Vec<u32> = Vec::with_capacity(100);
    v.extend(0..100);
    let ((), s) = measure(|| v.push(black_box(100)));
    let new_cap = v.capacity();
    assert!(new_cap > 100);
    assert_eq!((s.allocs, s.deallocs), (0, 0));
    assert_eq!((s.reallocs, s.reallocs_grow, s.reallocs_shrink), (1, 1, 0));
    assert_eq!(s.bytes_allocated, (new_cap as u64 - 100) * 4);
    assert_eq!(s.live_bytes(), (new_cap as i64 - 100) * 4);
}

#[test]
fn shrink_to_fit_is_one_shrinking_reallocation() {
    let mut v: Vec<u64> = Vec::with_capacity(64);
    v.extend(0..10);
    let ((), s) = measure(|| v.shrink_to_fit());
    assert_eq!(v.capacity(), 10);
    assert_eq!((s.reallocs, s.reallocs_grow, s.reallocs_shrink), (1, 0, 1));
    assert_eq!(s.bytes_freed, (64 - 10) * 8);
    assert_eq!(s.bytes_allocated, 0);
    assert_eq!(s.live_bytes(), -(54 * 8));
}

#[test]
fn dropping_a_vec_is_one_deallocation_of_its_capacity() {
    let v: Vec<u16> = Vec::with_capacity(33);
    let ((), s) = measure(|| drop(black_box(v)));
    assert_eq!((s.allocs, s.deallocs, s.bytes_freed), (0, 1, 66));
}

#[test]
fn zero_sized_values_allocate_nothing() {
    let ((), s) = measure(|| {
        let b = black_box(Box::new(()));
        let mut v: Vec<()> = Vec::with_capacity(1000);
        for _ in 0..5000 {
            v.push(());
        }
        let empty: Vec<u64> = black_box(Vec::new());
        let s = black_box(String::new());
        drop((b, v, empty, s));
    });
    assert_eq!(s, Stats::default());
}

#[repr(C, align(64))]
struct CacheLine([u8; 64]);

#[test]
fn over_aligned_allocations_are_counted_with_their_size() {
    let (b, s) = measure(|| black_box(Box::new(CacheLine([1; 64]))));
    assert_eq!((s.allocs, s.bytes_allocated), (1, 64));
    assert_eq!(&*b as *const CacheLine as usize % 64, 0);
    drop(b);

    let layout = Layout::from_size_align(100, 4096).unwrap();
    let ((), s) = measure(|| unsafe {
        let p = black_box(std::alloc::alloc(layout));
        assert!(!p.is_null());
        assert_eq!(p as usize % 4096, 0);
        std::alloc::dealloc(p, layout);
    });
    assert_eq!((s.allocs, s.deallocs), (1, 1));
    assert_eq!((s.bytes_allocated, s.bytes_freed), (100, 100));
}

#[test]
fn large_allocations_are_counted_with_their_size() {
    for size in [1usize << 20, 3 << 20, 64 << 20] {
        let (v, s) = measure(|| black_box(vec![0u8; size]));
        assert_eq!(
            (s.allocs, s.bytes_allocated),
            (1, size as u64),
            "size {size}"
        );
        assert_eq!(s.peak_live_bytes, size as i64);
        let ((), s) = measure(|| drop(v));
        assert_eq!((s.deallocs, s.bytes_freed), (1, size as u64));
    }
}

#[test]
fn alloc_zeroed_is_counted_as_an_allocation() {
    let layout = Layout::from_size_align(4096, 8).unwrap();
    let ((), s) = measure(|| unsafe {
        let p = black_box(std::alloc::alloc_zeroed(layout));
        assert!(!p.is_null());
        assert_eq!(*p.add(4095), 0);
        std::alloc::dealloc(p, layout);
    });
    assert_eq!((s.allocs, s.deallocs, s.bytes_allocated), (1, 1, 4096));
}

#[test]
fn same_size_realloc_is_a_realloc_that_neither_grows_nor_shrinks() {
    let layout = Layout::from_size_align(48, 8).unwrap();
    let ((), s) = measure(|| unsafe {
        let p = black_box(std::alloc::alloc(layout));
        let q = black_box(std::alloc::realloc(p, layout, 48));
        std::alloc::dealloc(q, layout);
    });
    assert_eq!((s.allocs, s.reallocs, s.deallocs), (1, 1, 1));
    assert_eq!((s.reallocs_grow, s.reallocs_shrink), (0, 0));
    assert_eq!((s.bytes_allocated, s.bytes_freed), (48, 48));
}

#[test]
fn a_failed_allocation_is_not_counted() {
    // No allocator can satisfy this; the system allocator returns null.
    let layout = black_box(Layout::from_size_align(isize::MAX as usize / 2, 8).unwrap());
    let ((), s) = measure(|| unsafe {
        let p = black_box(std::alloc::alloc(layout));
        assert!(p.is_null());
    });
    assert_eq!(s, Stats::default());
}

#[test]
fn freeing_memory_allocated_before_the_region_does_not_underflow() {
    let early = black_box(vec![1u8; 1000]);
    let ((), s) = measure(|| drop(early));
    assert_eq!((s.allocs, s.deallocs, s.bytes_freed), (0, 1, 1000));
    assert_eq!(s.live_bytes(), -1000);
    assert_eq!(s.peak_live_bytes, 0);
}

#[test]
fn the_peak_is_the_high_water_mark_inside_the_region() {
    let (kept, s) = measure(|| {
        let big = black_box(vec![0u8; 10_000]);
        drop(big);
        black_box(vec![0u8; 3_000])
    });
    assert_eq!(s.peak_live_bytes, 10_000);
    assert_eq!(s.live_bytes(), 3_000);
    drop(kept);
}

#[test]
fn nested_regions_each_see_their_own_peak_and_the_outer_includes_the_inner() {
    let ((inner, kept), outer) = measure(|| {
        let kept = black_box(vec![0u8; 500]);
        let ((), inner) = measure(|| drop(black_box(vec![0u8; 2_000])));
        (inner, kept)
    });
    assert_eq!(inner.peak_live_bytes, 2_000);
    assert_eq!(inner.live_bytes(), 0);
    // The outer region held 500 bytes when the inner one reached 2,000 more.
    assert_eq!(outer.peak_live_bytes, 2_500);
    assert_eq!(outer.allocs, 2);
    drop(kept);
}

#[test]
fn a_region_does_not_lower_the_threads_own_high_water_mark() {
    drop(black_box(vec![0u8; 1 << 22]));
    let before = thread_stats().peak_live_bytes;
    assert!(before >= 1 << 22);
    let ((), _) = measure(|| drop(black_box(vec![0u8; 16])));
    assert_eq!(thread_stats().peak_live_bytes, before);
}

#[test]
fn snapshots_subtract_into_deltas() {
    let a = thread_stats();
    let v = black_box(vec![0u64; 8]);
    let b = thread_stats();
    drop(v);
    let c = thread_stats();
    let d1 = b - a;
    assert_eq!(
        (d1.allocs, d1.bytes_allocated, d1.live_bytes()),
        (1, 64, 64)
    );
    let d2 = c.since(&a);
    assert_eq!((d2.allocs, d2.deallocs, d2.live_bytes()), (1, 1, 0));
    // Passed the wrong way round, counts saturate instead of wrapping.
    assert_eq!((a - c).allocs, 0);
    assert_eq!(d2.ops(), 2);
}
