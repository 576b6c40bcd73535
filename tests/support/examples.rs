//! Example scenarios shared by the example harness (`tests/scenarios.rs`)
//! and the harness's own tests (`tests/harness.rs`).
// Each scenario uses a subset; boxes in vectors are deliberate: one box is
// one allocation of known size, which is what the examples count.
#![allow(dead_code, clippy::vec_box)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use allocguard::{Phase, Scenario};

/// A fixed-size ring of samples: its buffer grows during warm-up (the first
/// 16 pushes) and never again.
pub struct Ring {
    buf: Vec<u64>,
    next: usize,
    pub sum: u64,
}

impl Ring {
    const CAPACITY: usize = 16;

    fn push(&mut self, v: u64) {
        if self.buf.len() < Self::CAPACITY {
            self.buf.push(v); // grows 4 → 8 → 16 during warm-up
        } else {
            self.buf[self.next] = v;
        }
        self.next = (self.next + 1) % Self::CAPACITY;
        self.sum = self.buf.iter().sum();
    }
}

/// Clean after warm-up: hot and bounded, and it passes.
pub fn ring_buffer() -> Scenario<Ring> {
    Scenario::new("examples/ring_buffer")
        .setup(|_| Ring {
            buf: Vec::new(),
            next: 0,
            sum: 0,
        })
        .phase(
            Phase::new("steady").ticks(200).warmup(20).hot().bounded(),
            |r, t| r.push(t.index),
        )
        .metric("ring_sum", |r| r.sum as f64)
}

#[inline(never)]
pub fn allocate_on_tick_17(t: &allocguard::TickContext<'_>, kept: &mut Vec<Box<[u8; 64]>>) {
    if t.index == 17 {
        let b = black_box(Box::new([0u8; 64]));
        // Keep it without growing `kept` (its capacity was reserved in setup).
        kept.push(b);
    }
}

/// Allocates 64 bytes in tick 17 of a hot phase with `warmup` warm-up ticks.
pub fn tick_17(name: &str, warmup: u64) -> Scenario<Vec<Box<[u8; 64]>>> {
    Scenario::new(name).setup(|_| Vec::with_capacity(4)).phase(
        Phase::new("hot").ticks(40).warmup(warmup).hot(),
        |kept, t| allocate_on_tick_17(t, kept),
    )
}

const STARTING: u32 = 0;
const IDLE: u32 = 1;
const GO: u32 = 2;
const DONE: u32 = 3;
const STOP: u32 = 4;

/// A worker thread that allocates when told to, without allocating to be told.
pub struct Worker {
    state: Arc<AtomicU32>,
    handle: Option<std::thread::JoinHandle<()>>,
}

#[inline(never)]
fn worker_allocates() {
    std::mem::forget(black_box(vec![1u32; 25]));
}

impl Worker {
    /// Starts the thread and waits until it runs: std frees the thread's
    /// start-up record on the new thread, and that must happen here, in
    /// setup, not at some arbitrary later tick.
    fn start() -> Self {
        let state = Arc::new(AtomicU32::new(STARTING));
        let handle = {
            let state = state.clone();
            std::thread::spawn(move || loop {
                let _ = state.compare_exchange(STARTING, IDLE, Ordering::AcqRel, Ordering::Acquire);
                match state.load(Ordering::Acquire) {
                    GO => {
                        worker_allocates();
                        state.store(DONE, Ordering::Release);
                    }
                    STOP => return,
                    _ => std::hint::spin_loop(),
                }
            })
        };
        while state.load(Ordering::Acquire) == STARTING {
            std::hint::spin_loop();
        }
        Self {
            state,
            handle: Some(handle),
        }
    }

