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
//! `rbp` is kept out of the key when no unwind from `rip` depends on it:
//! when the rule of the innermost frame restores the caller's `rbp` from the
//! stack, every later frame starts from words read (and remembered), never
//! from the register. Whether it does is a property of `rip` alone (the
//! rule is that address's), so the unwinder asks once per `rip` (see
//! [`ReplayCache::rbp_use`]). Code built without frame pointers uses `rbp`
//! as a plain register, whose value at the allocator would otherwise make
//! every capture a new key. A read the unwind was refused (outside
//! `rsp..top`) needs no remembering: its address follows from the words
//! read before it, and the bounds are part of the key.
//!
//! The cache is set-associative (a set per `rip`, `rsp` and `top`, four
//! unwinds a set, replaced in turn): 1,024 unwinds, about 1.4 MiB from the
//! system allocator, once per process. A miss costs the unwind it would have
//! cost anyway, and a copy of what it read. Its user serialises access (the
//! site recorder's lock).

use std::alloc::{GlobalAlloc, Layout, System};

/// Return addresses one remembered unwind may give (as many as a site
/// keeps); a deeper stack is not remembered.
pub(crate) const MAX_FRAMES: usize = 32;
/// Words one remembered unwind may read; an unwind that reads more is not
/// remembered.
const MAX_READS: usize = 2 * MAX_FRAMES + 8;
/// Sets of the cache (a power of two).
const SETS: usize = 256;
/// Capture points (`rip`) whose use of `rbp` is remembered.
const RIPS: usize = 16;
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

    #[inline(always)]
    fn reads(&self) -> &[[u64; 2]] {
        &self.words[..self.len]
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

/// Remembered unwinds, and the log a new unwind is read into.
pub(crate) struct ReplayCache {
    sets: *mut Set,
    /// The log of the unwind being made (see [`ReplayCache::log`]).
    log: ReadLog,
    /// Capture points and whether unwinds from them depend on `rbp`.
    rbp_uses: [(u64, bool); RIPS],
    /// Capture points in `rbp_uses`.
    rips: usize,
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
            rbp_uses: [(0, true); RIPS],
            rips: 0,
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
        unsafe { &mut *self.sets.add((h >> (64 - SETS.trailing_zeros())) as usize) }
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
                // A word at a time: a stack is a few words, and a copy of a
                // length not known here is a call.
                for (o, f) in out.iter_mut().zip(&e.frames[..e.len]) {
                    *o = *f;
                }
                #[cfg(test)]
                {
                    self.hits += 1;
                }
                return Some(e.len);
            }
        }
        None
    }

    /// Whether unwinds from `rip` depend on `rbp`, when that was noted.
    #[inline(always)]
    pub(crate) fn rbp_use(&self, rip: u64) -> Option<bool> {
        self.rbp_uses[..self.rips]
            .iter()
            .find(|(r, _)| *r == rip)
            .map(|&(_, uses)| uses)
    }

    /// Notes whether unwinds from `rip` depend on `rbp` (a point beyond the
    /// ones kept is not noted: its unwinds are keyed by `rbp` too).
    pub(crate) fn note_rbp_use(&mut self, rip: u64, uses: bool) {
        if self.rips < RIPS {
            self.rbp_uses[self.rips] = (rip, uses);
            self.rips += 1;
        }
    }

    /// The log a new unwind fills (cleared), for [`remember`](Self::remember).
    pub(crate) fn log(&mut self) -> &mut ReadLog {
        self.log.clear();
        &mut self.log
    }

    /// Remembers the unwind from `start` that read [`log`](Self::log) and
    /// gave `frames`.
    pub(crate) fn remember(&mut self, start: Start, frames: &[usize]) {
        if self.log.overflowed || frames.len() > MAX_FRAMES {
            return;
        }
        let uses_rbp = self.rbp_use(start.rip).unwrap_or(true);
        let set = self.set_of(&start);
        let e = &mut set.ways[set.next];
        set.next = (set.next + 1) % WAYS;
        e.used = true;
        e.uses_rbp = uses_rbp;
        e.start = start;
        e.log.len = self.log.len;
        e.log.overflowed = false;
        e.log.words[..self.log.len].copy_from_slice(self.log.reads());
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
        cache.note_rbp_use(start.rip, false);
        let mut out = [0usize; MAX_FRAMES];
        // SAFETY (all replays): `rsp..top` is `words`, alive and unmoved.
        assert_eq!(
            unsafe { cache.replay(start, &mut out) },
            None,
            "nothing yet"
        );
        let log = cache.log();
        for i in [0u64, 2] {
            log.push(rsp + 8 * i, words[i as usize]);
        }
        cache.remember(start, &[0xa, 0xb]);
        assert_eq!(unsafe { cache.replay(start, &mut out) }, Some(2));
        assert_eq!(out[..2], [0xa, 0xb]);
        // A word it did not read may change; one it read may not.
        words[1] = 99;
        assert_eq!(unsafe { cache.replay(start, &mut out) }, Some(2));
        words[2] = 34;
        assert_eq!(unsafe { cache.replay(start, &mut out) }, None);
        words[2] = 33;
        // Another `rbp` replays (unwinds from this `rip` do not depend on
        // it); another `rsp`, `top` or `rip` does not.
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
    fn unwinds_from_a_point_that_uses_rbp_or_is_not_noted_are_keyed_by_it() {
        let (words, rsp, top) = stack(&[5, 6]);
        let mut cache = ReplayCache::new();
        cache.note_rbp_use(0x2000, true);
        let mut out = [0usize; MAX_FRAMES];
        for rip in [0x2000, 0x3000] {
            let start = Start {
                rip,
                rsp,
                rbp: rsp + 8,
                top,
            };
            cache.log().push(rsp + 8, words[1]);
            cache.remember(start, &[0xc]);
            // SAFETY: `rsp..top` is `words`.
            unsafe {
                assert_eq!(cache.replay(start, &mut out), Some(1));
                assert_eq!(cache.replay(Start { rbp: rsp, ..start }, &mut out), None);
            }
        }
        assert_eq!(
            (cache.rbp_use(0x2000), cache.rbp_use(0x3000)),
            (Some(true), None)
        );
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
        let log = cache.log();
        for _ in 0..=MAX_READS {
            log.push(rsp, words[0]);
        }
        cache.remember(start, &[0xe]);
        let mut out = [0usize; MAX_FRAMES];
        // SAFETY: `rsp..top` is `words`.
        assert_eq!(unsafe { cache.replay(start, &mut out) }, None);
    }
}
