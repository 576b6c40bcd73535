//! Where the allocator writes down allocation sites, without allocating.
//!
//! While a [`SiteTable`] is recording (between [`start`] and [`stop`]), every
//! heap operation of every thread that process-wide counts include takes the
//! allocator's slow path, and [`record`] attributes it to a *site*: the raw
//! call stack of the operation ([`unwind::capture`]). Sites live in a bounded
//! open-addressing table, keyed by the stack. A second, global table remembers
//! which site each block came from, so that freeing it is attributed to its
//! site and the bytes each site still holds are known at any time:
//!
//! - an allocation: one allocation at its own site, which now holds the block;
//! - a reallocation: one reallocation at its own site (its growth is bytes
//!   allocated there, its shrinkage bytes freed there), which now holds the
//!   block at its new size;
//! - a deallocation of a block allocated while recording: one deallocation at
//!   the block's site; of any other block (allocated before, or not tracked
//!   because the block table was full): one deallocation at its own site.
//!
//! So the sites' counts add up to the process's counts over the same time,
//! exactly. When the site table is full, further new stacks are counted in an
//! overflow entry (no stack); when the block table is full, new blocks go
//! untracked (counted). Both tables come from the system allocator directly,
//! so they are never part of the counts: a site table is about 1.3 MiB
//! ([`SITE_SLOTS`] entries), the block table 4 MiB ([`BLOCK_SLOTS`] entries,
//! allocated once per process, on first use).
//!
//! One table records at a time. All recording threads share one spin lock
//! (uncontended, it costs about a nanosecond an operation; threads that
//! allocate at once wait for each other, which keeps every count exact).
//! What an operation costs is kept small otherwise: its stack goes into the
//! table's own buffer (nothing zeroed), is compared first with the stack the
//! last operation found (a loop allocates from one stack many times in a
//! row), and is hashed with a rotate and an xor a frame.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use crate::counters::block_set::{BlockSet, SharedBlockSet};
use crate::counters::counts::Op;
use crate::sites::unwind::{self, SITE_FRAMES};

/// Distinct stacks one table holds; more are counted as overflow.
pub const SITE_SLOTS: usize = 4096;

/// Distinct stacks the largest table holds (about 11 MiB): a failing
/// phase whose sites overflowed a table of [`SITE_SLOTS`] is run a second
/// time with one.
pub(crate) const LARGE_SITE_SLOTS: usize = 32 * 1024;

/// One site's raw stack and counts.
#[derive(Clone, Copy)]
pub(crate) struct RawSite {
    pub(crate) used: bool,
    pub(crate) hash: u64,
    pub(crate) len: usize,
    pub(crate) frames: [usize; SITE_FRAMES],
    pub(crate) counts: RawCounts,
}

/// The counts of one site.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawCounts {
    pub(crate) allocs: u64,
    pub(crate) reallocs: u64,
    pub(crate) deallocs: u64,
    pub(crate) bytes_allocated: u64,
    pub(crate) bytes_freed: u64,
    /// Bytes of the blocks this site holds now.
    pub(crate) live: i64,
    /// Recordings (ticks) in which the site had an operation.
    pub(crate) ticks: u64,
    /// The last recording that counted in `ticks`.
    last_tick: u64,
}

impl RawCounts {
    /// Counts recording `tick` once.
    fn seen_in(&mut self, tick: u64) {
        if self.last_tick != tick {
            self.last_tick = tick;
            self.ticks += 1;
        }
    }
}

/// A bounded table of sites, allocated from the system allocator.
pub(crate) struct SiteTable {
    slots: *mut RawSite,
    /// Entries in `slots`: a power of two, at most [`SITE_SLOTS`].
    capacity: usize,
    /// Operations whose stack found no free slot.
    pub(crate) overflow: RawCounts,
    /// Blocks allocated while the block table was full.
    pub(crate) untracked_blocks: u64,
    /// Recordings into this table so far (ticks, for the harness).
    pub(crate) recordings: u64,
    /// Where [`record`] captures a stack (under the lock): a buffer of the
    /// table's own, so that no capture zeroes 256 bytes of stack first.
    scratch: [usize; SITE_FRAMES],
    /// The slot the last captured stack found (`usize::MAX`: none yet). A
    /// loop allocates from one stack many times in a row: comparing with
    /// that slot's stack first skips hashing and probing.
    last_slot: usize,
}

