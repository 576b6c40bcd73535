//! Process-wide measurement inside libtest's ordinary `#[test]`s.
//!
//! libtest runs each test on a thread of its own, named after the test,
//! while its main thread (the runner) spawns, waits and bookkeeps; unless
//! told otherwise it runs several tests at once. A process-wide region
//! opened in a test would count the runner's work and every other test's.
//! So [`measure_process`](crate::measure_process) and process-armed guards,
//! called on a libtest test thread:
//!
//! - leave the runner out: its heap operations are libtest's, never the
//!   test's (it spawns and records the next tests, and prints a warning for a
//!   test that runs longer than 60 s, while this one runs);
//! - refuse, with a message saying what to do, when a live thread may not be
//!   this test's, told by what cannot collide:
//!   - a thread named after another of the binary's tests is that test
//!     (libtest names each test's thread after it; the binary's own `--list`
//!     says which names those are, once per process);
//!   - a thread that started before this test's own (by start time, then
//!     thread id) and names no test is a leftover of an earlier test (a
//!     worker it left running);
//!   - a thread under this test's own name is one it started (unnamed
//!     threads take their parent's name), unless another test's name shares
//!     its first 15 bytes (the kernel keeps no more of a name): then the two
//!     cannot be told apart, and it is refused;
//!   - a thread this test started itself, named or not, is its own, before
//!     the region or in it.
//!
//!   The region is checked again when it closes, for a test that started
//!   meanwhile. Where threads cannot be listed (not Linux), libtest running
//!   more than one test at a time is enough to refuse; where the binary
//!   cannot list its tests, any thread of another name is.
//!
//! Under nextest (one process per test) only the runner is left out; with
//! `--test-threads=1`, leftovers of earlier tests are still refused.
//! Outside libtest (a `harness = false` target such as the scenario
//! harness, a program), nothing changes.
//!
//! A test thread is told by its stack, once per thread: libtest runs a test
//! through `test::__rust_begin_short_backtrace`. Symbolising that stack costs
//! about 0.1 s the first time in a process (the debug info is loaded once).
//! A binary stripped of its symbols cannot be told; it is treated as not
//! libtest.

use std::cell::Cell;

use crate::counters::block;

const UNKNOWN: u8 = 0;
const NOT_A_TEST: u8 = 1;
const TEST: u8 = 2;

thread_local! {
    /// Whether this thread is a libtest test thread, once found out.
    static KIND: Cell<u8> = const { Cell::new(UNKNOWN) };
}

/// Whether the calling thread runs a libtest test (found out once, with a
/// backtrace, inside `permit_alloc`; cached).
pub(crate) fn on_test_thread() -> bool {
    match KIND.with(Cell::get) {
        TEST => true,
        NOT_A_TEST => false,
        _ => {
            let test = crate::counters::hole::permit_alloc(detect);
            KIND.with(|k| k.set(if test { TEST } else { NOT_A_TEST }));
            test
        }
    }
}

fn detect() -> bool {
    match std::thread::current().name() {
        None | Some("main") => false,
        Some(_) => {
            let trace = std::backtrace::Backtrace::force_capture().to_string();
            trace.contains("test::__rust_begin_short_backtrace") || trace.contains("test::run_test")
        }
    }
}

/// How many tests libtest runs at once: `--test-threads`, `RUST_TEST_THREADS`,
/// else the machine's parallelism, as libtest decides it.
fn test_threads() -> usize {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if let Some(n) = a.strip_prefix("--test-threads=") {
            return n.parse().unwrap_or(0);
        }
        if a == "--test-threads" {
            return args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        }
    }
    std::env::var("RUST_TEST_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The kernel keeps a thread's name to its first 15 bytes.
fn kept(name: &str) -> &str {
    let mut end = name.len().min(15);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// The names of this binary's tests, from its own `--list` (once per
/// process; `None` when the binary cannot be listed).
fn test_names() -> Option<&'static [String]> {
    static NAMES: std::sync::OnceLock<Option<Vec<String>>> = std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            let exe = std::env::current_exe().ok()?;
            let out = std::process::Command::new(exe)
                .args(["--list", "--format", "terse"])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())?;
            Some(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(|l| l.strip_suffix(": test"))
                    .map(str::to_string)
                    .collect(),
            )
        })
        .as_deref()
}

/// A live thread of this process, as `/proc` shows it.
#[cfg(target_os = "linux")]
struct Thread {
    tid: u64,
    /// Its name, as the kernel keeps it.
    name: String,
    /// When it started, in clock ticks since boot; with `tid`, an order no
    /// two threads share (ids are handed out in increasing order, and a
    /// wrap of the id counter within one tick is not possible in practice).
    start: (u64, u64),
}

