//! Hot-scope guards: scopes in which any heap operation is a violation.
//!
//! The allocator never panics: it only writes the offence down (see
//! `violation_log`). The guard checks the log when its scope ends and then
//! panics ([`assert_no_alloc`]) or returns the [`Violation`] ([`try_no_alloc`]).

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::Relaxed};

use crate::counters::block::{self, LeaveOut, ThreadBlock, ThreadScope};
use crate::counters::counts::Op;
use crate::counters::hole::{permit_alloc, DEPTH};
use crate::counters::offence_log::{FirstRecord, LogCounts, ViolationLog, MAX_FRAMES};
use crate::guard::violation::{Scope, Violation};

/// How a guard behaves. Build it with [`GuardConfig::thread`] or
/// [`GuardConfig::process`] and adjust it with the `with_*` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GuardConfig {
    /// Which threads' allocations are watched.
    pub scope: Scope,
    /// Whether freeing memory is a violation too (default: yes; a hot path that
    /// frees is usually one that allocated a moment before, and `free` has a
    /// cost of its own).
    pub deallocs_are_violations: bool,
}

impl GuardConfig {
    /// Watches the calling thread; deallocations are violations.
    pub const fn thread() -> Self {
        Self {
            scope: Scope::Thread,
            deallocs_are_violations: true,
        }
    }

    /// Watches every thread; deallocations are violations.
    pub const fn process() -> Self {
        Self {
            scope: Scope::Process,
            deallocs_are_violations: true,
        }
    }

    /// Sets whether deallocations are violations.
    pub const fn with_deallocs_as_violations(mut self, yes: bool) -> Self {
        self.deallocs_are_violations = yes;
        self
    }
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self::thread()
    }
}

/// Process-armed guards currently open.
static PROCESS_ARMED: AtomicU32 = AtomicU32::new(0);
/// Setting of the innermost process-armed guard.
static PROCESS_DEALLOCS_VIOLATE: AtomicBool = AtomicBool::new(true);
/// Offences seen by process-armed guards.
static PROCESS_LOG: ViolationLog = ViolationLog::new();

/// Called by the allocator's slow path: writes `op` down in every log whose
/// guard it offends (process-armed guards only when `process`: not for a
/// thread left out of process-wide tracking). Must not allocate, lock or panic.
///
/// Inlined into the slow path for its common answer, "no guard is armed":
/// two loads, where a call cost about 38 instructions an operation with
/// sites recording.
#[inline(always)]
pub(crate) fn check(b: &ThreadBlock, op: Op, align: u64, process: bool) {
    if b.thread_guards.load(Relaxed) == 0 && !(process && PROCESS_ARMED.load(Relaxed) > 0) {
        return;
    }
    let (kind, x, y) = op.to_words();
    check_armed(b, kind, x, y, align, process);
}

/// [`check`] once a guard is armed on this thread or process-wide. Gets the
/// operation as words (see [`Op::to_words`]): passed in memory, it stalled
/// the unarmed path too (about 8 ns an operation with sites recording).
#[inline(never)]
fn check_armed(b: &ThreadBlock, kind: u8, x: u64, y: u64, align: u64, process: bool) {
    let op = Op::from_words(kind, x, y);
    if b.scope() == ThreadScope::Permit {
        return;
    }
    let is_dealloc = matches!(op, Op::Dealloc { .. });
    let thread_log = b.thread_guards.load(Relaxed) > 0
        && (!is_dealloc || b.thread_deallocs_violate.load(Relaxed) != 0);
    let process_log = process
        && PROCESS_ARMED.load(Relaxed) > 0
        && (!is_dealloc || PROCESS_DEALLOCS_VIOLATE.load(Relaxed));
    if !thread_log && !process_log {
        return;
    }
    let claim_thread = thread_log && b.log.claim_first();
    let claim_process = process_log && PROCESS_LOG.claim_first();
    if claim_thread || claim_process {
        let mut frames = [0usize; MAX_FRAMES];
        b.capturing.store(true, Relaxed);
        run_capture_hook();
        let n = capture_frames(&mut frames);
        b.capturing.store(false, Relaxed);
        if claim_thread {
            b.log.fill_first(op, align, &frames[..n]);
        }
        if claim_process {
            PROCESS_LOG.fill_first(op, align, &frames[..n]);
        }
    }
    if thread_log {
        b.log.count(op);
    }
    if process_log {
        PROCESS_LOG.count(op);
    }
}

