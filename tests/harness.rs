//! The scenario harness, tested through its public API. Scenarios arm
//! process-wide guards, so these tests run one at a time on the main thread
//! (libtest-mimic with one thread), like any scenario binary.

use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use allocguard::_cargo_allocguard::RunFile;
use allocguard::harness::{
    assert_profile_snapshot, snapshot_path, PressureEdges, PressureLevel, MAX_TIMELINE_POINTS,
};
use allocguard::{CountingAlloc, Phase, Scale, Scenario};
use libtest_mimic::{Arguments, Failed, Trial};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

mod support;
use support::examples;

type TestResult = Result<(), Failed>;

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> TestResult {
    if cond {
        Ok(())
    } else {
        Err(msg().into())
    }
}

fn tick_17_fails_naming_phase_tick_count_bytes_and_function() -> TestResult {
    let failure = examples::tick_17("t/tick_17", 10)
        .run_and_check(Scale::Smoke)
        .err()
        .ok_or("an allocation in an armed tick must fail the scenario")?;
    let msg = failure.message;
    for needle in [
        "scenario `t/tick_17` failed",
        "phase `hot`, tick 17:",
        "1 allocation (64 bytes allocated) on any thread",
        "allocate_on_tick_17",
        "in all: 1 heap operation in 1 of 30 armed ticks",
    ] {
        ensure(msg.contains(needle), || {
            format!("missing {needle:?} in:\n{msg}")
        })?;
    }
    let profile = failure.profile.ok_or("the failure carries the profile")?;
    let phase = profile.phase("hot").ok_or("phase hot")?;
    ensure(
        phase.first_violation.as_ref().map(|v| v.tick) == Some(17),
        || format!("{phase:?}"),
    )
}

fn tick_17_inside_the_warm_up_passes() -> TestResult {
    let profile = examples::tick_17("t/tick_17_warm", 20)
        .run_and_check(Scale::Smoke)
        .map_err(|f| f.message)?;
    let phase = &profile.phases[0];
    ensure(
        (phase.allocs, phase.hot_ticks, phase.hot_ops) == (1, 20, 0),
        || format!("{phase:?}"),
    )
}

fn a_worker_thread_allocating_during_a_hot_tick_is_caught() -> TestResult {
    let failure = examples::worker_thread("t/worker")
        .run_and_check(Scale::Smoke)
        .err()
        .ok_or("the worker's allocation was not caught")?;
    let profile = failure.profile.ok_or("profile")?;
    let first = profile.phases[0].first_violation.as_ref().ok_or("first")?;
    ensure(first.tick == 5, || format!("tick {}", first.tick))?;
    ensure(
        (first.violation.allocs, first.violation.bytes_allocated) == (1, 100),
        || format!("{:?}", first.violation),
    )?;
    let user = first
        .violation
        .first
        .as_ref()
        .and_then(|o| o.user_frame())
        .ok_or("no user frame")?;
    ensure(user.function.contains("worker_allocates"), || {
        user.to_string()
    })
}

fn the_slow_leak_is_flagged_and_the_ring_buffer_is_not() -> TestResult {
    let leak = examples::slow_leak("t/leak")
        .run(Scale::Smoke)
        .map_err(|e| e.to_string())?;
    let g = leak.phases[0].growth_check;
    // 290 ticks after warm-up, quarters from ticks 0, 72, 145, 217 of them:
    // the floor of the last stands 145 boxes of 24 bytes above the second's,
    // plus the Vec's one reallocation between them (128 → 256 pointers:
    // 83 items at the second quarter's start, 228 at the last's).
    ensure(
        g.steady_growth && g.retained_bytes == 145 * 24 + 128 * 8 && g.ticks == 290,
        || format!("{g:?}"),
    )?;
    // Kept since the first measured tick's box: tick 11 of the phase (10
    // of warm-up, then the one whose box is the floor's first rise).
    ensure(g.since_tick == Some(11), || format!("{g:?}"))?;
    // In a bounded phase, without expect_growth, that is a failure that says so.
    let failure = examples::slow_leak("t/leak_unexpected")
        .run_and_check(Scale::Smoke)
        .err()
        .ok_or("a bounded phase that grows must fail")?;
    ensure(
        failure.message.contains(
            "phase `leaking` is bounded, but it keeps memory: 31.1 bytes a tick since tick 11",
        ),
        || failure.message.clone(),
    )?;
    let ring = examples::ring_buffer()
        .run(Scale::Smoke)
        .map_err(|e| e.to_string())?;
    let g = ring.phases[0].growth_check;
    ensure(!g.steady_growth && g.retained_bytes == 0, || {
        format!("{g:?}")
    })
}

