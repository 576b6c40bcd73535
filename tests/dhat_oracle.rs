//! DHAT as an oracle, in the same binary (`CountingAlloc::dhat()`): random
//! sequences of allocations, reallocations and frees (1 byte to 8 MiB,
//! alignments up to 64 KiB) on 1 and on 4 threads, blocks of the worker
//! threads freed by another thread inside the region, with every counter
//! the two tools share compared exactly (the peak on four threads bounded). Operations per thread: 2,000, or
//! `ALLOCGUARD_ORACLE_OPS` for a longer run.
//!
//! How the counters map: DHAT's total blocks are allocguard's allocations
//! plus reallocations (DHAT counts a reallocation as a block of its new
//! size); its current blocks and bytes are allocations minus deallocations
//! and live bytes; its total bytes are allocation sizes plus reallocations'
//! new sizes; its peak is allocguard's process peak on one thread, and at
//! least that on four (allocguard counts a free before it happens and an
//! allocation after it returns, DHAT both inside its lock: under contention
//! DHAT can see two threads' blocks at once where allocguard sees one
//! freed). One profiler at a time: one test.

use std::alloc::{alloc, dealloc, realloc, Layout};

use allocguard::{measure_process, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc<dhat::Alloc> = CountingAlloc::wrapping_profiler(dhat::Alloc);

/// xorshift64*: deterministic and allocation-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// 1 byte to 8 MiB, most of them small (log-uniform).
    fn size(&mut self) -> usize {
        let bits = self.below(24);
        1 + self.below(1 << bits) as usize
    }

    /// 1 to 64 KiB, mostly the usual ones.
    fn align(&mut self) -> usize {
        match self.below(16) {
            0 => 1 << (12 + self.below(5)), // 4 KiB to 64 KiB
            n => 1 << (n % 5),              // 1 to 16
        }
    }
}

/// What the sequence did, by its own account.
#[derive(Default)]
struct Log {
    /// DHAT's total bytes: allocation sizes plus reallocations' new sizes.
    total_bytes: u64,
    /// allocguard's bytes allocated: allocation sizes plus reallocations'
    /// growth.
    bytes_allocated: u64,
    allocs: u64,
    reallocs: u64,
}

const MAX_LIVE: usize = 64;
const MAX_LIVE_BYTES: usize = 48 << 20;

/// Runs `ops` random operations; frees everything at the end except what
/// `keep` says (blocks left live, to compare current counts).
fn sequence(seed: u64, ops: usize, keep: usize) -> (Log, Vec<(usize, Layout)>) {
    let mut rng = Rng(seed | 1);
    let mut log = Log::default();
    let mut live: Vec<(usize, Layout)> = Vec::with_capacity(MAX_LIVE);
    let mut live_bytes = 0usize;
    for _ in 0..ops {
        let choice = rng.below(10);
        if (choice < 4 || live.is_empty()) && live.len() < MAX_LIVE {
            let layout = Layout::from_size_align(rng.size(), rng.align()).unwrap();
            if live_bytes + layout.size() > MAX_LIVE_BYTES {
                continue;
            }
            // SAFETY: a non-zero size.
            let p = unsafe { alloc(layout) };
            assert!(!p.is_null());
            log.total_bytes += layout.size() as u64;
            log.bytes_allocated += layout.size() as u64;
            log.allocs += 1;
            live_bytes += layout.size();
            live.push((p as usize, layout));
        } else if choice < 7 && !live.is_empty() {
            let i = rng.below(live.len() as u64) as usize;
            let (p, layout) = live[i];
            let new = rng.size();
            if live_bytes - layout.size() + new > MAX_LIVE_BYTES {
                continue;
            }
            // SAFETY: `p` is live with `layout`; `new` is non-zero.
            let q = unsafe { realloc(p as *mut u8, layout, new) };
            assert!(!q.is_null());
            log.total_bytes += new as u64;
            log.bytes_allocated += new.saturating_sub(layout.size()) as u64;
            log.reallocs += 1;
            live_bytes = live_bytes - layout.size() + new;
            live[i] = (
                q as usize,
                Layout::from_size_align(new, layout.align()).unwrap(),
            );
        } else if !live.is_empty() {
            let i = rng.below(live.len() as u64) as usize;
            let (p, layout) = live.swap_remove(i);
            // SAFETY: `p` is live with `layout`.
            unsafe { dealloc(p as *mut u8, layout) };
            live_bytes -= layout.size();
        }
    }
    // Zero-size requests never reach the allocator.
    drop(Vec::<u8>::with_capacity(0));
    drop(Box::new([0u8; 0]));
    while live.len() > keep {
        let (p, layout) = live.pop().unwrap();
        // SAFETY: `p` is live with `layout`.
        unsafe { dealloc(p as *mut u8, layout) };
    }
    (log, live)
}

