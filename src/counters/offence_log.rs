//! Where the allocator writes down violations, without allocating.
//!
//! A [`ViolationLog`] holds running totals of offending operations and one
//! slot for the *first* offence with its raw return addresses. Guards read the
//! totals at the start and end of their scope; the first-offence slot is
//! taken and restored around nested scopes so each guard reports the first
//! offence inside itself.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use crate::counters::counts::Op;

/// Most return addresses kept for one offence.
pub(crate) const MAX_FRAMES: usize = 64;

const EMPTY: u32 = 0;
const WRITING: u32 = 1;
const READY: u32 = 2;

/// Kind of heap operation that broke a hot scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum OpKind {
    /// `alloc` or `alloc_zeroed`.
    Alloc,
    /// `dealloc`.
    Dealloc,
    /// `realloc` (growing, shrinking or same size).
    Realloc,
}

impl OpKind {
    fn from_u64(v: u64) -> Self {
        match v {
            1 => Self::Dealloc,
            2 => Self::Realloc,
            _ => Self::Alloc,
        }
    }

    fn as_u64(self) -> u64 {
        match self {
            Self::Alloc => 0,
            Self::Dealloc => 1,
            Self::Realloc => 2,
        }
    }

    pub(crate) fn of(op: Op) -> Self {
        match op {
            Op::Alloc { .. } => Self::Alloc,
            Op::Dealloc { .. } => Self::Dealloc,
            Op::Realloc { .. } => Self::Realloc,
        }
    }
}

/// Totals of offending operations, as read from a log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LogCounts {
    pub(crate) allocs: u64,
    pub(crate) deallocs: u64,
    pub(crate) reallocs: u64,
    /// Sizes of allocations plus the growth of growing reallocations.
    pub(crate) bytes_allocated: u64,
    /// Sizes of deallocations plus the shrinkage of shrinking reallocations.
    pub(crate) bytes_freed: u64,
}

impl LogCounts {
    pub(crate) fn since(self, earlier: Self) -> Self {
        Self {
            allocs: self.allocs.wrapping_sub(earlier.allocs),
            deallocs: self.deallocs.wrapping_sub(earlier.deallocs),
            reallocs: self.reallocs.wrapping_sub(earlier.reallocs),
            bytes_allocated: self.bytes_allocated.wrapping_sub(earlier.bytes_allocated),
            bytes_freed: self.bytes_freed.wrapping_sub(earlier.bytes_freed),
        }
    }

    pub(crate) fn total(self) -> u64 {
        self.allocs + self.deallocs + self.reallocs
    }
}

/// The first offence of a scope, copied out of a log.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FirstRecord {
    pub(crate) kind: OpKind,
    /// Size requested (new size for a realloc, freed size for a dealloc).
    pub(crate) size: u64,
    pub(crate) align: u64,
    pub(crate) len: usize,
    pub(crate) frames: [usize; MAX_FRAMES],
}

/// Running totals plus the first-offence slot. Usable from inside the
/// allocator: no method allocates, locks, or panics.
pub(crate) struct ViolationLog {
    allocs: AtomicU64,
    deallocs: AtomicU64,
    reallocs: AtomicU64,
    bytes_allocated: AtomicU64,
    bytes_freed: AtomicU64,
    state: AtomicU32,
    kind: AtomicU64,
    size: AtomicU64,
    align: AtomicU64,
    len: AtomicUsize,
    frames: [AtomicUsize; MAX_FRAMES],
}

impl ViolationLog {
    pub(crate) const fn new() -> Self {
        Self {
            allocs: AtomicU64::new(0),
            deallocs: AtomicU64::new(0),
            reallocs: AtomicU64::new(0),
            bytes_allocated: AtomicU64::new(0),
            bytes_freed: AtomicU64::new(0),
            state: AtomicU32::new(EMPTY),
            kind: AtomicU64::new(0),
            size: AtomicU64::new(0),
            align: AtomicU64::new(0),
            len: AtomicUsize::new(0),
            frames: [const { AtomicUsize::new(0) }; MAX_FRAMES],
        }
    }