    fn run_once(&self) {
        self.state.store(GO, Ordering::Release);
        while self.state.load(Ordering::Acquire) != DONE {
            std::hint::spin_loop();
        }
        self.state.store(IDLE, Ordering::Release);
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.state.store(STOP, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The tick itself is clean, but in tick 5 it hands work to a thread that
/// allocates 100 bytes: a process-armed hot tick catches it.
pub fn worker_thread(name: &str) -> Scenario<Worker> {
    Scenario::new(name).setup(|_| Worker::start()).phase(
        Phase::new("hot").ticks(10).hot(),
        |w, t| {
            if t.index == 5 {
                w.run_once();
            }
        },
    )
}

/// No hot ticks, but 24 bytes are kept every tick: the growth check must
/// flag it in a bounded phase.
pub fn slow_leak(name: &str) -> Scenario<Vec<Box<[u8; 24]>>> {
    Scenario::new(name)
        .setup(|_| Vec::new())
        .phase(
            Phase::new("leaking")
                .ticks_by_scale(300, 3_000, 30_000)
                .warmup(10)
                .bounded(),
            |kept, t| kept.push(Box::new([t.index as u8; 24])),
        )
        .metric("kept", |kept| kept.len() as f64)
}

/// Counts known by construction: a warm-up phase that does nothing and a
/// phase whose every tick allocates one 32-byte box and frees it.
pub fn known_counts() -> Scenario<u64> {
    Scenario::new("examples/known_counts")
        .setup(|_| 0u64)
        .phase(Phase::new("idle").ticks(10), |_, _| {})
        .phase(Phase::new("box_per_tick").ticks(50), |n, t| {
            let b = black_box(Box::new([t.index as u8; 32]));
            *n += u64::from(b[0]);
        })
        .metric("sum", |n| *n as f64)
}

/// The environment variable that multiplies [`fixed_work`]'s work per tick:
/// `benches/timegate.sh` sets it to 2 to check that a time gate catches a
/// phase made twice as slow.
pub const WORK_ENV: &str = "ALLOCGUARD_EXAMPLE_WORK";

/// A buffer that every tick stirs a fixed number of times.
pub struct Work {
    buf: Vec<u64>,
    rounds: u32,
    pub sum: u64,
}

/// The same CPU work every tick (about 20 µs in release), no heap: a phase
/// whose tick time is steady, for time gates. `ALLOCGUARD_EXAMPLE_WORK=2`
/// does the work twice.
pub fn fixed_work() -> Scenario<Work> {
    Scenario::new("examples/fixed_work")
        .setup(|scale| {
            let factor: u32 = std::env::var(WORK_ENV)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            Work {
                buf: (0..4096u64).collect(),
                rounds: scale.pick(1, 4, 4) * factor,
                sum: 0,
            }
        })
        .phase(
            Phase::new("stir").ticks(300).warmup(30).hot().bounded(),
            |w, _| {
                for _ in 0..w.rounds {
                    let mut x = w.sum | 1;
                    for v in &mut w.buf {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        *v = v.wrapping_add(x);
                    }
                    w.sum = black_box(w.buf[x as usize % 4096]);
                }
            },
        )
        .volatile_metric("sum", |w| w.sum as f64)
}

/// A 16-byte box: one of the two allocating lines of [`two_sites`].
#[inline(never)]
pub fn make_small_box(t: &allocguard::TickContext<'_>) -> Box<[u8; 16]> {
    black_box(Box::new([t.index as u8; 16]))
}

/// A vector of eight `u32`s (32 bytes): the other allocating line.
#[inline(never)]
pub fn make_vec(t: &allocguard::TickContext<'_>) -> Vec<u32> {
    black_box(vec![t.index as u32; 8])
}

/// Levels of [`branch_left`] and [`branch_right`] above each allocation:
/// `1 << BRANCH_LEVELS` distinct call stacks, twice a site table's slots.
pub const BRANCH_LEVELS: u32 = 13;

/// One allocation at the end of a path of calls through [`branch_left`] and
/// [`branch_right`] (bit `level` of `path` picks the next one): each path is
/// a call stack of its own.
#[inline(never)]
pub fn branch_left(level: u32, path: u32) -> Box<u32> {
    match level {
        0 => black_box(Box::new(path)),
        _ if path >> level & 1 == 0 => black_box(branch_left(level - 1, path)),
        _ => black_box(branch_right(level - 1, path)),
    }
}

/// [`branch_left`]'s twin (another function, so other return addresses).
#[inline(never)]
pub fn branch_right(level: u32, path: u32) -> Box<u32> {
    match level {
        0 => black_box(Box::new(path)),
        _ if path >> level & 1 == 0 => black_box(branch_left(level - 1, path)),
        _ => black_box(branch_right(level - 1, path)),
    }
}

/// A hot phase recording its sites whose armed tick allocates (and frees) a
/// box at the end of every one of `1 << (BRANCH_LEVELS + 1)` call paths:
/// more distinct stacks than a site table holds.
pub fn many_stacks(name: &str) -> Scenario<u64> {
    Scenario::new(name).setup(|_| 0u64).phase(
        Phase::new("hot").ticks(2).warmup(1).hot().sites(),
        |n, _| {
            for path in 0..1u32 << BRANCH_LEVELS {
                *n += u64::from(*branch_left(BRANCH_LEVELS, path));
                *n += u64::from(*branch_right(BRANCH_LEVELS, path));
            }
        },
    )
}

/// A hot phase whose every armed tick allocates at two lines and frees both
/// blocks: 2 allocations and 2 deallocations a tick, 48 bytes. With
/// `sites`, the phase records its sites itself.
pub fn two_sites(name: &str, sites: bool) -> Scenario<u64> {
    let phase = Phase::new("hot").ticks(40).warmup(10).hot();
    Scenario::new(name)
        .setup(|_| 0u64)
        .phase(if sites { phase.sites() } else { phase }, |n, t| {
            let b = make_small_box(t);
            let v = make_vec(t);
            *n += u64::from(b[0]) + u64::from(v[0]);
        })
}
