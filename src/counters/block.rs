//! Per-thread counter blocks and the registry that sums them.
//!
//! Every thread that allocates owns one [`ThreadBlock`], stored in a
//! const-initialised thread-local without a destructor (so it can be reached at
//! any point of the thread's life, teardown included). Only the owning thread
//! writes a block, with plain `load` + `store` pairs on relaxed atomics: on
//! x86-64 these compile to ordinary moves, not locked read-modify-writes.
//! Other threads only read, when they sum the process totals.
//!
//! On its first allocation a thread links its block into a global registry and
//! registers an exit hook; when the thread exits the hook folds the block into
//! the retired totals and unlinks it. Allocations a thread makes after that
//! (from later thread-local destructors) land in the shared orphan counters.

use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed,
};
use std::sync::{Mutex, MutexGuard};

use crate::counters::counts::{Op, Stats};
use crate::counters::offence_log::ViolationLog;

/// Flag: the thread has not linked its block into the registry yet.
pub(crate) const UNREGISTERED: u32 = 1 << 0;
/// Flag: the thread is linking its block; nested allocations go to orphans.
pub(crate) const REGISTERING: u32 = 1 << 1;
/// Flag: the thread's block was retired (or could not be registered).
pub(crate) const EXITED: u32 = 1 << 2;
/// Flag: a guard or permit scope is open on this thread.
pub(crate) const IN_SCOPE: u32 = 1 << 3;
/// Bit 4 is free: capturing a stack is marked in
/// [`ThreadBlock::capturing`], which only the owner writes.
/// Flag: the inner allocator is running on behalf of `CountingAlloc`;
/// allocations it makes itself are not the program's and are not counted.
pub(crate) const IN_INNER: u32 = 1 << 5;
/// Flag: something process-wide (a process-armed guard, a process peak
/// region, allocation sites) needs every operation on the slow path. Set in
/// every registered thread's flags by [`enter_process_wide`], so that the
/// fast path reads one thread-local word and nothing shared.
pub(crate) const PROCESS_WIDE: u32 = 1 << 6;

/// Which guard scope is innermost on a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum ThreadScope {
    /// No guard or permit scope is open.
    None = 0,
    /// A thread-armed guard is innermost.
    ArmedThread = 1,
    /// A process-armed guard, opened on this thread, is innermost.
    ArmedProcess = 2,
    /// A `permit_alloc` hole is innermost.
    Permit = 3,
}

impl ThreadScope {
    fn from_u32(v: u32) -> Self {
        match v {
            1 => Self::ArmedThread,
            2 => Self::ArmedProcess,
            3 => Self::Permit,
            _ => Self::None,
        }
    }
}

/// The counters of one thread, plus its guard state.
///
/// `repr(C)` and 64-byte alignment put everything the allocation fast path
/// touches (the flag word, the four counters of an allocate-and-free pair,
/// the peak and the counted-ahead size: 56 bytes) in one cache line.
#[repr(C, align(64))]
pub(crate) struct ThreadBlock {
    /// Any non-zero bit sends the allocation path to the slow path.
    pub(crate) flags: AtomicU32,
    pub(crate) allocs: AtomicU64,
    pub(crate) deallocs: AtomicU64,
    pub(crate) bytes_allocated: AtomicU64,
    pub(crate) bytes_freed: AtomicU64,
    /// The high-water mark of live bytes (`bytes_allocated - bytes_freed`)
    /// on this thread. Owner-only. An allocation compares its live bytes
    /// with it and stores it only when they pass it; a free does not touch
    /// it, so an allocate-and-free pair stores five words (two counts, two
    /// byte counts, the counted-ahead size), the fewest that keep every
    /// counter and the peak exact. `measure` lowers it to the live bytes for
    /// the length of a region.
    peak: AtomicI64,
    /// The size of the last allocation counted ahead of the inner call, for
    /// taking it back if the call fails. Owner-only.
    counted_ahead: AtomicU64,
    pub(crate) reallocs: AtomicU64,
    pub(crate) reallocs_grow: AtomicU64,
    pub(crate) reallocs_shrink: AtomicU64,
    /// A stack is being captured (a violation's, or an allocation site's):
    /// nested operations are counted but neither violations nor sites. Only
    /// the owner reads and writes it, on the slow path (where the guard or
    /// the recording that captures already sends every operation), so it is
    /// not one of the `flags`, which other threads write too.
    pub(crate) capturing: AtomicBool,
    /// The innermost scope ([`ThreadScope`] as `u32`).
    scope: AtomicU32,
    /// How many thread-armed guards are open on this thread.
    pub(crate) thread_guards: AtomicU32,
    /// Whether the innermost thread-armed guard treats deallocation as a violation.
    pub(crate) thread_deallocs_violate: AtomicU32,
    /// Violations seen by thread-armed guards of this thread.
    pub(crate) log: ViolationLog,
    /// Registry link; changed only under the registry lock.
    next: AtomicUsize,
}

