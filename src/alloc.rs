//! The counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};

use std::sync::atomic::Ordering::Relaxed;

use crate::counters::block::{self, ThreadBlock, EXITED, IN_INNER, REGISTERING, UNREGISTERED};
use crate::counters::block_set::SharedBlockSet;
use crate::counters::counts::Op;
use crate::guard::hot_scope as guard;
use crate::measure::stats;
use crate::sites::table as site_table;

/// The blocks a wrapped profiler allocated for itself (inside its own
/// calls): when it frees them later, outside its calls (a DHAT profiler
/// being dropped), they are still not the program's. Used only by
/// [`CountingAlloc::wrapping_profiler`].
static INNER_BLOCKS: SharedBlockSet = SharedBlockSet::new();

/// A global allocator that counts every heap operation, exactly, per thread
/// and per process, and enforces hot-scope guards.
///
/// Install it once, at the root of a binary or test target:
///
/// ```
/// #[global_allocator]
/// static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();
/// # fn main() {}
/// ```
///
/// It forwards every call to the inner allocator `A` (`alloc_zeroed` and
/// `realloc` included, so the inner allocator's fast paths are kept) and
/// records the operation in the calling thread's counter block. The counters
/// are global to the process, whichever `CountingAlloc` value records them:
/// install at most one.
///
/// What is counted: an `alloc` or `alloc_zeroed` that succeeds is one
/// allocation of `layout.size()` bytes; a `dealloc` is one deallocation of
/// `layout.size()` bytes; a `realloc` that succeeds is one reallocation, a
/// *grow* (the difference added to bytes allocated) or a *shrink* (the
/// difference added to bytes freed) or neither when the size is unchanged.
/// This matches `stats_alloc`, so live bytes are always
/// `bytes_allocated - bytes_freed`. Failed allocations are not counted.
pub struct CountingAlloc<A = System> {
    inner: A,
    exclude_inner_allocations: bool,
    /// Made by [`CountingAlloc::system`]: with the `dhat` feature, hands
    /// every call to DHAT's allocator once `cargo allocguard profile` asks
    /// for a heap profile (see [`dhat_on_request`]).
    #[cfg(feature = "dhat")]
    dhat_on_request: bool,
}

impl CountingAlloc<System> {
    /// Counts on top of the system allocator.
    ///
    /// With the `dhat` feature this is still `System`, and costs what it
    /// costs without the feature but for one relaxed load per operation:
    /// only when `cargo allocguard profile` runs the binary (it sets
    /// `ALLOCGUARD_DHAT_OUT`) does the harness switch the process over to
    /// DHAT's allocator (which hands every block to `System` too) for the
    /// scenario it profiles. A feature adds; it never changes what
    /// `CountingAlloc<System>` means.
    pub const fn system() -> Self {
        Self {
            inner: System,
            exclude_inner_allocations: false,
            #[cfg(feature = "dhat")]
            dhat_on_request: true,
        }
    }
}

#[cfg(feature = "dhat")]
impl CountingAlloc<dhat::Alloc> {
    /// Counts on top of `dhat::Alloc`, so a DHAT heap profile can be taken
    /// while allocguard's counts and guards keep working.
    ///
    /// DHAT's own bookkeeping (backtraces, tables) allocates through the
    /// global allocator while it serves a request; those nested allocations
    /// are passed straight through and not counted, so the counts stay those
    /// of the program under test.
    pub const fn dhat() -> Self {
        Self::wrapping_profiler(dhat::Alloc)
    }
}

impl<A: GlobalAlloc> CountingAlloc<A> {
    /// Counts on top of `inner`.
    pub const fn new(inner: A) -> Self {
        Self {
            inner,
            exclude_inner_allocations: false,
            #[cfg(feature = "dhat")]
            dhat_on_request: false,
        }
    }