/// A function run inside the allocator just before a backtrace is captured.
/// Tests use it to make the capture allocate; see [`set_capture_hook`].
static CAPTURE_HOOK: AtomicUsize = AtomicUsize::new(0);

fn run_capture_hook() {
    let hook = CAPTURE_HOOK.load(Relaxed);
    if hook != 0 {
        // SAFETY: only `set_capture_hook` stores here, and it stores a `fn()`.
        let hook: fn() = unsafe { std::mem::transmute::<usize, fn()>(hook) };
        hook();
    }
}

/// Installs (or, with `None`, removes) a function that runs inside the
/// allocator each time a violation's backtrace is about to be captured.
///
/// For allocguard's own tests of re-entrancy: the hook may allocate, which is
/// exactly what a backtrace capture on some platforms does. Not part of the
/// stable API.
#[doc(hidden)]
pub fn set_capture_hook(hook: Option<fn()>) {
    CAPTURE_HOOK.store(hook.map_or(0, |f| f as usize), Relaxed);
}

/// Writes the caller's return addresses into `frames` without allocating.
#[cfg(feature = "backtrace")]
fn capture_frames(frames: &mut [usize; MAX_FRAMES]) -> usize {
    let mut n = 0;
    // SAFETY: `trace_unsynchronized` is unsafe only because it does not take
    // the crate's global lock; on Unix it walks the stack with the system
    // unwinder, which is thread-safe and does not call back into Rust's
    // allocator. Taking a lock here (inside the allocator) is what we avoid.
    unsafe {
        backtrace::trace_unsynchronized(|frame| {
            frames[n] = frame.ip() as usize;
            n += 1;
            n < MAX_FRAMES
        });
    }
    n
}

#[cfg(not(feature = "backtrace"))]
fn capture_frames(_frames: &mut [usize; MAX_FRAMES]) -> usize {
    0
}

/// An armed hot scope. Every heap operation the scope watches (see
/// [`GuardConfig`]) until the guard is finished is a violation.
///
/// Prefer the closure forms ([`assert_no_alloc`], [`try_no_alloc`],
/// [`try_no_alloc_with`]); use a `HotGuard` when the scope cannot be a closure.
/// Guards nest and must end in the reverse order of arming (they are not
/// `Send`, and each checks that it is the innermost when it ends).
///
/// Dropping an unfinished guard panics if the scope was violated, unless the
/// thread is already panicking, in which case it only disarms.
#[must_use = "a guard watches only while it is alive; call .finish() to check it"]
pub struct HotGuard {
    config: GuardConfig,
    saved_scope: ThreadScope,
    saved_deallocs: bool,
    saved_first: Option<FirstRecord>,
    start: LogCounts,
    depth: u32,
    done: bool,
    /// libtest's runner, left out while a process-armed guard is open in a test.
    left_out: Option<LeaveOut>,
    _not_send: PhantomData<*const ()>,
}

impl HotGuard {
    /// Arms a hot scope.
    ///
    /// # Panics
    ///
    /// If [`CountingAlloc`](crate::CountingAlloc) is not the global allocator
    /// (the guard could never fire). A process-armed guard in a libtest
    /// `#[test]` while other tests may run at the same time (see the crate
    /// docs, "Process-wide checks in ordinary tests").
    pub fn arm(config: GuardConfig) -> Self {
        let left_out = match config.scope {
            Scope::Process => {
                crate::measure::stats::ensure_installed();
                let runner = crate::measure::libtest::process_region("a process-armed guard");
                Some(LeaveOut::new(runner))
            }
            Scope::Thread => None,
        };
        let mut guard = Self::arm_here(config);
        guard.left_out = left_out;
        guard
    }

