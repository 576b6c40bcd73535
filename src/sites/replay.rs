//! Unwinds remembered and replayed, so that a stack the DWARF unwinder has
//! walked once is not walked again (the unwinder's own cache keeps the rule
//! of each address, but still looks every frame's rule up and applies it).
//!
//! Exact, not a guess: an unwind is a function of its inputs alone, the
//! three registers it starts from (`rip`, `rsp`, `rbp`), the bounds of the
//! stack it may read (`rsp..top`) and the words it reads there (the unwind
//! tables it consults never change). So each remembered unwind keeps every
//! word it read, with its address, and is replayed only when the registers
//! and bounds are the same and every one of those words still holds the
//! same value: the unwinder would read the same addresses, in the same
//! order, find the same values and give the same return addresses. Reading
//! them back costs a load and a compare a word, where unwinding a frame cost
//! about 13 ns.
//!
//! `rbp` is kept out of the key when the unwind did not depend on it (it
//! gave the same reads and frames when started with `rbp` = 0: code built
//! without frame pointers uses `rbp` as a plain register, whose value at the
//! allocator would otherwise make every capture a new key). A read the
//! unwind was refused (outside `rsp..top`) needs no remembering: its address
//! follows from the words read before it, and the bounds are part of the key.
//!
//! The cache is set-associative (a set per `rip`, `rsp` and `top`, four
//! unwinds a set, replaced in turn), about 380 KiB from the system
//! allocator, once per process. Its user serialises access (the site
//! recorder's lock).

use std::alloc::{GlobalAlloc, Layout, System};

/// Return addresses one remembered unwind may give (as many as a site
/// keeps); a deeper stack is not remembered.
pub(crate) const MAX_FRAMES: usize = 32;
/// Words one remembered unwind may read; an unwind that reads more is not
/// remembered.
const MAX_READS: usize = 2 * MAX_FRAMES + 8;
/// Sets of the cache.
const SETS: usize = 64;
/// Unwinds a set keeps.
const WAYS: usize = 4;

/// Where an unwind starts: its registers and the top of the stack it may
/// read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Start {
    pub(crate) rip: u64,
    pub(crate) rsp: u64,
    pub(crate) rbp: u64,
    pub(crate) top: u64,
}

/// The words an unwind read, in order, with their addresses.
#[derive(Clone, Copy)]
pub(crate) struct ReadLog {
    words: [[u64; 2]; MAX_READS],
    len: usize,
    /// More reads than a log holds: the unwind cannot be remembered.
    overflowed: bool,
}

impl ReadLog {
    const EMPTY: ReadLog = ReadLog {
        words: [[0; 2]; MAX_READS],
        len: 0,
        overflowed: false,
    };

    /// Forgets what was logged.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.overflowed = false;
    }

    /// Logs that `value` was read at `addr`.
    #[inline]
    pub(crate) fn push(&mut self, addr: u64, value: u64) {
        if self.len < MAX_READS {
            self.words[self.len] = [addr, value];
            self.len += 1;
        } else {
            self.overflowed = true;
        }
    }

    fn reads(&self) -> &[[u64; 2]] {
        &self.words[..self.len]
    }

    fn same_as(&self, other: &ReadLog) -> bool {
        !self.overflowed && !other.overflowed && self.reads() == other.reads()
    }
}

/// One remembered unwind.
#[derive(Clone, Copy)]
struct Entry {
    used: bool,
    /// The unwind depended on `rbp`: replayed only for the same `rbp`.
    uses_rbp: bool,
    start: Start,
    log: ReadLog,
    len: usize,
    frames: [usize; MAX_FRAMES],
}

/// A set of remembered unwinds and the one to replace next.
#[derive(Clone, Copy)]
struct Set {
    ways: [Entry; WAYS],
    next: usize,
}

/// Remembered unwinds, and the logs a new unwind is read into.
pub(crate) struct ReplayCache {
    sets: *mut Set,
    /// The log of the unwind being made (see [`ReplayCache::logs`]).
    log: ReadLog,
    /// The log of the same unwind started with `rbp` = 0.
    log_without_rbp: ReadLog,
    /// Hits and misses, for the tests.
    #[cfg(test)]
    pub(crate) hits: u64,
}

