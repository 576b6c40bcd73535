//! # allocguard: heap allocation as a tested, reviewed, gated property
//!
//! Timing is noisy; allocation counts are not. A hot loop that allocates
//! nothing today and one allocation per tick tomorrow differ by an exact,
//! repeatable number, which a test can assert and a CI gate can hold without
//! tolerance bands. allocguard gives you that number, per thread and per
//! process, and a guard that fails, naming the line, when code that must not
//! allocate does.
//!
//! ## Why
//!
//! - A frame loop, a packet handler or a simulation tick should not touch the
//!   heap in steady state: allocation costs time, fragments memory and hides
//!   leaks. Benchmarks notice this only when the effect is large.
//! - Memory creep (a cache that is never trimmed, a history that is never
//!   capped) shows as live bytes that keep rising: a count, not a timing.
//! - Counting is cheap enough to leave on: the counting allocator adds a few
//!   plain stores per operation to a thread-local block (see the README for
//!   benchmark figures against the system allocator and `stats_alloc`).
//!
//! ## Setup
//!
//! Install the counting allocator once per binary or test target (every file
//! in `tests/` is its own binary and needs its own line):
//!
//! ```
//! #[global_allocator]
//! static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();
//! # fn main() {}
//! ```
//!
//! `CountingAlloc::new(inner)` wraps any other [`GlobalAlloc`](std::alloc::GlobalAlloc);
//! with the `dhat` feature, `CountingAlloc::dhat()` wraps DHAT's profiler.
//!
//! ## Measuring
//!
//! ```
//! # #[global_allocator]
//! # static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();
//! let (v, stats) = allocguard::measure(|| {
//!     let mut v = Vec::with_capacity(4);
//!     v.extend([1u32, 2, 3, 4]);
//!     v
//! });
//! assert_eq!(stats.allocs, 1);
//! assert_eq!(stats.bytes_allocated, 16);
//! assert_eq!(stats.live_bytes(), 16); // still held by `v`
//! # drop(v);
//! ```
//!
//! - [`measure`] counts the calling thread; [`measure_process`] every thread.
//! - [`thread_stats`] and [`process_stats`] return a [`Stats`] snapshot; the
//!   difference of two snapshots ([`Stats::since`]) measures any region
//!   without resetting anything.
//! - Counters never go backwards, so freeing inside a region memory that was
//!   allocated before it is fine: the region's live bytes go negative.
//!
//! ## Guarding
//!
//! ```
//! # #[global_allocator]
//! # static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();
//! let mut scratch: Vec<u64> = Vec::with_capacity(1024);
//! // Panics when the closure returns if anything in it touched the heap.
//! allocguard::assert_no_alloc(|| {
//!     scratch.clear();
//!     scratch.extend(0..1024);
//! });
//!
//! // Or get the violation as a value.
//! let err = allocguard::try_no_alloc(|| drop(vec![0u8; 32])).unwrap_err();
//! assert_eq!((err.allocs, err.deallocs), (1, 1));
//! println!("{err}"); // counts, bytes, and where the first allocation was made
//! ```
//!
//! - [`try_no_alloc`] returns a [`Violation`] instead of panicking;
//!   [`try_no_alloc_with`] takes a [`GuardConfig`]: watch only this thread or
//!   the whole process (so work handed to a thread pool is watched), and say
//!   whether deallocation counts.
//! - [`permit_alloc`] opens a hole in a hot scope; guards nest.
//! - The allocator never panics (unwinding out of `GlobalAlloc` is undefined
//!   behaviour): it writes the offence down and the guard reports when its
//!   scope ends. The first offence's call stack is captured as raw addresses
//!   inside the allocator and symbolised afterwards, with the allocator, std
//!   and allocguard frames trimmed so that your code comes first.
//!
//! ## Pitfalls, and what allocguard does about them
//!
//! - **One-time lazy allocations in std.** The first `println!` allocates
//!   stdout's buffer; the first `thread::current()` may allocate. Warm up the
//!   code once before arming a guard, or the first tick will be reported.
//! - **Release builds allocate less.** The optimiser removes some allocations
//!   (a `Box` that never escapes). Counts are a property of the build profile:
//!   compare debug with debug and release with release.
//! - **Re-entrancy.** Capturing a backtrace inside the allocator must not
//!   recurse into the guard: a per-thread flag marks the capture, and
//!   allocations made during it are counted but are never violations.
//! - **Thread teardown.** The counter block is a const-initialised
//!   thread-local without a destructor, so the allocator can reach it even
//!   while other thread-locals are being destroyed; a separate exit hook
//!   retires the block into the process totals. Allocations made after that
//!   still count, in shared orphan counters.
//! - **Realloc accounting.** A growing `realloc` adds its growth to bytes
//!   allocated, a shrinking one adds its shrinkage to bytes freed: live bytes
//!   stay `bytes_allocated - bytes_freed`, as in `stats_alloc`.
//! - **Underflow.** Memory allocated before a region and freed inside it makes
//!   the region's live bytes negative; counters never wrap.
//! - **Not installed.** Without `#[global_allocator]` every count would read
//!   zero and every guard would pass. [`measure`] and the guards check, once,
//!   and panic with the line to add.
//! - **Process peaks.** Per-thread peaks are always exact. The process-wide
//!   peak needs one shared counter written by every thread, which is only
//!   switched on inside [`measure_process`] regions.
//!
//! ## What comes next
//!
//! The scenario harness (phases of ticks, warm-up, hot ticks, memory profiles
//! snapshotted with insta) and the `cargo allocguard` subcommand build on this
//! core; see the README for their status.

#![warn(missing_docs)]

mod alloc;
mod block;
mod guard;
mod stats;
mod violation;
mod violation_log;

pub use crate::alloc::CountingAlloc;
pub use crate::guard::{
    assert_no_alloc, permit_alloc, try_no_alloc, try_no_alloc_with, GuardConfig, HotGuard, Scope,
};
pub use crate::stats::{
    is_installed, measure, measure_process, process_stats, thread_stats, Stats,
};
pub use crate::violation::{Frame, Offence, OpKind, Violation};

#[doc(hidden)]
pub use crate::guard::set_capture_hook;

/// Heap operations counted in the shared orphan counters: made while a
/// thread was linking its block or after its block was retired at exit. For
/// allocguard's own tests; not part of the stable API.
#[doc(hidden)]
pub fn orphan_ops() -> u64 {
    block::orphan_ops()
}

/// Threads whose counter blocks are registered now: threads that have
/// allocated at least once and have not exited. Summing process totals costs
/// one pass over them.
pub fn registered_threads() -> usize {
    block::registered_threads()
}

#[cfg(test)]
#[global_allocator]
static TEST_ALLOC: CountingAlloc = CountingAlloc::system();