fn free_all(blocks: Vec<(usize, Layout)>) {
    for (p, layout) in blocks {
        // SAFETY: each is live with its layout.
        unsafe { dealloc(p as *mut u8, layout) };
    }
}

fn ops_per_thread() -> usize {
    std::env::var("ALLOCGUARD_ORACLE_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// Compares one region's counts with DHAT's over it; `exact_peak` on one
/// thread.
fn compare(threads: usize, seed: u64) {
    let ops = ops_per_thread();
    // The first process-wide region on a libtest thread looks for libtest's
    // runner (symbolising a backtrace: thousands of allocations); not in
    // DHAT's view, please: its peak would be theirs.
    let ((), _) = measure_process(|| ());
    let profiler = dhat::Profiler::builder().testing().build();
    // Spawning keeps a little for the next spawn: spawn once while DHAT
    // watches, so that what the region's spawns free of it is a block DHAT
    // knows (DHAT ignores frees of blocks made before it started; allocguard
    // counts every free).
    for h in (0..threads)
        .map(|_| std::thread::spawn(|| ()))
        .collect::<Vec<_>>()
    {
        h.join().unwrap();
    }
    // DHAT's counts are read inside the region: `measure_process` itself
    // allocates around it (its libtest checks), which DHAT would count.
    let ((before, after, logs, kept), s) = measure_process(|| {
        let before = dhat::HeapStats::get();
        // Joined threads, not scoped ones: `join` returns once a thread
        // has ended, its thread-local destructors run; a scope returns
        // before them, and their frees would land after DHAT's reading.
        let handles: Vec<_> = (0..threads)
            .map(|t| std::thread::spawn(move || sequence(seed + t as u64 * 7919, ops, 8)))
            .collect();
        let mut logs = Vec::with_capacity(threads);
        let mut kept = Vec::with_capacity(threads * 8);
        for h in handles {
            let (log, blocks) = h.join().unwrap();
            logs.push(log);
            kept.extend(blocks);
        }
        // Cross-thread frees, inside the region: this thread frees half of
        // the blocks the sequences' threads made and left live.
        let half = kept.split_off(kept.len() / 2);
        free_all(half);
        (before, dhat::HeapStats::get(), logs, kept)
    });
    drop(profiler);
    let total_blocks = after.total_blocks - before.total_blocks;
    let total_bytes = after.total_bytes - before.total_bytes;
    let own_ops: (u64, u64) = logs
        .iter()
        .fold((0, 0), |a, l| (a.0 + l.allocs, a.1 + l.reallocs));
    let context = format!(
        "{threads} threads, seed {seed}: allocguard {s:?}, DHAT {before:?} → {after:?}, the \
         sequences' own allocations and reallocations {own_ops:?}"
    );
    assert_eq!(
        total_blocks,
        s.allocs + s.reallocs,
        "total blocks; {context}"
    );
    assert_eq!(
        after.curr_blocks as i64 - before.curr_blocks as i64,
        s.allocs as i64 - s.deallocs as i64,
        "current blocks; {context}"
    );
    assert_eq!(
        after.curr_bytes as i64 - before.curr_bytes as i64,
        s.live_bytes(),
        "current bytes; {context}"
    );
    // Every reallocation in the region is one of the sequences' (spawning,
    // joining and the vectors here never reallocate), so the bytes outside
    // the sequences are plain allocations, counted alike by both tools:
    // DHAT's total bytes beyond the sequences' own equal allocguard's bytes
    // allocated beyond theirs. With current bytes equal (above), allocguard's
    // bytes freed (bytes allocated minus live bytes) are DHAT's too.
    assert_eq!(s.reallocs, own_ops.1, "reallocations; {context}");
    let own_total: u64 = logs.iter().map(|l| l.total_bytes).sum();
    let own_allocated: u64 = logs.iter().map(|l| l.bytes_allocated).sum();
    assert_eq!(
        total_bytes - own_total,
        s.bytes_allocated - own_allocated,
        "total bytes beyond the sequences'; {context}"
    );

    let kept_bytes: usize = kept.iter().map(|(_, l)| l.size()).sum();
    assert!(s.live_bytes() >= kept_bytes as i64, "{context}");
    // DHAT's peak is since its start, and nothing DHAT saw was live then.
    if threads == 1 {
        assert_eq!(after.max_bytes as i64, s.peak_live_bytes, "peak; {context}");
    } else {
        assert!(
            after.max_bytes as i64 >= s.peak_live_bytes,
            "peak; {context}"
        );
    }
    free_all(kept);
}

#[test]
fn allocguard_agrees_with_dhat_on_random_sequences() {
    assert!(allocguard::is_installed());
    for seed in [1, 2, 3] {
        compare(1, seed);
    }
    for seed in [4, 5] {
        compare(4, seed);
    }
}
