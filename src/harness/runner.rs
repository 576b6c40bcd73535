//! Runs a scenario and measures every tick.
//!
//! For each tick the runner opens a process peak region, takes a process
//! snapshot, arms a process-wide guard if the tick is hot, runs and times the
//! tick, disarms *without symbolising*, and takes the closing snapshot. Only
//! then may the runner itself allocate (to symbolise a violation): its own
//! work never lands in a tick's counts. Live bytes after each tick are the
//! phase's starting level plus the ticks' own deltas, so the timeline, growth
//! and peak describe the scenario, not the runner.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use super::growth::{GrowthCheck, PressureLevel, PressureMonitor};
use super::histogram::StepHistogram;
use super::profile::{
    downsample, PhaseProfile, Profile, StepTimes, TickCounts, TickViolation,
    PROFILE_SCHEMA_VERSION, RUSTC_VERSION,
};
use super::scale::Scale;
use super::scenario::{Metric, Phase, Scenario, TickContext};
use crate::block;
use crate::guard::{GuardConfig, HotGuard};
use crate::stats::{ensure_installed, ProcessPeakRegion};
use crate::Stats;

/// `debug` or `release`, as this build was compiled.
pub fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// Runs `scenario` at `scale`; a panic anywhere becomes `Err(message)`.
pub(crate) fn run<S: 'static>(scenario: &mut Scenario<S>, scale: Scale) -> Result<Profile, String> {
    ensure_installed();
    let _monitor = scenario.pressure_monitor.as_ref().map(|(interval, cb)| {
        let cb = cb.clone();
        PressureMonitor::start(*interval, scenario.pressure_edges, move |change| {
            if let Ok(mut f) = cb.lock() {
                (*f)(change)
            }
        })
    });
    catch_unwind(AssertUnwindSafe(|| run_inner(scenario, scale))).map_err(panic_message)
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

fn run_inner<S: 'static>(scenario: &mut Scenario<S>, scale: Scale) -> Profile {
    let before_setup = block::sum_process();
    let setup = scenario
        .setup
        .as_mut()
        .expect("a scenario always has a setup");
    let mut state = setup(scale);
    let setup_stats = block::sum_process().since(&before_setup);

    let mut runs = Vec::with_capacity(scenario.phases.len());
    for (phase, tick) in scenario.phases.iter_mut() {
        let mut run = run_phase(phase, tick.as_mut(), &mut state, scale);
        read_metrics(&scenario.metrics, &state, &mut run.profile);
        runs.push(run);
    }
    match scenario.teardown.as_mut() {
        Some(teardown) => teardown(state),
        None => drop(state),
    }
    let phases = runs
        .into_iter()
        .map(
            |PhaseRun {
                 mut profile,
                 growth_input,
             }| {
                profile.growth_check = scenario.growth_check.judge(&growth_input);
                profile.pressure = scenario
                    .pressure_edges
                    .level(profile.live_start + profile.peak);
                profile
            },
        )
        .collect();
    Profile {
        schema_version: PROFILE_SCHEMA_VERSION,
        scenario: scenario.name.clone(),
        scale,
        build_profile: build_profile().to_string(),
        rustc: RUSTC_VERSION.to_string(),
        source_file: scenario.source.map(|l| l.file().to_string()),
        source_line: scenario.source.map(|l| l.line()),
        expect: scenario.expect,
        setup: setup_stats,
        phases,
    }
}

/// A phase's profile plus the live bytes after each tick after warm-up,
/// which the growth check fits once the scenario's thresholds are at hand.
struct PhaseRun {
    profile: PhaseProfile,
    growth_input: Vec<i64>,
}

fn read_metrics<S>(metrics: &[Metric<S>], state: &S, phase: &mut PhaseProfile) {
    for m in metrics {
        phase.metrics.insert(m.name.clone(), (m.read)(state));
        if !m.stable {
            phase.volatile_metrics.push(m.name.clone());
        }
    }
}