impl ThreadBlock {
    const fn new() -> Self {
        Self {
            allocs: AtomicU64::new(0),
            deallocs: AtomicU64::new(0),
            reallocs: AtomicU64::new(0),
            reallocs_grow: AtomicU64::new(0),
            reallocs_shrink: AtomicU64::new(0),
            bytes_allocated: AtomicU64::new(0),
            bytes_freed: AtomicU64::new(0),
            peak: AtomicI64::new(0),
            counted_ahead: AtomicU64::new(0),
            flags: AtomicU32::new(UNREGISTERED),
            capturing: AtomicBool::new(false),
            scope: AtomicU32::new(ThreadScope::None as u32),
            thread_guards: AtomicU32::new(0),
            thread_deallocs_violate: AtomicU32::new(0),
            log: ViolationLog::new(),
            next: AtomicUsize::new(0),
        }
    }

    /// Adds `n` to an owner-only counter without a locked instruction.
    #[inline(always)]
    pub(crate) fn bump(counter: &AtomicU64, n: u64) {
        counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// Bytes allocated minus bytes freed by this thread (negative when it
    /// frees more than it allocated, e.g. memory handed over by another thread).
    #[inline(always)]
    pub(crate) fn live(&self) -> i64 {
        self.bytes_allocated
            .load(Relaxed)
            .wrapping_sub(self.bytes_freed.load(Relaxed)) as i64
    }

    /// Sets or clears `bit`. Other threads set and clear
    /// [`PROCESS_WIDE`] in this word, so this is an atomic read-modify-write;
    /// it is never on the fast path.
    #[inline(always)]
    pub(crate) fn set_flag(&self, bit: u32, on: bool) {
        if on {
            self.flags.fetch_or(bit, Relaxed);
        } else {
            self.flags.fetch_and(!bit, Relaxed);
        }
    }

    pub(crate) fn scope(&self) -> ThreadScope {
        ThreadScope::from_u32(self.scope.load(Relaxed))
    }

    /// Sets the innermost scope and returns the previous one.
    pub(crate) fn replace_scope(&self, scope: ThreadScope) -> ThreadScope {
        let prev = self.scope();
        self.scope.store(scope as u32, Relaxed);
        self.set_flag(IN_SCOPE, scope != ThreadScope::None);
        prev
    }

    /// The block's counters as a `Stats` value (peak included).
    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            allocs: self.allocs.load(Relaxed),
            deallocs: self.deallocs.load(Relaxed),
            reallocs: self.reallocs.load(Relaxed),
            reallocs_grow: self.reallocs_grow.load(Relaxed),
            reallocs_shrink: self.reallocs_shrink.load(Relaxed),
            bytes_allocated: self.bytes_allocated.load(Relaxed),
            bytes_freed: self.bytes_freed.load(Relaxed),
            peak_live_bytes: self.peak(),
        }
    }

    fn next(&self) -> *const ThreadBlock {
        self.next.load(Relaxed) as *const ThreadBlock
    }
}

thread_local! {
    /// This thread's block: const-initialised and without `Drop`, so it is
    /// reachable from the allocator at every point of the thread's life.
    static BLOCK: ThreadBlock = const { ThreadBlock::new() };
    /// Dropped when the thread exits: retires the block.
    static EXIT_HOOK: ExitHook = const { ExitHook };
}

/// Runs `f` with this thread's block.
#[inline(always)]
pub(crate) fn with_block<R>(f: impl FnOnce(&ThreadBlock) -> R) -> R {
    BLOCK.with(f)
}

/// This thread's block, without a closure: the allocator's slow path keeps
/// its arguments in registers (a closure's captures go through memory, and
/// reading them back as one wide load stalls on the stores that wrote them).
/// The block lives as long as the thread (const-initialised, no `Drop`), so
/// the reference is good for everything the calling thread does with it.
#[inline(always)]
pub(crate) fn this_thread<'a>() -> &'a ThreadBlock {
    let p = BLOCK.with(|b| b as *const ThreadBlock);
    // SAFETY: the thread-local outlives every use on this thread (see above),
    // and the reference is used only by the thread that made it.
    unsafe { &*p }
}

