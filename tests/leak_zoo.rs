//! The leak zoo: the memory patterns Rust code really has, each a scenario
//! of one phase, run at 200 and at 2,000 ticks, 20 times each, through the
//! harness as a user's scenario runs. Every leak must be flagged as steady
//! growth and no bounded pattern may be, at the default thresholds.
//!
//! Each leak keeps what it made where the optimiser cannot see it go unused
//! (`black_box` on the state every tick), or the test would prove nothing.
//! `cargo test --test leak_zoo -- --nocapture` prints the table the docs
//! quote (`src/harness/growth.rs`, `docs/guide.md`), beside what the
//! straight-line fit the check replaced would have said.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hint::black_box;
use std::rc::Rc;
use std::sync::mpsc;

use allocguard::harness::Profile;
use allocguard::{CountingAlloc, Phase, Scale, Scenario};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

/// Runs one phase of `n` ticks on a state made by `setup`, each tick
/// calling `tick` and hiding the state from the optimiser.
fn scenario<S: 'static>(
    name: &str,
    n: u64,
    setup: impl FnMut(Scale) -> S + Send + 'static,
    mut tick: impl FnMut(&mut S, u64) + Send + 'static,
) -> Scenario<S> {
    Scenario::new(name)
        .setup(setup)
        .phase(Phase::new("loop").ticks(n).bounded(), move |s, t| {
            tick(s, t.index);
            black_box(&mut *s);
        })
}

/// A zoo animal: its name, whether it leaks, and a run of it at `n` ticks.
struct Kind {
    name: &'static str,
    leaks: bool,
    run: fn(u64) -> Profile,
}

fn run<S: 'static>(mut s: Scenario<S>) -> Profile {
    s.run(Scale::Smoke).expect("the scenario runs")
}

/// A node of a reference cycle: two of them keep each other alive.
struct Node {
    other: RefCell<Option<Rc<Node>>>,
    _payload: [u8; 32],
}

/// A worker thread that keeps whatever it is sent, answering each time.
/// Dropped, it stops the thread and waits for it: the thread frees what it
/// kept, and those frees must not land in the next run's phase (they did,
/// now and then, as a negative growth of the next worker's run).
struct Worker {
    send: Option<mpsc::SyncSender<u64>>,
    done: mpsc::Receiver<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.send.take());
        if let Some(t) = self.thread.take() {
            t.join().expect("the worker thread ends");
        }
    }
}

impl Worker {
    fn start() -> Worker {
        let (send, work) = mpsc::sync_channel::<u64>(1);
        let (reply, done) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::spawn(move || {
            let mut kept: Vec<String> = Vec::new();
            for i in work {
                kept.push(format!("job {i:08}"));
                black_box(&mut kept);
                if reply.send(()).is_err() {
                    break;
                }
            }
        });
        Worker {
            send: Some(send),
            done,
            thread: Some(thread),
        }
    }

    fn job(&self, i: u64) {
        let send = self.send.as_ref().expect("a running worker");
        send.send(i).expect("the worker takes work");
        self.done.recv().expect("the worker answers");
    }
}

