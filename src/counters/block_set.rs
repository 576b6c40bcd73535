//! A set of heap blocks (pointer → size and a tag) that can be used from
//! inside the allocator: it never allocates through the global allocator
//! (its entries come from the system allocator, once), never panics, and
//! has a fixed capacity, beyond which inserts are refused.
//!
//! Two users: allocation sites (which site each block came from) and the
//! counting allocator wrapping a profiler (which blocks are the profiler's
//! own, never counted in either direction).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// Blocks a set tracks at once.
pub const BLOCK_SLOTS: usize = 1 << 18;

const MASK: usize = BLOCK_SLOTS - 1;

/// Linear probing with backward-shift deletion (no tombstones); entry
/// `[ptr, size << 16 | tag]`, `ptr == 0` empty.
pub(crate) struct BlockSet {
    entries: *mut [u64; 2],
    len: usize,
}

fn layout() -> Layout {
    Layout::array::<[u64; 2]>(BLOCK_SLOTS).expect("block set layout")
}

impl BlockSet {
    /// An empty set, from the system allocator (4 MiB).
    pub(crate) fn new() -> Self {
        // SAFETY: a non-zero layout; zeroed entries are empty.
        let entries = unsafe { System.alloc_zeroed(layout()) } as *mut [u64; 2];
        if entries.is_null() {
            std::alloc::handle_alloc_error(layout());
        }
        Self { entries, len: 0 }
    }

    #[inline(always)]
    fn home(ptr: usize) -> usize {
        // Fibonacci hashing: allocators align blocks, so the low bits repeat.
        ((ptr as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 46) as usize & MASK
    }

    #[inline(always)]
    fn entry(&mut self, i: usize) -> &mut [u64; 2] {
        // SAFETY: `i` is masked to the table; the caller owns or has locked it.
        unsafe { &mut *self.entries.add(i & MASK) }
    }

    /// Blocks in the set.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// Empties the set.
    pub(crate) fn clear(&mut self) {
        if self.len > 0 {
            // SAFETY: the whole table, zeroed.
            unsafe { std::ptr::write_bytes(self.entries, 0, BLOCK_SLOTS) };
            self.len = 0;
        }
    }

    /// Adds (or replaces) `ptr`; false when the set is full.
    #[inline(always)]
    pub(crate) fn insert(&mut self, ptr: usize, size: u64, tag: u64) -> bool {
        // Keep a tenth free, so probes stay short.
        if self.len >= BLOCK_SLOTS - BLOCK_SLOTS / 10 {
            return false;
        }
        let mut i = Self::home(ptr);
        loop {
            let e = self.entry(i);
            if e[0] == 0 || e[0] == ptr as u64 {
                if e[0] == 0 {
                    self.len += 1;
                }
                *self.entry(i) = [ptr as u64, size << 16 | tag];
                return true;
            }
            i = (i + 1) & MASK;
        }
    }

    /// Removes `ptr`; its `(size, tag)` when it was in the set. Inlined: a
    /// call returns the pair through memory.
    #[inline(always)]
    pub(crate) fn remove(&mut self, ptr: usize) -> Option<(u64, u64)> {
        let mut i = Self::home(ptr);
        loop {
            let e = *self.entry(i);
            if e[0] == 0 {
                return None;
            }
            if e[0] == ptr as u64 {
                break;
            }
            i = (i + 1) & MASK;
        }
        let found = *self.entry(i);
        // Backward-shift deletion: move later entries of the cluster into
        // the hole when their home allows it.
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & MASK;
            let e = *self.entry(j);
            if e[0] == 0 {
                break;
            }
            let home = Self::home(e[0] as usize);
            // Can `e` move to `hole`? Only if its home is not in (hole, j].
            let between = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !between {
                *self.entry(hole) = e;
                hole = j;
            }
        }
        *self.entry(hole) = [0, 0];
        self.len -= 1;
        Some((found[1] >> 16, found[1] & 0xffff))
    }
}

impl Drop for BlockSet {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { System.dealloc(self.entries as *mut u8, layout()) }
    }
}

/// Frees a set made by [`SharedBlockSet::get_or_make`].
///
/// # Safety
/// `p` came from `get_or_make`'s allocation and was never shared.
unsafe fn drop_in_system(p: *mut BlockSet) {
    // SAFETY: the caller's guarantee.
    unsafe {
        std::ptr::drop_in_place(p);
        System.dealloc(p as *mut u8, Layout::new::<BlockSet>());
    }
}