struct ExitHook;

impl ExitHook {
    #[inline(never)]
    fn touch(&self) {}
}

impl Drop for ExitHook {
    fn drop(&mut self) {
        BLOCK.with(|b| {
            let mut reg = registry();
            reg.unlink(b);
            let s = b.snapshot();
            reg.retired.add_counts(&s);
            b.set_flag(EXITED, true);
        });
    }
}

struct Registry {
    /// Address of the first linked block (0 when empty).
    head: usize,
    /// Totals of retired threads (their peaks are not kept).
    retired: Stats,
}

impl Registry {
    fn unlink(&mut self, b: &ThreadBlock) {
        let target = b as *const ThreadBlock as usize;
        if self.head == target {
            self.head = b.next.load(Relaxed);
            return;
        }
        let mut cur = self.head as *const ThreadBlock;
        // SAFETY: every linked block belongs to a live thread (blocks unlink
        // themselves before their thread's storage goes away), and the list
        // is only walked or changed under the registry lock, which we hold.
        while let Some(block) = unsafe { cur.as_ref() } {
            if block.next.load(Relaxed) == target {
                block.next.store(b.next.load(Relaxed), Relaxed);
                return;
            }
            cur = block.next();
        }
    }
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    head: 0,
    retired: Stats::ZERO,
});

/// Locks the registry. Nothing done under this lock allocates, and nothing
/// panics, so the lock is never poisoned in practice; if it were, the data is
/// still consistent (plain counters), so poisoning is ignored.
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counters for allocations no thread block can take: made while a thread
/// links its block, or after it retired. Shared, so updated with `fetch_add`.
struct OrphanCounters {
    allocs: AtomicU64,
    deallocs: AtomicU64,
    reallocs: AtomicU64,
    reallocs_grow: AtomicU64,
    reallocs_shrink: AtomicU64,
    bytes_allocated: AtomicU64,
    bytes_freed: AtomicU64,
}

static ORPHANS: OrphanCounters = OrphanCounters {
    allocs: AtomicU64::new(0),
    deallocs: AtomicU64::new(0),
    reallocs: AtomicU64::new(0),
    reallocs_grow: AtomicU64::new(0),
    reallocs_shrink: AtomicU64::new(0),
    bytes_allocated: AtomicU64::new(0),
    bytes_freed: AtomicU64::new(0),
};

impl ThreadBlock {
    /// Counts an allocation of `size` bytes in this (owner's) block.
    #[inline(always)]
    pub(crate) fn count_alloc(&self, size: u64) {
        Self::bump(&self.allocs, 1);
        self.allocated(size);
    }

    /// Counts an allocation of `size` bytes *before* it is made, when it
    /// cannot raise the peak, and returns true; otherwise counts nothing and
    /// returns false (the caller counts it after the call, off the fast
    /// path). The size is kept in the block, so that nothing at all is live
    /// across the inner allocator's call; a failed allocation is taken back
    /// by [`uncount_alloc`](Self::uncount_alloc).
    #[inline(always)]
    pub(crate) fn count_alloc_within_peak(&self, size: u64) -> bool {
        let allocated = owned(&self.bytes_allocated).wrapping_add(size);
        let live = allocated.wrapping_sub(owned(&self.bytes_freed)) as i64;
        if live > owned_signed(&self.peak) {
            return false;
        }
        self.bytes_allocated.store(allocated, Relaxed);
        Self::bump(&self.allocs, 1);
        self.counted_ahead.store(size, Relaxed);
        true
    }

    /// Takes back the allocation counted ahead by
    /// [`count_alloc_within_peak`](Self::count_alloc_within_peak), which
    /// failed: every counter, the peak included, is as before it.
    pub(crate) fn uncount_alloc(&self) {
        let size = owned(&self.counted_ahead);
        Self::bump(&self.allocs, 1u64.wrapping_neg());
        Self::bump(&self.bytes_allocated, size.wrapping_neg());
    }

    /// Counts a deallocation of `size` bytes in this (owner's) block: the
    /// peak cannot rise, so it is not read.
    #[inline(always)]
    pub(crate) fn count_dealloc(&self, size: u64) {
        Self::bump(&self.deallocs, 1);
        Self::bump(&self.bytes_freed, size);
    }

