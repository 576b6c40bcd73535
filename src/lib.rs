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
//!   plain stores per operation to a thread-local block (see
//!   `docs/performance.md` for benchmark figures against the system
//!   allocator and `stats_alloc`, with the commands that reproduce them).
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
//! ## Process-wide checks in ordinary tests
//!
//! A process-wide region ([`measure_process`], a guard armed with
//! [`GuardConfig::process`]) counts every thread. In a libtest `#[test]`
//! that would include libtest's runner (the main thread, which spawns and
//! records tests) and any other test running at the same time. So there:
//!
//! - the runner thread is left out: its heap operations are never the test's;
//! - the region is **refused**, with a panic that says so, whenever a live
//!   thread may not be the test's, before the region and again after it.
//!   Whose a thread is, is told by what cannot collide: a thread named after
//!   another of the binary's tests is that test (libtest names each test's
//!   thread after it; the binary's own `--list` says which names those are);
//!   one that started before the test's own thread (start time, then thread
//!   id) and names no test was left running by an earlier test; one under the
//!   test's own name is the test's (unnamed threads carry their parent's
//!   name), unless another test's name shares its first 15 bytes (all of a
//!   name the kernel keeps), when the two cannot be told apart. Threads the
//!   test started itself, named or not, are its own.
//!   Run process-wide checks in a `harness = false` target (the scenario
//!   harness is one), under `cargo nextest run` (one process per test), or
//!   with `cargo test -- --test-threads=1` (where a leftover of an earlier
//!   test is still refused): all three are exact.
//!
//! Thread-scoped checks ([`measure`], [`assert_no_alloc`], [`try_no_alloc`])
//! see only their own thread and are exact under any test runner. Limits: a
//! test thread is recognised by libtest's frames on its stack, so a binary
//! stripped of symbols is treated as not being a test; where threads cannot
//! be listed (not Linux), running more than one test at a time is enough to
//! refuse; a test that starts and ends entirely inside another's region is
//! not seen (libtest starts no test while one runs alone, except as a run
//! begins).
//!
//! ## Writing a scenario
//!
//! A scenario (feature `harness`, on by default) is the way a stress test is
//! written anyway: build a state, then run phases of ticks on it, warming up
//! first and then asserting that steady-state ticks do not touch the heap.
//! allocguard measures every tick, process-wide, and turns the run into a
//! memory profile that is judged, snapshotted and written out for
//! `cargo allocguard`.
//!
//! Put scenarios in a test target with its own `main`:
//!
//! ```toml
//! # Cargo.toml
//! [[test]]
//! name = "allocguard"
//! harness = false
//! ```
//!
//! ```no_run
//! // tests/allocguard.rs
//! use allocguard::{Harness, Phase, Scenario};
//!
//! #[global_allocator]
//! static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();
//!
//! struct World {
//!     positions: Vec<(f32, f32)>,
//!     velocities: Vec<(f32, f32)>,
//!     log: Vec<String>,
//! }
//!
//! impl World {
//!     fn new(n: usize) -> Self {
//!         World {
//!             positions: vec![(0.0, 0.0); n],
//!             velocities: vec![(1.0, 0.5); n],
//!             log: Vec::new(),
//!         }
//!     }
//!     fn step(&mut self, dt: f32) {
//!         for (p, v) in self.positions.iter_mut().zip(&self.velocities) {
//!             p.0 += v.0 * dt;
//!             p.1 += v.1 * dt;
//!         }
//!     }
//!     fn step_and_log(&mut self, dt: f32) {
//!         self.step(dt);
//!         self.log.push(format!("x = {}", self.positions[0].0)); // never trimmed
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     Harness::from_args()
//!         .scenario(
//!             Scenario::new("world/steady")
//!                 .setup(|scale| World::new(scale.pick(1_000, 100_000, 1_000_000)))
//!                 // 30 warm-up ticks, then every tick is armed: a heap operation
//!                 // on any thread fails the scenario, naming the tick and line.
//!                 .phase(
//!                     Phase::new("run").ticks(300).warmup(30).hot().bounded(),
//!                     |w, t| w.step(t.dt as f32),
//!                 )
//!                 .metric("entities", |w| w.positions.len() as f64),
//!         )
//!         .scenario(
//!             // The bad variant is kept as a scenario that must be caught.
//!             Scenario::new("world/logging")
//!                 .setup(|_| World::new(1_000))
//!                 .phase(Phase::new("run").ticks(300).bounded(), |w, t| {
//!                     w.step_and_log(t.dt as f32)
//!                 })
//!                 .expect_growth(),
//!         )
//!         .run()
//! }
//! ```
//!
//! `cargo test` (or `cargo nextest run`) runs it; `-- --list` lists the
//! scenarios, `-- --exact world/steady` runs one. Each scenario is one test:
//!
//! - **Phases** have a tick count (or one per scale, `ticks_by_scale`),
//!   warm-up ticks (measured, never armed, ignored by the growth check), and
//!   may be `hot()` (armed after warm-up, process-wide) and `bounded()` (steady
//!   growth of live bytes fails). Each tick gets a [`TickContext`]: index,
//!   phase, fixed `dt`, whether it is armed.
//! - **Scale** comes from `ALLOCGUARD_SCALE` (`smoke`, `default`, `full`),
//!   `smoke` when unset; `setup` receives it.
//! - **The profile** holds, per phase, allocations, deallocations,
//!   reallocations, bytes, live bytes at start and end, growth, peak, the
//!   first violation with its tick and backtrace, step-time percentiles, a
//!   live-bytes timeline, RSS at the edges, the growth check's verdict, the
//!   pressure level and your metrics. With `ALLOCGUARD_OUT=path`, every profile of the run is
//!   written there as JSON Lines, for `cargo allocguard` to read.
//! - **Growth** is judged on the floor of live bytes (the least the scenario
//!   held) in each quarter of the ticks after warm-up: a phase that kept
//!   memory late in its run, at 1 byte a tick or more, and more than once,
//!   grows steadily ([`harness::GrowthCheck`] says why that shape: containers
//!   grow in doubling stairs, caches fill and stop, sawtooths come back
//!   down). It catches the leak no single tick reveals. Declare a phase
//!   `bounded()` to fail on it, or `grows()` when keeping memory is its job.
//! - **Expectations**: `expect_violation()` and `expect_growth()` invert the
//!   verdict, so a deliberately bad variant passes only while allocguard
//!   really catches it.
//! - **Snapshots**: the deterministic part of each profile (the counts and
//!   bytes of the ticks after warm-up, the tick of the first violation, the
//!   growth verdict, stable metrics, the compiler; no times) is compared with
//!   `snapshots/<scenario>@<build>-<scale>.snap` at the workspace root, an
//!   insta snapshot file. A difference fails the scenario with a numbered
//!   diff (a compiler change said first) and leaves a `.snap.new` to accept
//!   with `cargo allocguard review` or `cargo insta review`; with `CI` set,
//!   nothing is written. Counts differ between debug and release builds,
//!   between scales and between compilers, hence one file each and the
//!   compiler's version inside. Warm-up ticks are measured and shown but kept
//!   out of snapshots, so that a pool or channel that starts lazily cannot
//!   change a snapshot from one run to the next.
//!
//! Scenario pitfalls:
//!
//! - Counts are process-wide. A thread started in `setup` must be *running*
//!   before `setup` returns: std frees the thread's start-up record on the new
//!   thread, and that deallocation would otherwise land in some later tick.
//! - Anything else running in the process (a logger thread, a metrics
//!   exporter) is counted too; quiesce it, or leave the scenario unarmed.
//! - Under `cargo test` all scenarios of a binary share one process, one at a
//!   time; under nextest each has its own. The harness warms up std's lazy
//!   allocations before the first scenario so both give the same counts.
//!
//! ## What exactly is counted
//!
//! - **A thread's counts are its own operations**, including frees of blocks
//!   other threads allocated (its live bytes can go below zero). A region
//!   ([`measure`], [`measure_process`]) is the difference of two readings:
//!   its live bytes dip below zero when it frees what was made before it.
//! - **The process peak is what the program held.** allocguard counts a free
//!   before the block is handed back and an allocation after it is handed
//!   out, so its peak never includes a block that another thread has already
//!   freed. DHAT counts both inside its lock, and under contention its peak
//!   can be higher (by the blocks threads were exchanging at that moment).
//!   A thread's own peak is exact the same way: an allocation that would
//!   raise it is counted after it is handed out; one below the peak is
//!   counted as it is asked for and taken back if it fails, which changes no
//!   reading (the peak never includes a block the allocator refused).
//! - **The install check allocates once**: the first [`is_installed`] (or the
//!   first guard or region, which call it) allocates and frees one byte to
//!   see whether it was counted. Do it before a region that must see nothing
//!   else.
//! - **`std::thread::scope` returns before the scoped threads' thread-local
//!   destructors have run**: their frees can land in the next process-wide
//!   region. Join threads spawned with `std::thread::spawn` (joining waits
//!   for them) when a region must end with them.
//! - **Reports are allocguard's**: building a [`Violation`] (or unwinding
//!   through a guard, which builds none) is never seen by an enclosing guard;
//!   a `Violation` you keep is a heap value like any other, so drop it inside
//!   [`permit_alloc`] if an enclosing guard is still watching.
//! - With `CountingAlloc::dhat()`, DHAT's own tables are invisible in both
//!   directions: made inside its calls, and freed (as the profiler is
//!   dropped) from anywhere.
//!
//! ## Coming from dhat, assert_no_alloc, stats_alloc or allocation-counter
//!
//! `tests/peers.rs` ports each one's own tests; how their notions map:
//!
//! | they say | allocguard says |
//! | --- | --- |
//! | DHAT's *total blocks* | `allocs + reallocs` (DHAT counts a reallocation as a block of its new size) |
//! | DHAT's *current blocks / bytes* | `allocs - deallocs` / [`Stats::live_bytes`] |
//! | DHAT ignores frees of blocks made before the profiler started | every free is counted: a region's live bytes can go below zero |
//! | assert_no_alloc: a reallocation is two violations (alloc + dealloc) | one heap operation ([`Violation::ops`]) |
//! | assert_no_alloc's `permit_alloc` | [`permit_alloc`] (a hole in the hot scope; nested guards inside it watch again) |
//! | stats_alloc's `Region` is the process | [`measure`] is the calling thread, [`measure_process`] the process |
//! | stats_alloc's `bytes_reallocated` (signed) | growth in `bytes_allocated`, shrinkage in `bytes_freed` |
//! | allocation-counter: a reallocation is two operations (an allocation and a deallocation) | one heap operation, counted in `reallocs` ([`Stats::ops`] counts it once) |
//! | allocation-counter's `opt_out` hides what it wraps | [`permit_alloc`] lets a hot scope allow it, but it is still counted |
//! | allocation-counter's `count_max` / `bytes_max` of a parent adds its child's | [`Stats::peak_live_bytes`] is the true peak of the region |
//! | allocation-counter nests 64 deep | regions nest without limit |
//! | divan's grow / shrink tallies | `reallocs_grow` / `reallocs_shrink` |
//!
//! ## How the crate is built
//!
//! In layers, bottom up, each module using only those below it (no module
//! imports one that imports it back; `tests/layers.rs` checks it), so that a
//! reader can start at the bottom and read up:
//!
//! 1. what is counted (`counts`: [`Stats`]), a block set usable inside the
//!    allocator, stack walking;
//! 2. where a thread's counts and offences are written, and the registry of
//!    threads (`block`);
//! 3. holes ([`permit_alloc`]) and telling a libtest test thread;
//! 4. reading counts ([`measure`], [`process_stats`]) and recording sites;
//! 5. violation reports, then guards (hot scopes);
//! 6. the allocator ([`CountingAlloc`]), whose slow path calls into the
//!    layers below;
//! 7. allocation sites ([`Sites`]), then the harness: scenario declarations,
//!    the runner, the verdict, the driver.
//!
//! ## In CI: `cargo allocguard`
//!
//! The `cargo allocguard` subcommand runs the scenario targets of a
//! workspace, prints a line per scenario as it ends and a table, appends
//! labelled runs to a CSV phase log, compares labels (pre/post), applies the
//! gates of `allocguard.toml` (counts exactly; times only beyond the noise),
//! reviews snapshots, draws reports and speaks CI (annotations, the job
//! summary, JUnit, shards). `cargo allocguard init` sets a crate up. See
//! `docs/guide.md` and `docs/ci.md` in the repository.