    /// Adds one offending operation to the totals.
    pub(crate) fn count(&self, op: Op) {
        let (counter, allocated, freed) = match op {
            Op::Alloc { size } => (&self.allocs, size, 0),
            Op::Dealloc { size } => (&self.deallocs, 0, size),
            Op::Realloc { old, new } => (
                &self.reallocs,
                new.saturating_sub(old),
                old.saturating_sub(new),
            ),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if allocated > 0 {
            self.bytes_allocated.fetch_add(allocated, Ordering::Relaxed);
        }
        if freed > 0 {
            self.bytes_freed.fetch_add(freed, Ordering::Relaxed);
        }
    }

    /// Reserves the first-offence slot; true if the caller must fill it.
    pub(crate) fn claim_first(&self) -> bool {
        self.state.load(Ordering::Relaxed) == EMPTY
            && self
                .state
                .compare_exchange(EMPTY, WRITING, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    /// Fills a slot reserved with [`claim_first`](Self::claim_first).
    pub(crate) fn fill_first(&self, op: Op, align: u64, frames: &[usize]) {
        let size = match op {
            Op::Alloc { size } | Op::Dealloc { size } => size,
            Op::Realloc { new, .. } => new,
        };
        self.kind.store(OpKind::of(op).as_u64(), Ordering::Relaxed);
        self.size.store(size, Ordering::Relaxed);
        self.align.store(align, Ordering::Relaxed);
        let n = frames.len().min(MAX_FRAMES);
        for (slot, &ip) in self.frames.iter().zip(&frames[..n]) {
            slot.store(ip, Ordering::Relaxed);
        }
        self.len.store(n, Ordering::Relaxed);
        self.state.store(READY, Ordering::Release);
    }

    pub(crate) fn counts(&self) -> LogCounts {
        LogCounts {
            allocs: self.allocs.load(Ordering::Relaxed),
            deallocs: self.deallocs.load(Ordering::Relaxed),
            reallocs: self.reallocs.load(Ordering::Relaxed),
            bytes_allocated: self.bytes_allocated.load(Ordering::Relaxed),
            bytes_freed: self.bytes_freed.load(Ordering::Relaxed),
        }
    }

    /// Sets the totals back to `counts` (owner thread only: used by
    /// `permit_alloc` to hide what happened inside a hole).
    pub(crate) fn reset_counts(&self, counts: LogCounts) {
        self.allocs.store(counts.allocs, Ordering::Relaxed);
        self.deallocs.store(counts.deallocs, Ordering::Relaxed);
        self.reallocs.store(counts.reallocs, Ordering::Relaxed);
        self.bytes_allocated
            .store(counts.bytes_allocated, Ordering::Relaxed);
        self.bytes_freed
            .store(counts.bytes_freed, Ordering::Relaxed);
    }

    /// Empties the first-offence slot and returns what it held. Waits for a
    /// writer on another thread to finish filling it (a few stores).
    pub(crate) fn take_first(&self) -> Option<FirstRecord> {
        loop {
            match self.state.load(Ordering::Acquire) {
                EMPTY => return None,
                WRITING => std::hint::spin_loop(),
                _ => {
                    let len = self.len.load(Ordering::Relaxed);
                    let mut frames = [0usize; MAX_FRAMES];
                    for (out, slot) in frames.iter_mut().zip(&self.frames[..len]) {
                        *out = slot.load(Ordering::Relaxed);
                    }
                    let rec = FirstRecord {
                        kind: OpKind::from_u64(self.kind.load(Ordering::Relaxed)),
                        size: self.size.load(Ordering::Relaxed),
                        align: self.align.load(Ordering::Relaxed),
                        len,
                        frames,
                    };
                    self.state.store(EMPTY, Ordering::Release);
                    return Some(rec);
                }
            }
        }
    }

    /// Puts back a record taken by an enclosing scope: an outer scope's first
    /// offence happened before anything an inner scope saw.
    pub(crate) fn restore_first(&self, rec: FirstRecord) {
        // Whatever the inner scope left is later than `rec`; discard it.
        let _ = self.take_first();
        if self.claim_first() {
            let op = match rec.kind {
                OpKind::Alloc => Op::Alloc { size: rec.size },
                OpKind::Dealloc => Op::Dealloc { size: rec.size },
                OpKind::Realloc => Op::Realloc {
                    old: 0,
                    new: rec.size,
                },
            };
            self.fill_first(op, rec.align, &rec.frames[..rec.len]);
        }
    }
}
