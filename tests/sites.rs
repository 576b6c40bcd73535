//! Allocation sites, against counts known by construction and against the
//! process-wide counters over the same region. Sites are process-wide, so
//! this binary runs its tests one after another on the main thread
//! (libtest-mimic, one thread), with nothing else allocating beside them.

use std::hint::black_box;

use allocguard::{measure_sites, process_stats, CountingAlloc, Site, Sites, Stats};
use libtest_mimic::{Arguments, Failed, Trial};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

/// `(expr, the line it is on)`: the line the allocation inside is made on.
macro_rules! here {
    ($e:expr) => {
        ($e, line!())
    };
}

/// The site whose allocating line is `line` of this file.
fn at(sites: &Sites, line: u32) -> Result<&Site, Failed> {
    sites
        .sites
        .iter()
        .find(|s| {
            s.frame().is_some_and(|f| {
                f.line == Some(line) && f.file.as_deref().is_some_and(|p| p.ends_with("sites.rs"))
            })
        })
        .ok_or_else(|| {
            let listed: Vec<String> = sites.sites.iter().map(Site::location).collect();
            format!("no site at tests/sites.rs:{line}; sites: {listed:?}").into()
        })
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), Failed> {
    if ok {
        Ok(())
    } else {
        Err(what().into())
    }
}

/// The sites' totals are the process's counts over the same region.
fn check_totals(sites: &Sites, d: &Stats) -> Result<(), Failed> {
    let t = sites.totals();
    check(
        (
            t.allocs,
            t.reallocs,
            t.deallocs,
            t.bytes_allocated,
            t.bytes_freed,
        ) == (
            d.allocs,
            d.reallocs,
            d.deallocs,
            d.bytes_allocated,
            d.bytes_freed,
        ),
        || format!("site totals {t:?} differ from the process's counts {d:?}"),
    )
}

#[inline(never)]
fn two_lines() -> (u32, u32, Stats) {
    let before = process_stats();
    let mut held = Vec::with_capacity(8);
    let (mut line_a, mut line_b) = (0, 0);
    for _ in 0..3 {
        let (a, la) = here!(black_box(Box::new([1u8; 32])));
        let (b, lb) = here!(black_box(vec![0u64; 16]));
        (line_a, line_b) = (la, lb);
        drop(a);
        held.push(b);
    }
    let d = process_stats().since(&before);
    drop(black_box(held));
    (line_a, line_b, d)
}

fn two_allocating_lines_are_two_sites_with_their_own_counts() -> Result<(), Failed> {
    let ((line_a, line_b, d), sites) = measure_sites(two_lines);
    let a = at(&sites, line_a)?;
    let b = at(&sites, line_b)?;
    // Three boxes of 32 bytes, each freed in the same iteration.
    check(
        (a.counts.allocs, a.counts.deallocs, a.counts.bytes_allocated) == (3, 3, 96),
        || format!("line {line_a}: {:?}", a.counts),
    )?;
    check(a.counts.live_bytes == 0, || format!("{:?}", a.counts))?;
    // Three vectors of 128 bytes; freed after the region's counts were read
    // but inside the recording, so their site ends holding nothing.
    check(
        (b.counts.allocs, b.counts.bytes_allocated, b.counts.deallocs) == (3, 384, 3),
        || format!("line {line_b}: {:?}", b.counts),
    )?;
    check(
        a.function().is_some_and(|f| f.contains("two_lines")),
        || format!("{:?}", a.frames),
    )?;
    // The region up to `d` plus the drop of `held` (3 vectors and `held`'s
    // own buffer).
    let t = sites.totals();
    check(t.allocs == d.allocs && t.deallocs == d.deallocs + 4, || {
        format!("totals {t:?}, process {d:?}")
    })?;
    Ok(())
}

fn the_sites_add_up_to_the_process_counts() -> Result<(), Failed> {
    let (d, sites) = measure_sites(|| {
        let before = process_stats();
        let mut v: Vec<String> = Vec::new();
        for i in 0..50 {
            v.push(format!("item {i}"));
        }
        v.truncate(10);
        v.shrink_to_fit();
        black_box(&v);
        let d0 = process_stats().since(&before);
        std::mem::forget(v);
        d0
    });
    check(d.allocs >= 50 && d.reallocs > 0, || format!("{d:?}"))?;
    check_totals(&sites, &d)
}

#[inline(never)]
fn leak_four_of_ten(keep: &mut Vec<Vec<u8>>) -> u32 {
    let mut line = 0;
    for i in 0..10 {
        let (v, l) = here!(black_box(vec![7u8; 100]));
        line = l;
        if i % 3 == 0 {
            keep.push(v);
        }
    }
    line
}

fn a_leaking_line_holds_what_it_kept() -> Result<(), Failed> {
    let mut keep = Vec::with_capacity(16);
    let (line, sites) = measure_sites(|| leak_four_of_ten(&mut keep));
    let s = at(&sites, line)?;
    check(
        (s.counts.allocs, s.counts.deallocs, s.counts.live_bytes) == (10, 6, 400),
        || format!("{:?}", s.counts),
    )?;
    check(sites.holding().first() == Some(&s), || {
        format!("the biggest holder is {:?}", sites.holding().first())
    })?;
    Ok(())
}

#[inline(never)]
fn grow(v: &mut Vec<u64>) -> u32 {
    let mut line = 0;
    for i in 0..5 {
        let ((), l) = here!(v.push(i));
        line = l;
    }
    line
}