#![warn(missing_docs)]

// Folders bottom up, each using only those before it (`tests/layers.rs`
// checks it): counters, measure, guard, sites; then `alloc`, the allocator,
// whose slow path calls into those four; then `harness`; `support` last.
mod alloc;
mod counters;
mod guard;
#[cfg(feature = "harness")]
pub mod harness;
mod measure;
mod sites;
mod support;

pub use crate::alloc::CountingAlloc;
pub use crate::counters::counts::Stats;
pub use crate::counters::hole::permit_alloc;
pub use crate::counters::offence_log::OpKind;
pub use crate::guard::hot_scope::{
    assert_no_alloc, try_no_alloc, try_no_alloc_with, GuardConfig, HotGuard,
};
pub use crate::guard::violation::{Frame, Offence, Scope, Violation};
pub use crate::measure::stats::{
    is_installed, measure, measure_process, process_stats, thread_stats,
};
pub use crate::sites::report::{measure_sites, Site, SiteCounts, SiteRecorder, Sites};

#[cfg(feature = "harness")]
pub use crate::harness::{Harness, Phase, Scale, Scenario, TickContext};

#[cfg(feature = "harness")]
#[doc(hidden)]
pub use crate::support::_cargo_allocguard;
#[doc(hidden)]
pub use crate::support::_test_support;

/// Threads whose counter blocks are registered now: threads that have
/// allocated at least once and have not exited. Summing process totals costs
/// one pass over them.
pub fn registered_threads() -> usize {
    counters::block::registered_threads()
}

#[cfg(test)]
#[global_allocator]
static TEST_ALLOC: CountingAlloc = CountingAlloc::system();