    /// Counts a reallocation from `old` to `new` bytes in this (owner's) block.
    #[inline(always)]
    pub(crate) fn count_realloc(&self, old: u64, new: u64) {
        Self::bump(&self.reallocs, 1);
        if new > old {
            Self::bump(&self.reallocs_grow, 1);
            self.allocated(new - old);
        } else if new < old {
            Self::bump(&self.reallocs_shrink, 1);
            Self::bump(&self.bytes_freed, old - new);
        }
    }

    /// `size` more bytes allocated: the peak follows live bytes up.
    #[inline(always)]
    fn allocated(&self, size: u64) {
        let allocated = owned(&self.bytes_allocated).wrapping_add(size);
        self.bytes_allocated.store(allocated, Relaxed);
        let live = allocated.wrapping_sub(owned(&self.bytes_freed)) as i64;
        if live > owned_signed(&self.peak) {
            self.peak.store(live, Relaxed);
        }
    }

    /// High-water mark of live bytes on this thread (owner only).
    pub(crate) fn peak(&self) -> i64 {
        self.peak.load(Relaxed)
    }

    /// Sets the high-water mark (owner only); `measure` lowers it to the
    /// current live bytes for a region and raises it back afterwards.
    pub(crate) fn set_peak(&self, peak: i64) {
        self.peak.store(peak, Relaxed);
    }

    /// Counts `op` in this (owner's) block.
    #[inline(always)]
    pub(crate) fn count(&self, op: Op) {
        match op {
            Op::Alloc { size } => self.count_alloc(size),
            Op::Dealloc { size } => self.count_dealloc(size),
            Op::Realloc { old, new } => self.count_realloc(old, new),
        }
    }
}

/// The value of a counter that only this thread writes, read by this
/// thread. A plain read, which the compiler can fold into the instruction
/// that uses it (an atomic load it cannot): sound because no other thread
/// ever writes an owner-only counter, so this read races with no write
/// (other threads' reads of it are atomic loads).
#[inline(always)]
fn owned(counter: &AtomicU64) -> u64 {
    // SAFETY: see above: the only writer of the counter is the calling
    // thread, which is not writing it now.
    unsafe { *counter.as_ptr() }
}

/// [`owned`] for a signed owner-only counter.
#[inline(always)]
fn owned_signed(counter: &AtomicI64) -> i64 {
    // SAFETY: as in `owned`.
    unsafe { *counter.as_ptr() }
}

/// Counts `op` in the shared orphan counters.
pub(crate) fn count_orphan(op: Op) {
    let o = &ORPHANS;
    match op {
        Op::Alloc { size } => {
            o.allocs.fetch_add(1, Relaxed);
            o.bytes_allocated.fetch_add(size, Relaxed);
        }
        Op::Dealloc { size } => {
            o.deallocs.fetch_add(1, Relaxed);
            o.bytes_freed.fetch_add(size, Relaxed);
        }
        Op::Realloc { old, new } => {
            o.reallocs.fetch_add(1, Relaxed);
            if new > old {
                o.reallocs_grow.fetch_add(1, Relaxed);
                o.bytes_allocated.fetch_add(new - old, Relaxed);
            } else if new < old {
                o.reallocs_shrink.fetch_add(1, Relaxed);
                o.bytes_freed.fetch_add(old - new, Relaxed);
            }
        }
    }
}

/// Operations counted as orphans so far (for allocguard's own tests).
pub(crate) fn orphan_ops() -> u64 {
    let o = &ORPHANS;
    o.allocs.load(Relaxed) + o.deallocs.load(Relaxed) + o.reallocs.load(Relaxed)
}

/// Links this thread's block into the registry, after making sure the exit
/// hook will unlink it. If the hook cannot be registered (the thread is
/// already tearing down its thread-locals), the block is never linked and the
/// thread's allocations go to the orphan counters instead: a linked block
/// must never outlive its thread.
#[cold]
pub(crate) fn register(b: &ThreadBlock) {
    b.set_flag(REGISTERING, true);
    let hooked = EXIT_HOOK.try_with(ExitHook::touch).is_ok();
    if hooked {
        let mut reg = registry();
        if PROCESS_WIDE_USERS.load(Relaxed) > 0 {
            b.set_flag(PROCESS_WIDE, true);
        }
        b.next.store(reg.head, Relaxed);
        reg.head = b as *const ThreadBlock as usize;
        let _ = FIRST_BLOCK.compare_exchange(0, reg.head, Relaxed, Relaxed);
    } else {
        b.set_flag(EXITED, true);
    }
    b.set_flag(REGISTERING | UNREGISTERED, false);
}