    /// Counts on top of an `inner` allocator that itself allocates through
    /// the global allocator while serving a request (a heap profiler such as
    /// `dhat::Alloc`). Such nested allocations are forwarded to `inner` but not
    /// counted and never count as violations; the blocks they make are
    /// remembered (up to [`Sites::BLOCK_SLOTS`](crate::Sites::BLOCK_SLOTS) at once), so
    /// that freeing them later, from anywhere (a profiler's tables freed as
    /// it is dropped), is not counted either.
    pub const fn wrapping_profiler(inner: A) -> Self {
        Self {
            inner,
            exclude_inner_allocations: true,
            #[cfg(feature = "dhat")]
            dhat_on_request: false,
        }
    }

    /// The wrapped allocator.
    pub const fn inner(&self) -> &A {
        &self.inner
    }

    /// Calls the inner allocator, marking the thread as inside it when nested
    /// allocations must be excluded.
    #[inline(always)]
    fn call_inner<R>(&self, f: impl FnOnce(&A) -> R) -> R {
        if !self.exclude_inner_allocations {
            return f(&self.inner);
        }
        let was_inside = block::with_block(|b| {
            let was = b.flags.load(Relaxed) & IN_INNER != 0;
            b.set_flag(IN_INNER, true);
            was
        });
        let r = f(&self.inner);
        if !was_inside {
            block::with_block(|b| b.set_flag(IN_INNER, false));
        }
        r
    }
}

impl<A: GlobalAlloc> CountingAlloc<A> {
    /// `alloc` off the fast path (a guard, a process-wide feature, a thread
    /// not registered yet, a wrapped profiler).
    ///
    /// # Safety
    /// `GlobalAlloc::alloc`'s.
    #[cold]
    #[inline(never)]
    unsafe fn alloc_slow(layout: Layout, this: &Self) -> *mut u8 {
        let self_ = this;
        // SAFETY: forwarded with the caller's guarantees.
        let p = self_.call_inner(|a| unsafe { a.alloc(layout) });
        if !p.is_null() && !fast_alloc(layout.size()) {
            slow_alloc(p, layout.size(), layout.align());
        }
        p
    }

    /// The slow path of `dealloc`, inner call included, so that the fast
    /// path ends in a tail call and needs no stack frame.
    ///
    /// # Safety
    /// `GlobalAlloc::dealloc`'s.
    #[cold]
    #[inline(never)]
    unsafe fn dealloc_slow(ptr: *mut u8, layout: Layout, this: &Self) {
        slow_dealloc(ptr, layout.size(), layout.align());
        // SAFETY: forwarded with the caller's guarantees.
        this.call_inner(|a| unsafe { a.dealloc(ptr, layout) });
    }
}

impl<A: Default> Default for CountingAlloc<A> {
    fn default() -> Self {
        Self {
            inner: A::default(),
            exclude_inner_allocations: false,
            #[cfg(feature = "dhat")]
            dhat_on_request: false,
        }
    }
}

impl<A: std::fmt::Debug> std::fmt::Debug for CountingAlloc<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountingAlloc")
            .field("inner", &self.inner)
            .field("exclude_inner_allocations", &self.exclude_inner_allocations)
            .finish()
    }
}

/// True when this thread may use the fast path: registered, no guard or
/// permit open, nothing process-wide switched on (one thread-local word).
#[inline(always)]
fn fast(b: &ThreadBlock) -> bool {
    b.flags.load(Relaxed) == 0
}

// One function per operation, each with its own closure, so that each
// `LocalKey::with` instance is small enough to be inlined into the allocator
// and the operation's kind is known at compile time. Each counts on the fast
// path and returns true, or returns false for the caller to take the slow
// path: a separate, cold call with plain arguments, so that the fast path
// needs no stack frame and can end in a tail call to the inner allocator.

#[inline(always)]
fn fast_alloc(size: usize) -> bool {
    block::with_block(|b| {
        let fast = fast(b);
        if fast {
            b.count_alloc(size as u64);
        }
        fast
    })
}

#[inline(always)]
fn fast_dealloc(size: usize) -> bool {
    block::with_block(|b| {
        let fast = fast(b);
        if fast {
            b.count_dealloc(size as u64);
        }
        fast
    })
}

#[inline(always)]
fn fast_realloc(old: usize, new: usize) -> bool {
    block::with_block(|b| {
        let fast = fast(b);
        if fast {
            b.count_realloc(old as u64, new as u64);
        }
        fast
    })
}