    /// Arms without looking for libtest: for the scenario runner, whose
    /// ticks run on its own thread in a process of its own.
    pub(crate) fn arm_here(config: GuardConfig) -> Self {
        crate::measure::stats::ensure_installed();
        let depth = DEPTH.with(|d| {
            d.set(d.get() + 1);
            d.get()
        });
        block::with_block(|b| match config.scope {
            Scope::Thread => {
                let saved_deallocs = b.thread_deallocs_violate.load(Relaxed) != 0;
                let saved_first = b.log.take_first();
                let start = b.log.counts();
                b.thread_deallocs_violate
                    .store(config.deallocs_are_violations as u32, Relaxed);
                b.thread_guards
                    .store(b.thread_guards.load(Relaxed) + 1, Relaxed);
                let saved_scope = b.replace_scope(ThreadScope::ArmedThread);
                Self::new(
                    config,
                    saved_scope,
                    saved_deallocs,
                    saved_first,
                    start,
                    depth,
                )
            }
            Scope::Process => {
                let saved_deallocs = PROCESS_DEALLOCS_VIOLATE.load(Relaxed);
                let saved_first = PROCESS_LOG.take_first();
                let start = PROCESS_LOG.counts();
                PROCESS_DEALLOCS_VIOLATE.store(config.deallocs_are_violations, Relaxed);
                PROCESS_ARMED.fetch_add(1, Relaxed);
                block::enter_process_wide();
                let saved_scope = b.replace_scope(ThreadScope::ArmedProcess);
                Self::new(
                    config,
                    saved_scope,
                    saved_deallocs,
                    saved_first,
                    start,
                    depth,
                )
            }
        })
    }

    fn new(
        config: GuardConfig,
        saved_scope: ThreadScope,
        saved_deallocs: bool,
        saved_first: Option<FirstRecord>,
        start: LogCounts,
        depth: u32,
    ) -> Self {
        Self {
            config,
            saved_scope,
            saved_deallocs,
            saved_first,
            start,
            depth,
            done: false,
            left_out: None,
            _not_send: PhantomData,
        }
    }

    /// The configuration the guard was armed with.
    pub fn config(&self) -> GuardConfig {
        self.config
    }

    /// Disarms the guard and reports what happened inside its scope.
    pub fn finish(mut self) -> Result<(), Violation> {
        match self.disarm() {
            Some(v) => Err(v),
            None => Ok(()),
        }
    }

    /// Disarms without symbolising: for the scenario runner, which must take
    /// its closing snapshot before anything allocates, and for reports built
    /// out of sight of enclosing guards.
    pub(crate) fn finish_raw(mut self) -> Option<RawViolation> {
        self.disarm_raw()
    }

    /// Restores the state saved at arming and returns the violation, if any.
    fn disarm(&mut self) -> Option<Violation> {
        self.disarm_raw().map(RawViolation::symbolise)
    }