/// How many process-wide features are on (each sets [`PROCESS_WIDE`] in
/// every thread while on); changed under the registry lock.
static PROCESS_WIDE_USERS: AtomicU32 = AtomicU32::new(0);

/// Sends every thread's operations to the slow path until the matching
/// [`exit_process_wide`]: for process-armed guards, process peak regions
/// and allocation sites. Threads that register meanwhile start on it too.
pub(crate) fn enter_process_wide() {
    let reg = registry();
    if PROCESS_WIDE_USERS.fetch_add(1, Relaxed) == 0 {
        for_each_linked(&reg, |b| b.set_flag(PROCESS_WIDE, true));
    }
}

/// Undoes one [`enter_process_wide`]; the last one lets every thread back
/// on the fast path.
pub(crate) fn exit_process_wide() {
    let reg = registry();
    if PROCESS_WIDE_USERS.fetch_sub(1, Relaxed) == 1 {
        for_each_linked(&reg, |b| b.set_flag(PROCESS_WIDE, false));
    }
}

fn for_each_linked(reg: &Registry, mut f: impl FnMut(&ThreadBlock)) {
    let mut cur = reg.head as *const ThreadBlock;
    // SAFETY: see `Registry::unlink`: linked blocks belong to live threads and
    // the list is stable while the lock is held.
    while let Some(block) = unsafe { cur.as_ref() } {
        f(block);
        cur = block.next();
    }
}

/// The block of the first thread that allocated: the main thread (it
/// allocates before it can start another); 0 before any allocation.
static FIRST_BLOCK: AtomicUsize = AtomicUsize::new(0);

/// The main thread's block, as [`FIRST_BLOCK`] holds it.
pub(crate) fn first_block() -> usize {
    FIRST_BLOCK.load(Relaxed)
}

/// A block whose operations process-wide regions and guards leave out while
/// set (libtest's runner thread, for a region opened in a test); 0 for none.
static LEFT_OUT: AtomicUsize = AtomicUsize::new(0);

/// Whether process-wide tracking leaves `b` out.
#[inline]
pub(crate) fn left_out(b: &ThreadBlock) -> bool {
    LEFT_OUT.load(Relaxed) == b as *const ThreadBlock as usize
}

/// Leaves `block` out of process-wide regions until dropped (0: nothing).
pub(crate) struct LeaveOut {
    saved: usize,
}

impl LeaveOut {
    pub(crate) fn new(block: usize) -> Self {
        Self {
            saved: LEFT_OUT.swap(block, Relaxed),
        }
    }

    /// The block left out.
    pub(crate) fn block(&self) -> usize {
        LEFT_OUT.load(Relaxed)
    }
}

impl Drop for LeaveOut {
    fn drop(&mut self) {
        LEFT_OUT.store(self.saved, Relaxed);
    }
}

/// Sums every live block, the retired totals and the orphans. The peak field
/// of the result is left at zero; `stats::process_stats` fills it in.
pub(crate) fn sum_process() -> Stats {
    sum_process_without(0)
}

/// [`sum_process`] without the block at address `left_out` (0: none).
pub(crate) fn sum_process_without(left_out: usize) -> Stats {
    let reg = registry();
    let mut t = reg.retired;
    let mut cur = reg.head as *const ThreadBlock;
    // SAFETY: see `Registry::unlink`: linked blocks belong to live threads and
    // the list is stable while we hold the lock.
    while let Some(block) = unsafe { cur.as_ref() } {
        if cur as usize != left_out {
            t.add_counts(&block.snapshot());
        }
        cur = block.next();
    }
    drop(reg);
    let o = &ORPHANS;
    t.add_counts(&Stats {
        allocs: o.allocs.load(Relaxed),
        deallocs: o.deallocs.load(Relaxed),
        reallocs: o.reallocs.load(Relaxed),
        reallocs_grow: o.reallocs_grow.load(Relaxed),
        reallocs_shrink: o.reallocs_shrink.load(Relaxed),
        bytes_allocated: o.bytes_allocated.load(Relaxed),
        bytes_freed: o.bytes_freed.load(Relaxed),
        peak_live_bytes: 0,
    });
    t.peak_live_bytes = 0;
    t
}

/// Number of blocks currently linked (threads that allocated and are alive).
pub(crate) fn registered_threads() -> usize {
    let reg = registry();
    let mut n = 0;
    let mut cur = reg.head as *const ThreadBlock;
    // SAFETY: as in `sum_process`.
    while let Some(block) = unsafe { cur.as_ref() } {
        n += 1;
        cur = block.next();
    }
    n
}

#[cfg(test)]
mod tests;