/// Takes back a fast-path allocation that failed.
#[cold]
#[inline(never)]
fn uncount_failed_alloc() {
    block::with_block(|b| b.uncount_alloc());
}

// Inlined into the cold caller: one frame fewer for a site's stack walk.
#[inline(always)]
fn slow_alloc(ptr: *mut u8, size: usize, align: usize) {
    let op = Op::Alloc { size: size as u64 };
    slow_path(block::this_thread(), op, align as u64, ptr as usize, 0);
}

// Inlined into the cold caller: one frame fewer for a site's stack walk.
#[inline(always)]
fn slow_dealloc(ptr: *mut u8, size: usize, align: usize) {
    let op = Op::Dealloc { size: size as u64 };
    slow_path(block::this_thread(), op, align as u64, ptr as usize, 0);
}

#[cold]
#[inline(never)]
fn slow_realloc(old_ptr: *mut u8, ptr: *mut u8, old: usize, new: usize, align: usize) {
    let op = Op::Realloc {
        old: old as u64,
        new: new as u64,
    };
    slow_path(
        block::this_thread(),
        op,
        align as u64,
        ptr as usize,
        old_ptr as usize,
    );
}

/// Registration, retired threads, guards, process-wide tracking and
/// allocation sites. Never panics and never unwinds: it runs inside the
/// allocator. `ptr` is the block the operation made or freed; `old_ptr` the
/// block a reallocation moved (0 otherwise).
#[inline(always)]
fn slow_path(b: &ThreadBlock, op: Op, align: u64, ptr: usize, old_ptr: usize) {
    let flags = b.flags.load(Relaxed);
    if flags & IN_INNER != 0 {
        // The inner allocator's own bookkeeping: not counted, but its blocks
        // are remembered, so that their frees are not counted either.
        track_inner(op, ptr, old_ptr);
        return;
    }
    if flags & REGISTERING != 0 {
        block::count_orphan(op);
        return;
    }
    if flags & UNREGISTERED != 0 {
        block::register(b);
    }
    if b.flags.load(Relaxed) & EXITED != 0 {
        block::count_orphan(op);
    } else {
        b.count(op);
    }
    let process = !block::left_out(b);
    if !b.capturing.load(Relaxed) {
        guard::check(b, op, align, process);
        if process && site_table::recording() {
            b.capturing.store(true, Relaxed);
            site_table::record(op, ptr, old_ptr);
            b.capturing.store(false, Relaxed);
        }
    }
    if process {
        stats::track_process_live(op);
    }
}

/// Whether `ptr` is a block of the wrapped profiler's own (removing it: it is
/// being freed or moved).
#[cold]
#[inline(never)]
fn is_inner_block(ptr: *mut u8) -> bool {
    INNER_BLOCKS.maybe_nonempty() && INNER_BLOCKS.with(|s| s.remove(ptr as usize).is_some())
}

/// Remembers or forgets a block of the wrapped profiler's own.
fn track_inner(op: Op, ptr: usize, old_ptr: usize) {
    INNER_BLOCKS.with(|s| match op {
        Op::Alloc { size } => {
            s.insert(ptr, size, 0);
        }
        Op::Realloc { new, .. } => {
            s.remove(old_ptr);
            s.insert(ptr, new, 0);
        }
        Op::Dealloc { .. } => {
            s.remove(ptr);
        }
    });
}