/// The site of a failure message's line naming `function`.
fn site_line<'m>(msg: &'m str, function: &str) -> Result<&'m str, Failed> {
    msg.lines()
        .find(|l| {
            // Full paths with debug info, bare names with line tables only.
            l.contains(&format!("::{function} (called from "))
                || l.contains(&format!(" in {function} (called from "))
        })
        .ok_or_else(|| format!("no site of {function} in:\n{msg}").into())
}

fn a_failing_hot_tick_names_every_allocating_site_with_its_counts() -> TestResult {
    // No `Phase::sites()`: the failure makes the second run record them.
    let failure = examples::two_sites("t/two_sites", false)
        .run_and_check(Scale::Smoke)
        .err()
        .ok_or("allocations in armed ticks must fail")?;
    let msg = &failure.message;
    ensure(
        msg.contains("every site that used the heap in them (from a second run with sites on):"),
        || msg.clone(),
    )?;
    // 30 armed ticks, each allocating and freeing one block at each line.
    let boxes = site_line(msg, "make_small_box")?;
    ensure(
        boxes.contains("examples.rs:")
            && boxes.contains("30 allocations, 30 deallocations (2 a tick), 480 B allocated"),
        || boxes.to_string(),
    )?;
    let vecs = site_line(msg, "make_vec")?;
    ensure(
        vecs.contains("examples.rs:")
            && vecs.contains("30 allocations, 30 deallocations (2 a tick), 960 B allocated"),
        || vecs.to_string(),
    )?;
    // The sites add up to the phase's counts after warm-up.
    let profile = failure.profile.ok_or("profile")?;
    let p = profile.phase("hot").ok_or("phase")?;
    let sites = p.sites.as_ref().ok_or("the phase carries its sites")?;
    let t = sites.sites.totals();
    let c = &p.after_warmup;
    ensure(
        (
            t.allocs,
            t.deallocs,
            t.reallocs,
            t.bytes_allocated,
            t.bytes_freed,
        ) == (
            c.allocs,
            c.deallocs,
            c.reallocs,
            c.bytes_allocated,
            c.bytes_freed,
        ) && (c.allocs, c.bytes_allocated) == (60, 1440)
            && sites.sites.sites.len() == 2,
        || format!("sites {sites:?}\nafter warm-up {c:?}"),
    )?;
    // Asked for in the phase, they come from the first run.
    let failure = examples::two_sites("t/two_sites_asked", true)
        .run_and_check(Scale::Smoke)
        .err()
        .ok_or("must fail")?;
    ensure(
        failure
            .message
            .contains("every site that used the heap in them:"),
        || failure.message.clone(),
    )
}

fn sites_that_overflowed_their_table_are_taken_again_in_a_larger_one() -> TestResult {
    // The phase records its sites itself, but its one armed tick has twice
    // as many stacks as a table holds: the second run's larger table tells
    // them all apart.
    let failure = examples::many_stacks("t/many_stacks")
        .run_and_check(Scale::Smoke)
        .err()
        .ok_or("allocations in armed ticks must fail")?;
    let profile = failure.profile.ok_or("profile")?;
    let p = profile.phase("hot").ok_or("phase")?;
    let sites = p.sites.as_ref().ok_or("the phase carries its sites")?;
    let paths = 2u64 << examples::BRANCH_LEVELS;
    // A site keeps its innermost eight frames of the user's code: eight
    // levels of the two functions, 256 sites once trimmed.
    let trimmed = 1 << 8;
    let t = sites.sites.totals();
    ensure(
        sites.from_second_run
            && sites.sites.overflow.ops() == 0
            && sites.sites.distinct == trimmed
            && sites.sites.table_slots > paths
            && (t.allocs, t.deallocs) == (paths, paths)
            && (p.after_warmup.allocs, p.after_warmup.deallocs) == (paths, paths),
        || {
            format!(
                "second run {}, {} distinct in {} slots, overflow {:?}, totals {t:?}, \
                 after warm-up {:?}",
                sites.from_second_run,
                sites.sites.distinct,
                sites.sites.table_slots,
                sites.sites.overflow,
                p.after_warmup
            )
        },
    )
}