// SAFETY: the sets are owned; the user serialises access (see the module).
unsafe impl Send for ReplayCache {}

fn sets_layout() -> Layout {
    Layout::array::<Set>(SETS).expect("replay cache layout")
}

impl ReplayCache {
    /// An empty cache, from the system allocator (never counted).
    pub(crate) fn new() -> Self {
        // SAFETY: a non-zero layout; all-zero bytes are empty sets.
        let sets = unsafe { System.alloc_zeroed(sets_layout()) } as *mut Set;
        if sets.is_null() {
            std::alloc::handle_alloc_error(sets_layout());
        }
        Self {
            sets,
            log: ReadLog::EMPTY,
            log_without_rbp: ReadLog::EMPTY,
            #[cfg(test)]
            hits: 0,
        }
    }

    /// The set of `start` (the cache's own memory, apart from `self`).
    #[inline(always)]
    fn set_of<'a>(&self, start: &Start) -> &'a mut Set {
        let h = (start.rip ^ start.rsp.rotate_left(20) ^ start.top.rotate_left(40))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // SAFETY: the index is below `SETS`; the sets live as long as the
        // cache, and the caller holds `&mut self` (one user at a time).
        unsafe { &mut *self.sets.add((h >> 58) as usize % SETS) }
    }

    /// Replays a remembered unwind from `start` into `out` if one applies
    /// (see the module); its frame count.
    ///
    /// # Safety
    /// `start.rsp..start.top` must be the calling thread's live stack.
    #[inline(always)]
    pub(crate) unsafe fn replay(&mut self, start: Start, out: &mut [usize]) -> Option<usize> {
        let set = self.set_of(&start);
        for e in &set.ways {
            let same_start = e.start.rip == start.rip
                && e.start.rsp == start.rsp
                && e.start.top == start.top
                && (!e.uses_rbp || e.start.rbp == start.rbp);
            if !e.used || !same_start {
                continue;
            }
            // SAFETY: every address was read inside `rsp..top` of the same
            // bounds, the caller's live stack.
            let same_words = e
                .log
                .reads()
                .iter()
                .all(|&[addr, value]| unsafe { *(addr as *const u64) } == value);
            if same_words && e.len <= out.len() {
                out[..e.len].copy_from_slice(&e.frames[..e.len]);
                #[cfg(test)]
                {
                    self.hits += 1;
                }
                return Some(e.len);
            }
        }
        None
    }

    /// The two logs a new unwind fills: from `start`, then from `start`
    /// with `rbp` = 0 (see [`remember`](Self::remember)). Both cleared.
    pub(crate) fn logs(&mut self) -> (&mut ReadLog, &mut ReadLog) {
        self.log.clear();
        self.log_without_rbp.clear();
        (&mut self.log, &mut self.log_without_rbp)
    }

    /// Remembers the unwind from `start` that read [`logs`](Self::logs)'
    /// first log and gave `frames`; `same_without_rbp`: started with
    /// `rbp` = 0 it gave the same frames (its reads are compared here).
    pub(crate) fn remember(&mut self, start: Start, frames: &[usize], same_without_rbp: bool) {
        if self.log.overflowed || frames.len() > MAX_FRAMES {
            return;
        }
        let uses_rbp = !(same_without_rbp && self.log.same_as(&self.log_without_rbp));
        let log = self.log;
        let set = self.set_of(&start);
        let e = &mut set.ways[set.next];
        set.next = (set.next + 1) % WAYS;
        e.used = true;
        e.uses_rbp = uses_rbp;
        e.start = start;
        e.log = log;
        e.len = frames.len();
        e.frames[..frames.len()].copy_from_slice(frames);
    }
}