    /// Restores the state saved at arming; allocates nothing.
    fn disarm_raw(&mut self) -> Option<RawViolation> {
        self.done = true;
        let depth = DEPTH.with(|d| {
            let depth = d.get();
            d.set(depth.saturating_sub(1));
            depth
        });
        let (counts, first) = block::with_block(|b| {
            b.replace_scope(self.saved_scope);
            let log = match self.config.scope {
                Scope::Thread => {
                    b.thread_guards
                        .store(b.thread_guards.load(Relaxed) - 1, Relaxed);
                    b.thread_deallocs_violate
                        .store(self.saved_deallocs as u32, Relaxed);
                    &b.log
                }
                Scope::Process => {
                    block::exit_process_wide();
                    PROCESS_ARMED.fetch_sub(1, Relaxed);
                    PROCESS_DEALLOCS_VIOLATE.store(self.saved_deallocs, Relaxed);
                    &PROCESS_LOG
                }
            };
            let counts = log.counts().since(self.start);
            let first = match self.saved_first.take() {
                // The enclosing scope's first offence came earlier: put it back.
                Some(outer) => {
                    let inner = log.take_first();
                    log.restore_first(outer);
                    inner
                }
                // Leave this scope's first offence for the enclosing scope.
                None => log.take_first().inspect(|rec| log.restore_first(*rec)),
            };
            (counts, first)
        });
        if let Some(left_out) = self.left_out.take() {
            let runner = left_out.block();
            drop(left_out);
            crate::measure::libtest::process_region_end("a process-armed guard", runner);
        }
        if depth != self.depth && !std::thread::panicking() {
            panic!(
                "allocguard: HotGuard armed at nesting depth {} ended at depth {}: guards and \
                 permits must end in the reverse order they began",
                self.depth, depth
            );
        }
        (counts.total() > 0).then_some(RawViolation {
            scope: self.config.scope,
            counts,
            first,
        })
    }
}

/// A violation as the allocator recorded it: counts and raw return addresses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawViolation {
    scope: Scope,
    counts: LogCounts,
    first: Option<FirstRecord>,
}

impl RawViolation {
    /// Offending operations of every kind.
    #[cfg_attr(not(feature = "harness"), allow(dead_code))]
    pub(crate) fn count(&self) -> u64 {
        self.counts.total()
    }

    /// Resolves the addresses. Symbolising allocates; that is allocguard's
    /// work, not the user's, so enclosing guards must not see it.
    pub(crate) fn symbolise(self) -> Violation {
        permit_alloc(|| Violation::new(self.scope, self.counts, self.first))
    }

    /// The report as text, built and its parts freed where enclosing guards
    /// do not look: only the message (a panic's payload) leaves.
    pub(crate) fn message(self) -> String {
        permit_alloc(|| Violation::new(self.scope, self.counts, self.first).to_string())
    }
}

impl Drop for HotGuard {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Unwinding through the guard: disarm and report nothing, so that
        // no report is built (and freed) where an enclosing guard would see
        // it. The panic that is unwinding is the one to report.
        let raw = self.disarm_raw();
        if std::thread::panicking() {
            return;
        }
        if let Some(raw) = raw {
            std::panic::panic_any(raw.message());
        }
    }
}

impl std::fmt::Debug for HotGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotGuard")
            .field("config", &self.config)
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

/// Runs `f` in a thread-armed hot scope and panics when it returns if `f`
/// allocated, reallocated or freed anything on this thread. The panic message
/// says how many operations, how many bytes, and where the first one was made.
///
/// ```
/// # #[global_allocator]
/// # static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();
/// let mut buf = Vec::with_capacity(16);
/// allocguard::assert_no_alloc(|| {
///     for i in 0..16 {
///         buf.push(i); // within capacity: no allocation
///     }
/// });
/// ```
#[track_caller]
pub fn assert_no_alloc<R>(f: impl FnOnce() -> R) -> R {
    let guard = HotGuard::arm(GuardConfig::thread());
    let r = f();
    match guard.finish_raw() {
        None => r,
        // The message moves into the payload: nothing is freed on the way out.
        Some(raw) => std::panic::panic_any(raw.message()),
    }
}

/// Runs `f` in a thread-armed hot scope and returns the [`Violation`] instead
/// of panicking.
pub fn try_no_alloc<R>(f: impl FnOnce() -> R) -> Result<R, Violation> {
    try_no_alloc_with(GuardConfig::thread(), f)
}

/// Runs `f` in a hot scope configured by `config`.
pub fn try_no_alloc_with<R>(config: GuardConfig, f: impl FnOnce() -> R) -> Result<R, Violation> {
    let guard = HotGuard::arm(config);
    let r = f();
    guard.finish().map(|()| r)
}