#[cfg(target_os = "linux")]
fn thread_at(dir: &std::path::Path, tid: u64) -> Option<Thread> {
    let name = std::fs::read_to_string(dir.join("comm")).ok()?;
    let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
    // pid (comm) state ppid … : field 22, `starttime`, is the 20th after
    // the comm's closing parenthesis.
    let (_, rest) = stat.rsplit_once(')')?;
    let ticks = rest.split_whitespace().nth(19)?.parse().ok()?;
    Some(Thread {
        tid,
        name: name.trim_end().to_string(),
        start: (ticks, tid),
    })
}

/// The live threads that may be another test's or counted as this one's
/// by mistake, each named with why; `None` where threads cannot be listed.
///
/// Told by something that cannot collide: a thread that started before
/// this test's thread (by start time, then id) is not this test's, so one
/// that names no test is a leftover of an earlier test (a `bgworker` it
/// left running), refused. A thread named after another test is that test
/// (libtest names each test's thread after it): refused when tests may run
/// at once. A thread under this test's own name is one it started, unless
/// another test's name shares its first 15 bytes (the kernel keeps no
/// more), when the two cannot be told apart: refused.
#[cfg(target_os = "linux")]
fn foreign_threads(sequential: bool) -> Option<Vec<String>> {
    let own_tid: u64 = std::fs::read_link("/proc/thread-self")
        .ok()?
        .file_name()?
        .to_str()?
        .parse()
        .ok()?;
    let own = thread_at(std::path::Path::new("/proc/thread-self"), own_tid)?;
    let runner = u64::from(std::process::id());
    let tests = test_names();
    let a_test = |name: &str| tests.is_none_or(|t| t.iter().any(|n| kept(n) == name));
    let shares_own_name =
        tests.is_none_or(|t| t.iter().filter(|n| kept(n) == own.name).count() > 1);
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let entry = entry.ok()?;
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<u64>().ok())
        else {
            continue;
        };
        if tid == own.tid || tid == runner {
            continue;
        }
        // A thread that ended meanwhile has nothing left to read: not live.
        let Some(t) = thread_at(&entry.path(), tid) else {
            continue;
        };
        let before_us = t.start < own.start;
        if t.name == own.name {
            if shares_own_name && !sequential {
                out.push(format!(
                    "{} (this test's name and another's share their first 15 bytes, which is \
                     all of a thread's name the system keeps: their threads cannot be told \
                     apart)",
                    t.name
                ));
            }
        } else if a_test(&t.name) {
            // Under --test-threads=1 a test thread is one winding down
            // after its test; beside others, a running test.
            if !sequential {
                out.push(format!("{} (another test)", t.name));
            }
        } else if before_us {
            out.push(format!(
                "{} (started before this test: an earlier test left it running)",
                t.name
            ));
        }
    }
    out.sort();
    out.dedup();
    Some(out)
}

#[cfg(not(target_os = "linux"))]
fn foreign_threads(_sequential: bool) -> Option<Vec<String>> {
    None
}

/// What may be running besides this test: `None` when nothing can be.
fn concurrent() -> Option<String> {
    if std::env::var_os("NEXTEST").is_some() {
        return None;
    }
    let sequential = test_threads() == 1;
    match foreign_threads(sequential) {
        Some(names) if names.is_empty() => None,
        Some(names) => Some(format!("threads {}", names.join(", "))),
        None if sequential => None,
        None => Some(format!(
            "libtest runs {} tests at a time, and this system cannot list threads",
            test_threads()
        )),
    }
}

fn refuse(what: &str, others: &str) -> ! {
    panic!(
        "allocguard: {what} in a #[test] counts every thread of the process, and threads that \
         may not be this test's are alive ({others}): their heap operations would be blamed on \
         this test.\nMake it exact: put process-wide checks in a `harness = false` test target \
         (allocguard's scenario harness is one), or run the tests with cargo nextest (one \
         process per test), or with `cargo test -- --test-threads=1`; end the threads an \
         earlier test starts before it returns."
    )
}

/// The block a process-wide region must leave out: libtest's runner, when
/// the caller is a libtest test thread (0 otherwise). Panics, naming `what`
/// and the way out, when another test may be running.
pub(crate) fn process_region(what: &str) -> usize {
    if !on_test_thread() {
        return 0;
    }
    let runner = block::first_block();
    let own = block::with_block(|b| b as *const block::ThreadBlock as usize);
    if runner == own {
        return 0;
    }
    if let Some(others) = crate::counters::hole::permit_alloc(concurrent) {
        refuse(what, &others);
    }
    runner
}

/// At the end of a region opened with [`process_region`]: a test that
/// started meanwhile makes the region's counts unsound.
pub(crate) fn process_region_end(what: &str, left_out: usize) {
    if left_out == 0 || std::thread::panicking() {
        return;
    }
    if let Some(others) = crate::counters::hole::permit_alloc(concurrent) {
        refuse(what, &others);
    }
}