const LEAKS: &[Kind] = &[
    Kind {
        name: "Vec<u64> pushed every tick",
        leaks: true,
        run: |n| {
            run(scenario(
                "vec_u64",
                n,
                |_| Vec::<u64>::new(),
                |v, i| v.push(i),
            ))
        },
    },
    Kind {
        name: "Vec of 64-byte items",
        leaks: true,
        run: |n| {
            run(scenario(
                "vec_64",
                n,
                |_| Vec::<[u8; 64]>::new(),
                |v, i| v.push([i as u8; 64]),
            ))
        },
    },
    Kind {
        name: "String appended to",
        leaks: true,
        run: |n| {
            run(scenario(
                "string",
                n,
                |_| String::new(),
                |s, i| s.push_str(if i % 2 == 0 { "tick;" } else { "tock;" }),
            ))
        },
    },
    Kind {
        name: "HashMap, a new key a tick",
        leaks: true,
        run: |n| {
            run(scenario(
                "hashmap",
                n,
                |_| HashMap::<u64, u64>::new(),
                |m, i| {
                    m.insert(i, i * 3);
                },
            ))
        },
    },
    Kind {
        name: "VecDeque never popped",
        leaks: true,
        run: |n| {
            run(scenario(
                "vecdeque",
                n,
                |_| VecDeque::<u32>::new(),
                |q, i| q.push_back(i as u32),
            ))
        },
    },
    Kind {
        name: "BTreeMap, a new key a tick",
        leaks: true,
        run: |n| {
            run(scenario(
                "btreemap",
                n,
                |_| BTreeMap::<u64, [u8; 16]>::new(),
                |m, i| {
                    m.insert(i, [1; 16]);
                },
            ))
        },
    },
    Kind {
        name: "Vec<String>, a line a tick",
        leaks: true,
        run: |n| {
            run(scenario(
                "vec_string",
                n,
                |_| Vec::<String>::new(),
                |v, i| v.push(format!("event {i}")),
            ))
        },
    },
    Kind {
        name: "Box::leak every tick",
        leaks: true,
        run: |n| {
            run(scenario(
                "box_leak",
                n,
                |_| 0usize,
                |sum, i| {
                    let leaked: &'static mut [u8; 24] = Box::leak(Box::new([i as u8; 24]));
                    *sum += black_box(leaked).len();
                },
            ))
        },
    },
    Kind {
        name: "Rc cycle every tick",
        leaks: true,
        run: |n| {
            run(scenario(
                "rc_cycle",
                n,
                |_| (),
                |_, _| {
                    let a = Rc::new(Node {
                        other: RefCell::new(None),
                        _payload: [0; 32],
                    });
                    let b = Rc::new(Node {
                        other: RefCell::new(Some(a.clone())),
                        _payload: [1; 32],
                    });
                    *a.other.borrow_mut() = Some(b);
                    black_box(&a);
                },
            ))
        },
    },
    Kind {
        name: "slow leak: a box every tenth tick",
        leaks: true,
        run: |n| {
            run(scenario(
                "slow",
                n,
                |_| Vec::<Box<[u8; 64]>>::with_capacity(4096),
                |v, i| {
                    if i % 10 == 0 {
                        v.push(Box::new([i as u8; 64]));
                    }
                },
            ))
        },
    },
    Kind {
        name: "worker thread keeps every job",
        leaks: true,
        run: |n| run(scenario("worker", n, |_| Worker::start(), |w, i| w.job(i))),
    },
];