fn a_growth_failure_names_the_site_that_holds_the_memory() -> TestResult {
    let failure = examples::slow_leak("t/leak_sites")
        .run_and_check(Scale::Smoke)
        .err()
        .ok_or("a bounded phase that grows must fail")?;
    let msg = &failure.message;
    // 300 ticks, 10 of warm-up: 290 boxes of 24 bytes kept, and the vector
    // that keeps them, pushed on the same line, reallocated 5 times after
    // warm-up (capacity 16 → 512), now 4096 bytes: 11,056 bytes in all.
    let held = msg
        .lines()
        .find(|l| l.contains("examples.rs:154") && l.contains("B still held"))
        .ok_or_else(|| format!("the box line is not named:\n{msg}"))?;
    ensure(
        held.contains(": 11,056 B still held (290 allocations, 5 reallocations)"),
        || held.to_string(),
    )?;
    let first_holder = msg
        .split("what holds the memory at the phase's end (from a second run with sites on):")
        .nth(1)
        .and_then(|rest| rest.lines().nth(1))
        .unwrap_or_default();
    ensure(first_holder.contains("examples.rs:154"), || msg.clone())
}

fn five_runs_give_identical_counts_equal_to_construction() -> TestResult {
    let mut counts = Vec::new();
    for _ in 0..5 {
        let p = examples::known_counts()
            .run_and_check(Scale::Smoke)
            .map_err(|f| f.message)?;
        let phases: Vec<_> = p
            .phases
            .iter()
            .map(|ph| {
                (
                    ph.allocs,
                    ph.deallocs,
                    ph.reallocs,
                    ph.bytes_allocated,
                    ph.bytes_freed,
                    ph.growth,
                    ph.peak,
                )
            })
            .collect();
        counts.push(phases);
    }
    ensure(counts.windows(2).all(|w| w[0] == w[1]), || {
        format!("{counts:?}")
    })?;
    // Idle: nothing. One 32-byte box allocated and freed per tick, 50 ticks:
    // peak one box.
    ensure(
        counts[0] == vec![(0, 0, 0, 0, 0, 0, 0), (50, 50, 0, 1600, 1600, 0, 32)],
        || format!("{:?}", counts[0]),
    )
}

fn expectations_that_are_not_met_fail() -> TestResult {
    let f = examples::ring_buffer()
        .expect_violation()
        .run_and_check(Scale::Smoke)
        .err()
        .ok_or("expect_violation on a clean scenario must fail")?;
    ensure(f.message.contains("all 180 armed ticks were clean"), || {
        f.message.clone()
    })?;
    let f = examples::ring_buffer()
        .expect_growth()
        .run_and_check(Scale::Smoke)
        .err()
        .ok_or("expect_growth without growth must fail")?;
    ensure(
        f.message
            .contains("no phase grew steadily: `steady` kept 0.00 B a tick late in the phase"),
        || f.message.clone(),
    )
}

fn a_panicking_tick_fails_and_leaves_the_next_scenario_clean() -> TestResult {
    let mut boom =
        Scenario::new("t/boom")
            .setup(|_| ())
            .phase(Phase::new("hot").ticks(5).hot(), |_, t| {
                if t.index == 3 {
                    panic!("tick three exploded");
                }
            });
    let f = boom
        .run_and_check(Scale::Smoke)
        .err()
        .ok_or("a panic must fail")?;
    ensure(
        f.message.contains("tick three exploded") && f.profile.is_none(),
        || f.message.clone(),
    )?;
    examples::ring_buffer()
        .run_and_check(Scale::Smoke)
        .map(|_| ())
        .map_err(|f| f.message.into())
}

fn long_phases_are_downsampled_and_rss_is_read() -> TestResult {
    let p = Scenario::new("t/long")
        .setup(|_| 0u64)
        .phase(Phase::new("many").ticks(5_000), |n, t| *n += t.index)
        .run(Scale::Smoke)
        .map_err(|e| e.to_string())?;
    let ph = &p.phases[0];
    ensure(ph.live_timeline.len() <= MAX_TIMELINE_POINTS, || {
        ph.live_timeline.len().to_string()
    })?;
    ensure(ph.step_timeline.len() == ph.live_timeline.len(), || {
        "timelines differ".into()
    })?;
    ensure(
        ph.live_timeline.last().map(|p| p.tick) == Some(4_999),
        || "last tick".into(),
    )?;
    ensure(
        ph.step.max_ns >= ph.step.p99_ns && ph.step.p99_ns >= ph.step.p50_ns,
        || format!("{:?}", ph.step),
    )?;
    if cfg!(target_os = "linux") {
        ensure(
            ph.rss_start.is_some_and(|r| r > 0) && ph.rss_end.is_some(),
            || "rss".into(),
        )?;
    }
    Ok(())
}

