//! Reading the counters: [`Stats`], [`thread_stats`], [`process_stats`],
//! [`measure`] and [`measure_process`].

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU8, Ordering::Relaxed};

use crate::counters::block;
use crate::counters::counts::{Op, Stats};

/// Counters of the calling thread: everything it allocated and freed since it
/// started, and the high-water mark of its net live bytes.
pub fn thread_stats() -> Stats {
    block::with_block(|b| b.snapshot())
}

/// Counters of the whole process: every thread alive, every thread that has
/// exited, summed now.
///
/// `peak_live_bytes` is the highest process-wide live figure seen so far by
/// [`measure_process`] regions and by calls to this function; it is exact
/// inside a `measure_process` region (see there), and otherwise a lower bound
/// of the true peak, because tracking the process peak on every allocation
/// would need a shared counter that every thread writes.
pub fn process_stats() -> Stats {
    let mut s = block::sum_process();
    let live = s.live_bytes();
    let seen = PROCESS_HIGH_WATER.fetch_max(live, Relaxed).max(live);
    s.peak_live_bytes = seen;
    s
}

/// Runs `f` and returns its result with what the *calling thread* allocated
/// while it ran. Allocations on other threads are not included (see
/// [`measure_process`]).
///
/// The peak is exact: the thread's high-water mark is lowered to its current
/// level for the length of `f` and restored afterwards, so regions nest.
///
/// # Panics
///
/// If [`CountingAlloc`](crate::CountingAlloc) is not the global allocator of
/// this binary (the counts would silently read zero).
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Stats) {
    ensure_installed();
    let region = ThreadPeakRegion::open();
    let start = thread_stats();
    let r = f();
    let end = thread_stats();
    drop(region);
    (r, end.since(&start))
}

/// Runs `f` and returns its result with what the *whole process* allocated
/// while it ran, on every thread.
///
/// Counts are exact. The peak is exact too: for the length of `f` every
/// allocation on every thread also updates one shared live-bytes counter,
/// which costs a locked instruction per operation, only inside such regions.
/// Process-wide regions are meant to run one at a time; regions opened
/// concurrently from different threads see each other's peaks. An allocation
/// racing with the start or end of the region may be counted or not.
///
/// In a libtest `#[test]`, libtest's own runner thread is left out, and the
/// region is refused while other tests may run at the same time (see the
/// crate docs, "Process-wide checks in ordinary tests").
///
/// # Panics
///
/// If [`CountingAlloc`](crate::CountingAlloc) is not the global allocator;
/// in a `#[test]`, when other tests may be running meanwhile.
pub fn measure_process<R>(f: impl FnOnce() -> R) -> (R, Stats) {
    ensure_installed();
    let runner = crate::measure::libtest::process_region("measure_process");
    let left_out = block::LeaveOut::new(runner);
    let tracker = ProcessPeakRegion::open();
    let start = block::sum_process_without(runner);
    let r = f();
    let end = block::sum_process_without(runner);
    let rise = tracker.close();
    drop(left_out);
    crate::measure::libtest::process_region_end("measure_process", runner);
    let mut delta = end.since(&start);
    delta.peak_live_bytes = rise.max(delta.live_bytes()).max(0);
    PROCESS_HIGH_WATER.fetch_max(start.live_bytes() + delta.peak_live_bytes, Relaxed);
    (r, delta)
}

/// Lowers this thread's peak mark to its current live bytes; restores the
/// higher of the old and new marks when dropped (also on unwinding).
struct ThreadPeakRegion {
    saved_peak: i64,
}

impl ThreadPeakRegion {
    fn open() -> Self {
        block::with_block(|b| {
            let saved_peak = b.peak();
            b.set_peak(b.live());
            Self { saved_peak }
        })
    }
}

impl Drop for ThreadPeakRegion {
    fn drop(&mut self) {
        block::with_block(|b| {
            let region_peak = b.peak();
            b.set_peak(region_peak.max(self.saved_peak));
        });
    }
}

/// Open process peak regions; while non-zero the slow path updates the
/// shared live counter.
static PROCESS_TRACKING: AtomicU32 = AtomicU32::new(0);
/// Net bytes allocated while tracking (meaningful only as differences).
static PROCESS_NET: AtomicI64 = AtomicI64::new(0);
/// High-water mark of `PROCESS_NET` within the innermost open region.
static PROCESS_NET_PEAK: AtomicI64 = AtomicI64::new(0);
/// Highest absolute process live bytes observed; see [`process_stats`].
static PROCESS_HIGH_WATER: AtomicI64 = AtomicI64::new(0);

/// Called from the allocator's slow path for every operation.
#[inline]
pub(crate) fn track_process_live(op: Op) {
    if PROCESS_TRACKING.load(Relaxed) == 0 {
        return;
    }
    let delta = op.live_delta();
    let now = PROCESS_NET.fetch_add(delta, Relaxed) + delta;
    if delta > 0 && now > PROCESS_NET_PEAK.load(Relaxed) {
        PROCESS_NET_PEAK.fetch_max(now, Relaxed);
    }
}

/// Turns on shared live tracking for its length (restored on unwinding).
pub(crate) struct ProcessPeakRegion {
    base: i64,
    saved_peak: i64,
    closed: bool,
}

impl ProcessPeakRegion {
    pub(crate) fn open() -> Self {
        PROCESS_TRACKING.fetch_add(1, Relaxed);
        crate::counters::block::enter_process_wide();
        let base = PROCESS_NET.load(Relaxed);
        let saved_peak = PROCESS_NET_PEAK.swap(base, Relaxed);
        Self {
            base,
            saved_peak,
            closed: false,
        }
    }

    /// Ends the region; returns how far process live bytes rose above their
    /// level at the start.
    pub(crate) fn close(mut self) -> i64 {
        self.finish()
    }

    fn finish(&mut self) -> i64 {
        self.closed = true;
        let peak = PROCESS_NET_PEAK.load(Relaxed);
        PROCESS_NET_PEAK.fetch_max(self.saved_peak, Relaxed);
        crate::counters::block::exit_process_wide();
        PROCESS_TRACKING.fetch_sub(1, Relaxed);
        (peak - self.base).max(0)
    }
}

impl Drop for ProcessPeakRegion {
    fn drop(&mut self) {
        if !self.closed {
            self.finish();
        }
    }
}

const UNKNOWN: u8 = 0;
const INSTALLED: u8 = 1;
const MISSING: u8 = 2;
static INSTALL_STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether [`CountingAlloc`](crate::CountingAlloc) is this binary's global
/// allocator. Checked once (by allocating one byte) and remembered.
pub fn is_installed() -> bool {
    match INSTALL_STATE.load(Relaxed) {
        INSTALLED => true,
        MISSING => false,
        _ => {
            let before = thread_stats().allocs;
            drop(std::hint::black_box(Box::new(0u8)));
            let installed = thread_stats().allocs > before;
            INSTALL_STATE.store(if installed { INSTALLED } else { MISSING }, Relaxed);
            installed
        }
    }
}

/// Panics with the fix when the counting allocator is not installed.
pub(crate) fn ensure_installed() {
    if !is_installed() {
        panic!(
            "allocguard: CountingAlloc is not the global allocator of this binary, so nothing \
             can be counted.\nAdd this to the crate root of the test or binary target:\n\n    \
             #[global_allocator]\n    static ALLOC: allocguard::CountingAlloc = \
             allocguard::CountingAlloc::system();\n"
        );
    }
}