// SAFETY: every method forwards to the inner allocator with the caller's
// arguments unchanged and returns its result unchanged; the bookkeeping around
// it neither allocates through `self` in a way that recurses unboundedly
// (nested calls take the slow path, which does not allocate) nor unwinds.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        #[cfg(feature = "dhat")]
        if self.dhat_on_request && dhat_on_request::on() {
            // SAFETY: forwarded with the caller's guarantees.
            return unsafe { dhat_on_request::ALLOC.alloc(layout) };
        }
        // Decided and counted before the call, so that the fast path keeps
        // nothing but the size across it (a failure is taken back); an
        // allocation that would raise the thread's peak is counted after it,
        // off the fast path. An operation racing with another thread that
        // switches something process-wide on may be counted either way.
        let size = layout.size();
        if self.exclude_inner_allocations
            || !block::with_block(|b| fast(b) && b.count_alloc_within_peak(size as u64))
        {
            // SAFETY: the caller's guarantees.
            return unsafe { Self::alloc_slow(layout, self) };
        }
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { self.inner.alloc(layout) };
        if p.is_null() {
            uncount_failed_alloc();
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        #[cfg(feature = "dhat")]
        if self.dhat_on_request && dhat_on_request::on() {
            // SAFETY: forwarded with the caller's guarantees.
            return unsafe { dhat_on_request::ALLOC.alloc_zeroed(layout) };
        }
        // SAFETY: forwarded with the caller's guarantees.
        let p = self.call_inner(|a| unsafe { a.alloc_zeroed(layout) });
        if !p.is_null() && !fast_alloc(layout.size()) {
            slow_alloc(p, layout.size(), layout.align());
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        #[cfg(feature = "dhat")]
        if self.dhat_on_request && dhat_on_request::on() {
            // SAFETY: forwarded with the caller's guarantees; DHAT frees a
            // block it did not see allocated through `System` as well.
            return unsafe { dhat_on_request::ALLOC.dealloc(ptr, layout) };
        }
        if self.exclude_inner_allocations && is_inner_block(ptr) {
            // SAFETY: forwarded with the caller's guarantees.
            return self.call_inner(|a| unsafe { a.dealloc(ptr, layout) });
        }
        if !fast_dealloc(layout.size()) {
            // SAFETY: the caller's guarantees.
            return unsafe { Self::dealloc_slow(ptr, layout, self) };
        }
        // SAFETY: forwarded with the caller's guarantees.
        self.call_inner(|a| unsafe { a.dealloc(ptr, layout) });
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        #[cfg(feature = "dhat")]
        if self.dhat_on_request && dhat_on_request::on() {
            // SAFETY: forwarded with the caller's guarantees.
            return unsafe { dhat_on_request::ALLOC.realloc(ptr, layout, new_size) };
        }
        if self.exclude_inner_allocations && is_inner_block(ptr) {
            // SAFETY: forwarded with the caller's guarantees.
            let p = self.call_inner(|a| unsafe { a.realloc(ptr, layout, new_size) });
            let p_ = if p.is_null() { ptr } else { p };
            INNER_BLOCKS.with(|s| s.insert(p_ as usize, new_size as u64, 0));
            return p;
        }
        // SAFETY: forwarded with the caller's guarantees.
        let p = self.call_inner(|a| unsafe { a.realloc(ptr, layout, new_size) });
        if !p.is_null() && !fast_realloc(layout.size(), new_size) {
            slow_realloc(ptr, p, layout.size(), new_size, layout.align());
        }
        p
    }
}

/// With the `dhat` feature, [`CountingAlloc::system`] hands its calls to a
/// DHAT-wrapping allocator once [`request`] was called: the harness calls it
/// when `cargo allocguard profile` asks for a heap profile
/// (`ALLOCGUARD_DHAT_OUT`), before the scenario's setup. The switch is one
/// way: `System` serves DHAT's blocks, so a block allocated before the
/// switch is freed through DHAT (which passes over blocks it never saw)
/// and nothing is ever freed by an allocator that did not make it.
#[cfg(feature = "dhat")]
pub(crate) mod dhat_on_request {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

    use super::CountingAlloc;

    /// What `system()` hands its calls to once requested.
    pub(crate) static ALLOC: CountingAlloc<dhat::Alloc> = CountingAlloc::dhat();

    static ON: AtomicBool = AtomicBool::new(false);

    /// Whether the process was switched over.
    #[inline(always)]
    pub(crate) fn on() -> bool {
        ON.load(Relaxed)
    }

    /// Switches the process's `CountingAlloc::system()` over to DHAT's
    /// allocator, for good.
    pub(crate) fn request() {
        ON.store(true, Relaxed);
    }
}