/// A process-wide set, made on first use, with a lock of its own.
pub(crate) struct SharedBlockSet {
    set: AtomicPtr<BlockSet>,
    lock: AtomicBool,
}

// SAFETY: the set is only touched through `with` (under the lock) or by a
// caller that serialises access itself (`get_or_make`'s contract).
unsafe impl Sync for SharedBlockSet {}

impl SharedBlockSet {
    /// Not made yet.
    pub(crate) const fn new() -> Self {
        Self {
            set: AtomicPtr::new(std::ptr::null_mut()),
            lock: AtomicBool::new(false),
        }
    }

    /// The set, made now if it was not (from the system allocator: fine
    /// inside the allocator). Callers that use the pointer serialise their
    /// access themselves; others use [`with`](Self::with).
    #[inline(always)]
    pub(crate) fn get_or_make(&self) -> *mut BlockSet {
        let p = self.set.load(Ordering::Acquire);
        if !p.is_null() {
            return p;
        }
        self.make()
    }

    /// [`get_or_make`](Self::get_or_make)'s first call.
    #[cold]
    #[inline(never)]
    fn make(&self) -> *mut BlockSet {
        let holder = Layout::new::<BlockSet>();
        // SAFETY: a non-zero layout, written before it is shared.
        let fresh = unsafe { System.alloc(holder) } as *mut BlockSet;
        if fresh.is_null() {
            std::alloc::handle_alloc_error(holder);
        }
        // SAFETY: freshly allocated for a `BlockSet`.
        unsafe { fresh.write(BlockSet::new()) };
        match self.set.compare_exchange(
            std::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => fresh,
            Err(existing) => {
                // Another thread made it first: keep theirs.
                // SAFETY: ours, never shared.
                unsafe { drop_in_system(fresh) };
                existing
            }
        }
    }

    /// Whether the set was made and holds anything (no lock: a hint).
    pub(crate) fn maybe_nonempty(&self) -> bool {
        let p = self.set.load(Ordering::Acquire);
        // SAFETY: a made set is never freed; `len` is read racily, as a hint.
        !p.is_null() && unsafe { std::ptr::read_volatile(&(*p).len) } > 0
    }

    /// Runs `f` on the set under its lock.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut BlockSet) -> R) -> R {
        let set = self.get_or_make();
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        // SAFETY: made above, never freed; the lock is ours.
        let r = f(unsafe { &mut *set });
        self.lock.store(false, Ordering::Release);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_finds_what_it_holds_after_deletions_in_a_cluster() {
        let mut b = BlockSet::new();
        // Pointers that share a home slot collide into one cluster.
        let home = BlockSet::home(0x1000);
        let colliding: Vec<usize> = (1..1usize << 26)
            .map(|k| 0x1000 + k * 16)
            .filter(|&p| BlockSet::home(p) == home)
            .take(5)
            .collect();
        assert_eq!(colliding.len(), 5);
        for (k, &p) in colliding.iter().enumerate() {
            assert!(b.insert(p, k as u64 + 1, k as u64));
        }
        assert_eq!(b.remove(colliding[1]), Some((2, 1)));
        assert_eq!(b.remove(colliding[1]), None);
        for (k, &p) in colliding.iter().enumerate().filter(|(k, _)| *k != 1) {
            assert_eq!(b.remove(p), Some((k as u64 + 1, k as u64)), "entry {k}");
        }
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn a_full_set_refuses_instead_of_looping() {
        let mut b = BlockSet::new();
        let limit = BLOCK_SLOTS - BLOCK_SLOTS / 10;
        for k in 0..limit {
            assert!(b.insert(16 * (k + 1), 8, 0));
        }
        assert!(!b.insert(16 * (limit + 1), 8, 0));
        b.clear();
        assert_eq!(b.len(), 0);
        assert!(b.insert(16, 8, 3));
        assert_eq!(b.remove(16), Some((8, 3)));
    }

    #[test]
    fn a_shared_set_is_made_once_and_locked_around_use() {
        static SET: SharedBlockSet = SharedBlockSet::new();
        assert!(!SET.maybe_nonempty());
        assert!(SET.with(|s| s.insert(64, 32, 0)));
        assert!(SET.maybe_nonempty());
        assert_eq!(SET.get_or_make(), SET.get_or_make());
        assert_eq!(SET.with(|s| s.remove(64)), Some((32, 0)));
        assert!(!SET.maybe_nonempty());
    }
}