const BOUNDED: &[Kind] = &[
    Kind {
        name: "ring buffer",
        leaks: false,
        run: |n| {
            run(scenario(
                "ring",
                n,
                |_| (vec![0u64; 256], 0usize),
                |(ring, at), i| {
                    ring[*at] = i;
                    *at = (*at + 1) % ring.len();
                },
            ))
        },
    },
    Kind {
        name: "per-tick temporaries",
        leaks: false,
        run: |n| {
            run(scenario(
                "temps",
                n,
                |_| 0usize,
                |sum, i| {
                    let words: Vec<String> = (0..(i % 7 + 1)).map(|k| format!("w{k}")).collect();
                    *sum += black_box(words).len();
                },
            ))
        },
    },
    Kind {
        name: "scratch cleared every tick",
        leaks: false,
        run: |n| {
            run(scenario(
                "scratch",
                n,
                |_| Vec::<u32>::new(),
                |v, i| {
                    // A workload of its own size every tick, under 100 items.
                    v.clear();
                    v.extend(0..(i * 7919 % 100) as u32);
                },
            ))
        },
    },
    Kind {
        name: "sawtooth that shrinks every 20 ticks",
        leaks: false,
        run: |n| {
            run(scenario(
                "sawtooth",
                n,
                |_| Vec::<u64>::new(),
                |v, i| {
                    if i % 20 == 19 {
                        v.clear();
                        v.shrink_to_fit();
                    } else {
                        v.extend([i; 8]);
                    }
                },
            ))
        },
    },
    Kind {
        name: "capped LRU cache (32 entries)",
        leaks: false,
        run: |n| {
            let new = |_| (HashMap::<u64, [u8; 32]>::new(), VecDeque::<u64>::new());
            let mut s = Scenario::new("lru").setup(new).phase(
                // The warm-up fills it, as a user's warm-up fills caches.
                Phase::new("loop").ticks(n + 64).warmup(64).bounded(),
                |(map, order): &mut (HashMap<u64, [u8; 32]>, VecDeque<u64>), t| {
                    map.insert(t.index, [0; 32]);
                    order.push_back(t.index);
                    if order.len() > 32 {
                        let old = order.pop_front().expect("over the cap");
                        map.remove(&old);
                    }
                    black_box(&mut *map);
                },
            );
            s.run(Scale::Smoke).expect("the scenario runs")
        },
    },
    Kind {
        name: "cache that fills in the first eighth and stops",
        leaks: false,
        run: |n| {
            let fill = n / 8;
            let mut s = Scenario::new("early_cache")
                .setup(|_| HashMap::<u64, String>::new())
                .phase(Phase::new("loop").ticks(n).bounded(), move |m, t| {
                    let key = t.index.min(fill);
                    m.entry(key).or_insert_with(|| format!("value {key}"));
                    black_box(&mut *m);
                });
            s.run(Scale::Smoke).expect("the scenario runs")
        },
    },
    Kind {
        name: "arena reset every 25 ticks",
        leaks: false,
        run: |n| {
            run(scenario(
                "arena",
                n,
                |_| Vec::<Box<[u8; 48]>>::new(),
                |arena, i| {
                    if i % 25 == 0 {
                        *arena = Vec::new();
                    }
                    arena.push(Box::new([i as u8; 48]));
                },
            ))
        },
    },
    Kind {
        name: "object pool, reused",
        leaks: false,
        run: |n| {
            run(scenario(
                "pool",
                n,
                |_| Vec::<Box<[u8; 128]>>::new(),
                |pool, i| {
                    let mut b = pool.pop().unwrap_or_else(|| Box::new([0; 128]));
                    b[0] = i as u8;
                    black_box(&mut b);
                    pool.push(b);
                },
            ))
        },
    },
];

/// The straight-line check this one replaced: a least-squares slope of at
/// least 1 byte a tick explaining 90 % of the variance, over the timeline.
fn line_fit_flags(p: &Profile) -> bool {
    let ph = &p.phases[0];
    let ys: Vec<f64> = ph
        .live_timeline
        .iter()
        .filter(|t| t.tick >= ph.warmup_ticks)
        .map(|t| t.value as f64)
        .collect();
    let xs: Vec<f64> = ph
        .live_timeline
        .iter()
        .filter(|t| t.tick >= ph.warmup_ticks)
        .map(|t| t.tick as f64)
        .collect();
    let n = ys.len() as f64;
    if n < 8.0 {
        return false;
    }
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(&ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    let slope = sxy / sxx;
    syy > 0.0 && slope >= 1.0 && sxy * sxy / (sxx * syy) >= 0.9
}

#[test]
fn every_leak_is_caught_and_no_bounded_pattern_is_flagged() {
    const RUNS: usize = 20;
    let mut wrong = Vec::new();
    println!(
        "{:<48} {:>6}  {:>13}  {:>14}  {:>9}",
        "pattern", "ticks", "flagged", "B/tick (min)", "line fit"
    );
    for kind in LEAKS.iter().chain(BOUNDED) {
        for n in [200u64, 2000] {
            let mut flagged = 0;
            let mut line = 0;
            let mut least_rate = f64::INFINITY;
            for _ in 0..RUNS {
                let p = (kind.run)(n);
                let g = p.phases[0].growth_check;
                flagged += usize::from(g.steady_growth);
                line += usize::from(line_fit_flags(&p));
                least_rate = least_rate.min(g.retained_bytes_per_tick);
                if g.steady_growth != kind.leaks {
                    wrong.push(format!(
                        "{} at {n} ticks: {} ({g:?})",
                        kind.name,
                        if kind.leaks { "missed" } else { "flagged" }
                    ));
                }
            }
            println!(
                "{:<48} {n:>6}  {:>10} of {RUNS}  {least_rate:>14.2}  {line:>3} of {RUNS}",
                kind.name, flagged
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(LEAKS.iter().all(|k| k.leaks) && BOUNDED.iter().all(|k| !k.leaks));
    assert!(LEAKS.len() >= 8 && BOUNDED.len() >= 6);
}