// SAFETY: the slots are only touched under `LOCK` (while recording) or by the
// owner (while not).
unsafe impl Send for SiteTable {}

fn sites_layout(capacity: usize) -> Layout {
    Layout::array::<RawSite>(capacity).expect("site table layout")
}

impl SiteTable {
    /// An empty table, and the block table and unwinder it needs. Allocates
    /// (from the system allocator, uncounted, for the tables; through the
    /// global allocator, once per process, for the unwinder's module list):
    /// call it before the region to record.
    pub(crate) fn new() -> Self {
        Self::with_capacity(SITE_SLOTS)
    }

    /// A table of `capacity` distinct stacks (a power of two, at most
    /// [`LARGE_SITE_SLOTS`]).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        assert!(capacity.is_power_of_two() && capacity <= LARGE_SITE_SLOTS);
        unwind::prepare();
        blocks();
        let layout = sites_layout(capacity);
        // SAFETY: a non-zero layout; all-zero bytes are an empty `RawSite`.
        let slots = unsafe { System.alloc_zeroed(layout) } as *mut RawSite;
        if slots.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Self {
            slots,
            capacity,
            overflow: RawCounts::default(),
            untracked_blocks: 0,
            recordings: 0,
            scratch: [0; SITE_FRAMES],
            last_slot: usize::MAX,
        }
    }

    /// Distinct stacks the table holds.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The used slots.
    pub(crate) fn sites(&self) -> impl Iterator<Item = &RawSite> {
        // SAFETY: `slots` holds `capacity` initialised entries; not
        // recording, so nobody writes them.
        unsafe { std::slice::from_raw_parts(self.slots, self.capacity) }
            .iter()
            .filter(|s| s.used)
    }

    /// The slot of `frames`, or `None` when the table is full.
    #[cfg(test)]
    fn slot(&mut self, frames: &[usize]) -> Option<usize> {
        // SAFETY: `slots` holds `capacity` entries; the caller holds the lock.
        unsafe { slot_in(self.slots, self.capacity, frames) }
    }

    /// The slot of the stack [`record`] captured into `scratch` (`n` frames).
    #[inline(always)]
    fn slot_of_scratch(&mut self, n: usize) -> Option<usize> {
        let frames = &self.scratch[..n];
        if self.last_slot < self.capacity {
            // SAFETY: a used slot (slots are never emptied while the table
            // lives); the caller holds the lock.
            let last = unsafe { &*self.slots.add(self.last_slot) };
            if same_frames(&last.frames[..last.len], frames) {
                return Some(self.last_slot);
            }
        }
        // SAFETY: as in `slot`; `scratch` is not one of the slots.
        let found = unsafe { slot_in(self.slots, self.capacity, frames) };
        if let Some(i) = found {
            self.last_slot = i;
        }
        found
    }

    /// The counts of slot `i`, or the overflow entry for `None`.
    fn counts(&mut self, i: Option<usize>) -> &mut RawCounts {
        match i {
            // SAFETY: `i < capacity`; the caller holds the lock.
            Some(i) => unsafe { &mut (*self.slots.add(i)).counts },
            None => &mut self.overflow,
        }
    }
}