fn a_growing_vector_is_reallocated_where_it_is_pushed_and_held_there() -> Result<(), Failed> {
    let mut v: Vec<u64> = Vec::with_capacity(2);
    let (line, sites) = measure_sites(|| grow(&mut v));
    let s = at(&sites, line)?;
    // Capacity 2 → 4 → 8: two reallocations, the block now 64 bytes, which
    // the pushing line holds (it was allocated before the region).
    check(
        (s.counts.allocs, s.counts.reallocs, s.counts.bytes_allocated) == (0, 2, 48),
        || format!("{:?}", s.counts),
    )?;
    check(s.counts.live_bytes == 64, || format!("{:?}", s.counts))?;
    drop(v);
    Ok(())
}

fn freeing_an_older_block_is_a_site_of_its_own() -> Result<(), Failed> {
    let old = black_box(vec![0u8; 48]);
    let (line, sites) = measure_sites(|| here!(drop(black_box(old))).1);
    let s = at(&sites, line)?;
    check(
        (s.counts.deallocs, s.counts.bytes_freed, s.counts.live_bytes) == (1, 48, 0),
        || format!("{:?}", s.counts),
    )
}

#[inline(never)]
fn on_a_worker() -> u32 {
    let (b, line) = here!(black_box(Box::new([3u8; 1000])));
    drop(b);
    line
}

fn other_threads_are_recorded() -> Result<(), Failed> {
    let (line, sites) =
        measure_sites(|| std::thread::scope(|s| s.spawn(on_a_worker).join().unwrap()));
    let s = at(&sites, line)?;
    check(
        (s.counts.allocs, s.counts.bytes_allocated) == (1, 1000),
        || format!("{:?}", s.counts),
    )
}

fn one_recording_at_a_time_and_none_after() -> Result<(), Failed> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // the refusal is expected
    let ((), _) = measure_sites(|| {
        let nested = std::panic::catch_unwind(|| measure_sites(|| ()));
        assert!(nested.is_err(), "a nested recording must be refused");
    });
    std::panic::set_hook(hook);
    // Recording stopped: counting is back on the fast path and exact.
    let ((), s) = allocguard::measure(|| drop(black_box(Box::new(1u8))));
    check(s.allocs == 1 && s.deallocs == 1, || format!("{s:?}"))?;
    let ((), sites) = measure_sites(|| ());
    check(sites.totals().ops() == 0, || format!("{sites:?}"))
}

/// The line both `via_*` reach: one allocation.
#[inline(never)]
fn made_here(n: usize) -> (Vec<u8>, u32) {
    here!(black_box(vec![7u8; n]))
}

#[inline(never)]
fn via_left(n: usize) -> (Vec<u8>, u32, u32) {
    let ((v, line), called) = here!(made_here(n));
    (black_box(v), line, called)
}

#[inline(never)]
fn via_right(n: usize) -> (Vec<u8>, u32, u32) {
    let ((v, line), called) = here!(made_here(n));
    (black_box(v), line, called)
}

/// One line reached from two callers at the same depth, turn by turn: every
/// stack is the same up to the caller's return address, and the stack
/// pointer is the same at every allocation, so a stack remembered and
/// replayed (see `sites::replay`) must still tell the two apart.
fn one_line_from_two_callers_is_two_sites_every_time() -> Result<(), Failed> {
    let ((line, left, right), sites) = measure_sites(|| {
        let (mut line, mut left, mut right) = (0, 0, 0);
        for i in 0..200 {
            let (v, l, c) = if i % 2 == 0 {
                let r = via_left(16 + i % 5);
                left = r.2;
                r
            } else {
                let r = via_right(16 + i % 5);
                right = r.2;
                r
            };
            line = l;
            drop(black_box(v));
            let _ = c;
        }
        (line, left, right)
    });
    let at_line: Vec<&Site> = sites
        .sites
        .iter()
        .filter(|s| s.frame().is_some_and(|f| f.line == Some(line)))
        .collect();
    let caller_of = |called: u32| {
        at_line
            .iter()
            .find(|s| {
                s.caller()
                    .is_some_and(|c| c.ends_with(&format!(":{called}")))
            })
            .map(|s| (s.counts.allocs, s.counts.deallocs, s.counts.live_bytes))
    };
    check(at_line.len() == 2, || {
        let listed: Vec<String> = at_line.iter().map(|s| s.place()).collect();
        format!("line {line}: {listed:?}")
    })?;
    check(caller_of(left) == Some((100, 100, 0)), || {
        format!("called from line {left}: {:?}", caller_of(left))
    })?;
    check(caller_of(right) == Some((100, 100, 0)), || {
        format!("called from line {right}: {:?}", caller_of(right))
    })
}

fn main() {
    let mut args = Arguments::from_args();
    args.test_threads = Some(1);
    let tests = vec![
        Trial::test(
            "two_allocating_lines_are_two_sites_with_their_own_counts",
            two_allocating_lines_are_two_sites_with_their_own_counts,
        ),
        Trial::test(
            "the_sites_add_up_to_the_process_counts",
            the_sites_add_up_to_the_process_counts,
        ),
        Trial::test(
            "a_leaking_line_holds_what_it_kept",
            a_leaking_line_holds_what_it_kept,
        ),
        Trial::test(
            "a_growing_vector_is_reallocated_where_it_is_pushed_and_held_there",
            a_growing_vector_is_reallocated_where_it_is_pushed_and_held_there,
        ),
        Trial::test(
            "freeing_an_older_block_is_a_site_of_its_own",
            freeing_an_older_block_is_a_site_of_its_own,
        ),
        Trial::test("other_threads_are_recorded", other_threads_are_recorded),
        Trial::test(
            "one_line_from_two_callers_is_two_sites_every_time",
            one_line_from_two_callers_is_two_sites_every_time,
        ),
        Trial::test(
            "one_recording_at_a_time_and_none_after",
            one_recording_at_a_time_and_none_after,
        ),
    ];
    libtest_mimic::run(&args, tests).exit()
}