fn run_phase<S>(
    phase: &Phase,
    tick: &mut (dyn FnMut(&mut S, &TickContext<'_>) + Send),
    state: &mut S,
    scale: Scale,
) -> PhaseRun {
    let n = phase.ticks_at(scale);
    let warmup = phase.warmup.min(n);
    // Everything the loop writes is allocated up front.
    let mut steps: Vec<u64> = Vec::with_capacity(n as usize);
    let mut lives: Vec<i64> = Vec::with_capacity(n as usize);
    let rss_start = rss_bytes();
    let live_start = block::sum_process().live_bytes();
    let mut live = live_start;
    let mut peak = 0i64;
    let mut totals = Stats::default();
    // The same after warm-up: what snapshots hold.
    let mut live_warm = live_start;
    let mut peak_warm = 0i64;
    let mut totals_warm = Stats::default();
    let (mut hot_ops, mut violating_ticks) = (0u64, 0u64);
    let mut first_violation = None;

    for index in 0..n {
        if index == warmup {
            live_warm = live;
        }
        let armed = phase.hot && index >= warmup;
        let ctx = TickContext {
            phase: &phase.name,
            index,
            ticks: n,
            warmup: index < warmup,
            armed,
            dt: phase.dt,
            time: index as f64 * phase.dt,
            scale,
        };
        let region = ProcessPeakRegion::open();
        let t0 = block::sum_process();
        let guard = armed.then(|| HotGuard::arm_here(GuardConfig::process()));
        let started = Instant::now();
        tick(state, &ctx);
        let elapsed = started.elapsed();
        let raw = guard.and_then(HotGuard::finish_raw);
        let t1 = block::sum_process();
        let rise = region.close();

        let d = t1.since(&t0);
        peak = peak.max(live - live_start + rise);
        if index >= warmup {
            peak_warm = peak_warm.max(live - live_warm + rise);
            totals_warm.add_counts(&d);
        }
        live += d.live_bytes();
        totals.add_counts(&d);
        steps.push(elapsed.as_nanos().min(u64::MAX as u128) as u64);
        lives.push(live);
        if let Some(raw) = raw {
            hot_ops += raw.count();
            violating_ticks += 1;
            if first_violation.is_none() {
                first_violation = Some(TickViolation {
                    tick: index,
                    violation: raw.symbolise(),
                });
            }
        }
    }

    let step_ns: Vec<i64> = steps
        .iter()
        .map(|&s| s.min(i64::MAX as u64) as i64)
        .collect();
    PhaseRun {
        growth_input: lives[warmup as usize..].to_vec(),
        profile: PhaseProfile {
            name: phase.name.clone(),
            ticks: n,
            warmup_ticks: warmup,
            hot_ticks: if phase.hot { n - warmup } else { 0 },
            hot: phase.hot,
            bounded: phase.bounded,
            allocs: totals.allocs,
            deallocs: totals.deallocs,
            reallocs: totals.reallocs,
            bytes_allocated: totals.bytes_allocated,
            bytes_freed: totals.bytes_freed,
            live_start,
            live_end: live,
            growth: live - live_start,
            peak: peak.max(0),
            hot_ops,
            violating_ticks,
            first_violation,
            after_warmup: TickCounts {
                ticks: n - warmup,
                allocs: totals_warm.allocs,
                deallocs: totals_warm.deallocs,
                reallocs: totals_warm.reallocs,
                bytes_allocated: totals_warm.bytes_allocated,
                bytes_freed: totals_warm.bytes_freed,
                growth: if warmup < n { live - live_warm } else { 0 },
                peak: peak_warm.max(0),
            },
            step: StepTimes::from_samples(&steps),
            step_histogram: StepHistogram::from_samples(&steps),
            live_timeline: downsample(&lives),
            step_timeline: downsample(&step_ns),
            rss_start,
            rss_end: rss_bytes(),
            growth_check: GrowthCheck::default().judge(&[]),
            pressure: PressureLevel::Low,
            metrics: BTreeMap::new(),
            volatile_metrics: Vec::new(),
        },
    }
}

/// Resident set size of this process, from `/proc/self/status` (Linux only).
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