impl Default for SiteTable {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SiteTable {
    fn drop(&mut self) {
        // Never dropped while recording: `Recording` borrows it.
        // SAFETY: allocated in `new` with this layout.
        unsafe { System.dealloc(self.slots as *mut u8, sites_layout(self.capacity)) }
    }
}

/// The slot index that stands for the overflow entry in the block table
/// (whose tags have 16 bits): above every slot of the largest table.
const OVERFLOW_SITE: u64 = u16::MAX as u64;
const _: () = assert!(LARGE_SITE_SLOTS < OVERFLOW_SITE as usize);

/// Whether two stacks are the same: a word loop, where a slice compare calls
/// `memcmp` for the few words a stack has.
#[inline(always)]
fn same_frames(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

#[inline(always)]
fn hash_frames(frames: &[usize]) -> u64 {
    // A rotate and an xor a frame (a chain of two one-cycle steps; a
    // multiply a frame made the chain four times longer), then one
    // multiply to spread the words' low bits, which tell stacks apart,
    // over the bits that pick the slot.
    let mut h: u64 = frames.len() as u64;
    for &f in frames {
        h = h.rotate_left(7) ^ f as u64;
    }
    (h ^ (h >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 16
}

/// Which site each block recorded came from (`tag` = site index).
static BLOCKS: SharedBlockSet = SharedBlockSet::new();

/// The process's block table, made on first use (outside the allocator).
#[inline(always)]
fn blocks() -> *mut BlockSet {
    BLOCKS.get_or_make()
}

/// The table recording now (null: none).
static ACTIVE: AtomicPtr<SiteTable> = AtomicPtr::new(std::ptr::null_mut());
/// Serialises recording: the tables and the unwinder's rule cache.
static LOCK: AtomicBool = AtomicBool::new(false);

struct Locked;

impl Locked {
    #[inline(always)]
    fn take() -> Self {
        while LOCK
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        Locked
    }
}

impl Drop for Locked {
    #[inline(always)]
    fn drop(&mut self) {
        LOCK.store(false, Ordering::Release);
    }
}

/// Whether a table is recording: the allocator's slow path asks this first.
#[inline(always)]
pub(crate) fn recording() -> bool {
    !ACTIVE.load(Ordering::Relaxed).is_null()
}

/// Recording into a table; stops when dropped.
pub(crate) struct Recording<'t> {
    _table: std::marker::PhantomData<&'t mut SiteTable>,
}

/// Another table is recording already.
#[derive(Debug)]
pub(crate) struct AlreadyRecording;

/// Starts recording into `table`. `fresh` forgets which blocks earlier
/// recordings saw allocated (a new phase starts; a later tick of the same
/// phase passes `false`, so frees of blocks its earlier ticks allocated are
/// attributed).
pub(crate) fn start(table: &mut SiteTable, fresh: bool) -> Result<Recording<'_>, AlreadyRecording> {
    let _l = Locked::take();
    if recording() {
        return Err(AlreadyRecording);
    }
    if fresh {
        // SAFETY: made in `SiteTable::new`; guarded by the lock.
        unsafe { (*blocks()).clear() };
    }
    table.recordings += 1;
    ACTIVE.store(table as *mut SiteTable, Ordering::Relaxed);
    crate::counters::block::enter_process_wide();
    Ok(Recording {
        _table: std::marker::PhantomData,
    })
}

impl Drop for Recording<'_> {
    fn drop(&mut self) {
        {
            // After this, no thread is inside `record` for this table.
            let _l = Locked::take();
            ACTIVE.store(std::ptr::null_mut(), Ordering::Relaxed);
        }
        crate::counters::block::exit_process_wide();
    }
}

/// Attributes `op` (at `ptr`; a reallocation moved `old_ptr` to `ptr`) to
/// its site. Called from the allocator's slow path: allocates nothing and
/// never panics. The caller marks the thread as capturing, so that nothing
/// nested re-enters.
#[inline(always)]
pub(crate) fn record(op: Op, ptr: usize, old_ptr: usize) {
    let _l = Locked::take();
    let table = ACTIVE.load(Ordering::Relaxed);
    if table.is_null() {
        return; // stopped while we waited
    }
    // SAFETY: the table outlives its `Recording`, whose drop takes the lock.
    let table = unsafe { &mut *table };
    // SAFETY: made before recording started.
    let blocks = unsafe { &mut *blocks() };
    attribute(table, blocks, op, ptr, old_ptr, StackHere);
}

/// How [`attribute`] finds the site of the operation it records.
trait Here {
    /// The operation's site (its slot, `None`: the overflow entry).
    fn site(&mut self, table: &mut SiteTable) -> Option<usize>;
}

/// The site is the current stack, captured into the table's scratch buffer.
/// A type of its own (a closure's call is not always inlined): the walk
/// starts in the allocator's slow-path frame, where a call would add a
/// frame to every stack.
struct StackHere;

impl Here for StackHere {
    #[inline(always)]
    fn site(&mut self, table: &mut SiteTable) -> Option<usize> {
        // SAFETY: used by `record` only, which holds the lock.
        let n = unsafe { unwind::capture(&mut table.scratch) };
        table.slot_of_scratch(n)
    }
}

#[cfg(test)]
impl<F: FnMut(&mut SiteTable) -> Option<usize>> Here for F {
    fn site(&mut self, table: &mut SiteTable) -> Option<usize> {
        self(table)
    }
}

/// The bookkeeping of [`record`], given how to find the operation's site
/// (`here`, called at most once: capturing the stack is the cost).
#[inline(always)]
fn attribute(
    table: &mut SiteTable,
    blocks: &mut BlockSet,
    op: Op,
    ptr: usize,
    old_ptr: usize,
    mut here: impl Here,
) {
    let tick = table.recordings;
    match op {
        Op::Alloc { size } => {
            let site = here.site(table);
            let c = table.counts(site);
            c.seen_in(tick);
            c.allocs += 1;
            c.bytes_allocated += size;
            c.live += size as i64;
            track(table, blocks, ptr, size, site);
        }
        Op::Realloc { old, new } => {
            let site = here.site(table);
            let c = table.counts(site);
            c.seen_in(tick);
            c.reallocs += 1;
            c.bytes_allocated += new.saturating_sub(old);
            c.bytes_freed += old.saturating_sub(new);
            if let Some((size, from)) = blocks.remove(old_ptr) {
                table.counts(site_index(from)).live -= size as i64;
            }
            table.counts(site).live += new as i64;
            track(table, blocks, ptr, new, site);
        }
        Op::Dealloc { size } => {
            let (site, held) = match blocks.remove(ptr) {
                Some((held, from)) => (site_index(from), Some(held)),
                None => (here.site(table), None),
            };
            let c = table.counts(site);
            c.seen_in(tick);
            c.deallocs += 1;
            c.bytes_freed += size;
            if let Some(held) = held {
                c.live -= held as i64;
            }
        }
    }
}

/// The slot of `frames` among `capacity` slots (a power of two), claimed if
/// it is new; `None` when every slot holds another stack.
///
/// # Safety
/// `slots` holds `capacity` initialised entries, and nobody else touches
/// them meanwhile (the caller holds the lock).
#[inline(always)]
unsafe fn slot_in(slots: *mut RawSite, capacity: usize, frames: &[usize]) -> Option<usize> {
    let hash = hash_frames(frames);
    let mask = capacity - 1;
    let mut i = hash as usize & mask;
    for _ in 0..capacity {
        // SAFETY: `i < capacity`; the caller's guarantee.
        let s = unsafe { &mut *slots.add(i) };
        if !s.used {
            s.used = true;
            s.hash = hash;
            s.len = frames.len();
            s.frames[..frames.len()].copy_from_slice(frames);
            return Some(i);
        }
        if s.hash == hash && same_frames(&s.frames[..s.len], frames) {
            return Some(i);
        }
        i = (i + 1) & mask;
    }
    None
}

fn site_index(stored: u64) -> Option<usize> {
    (stored != OVERFLOW_SITE).then_some(stored as usize)
}

fn track(table: &mut SiteTable, blocks: &mut BlockSet, ptr: usize, size: u64, site: Option<usize>) {
    let stored = site.map_or(OVERFLOW_SITE, |i| i as u64);
    if !blocks.insert(ptr, size, stored) {
        table.untracked_blocks += 1;
        // Nobody will free it against this site: it no longer holds it.
        table.counts(site).live -= size as i64;
    }
}

#[cfg(test)]
mod tests;