fn the_pressure_monitor_reports_level_changes() -> TestResult {
    // Levels are the scenario's own heap's, not the process's: 2 MiB the
    // process holds beforehand, over the medium edge, do not count.
    let ballast = black_box(vec![1u8; 2 << 20]);
    let seen = Arc::new(AtomicBool::new(false));
    let edges = PressureEdges {
        medium: 1 << 20,
        high: 64 << 20,
        critical: 128 << 20,
    };
    let changes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut s = {
        let (seen, changes) = (seen.clone(), changes.clone());
        Scenario::new("t/pressure")
            .setup(|_| Vec::<u8>::new())
            .pressure_edges(edges)
            .on_pressure_change(Duration::from_millis(1), move |c| {
                changes.lock().unwrap().push(c);
                seen.store(true, Ordering::Release);
            })
    };
    let seen_in_tick = seen.clone();
    s = s.phase(Phase::new("idle").ticks(2), |_, _| {}).phase(
        Phase::new("fill").ticks(2),
        move |buf, t| {
            if t.index == 0 {
                *buf = vec![1u8; 4 << 20];
                let deadline = Instant::now() + Duration::from_secs(10);
                while !seen_in_tick.load(Ordering::Acquire) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        },
    );
    let p = s.run(Scale::Smoke).map_err(|e| e.to_string())?;
    drop(ballast);
    let changes = changes.lock().unwrap().clone();
    ensure(
        changes
            .first()
            .is_some_and(|c| c.from == PressureLevel::Low && c.to == PressureLevel::Medium),
        || format!("{changes:?}"),
    )?;
    let levels: Vec<PressureLevel> = p.phases.iter().map(|ph| ph.pressure).collect();
    ensure(
        levels == [PressureLevel::Low, PressureLevel::Medium],
        || format!("{levels:?}"),
    )
}

fn a_snapshot_mismatch_fails_and_writes_snap_new_except_in_ci() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let profile = examples::known_counts()
        .run(Scale::Smoke)
        .map_err(|e| e.to_string())?;
    let path = snapshot_path(dir.path(), &profile);
    let pending = Path::new(&format!("{}.new", path.display())).to_path_buf();
    let was_ci = std::env::var_os("CI");
    let was_update = std::env::var_os("INSTA_UPDATE");
    std::env::remove_var("INSTA_UPDATE");

    // A new snapshot fails, says it is missing, and is proposed as
    // .snap.new; accepting it is a rename (what `cargo insta review` does).
    std::env::remove_var("CI");
    let new = assert_profile_snapshot(dir.path(), &profile, true);
    ensure(
        new.as_ref().is_err_and(|e| e.contains("is missing")) && pending.exists() && !path.exists(),
        || format!("{new:?}"),
    )?;
    // The file is insta's: its header names the scenario's own file, and
    // insta reads it back.
    let written = std::fs::read_to_string(&pending).map_err(|e| e.to_string())?;
    ensure(
        written.starts_with("---\nsource: tests/support/examples.rs\nassertion_line: "),
        || written.clone(),
    )?;
    let snap = insta::Snapshot::from_file(&pending).map_err(|e| e.to_string())?;
    ensure(
        snap.metadata().source() == Some("tests/support/examples.rs"),
        || format!("{:?}", snap.metadata()),
    )?;
    ensure(
        written.contains(&format!(
            "rustc: \"{}\"",
            allocguard::harness::RUSTC_VERSION
        )),
        || written.clone(),
    )?;
    std::fs::rename(&pending, &path).map_err(|e| e.to_string())?;
    assert_profile_snapshot(dir.path(), &profile, true).map_err(|e| format!("same run: {e}"))?;

    // Tamper with one count: the next run no longer matches.
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    std::fs::write(&path, text.replacen("allocs: 50", "allocs: 49", 1))
        .map_err(|e| e.to_string())?;

    std::env::set_var("CI", "true");
    let ci = assert_profile_snapshot(dir.path(), &profile, true);
    ensure(
        ci.as_ref().is_err_and(|e| {
            e.contains("differs from this run")
                && e.contains("│-    allocs: 49\n")
                && e.contains("│+    allocs: 50\n")
                && e.contains("CI is set, so nothing was written")
                && !e.contains("note:")
        }),
        || format!("{ci:?}"),
    )?;
    ensure(!pending.exists(), || "CI must not write .snap.new".into())?;

    std::env::remove_var("CI");
    let local = assert_profile_snapshot(dir.path(), &profile, true);
    ensure(
        local
            .as_ref()
            .is_err_and(|e| e.contains("cargo allocguard review")),
        || format!("{local:?}"),
    )?;
    ensure(pending.exists(), || {
        "a local mismatch leaves .snap.new".into()
    })?;
    let tampered = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    ensure(tampered.contains("allocs: 49"), || {
        "the committed snapshot is left alone".into()
    })?;

    // Made under another compiler: that is said before the difference.
    let other = text.replacen(
        allocguard::harness::RUSTC_VERSION,
        "1.80.0 (051478957 2024-07-21)",
        1,
    );
    std::fs::write(&path, other.replacen("allocs: 50", "allocs: 49", 1))
        .map_err(|e| e.to_string())?;
    let compiler = assert_profile_snapshot(dir.path(), &profile, true);
    ensure(
        compiler.as_ref().is_err_and(|e| {
            let note = e.find("note: the snapshot was made with rustc 1.80.0");
            let diff = e.find("-old snapshot");
            note.is_some() && note < diff
        }),
        || format!("{compiler:?}"),
    )?;

    std::env::remove_var("CI");
    if let Some(v) = was_ci {
        std::env::set_var("CI", v);
    }
    if let Some(v) = was_update {
        std::env::set_var("INSTA_UPDATE", v);
    }
    Ok(())
}

