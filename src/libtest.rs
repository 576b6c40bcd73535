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
//! - refuse, with a message saying what to do, when another test may be
//!   running at the same time: a live thread named after another of the
//!   binary's tests (libtest names each test's thread after it; the binary's
//!   own `--list` says which names those are, once per process; the kernel
//!   keeps a name's first 15 bytes). Threads a test starts itself are its
//!   own: unnamed, they take its name; named (`worker`, a runtime's pool),
//!   they name no test. The region is checked again when it closes, for a
//!   test that started meanwhile. Where threads cannot be listed (not
//!   Linux), libtest running more than one test at a time is enough to
//!   refuse; where the binary cannot list its tests, any other thread is.
//!
//! Under nextest (one process per test) and with `--test-threads=1` only the
//! runner is left out. Outside libtest (a `harness = false` target such as
//! the scenario harness, a program), nothing changes.
//!
//! A test thread is told by its stack, once per thread: libtest runs a test
//! through `test::__rust_begin_short_backtrace`. Symbolising that stack costs
//! about 0.1 s the first time in a process (the debug info is loaded once).
//! A binary stripped of its symbols cannot be told; it is treated as not
//! libtest.

use std::cell::Cell;

use crate::block;

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
            let test = crate::hole::permit_alloc(detect);
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

/// The names of this binary's tests, as the kernel keeps a thread's name
/// (its first 15 bytes), from the binary's own `--list`: libtest names each
/// test's thread after the test, so a live thread of one of these names is
/// another test, and a thread of any other name (`worker`, a runtime's
/// pool) is one a test started. Listed once per process; `None` when the
/// binary cannot be listed.
fn test_thread_names() -> Option<&'static std::collections::BTreeSet<String>> {
    static NAMES: std::sync::OnceLock<Option<std::collections::BTreeSet<String>>> =
        std::sync::OnceLock::new();
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
                    .map(|name| {
                        let mut end = name.len().min(15);
                        while !name.is_char_boundary(end) {
                            end -= 1;
                        }
                        name[..end].to_string()
                    })
                    .collect(),
            )
        })
        .as_ref()
}

/// Names of the live threads that are neither the runner nor this test's
/// own, and are (or may be) another test's; `None` where threads cannot be
/// listed.
#[cfg(target_os = "linux")]
fn foreign_threads() -> Option<Vec<String>> {
    let comm = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim_end().to_string())
    };
    let own_path = std::fs::read_link("/proc/thread-self").ok()?;
    let own_tid = own_path.file_name()?.to_string_lossy().to_string();
    let own_name = comm("/proc/thread-self/comm")?;
    let runner = std::process::id().to_string();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let tid = entry.ok()?.file_name().to_string_lossy().to_string();
        if tid == own_tid || tid == runner {
            continue;
        }
        // A thread that ended meanwhile has no comm left: not live.
        if let Some(name) = comm(&format!("/proc/self/task/{tid}/comm")) {
            let a_test = test_thread_names().is_none_or(|tests| tests.contains(&name));
            if name != own_name && a_test {
                out.push(name);
            }
        }
    }
    out.sort();
    out.dedup();
    Some(out)
}

#[cfg(not(target_os = "linux"))]
fn foreign_threads() -> Option<Vec<String>> {
    None
}

/// What may be running besides this test: `None` when nothing can be.
fn concurrent() -> Option<String> {
    if std::env::var_os("NEXTEST").is_some() || test_threads() == 1 {
        return None;
    }
    match foreign_threads() {
        Some(names) if names.is_empty() => None,
        Some(names) => Some(format!("threads {}", names.join(", "))),
        None => Some(format!(
            "libtest runs {} tests at a time, and this system cannot list threads",
            test_threads()
        )),
    }
}

fn refuse(what: &str, others: &str) -> ! {
    panic!(
        "allocguard: {what} in a #[test] counts every thread of the process, and other tests \
         may be running at the same time ({others}): their heap operations would be blamed on \
         this test.\nMake it exact: put process-wide checks in a `harness = false` test target \
         (allocguard's scenario harness is one), or run the tests with cargo nextest (one \
         process per test), or with `cargo test -- --test-threads=1`."
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
    if let Some(others) = crate::hole::permit_alloc(concurrent) {
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
    if let Some(others) = crate::hole::permit_alloc(concurrent) {
        refuse(what, &others);
    }
}