impl Drop for ReplayCache {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { System.dealloc(self.sets as *mut u8, sets_layout()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake stack: words at addresses `base + 8 * i`.
    fn stack(words: &[u64]) -> (Vec<u64>, u64, u64) {
        let v = words.to_vec();
        let base = v.as_ptr() as u64;
        let top = base + 8 * v.len() as u64;
        (v, base, top)
    }

    #[test]
    fn an_unwind_is_replayed_only_while_every_word_it_read_is_unchanged() {
        let (mut words, rsp, top) = stack(&[11, 22, 33, 44]);
        let start = Start {
            rip: 0x1000,
            rsp,
            rbp: 7,
            top,
        };
        let mut cache = ReplayCache::new();
        let mut out = [0usize; MAX_FRAMES];
        // SAFETY (all replays): `rsp..top` is `words`, alive and unmoved.
        assert_eq!(
            unsafe { cache.replay(start, &mut out) },
            None,
            "nothing yet"
        );
        let (log, without) = cache.logs();
        for i in [0u64, 2] {
            log.push(rsp + 8 * i, words[i as usize]);
            without.push(rsp + 8 * i, words[i as usize]);
        }
        cache.remember(start, &[0xa, 0xb], true);
        assert_eq!(unsafe { cache.replay(start, &mut out) }, Some(2));
        assert_eq!(out[..2], [0xa, 0xb]);
        // A word it did not read may change; one it read may not.
        words[1] = 99;
        assert_eq!(unsafe { cache.replay(start, &mut out) }, Some(2));
        words[2] = 34;
        assert_eq!(unsafe { cache.replay(start, &mut out) }, None);
        words[2] = 33;
        // Another `rbp` replays (the unwind did not depend on it); another
        // `rsp`, `top` or `rip` does not.
        let other_rbp = Start { rbp: 8, ..start };
        assert_eq!(unsafe { cache.replay(other_rbp, &mut out) }, Some(2));
        for other in [
            Start {
                rip: 0x1001,
                ..start
            },
            Start {
                rsp: rsp + 8,
                ..start
            },
            Start {
                top: top - 8,
                ..start
            },
        ] {
            assert_eq!(unsafe { cache.replay(other, &mut out) }, None, "{other:?}");
        }
        assert_eq!(cache.hits, 3);
    }

    #[test]
    fn an_unwind_that_depended_on_rbp_is_replayed_only_for_the_same_rbp() {
        let (words, rsp, top) = stack(&[5, 6]);
        let start = Start {
            rip: 0x2000,
            rsp,
            rbp: rsp + 8,
            top,
        };
        let mut cache = ReplayCache::new();
        let (log, without) = cache.logs();
        log.push(rsp + 8, words[1]);
        // Started with rbp = 0, the unwind read nothing (its address was
        // out of bounds): it depends on rbp.
        let _ = without;
        cache.remember(start, &[0xc], true);
        let mut out = [0usize; MAX_FRAMES];
        // SAFETY: `rsp..top` is `words`.
        unsafe {
            assert_eq!(cache.replay(start, &mut out), Some(1));
            assert_eq!(cache.replay(Start { rbp: rsp, ..start }, &mut out), None);
        }
        // Same reads but other frames without rbp: depends on it too.
        let (log, without) = cache.logs();
        log.push(rsp, words[0]);
        without.push(rsp, words[0]);
        let other = Start {
            rip: 0x3000,
            ..start
        };
        cache.remember(other, &[0xd], false);
        // SAFETY: as above.
        unsafe {
            assert_eq!(cache.replay(other, &mut out), Some(1));
            assert_eq!(cache.replay(Start { rbp: 1, ..other }, &mut out), None);
        }
    }

    #[test]
    fn an_unwind_that_read_more_than_a_log_holds_is_not_remembered() {
        let (words, rsp, top) = stack(&[1]);
        let start = Start {
            rip: 0x4000,
            rsp,
            rbp: 0,
            top,
        };
        let mut cache = ReplayCache::new();
        let (log, without) = cache.logs();
        for _ in 0..=MAX_READS {
            log.push(rsp, words[0]);
            without.push(rsp, words[0]);
        }
        cache.remember(start, &[0xe], true);
        let mut out = [0usize; MAX_FRAMES];
        // SAFETY: `rsp..top` is `words`.
        assert_eq!(unsafe { cache.replay(start, &mut out) }, None);
    }
}
