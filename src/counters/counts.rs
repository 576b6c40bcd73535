//! What is counted. [`Stats`] (a reading of the
//! counters, or the difference of two) and [`Op`] (one heap operation as
//! the allocator reports it). Depends on nothing else of the crate.

/// A snapshot of allocation counters, or the difference between two.
///
/// Counters only ever grow, so a region is measured by subtracting the
/// snapshot taken at its start from the one taken at its end
/// ([`since`](Self::since), or `later - earlier`); no global reset is needed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Stats {
    /// Successful `alloc` and `alloc_zeroed` calls.
    pub allocs: u64,
    /// `dealloc` calls.
    pub deallocs: u64,
    /// Successful `realloc` calls of every kind.
    pub reallocs: u64,
    /// Reallocations to a larger size.
    pub reallocs_grow: u64,
    /// Reallocations to a smaller size.
    pub reallocs_shrink: u64,
    /// Bytes requested by allocations, plus the growth of growing reallocations.
    pub bytes_allocated: u64,
    /// Bytes released by deallocations, plus the shrinkage of shrinking reallocations.
    pub bytes_freed: u64,
    /// In a snapshot: the high-water mark of [`live_bytes`](Self::live_bytes).
    /// In a difference: how far live bytes rose above their level at the
    /// start of the region (never below zero). Exact for regions measured with
    /// [`measure`](crate::measure) or [`measure_process`](crate::measure_process), which reset the mark for their
    /// length; for a difference of two arbitrary snapshots it is an upper
    /// bound, because the later mark may have been reached before the region.
    pub peak_live_bytes: i64,
}

impl Stats {
    /// All zero (usable in `const` and `static` items).
    pub(crate) const ZERO: Stats = Stats {
        allocs: 0,
        deallocs: 0,
        reallocs: 0,
        reallocs_grow: 0,
        reallocs_shrink: 0,
        bytes_allocated: 0,
        bytes_freed: 0,
        peak_live_bytes: 0,
    };

    /// Adds `other`'s counts to these (the peak is left as it is: peaks of
    /// different regions do not add).
    pub(crate) fn add_counts(&mut self, other: &Stats) {
        self.allocs += other.allocs;
        self.deallocs += other.deallocs;
        self.reallocs += other.reallocs;
        self.reallocs_grow += other.reallocs_grow;
        self.reallocs_shrink += other.reallocs_shrink;
        self.bytes_allocated += other.bytes_allocated;
        self.bytes_freed += other.bytes_freed;
    }

    /// Bytes allocated minus bytes freed. For a process snapshot, the heap in
    /// use through `CountingAlloc`; for a thread, that thread's net
    /// contribution (negative when it frees memory other threads allocated);
    /// for a difference, the growth over the region.
    pub fn live_bytes(&self) -> i64 {
        self.bytes_allocated.wrapping_sub(self.bytes_freed) as i64
    }

    /// Heap operations of every kind: allocations, deallocations and reallocations.
    pub fn ops(&self) -> u64 {
        self.allocs + self.deallocs + self.reallocs
    }

    /// The change from `earlier` to `self`: counts subtract (saturating at
    /// zero if the two are passed the wrong way round), and the peak becomes
    /// the rise above `earlier`'s live bytes.
    pub fn since(&self, earlier: &Stats) -> Stats {
        let growth = self.live_bytes().wrapping_sub(earlier.live_bytes());
        Stats {
            allocs: self.allocs.saturating_sub(earlier.allocs),
            deallocs: self.deallocs.saturating_sub(earlier.deallocs),
            reallocs: self.reallocs.saturating_sub(earlier.reallocs),
            reallocs_grow: self.reallocs_grow.saturating_sub(earlier.reallocs_grow),
            reallocs_shrink: self.reallocs_shrink.saturating_sub(earlier.reallocs_shrink),
            bytes_allocated: self.bytes_allocated.saturating_sub(earlier.bytes_allocated),
            bytes_freed: self.bytes_freed.saturating_sub(earlier.bytes_freed),
            peak_live_bytes: (self.peak_live_bytes - earlier.live_bytes())
                .max(growth)
                .max(0),
        }
    }
}

impl std::ops::Sub for Stats {
    type Output = Stats;

    /// Same as [`Stats::since`]: `later - earlier`.
    fn sub(self, earlier: Stats) -> Stats {
        self.since(&earlier)
    }
}

/// One heap operation, as the allocator reports it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    Alloc { size: u64 },
    Dealloc { size: u64 },
    Realloc { old: u64, new: u64 },
}

impl Op {
    /// The operation as three plain words (kind, size or old size, new
    /// size), for a call that should get it in registers: an `Op` passed by
    /// value or by reference goes through memory, and reading it back as one
    /// wide load of the narrower stores that wrote it stalls.
    #[inline(always)]
    pub(crate) fn to_words(self) -> (u8, u64, u64) {
        match self {
            Op::Alloc { size } => (0, size, 0),
            Op::Dealloc { size } => (1, size, 0),
            Op::Realloc { old, new } => (2, old, new),
        }
    }

    /// The operation [`to_words`](Self::to_words) made these words of.
    #[inline(always)]
    pub(crate) fn from_words(kind: u8, a: u64, b: u64) -> Op {
        match kind {
            0 => Op::Alloc { size: a },
            1 => Op::Dealloc { size: a },
            _ => Op::Realloc { old: a, new: b },
        }
    }

    /// Change in live bytes caused by the operation.
    pub(crate) fn live_delta(self) -> i64 {
        match self {
            Op::Alloc { size } => size as i64,
            Op::Dealloc { size } => -(size as i64),
            Op::Realloc { old, new } => new as i64 - old as i64,
        }
    }
}