fn the_harness_writes_the_run_file() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = dir.path().join("nested/run.json");
    std::env::set_var("ALLOCGUARD_OUT", &out);
    let args = Arguments {
        filter: Some("examples/known_counts".into()),
        exact: true,
        quiet: true,
        ..Arguments::default()
    };
    let code = allocguard::Harness::with_args(args)
        .snapshot_dir(dir.path())
        .scenario(examples::known_counts().without_snapshot())
        .scenario(examples::ring_buffer())
        .run();
    std::env::remove_var("ALLOCGUARD_OUT");
    ensure(
        format!("{code:?}") == format!("{:?}", std::process::ExitCode::SUCCESS),
        || format!("exit {code:?}"),
    )?;
    let run = RunFile::read(&out)?;
    ensure(run.scenarios.len() == 1, || {
        format!("{} records", run.scenarios.len())
    })?;
    let rec = &run.scenarios[0];
    let phase = &rec.profile.as_ref().ok_or("profile")?.phases[1];
    ensure(
        rec.passed && phase.allocs == 50 && phase.bytes_allocated == 1600,
        || format!("{rec:?}"),
    )
}

fn main() {
    let mut args = Arguments::from_args();
    args.test_threads = Some(1);
    let tests = vec![
        Trial::test(
            "tick_17_fails_naming_phase_tick_count_bytes_and_function",
            tick_17_fails_naming_phase_tick_count_bytes_and_function,
        ),
        Trial::test(
            "tick_17_inside_the_warm_up_passes",
            tick_17_inside_the_warm_up_passes,
        ),
        Trial::test(
            "a_worker_thread_allocating_during_a_hot_tick_is_caught",
            a_worker_thread_allocating_during_a_hot_tick_is_caught,
        ),
        Trial::test(
            "the_slow_leak_is_flagged_and_the_ring_buffer_is_not",
            the_slow_leak_is_flagged_and_the_ring_buffer_is_not,
        ),
        Trial::test(
            "sites_that_overflowed_their_table_are_taken_again_in_a_larger_one",
            sites_that_overflowed_their_table_are_taken_again_in_a_larger_one,
        ),
        Trial::test(
            "a_failing_hot_tick_names_every_allocating_site_with_its_counts",
            a_failing_hot_tick_names_every_allocating_site_with_its_counts,
        ),
        Trial::test(
            "a_growth_failure_names_the_site_that_holds_the_memory",
            a_growth_failure_names_the_site_that_holds_the_memory,
        ),
        Trial::test(
            "five_runs_give_identical_counts_equal_to_construction",
            five_runs_give_identical_counts_equal_to_construction,
        ),
        Trial::test(
            "expectations_that_are_not_met_fail",
            expectations_that_are_not_met_fail,
        ),
        Trial::test(
            "a_panicking_tick_fails_and_leaves_the_next_scenario_clean",
            a_panicking_tick_fails_and_leaves_the_next_scenario_clean,
        ),
        Trial::test(
            "long_phases_are_downsampled_and_rss_is_read",
            long_phases_are_downsampled_and_rss_is_read,
        ),
        Trial::test(
            "the_pressure_monitor_reports_level_changes",
            the_pressure_monitor_reports_level_changes,
        ),
        Trial::test(
            "a_snapshot_mismatch_fails_and_writes_snap_new_except_in_ci",
            a_snapshot_mismatch_fails_and_writes_snap_new_except_in_ci,
        ),
        Trial::test(
            "the_harness_writes_the_run_file",
            the_harness_writes_the_run_file,
        ),
    ];
    libtest_mimic::run(&args, tests).exit();
}
