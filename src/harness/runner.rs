//! Runs a scenario and measures every tick.
//!
//! For each tick the runner opens a process peak region, takes a process
//! snapshot, arms a process-wide guard if the tick is hot, runs and times the
//! tick, disarms *without symbolising*, and takes the closing snapshot. The
//! runner allocates nothing of its own while the phases run: its buffers are
//! allocated before the first phase, and what it makes of them (symbolised
//! violations, timelines, histograms, metric maps) after the last, so its
//! work never lands in a tick's counts nor in a DHAT profile of the phases.
//! Live bytes after each tick are the phase's starting level plus the ticks'
//! own deltas, so the timeline, growth and peak describe the scenario, not
//! the runner.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use super::growth::GrowthCheck;
use super::histogram::StepHistogram;
use super::pressure::{PressureLevel, PressureMonitor};
use super::profile::{
    downsample, PhaseProfile, PhaseSites, Profile, StepTimes, TickCounts, TickViolation,
    PROFILE_SCHEMA_VERSION, RUSTC_VERSION,
};
use super::scale::Scale;
use super::scenario::{Metric, Phase, Scenario, SitesMode, TickContext};
use crate::counters::block;
use crate::guard::hot_scope::RawViolation;
use crate::guard::hot_scope::{GuardConfig, HotGuard};
use crate::measure::stats::{ensure_installed, ProcessPeakRegion};
use crate::sites::table::{self as site_table, SiteTable, SITE_SLOTS};
use crate::{Sites, Stats};

/// `debug` or `release`, as this build was compiled.
pub fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// With the `dhat` feature, a DHAT heap profile of a scenario's phases (not
/// its setup or teardown, nor allocguard's own work) is written to the path in
/// this variable. Run one scenario at a time with it: each writes the file.
pub const DHAT_OUT_ENV: &str = "ALLOCGUARD_DHAT_OUT";

/// What a run records beyond the counts.
pub(crate) struct RunOptions {
    /// Per phase: whether to record its allocation sites.
    pub(crate) sites: Vec<bool>,
    /// Distinct stacks each phase's site table holds.
    pub(crate) site_slots: usize,
    /// Whether a DHAT profile may be taken (`ALLOCGUARD_DHAT_OUT`): not in a
    /// second run.
    pub(crate) dhat: bool,
}

impl<S: 'static> Scenario<S> {
    /// Runs the scenario once at `scale` and returns its profile, without
    /// judging it. A panic in setup, a tick, a metric or teardown is returned
    /// as `Err` with its message. Phases record their sites when they ask
    /// for it ([`Phase::sites`]) or when `ALLOCGUARD_SITES=on`.
    pub fn run(&mut self, scale: Scale) -> Result<Profile, String> {
        let everywhere = SitesMode::from_env() == SitesMode::On;
        let options = RunOptions {
            sites: self
                .phases
                .iter()
                .map(|(p, _)| p.sites || self.sites || everywhere)
                .collect(),
            site_slots: SITE_SLOTS,
            dhat: true,
        };
        run(self, scale, &options)
    }
}

/// Runs `scenario` at `scale`; a panic anywhere becomes `Err(message)`.
pub(crate) fn run<S: 'static>(
    scenario: &mut Scenario<S>,
    scale: Scale,
    options: &RunOptions,
) -> Result<Profile, String> {
    ensure_installed();
    // The scenario's own heap: what the process holds beyond this point.
    let baseline = crate::process_stats().live_bytes();
    let _monitor = scenario.pressure_monitor.as_ref().map(|(interval, cb)| {
        let cb = cb.clone();
        PressureMonitor::start(
            *interval,
            scenario.pressure_edges,
            baseline,
            move |change| {
                if let Ok(mut f) = cb.lock() {
                    (*f)(change)
                }
            },
        )
    });
    catch_unwind(AssertUnwindSafe(|| run_inner(scenario, scale, options))).map_err(panic_message)
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

fn run_inner<S: 'static>(
    scenario: &mut Scenario<S>,
    scale: Scale,
    options: &RunOptions,
) -> Profile {
    let before_setup = block::sum_process();
    let setup = scenario
        .setup
        .as_mut()
        .expect("a scenario always has a setup");
    let mut state = setup(scale);
    let setup_stats = block::sum_process().since(&before_setup);

    // Everything the phases write is allocated before the first one starts,
    // and everything made of it (symbolised violations, timelines,
    // histograms, metric maps) after the last one ends: between the two,
    // the only allocations are the scenario's. A DHAT profile
    // (`cargo allocguard profile`) covers exactly that stretch.
    let mut measures: Vec<PhaseMeasure> = scenario
        .phases
        .iter()
        .enumerate()
        .map(|(i, (phase, _))| {
            let sites = options.sites.get(i).copied().unwrap_or(false);
            let sites = sites.then_some(options.site_slots);
            PhaseMeasure::new(phase, scale, scenario.metrics.len(), sites)
        })
        .collect();
    let dhat_out = options.dhat.then(dhat_window::wanted).flatten();
    {
        // The profiler, once started, writes its file as this block ends.
        let mut profiler: Option<dhat_window::Profiler> = None;
        let mut start_profiler = |_: &mut S, _: &TickContext<'_>| {
            if let Some(path) = &dhat_out {
                profiler = Some(dhat_window::start(path));
            }
        };
        let mut start: Option<&mut TickFn<'_, S>> = if dhat_out.is_some() {
            Some(&mut start_profiler)
        } else {
            None
        };
        for ((phase, tick), m) in scenario.phases.iter_mut().zip(measures.iter_mut()) {
            measure_phase(phase, tick.as_mut(), &mut state, scale, m, &mut start);
            for metric in &scenario.metrics {
                m.metric_values.push((metric.read)(&state));
            }
        }
    }
    match scenario.teardown.as_mut() {
        Some(teardown) => teardown(state),
        None => drop(state),
    }
    // Pressure on the scenario's own heap: what its setup kept and its ticks
    // added, never the harness's or libtest's memory.
    let mut held = setup_stats.live_bytes();
    let phases = scenario
        .phases
        .iter()
        .zip(measures)
        .map(|((phase, _), m)| {
            let mut profile = m.profile(phase, &scenario.metrics, &scenario.growth_check);
            profile.pressure = scenario.pressure_edges.level(held + profile.peak);
            held += profile.growth;
            profile
        })
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

/// The DHAT profiler of `cargo allocguard profile`, over the phases only.
#[cfg(feature = "dhat")]
mod dhat_window {
    /// The profiler.
    pub type Profiler = dhat::Profiler;

    /// Where to write the profile, when one is wanted (`ALLOCGUARD_DHAT_OUT`);
    /// then `CountingAlloc::system()` is switched over to DHAT's allocator
    /// (before the scenario's setup), so that the profiler sees its blocks.
    pub fn wanted() -> Option<std::ffi::OsString> {
        let path = std::env::var_os(super::DHAT_OUT_ENV)?;
        crate::alloc::dhat_on_request::request();
        Some(path)
    }

    /// Starts the profiler; it writes `path` when dropped.
    pub fn start(path: &std::ffi::OsStr) -> Profiler {
        dhat::Profiler::builder().file_name(path).build()
    }
}

/// Without the `dhat` feature there is no profiler.
#[cfg(not(feature = "dhat"))]
mod dhat_window {
    /// No profiler.
    pub enum Profiler {}

    /// Never wanted.
    pub fn wanted() -> Option<std::ffi::OsString> {
        None
    }

    /// Not reached: `wanted` is always `None`.
    pub fn start(_: &std::ffi::OsStr) -> Profiler {
        unreachable!("no DHAT profiler without the `dhat` feature")
    }
}

/// A tick, as the runner calls it.
type TickFn<'a, S> = dyn FnMut(&mut S, &TickContext<'_>) + 'a;

/// Calls a tick. Every tick goes through this one call instruction, and so
/// does the start of a DHAT profile (see [`measure_phase`]): DHAT cuts from
/// every backtrace the bottom frames it shares with the one it took when it
/// started, so the profile's backtraces end at the scenario's own tick
/// closure, with no frame of allocguard's below it.
#[inline(never)]
fn call_tick<S>(
    tick: &mut dyn FnMut(&mut S, &TickContext<'_>),
    state: &mut S,
    ctx: &TickContext<'_>,
) {
    crate::sites::unwind::bounded(|| tick(state, ctx))
}

/// What one phase measured, in buffers allocated before it ran.
struct PhaseMeasure {
    ticks: u64,
    warmup: u64,
    steps: Vec<u64>,
    lives: Vec<i64>,
    rss_start: Option<u64>,
    rss_end: Option<u64>,
    live_start: i64,
    live: i64,
    peak: i64,
    totals: Stats,
    // The same after warm-up: what snapshots hold.
    live_warm: i64,
    peak_warm: i64,
    totals_warm: Stats,
    hot_ops: u64,
    violating_ticks: u64,
    first_violation: Option<(u64, RawViolation)>,
    metric_values: Vec<f64>,
    /// Where the ticks after warm-up record their sites, when they do.
    sites: Option<SiteTable>,
    /// Whether a tick has recorded into `sites` yet.
    sites_started: bool,
}

impl PhaseMeasure {
    /// `record_sites`: the slots of the site table, when the phase records
    /// its sites.
    fn new(phase: &Phase, scale: Scale, metrics: usize, record_sites: Option<usize>) -> Self {
        let n = phase.ticks_at(scale);
        Self {
            ticks: n,
            warmup: phase.warmup.min(n),
            steps: Vec::with_capacity(n as usize),
            lives: Vec::with_capacity(n as usize),
            rss_start: None,
            rss_end: None,
            live_start: 0,
            live: 0,
            peak: 0,
            totals: Stats::default(),
            live_warm: 0,
            peak_warm: 0,
            totals_warm: Stats::default(),
            hot_ops: 0,
            violating_ticks: 0,
            first_violation: None,
            metric_values: Vec::with_capacity(metrics),
            sites: record_sites.map(SiteTable::with_capacity),
            sites_started: false,
        }
    }

    /// The phase's profile, once every phase has run: this allocates.
    fn profile<S>(
        self,
        phase: &Phase,
        metrics: &[Metric<S>],
        growth: &GrowthCheck,
    ) -> PhaseProfile {
        let (n, warmup) = (self.ticks, self.warmup);
        let step_ns: Vec<i64> = self
            .steps
            .iter()
            .map(|&s| s.min(i64::MAX as u64) as i64)
            .collect();
        let mut values = BTreeMap::new();
        let mut volatile = Vec::new();
        for (m, v) in metrics.iter().zip(&self.metric_values) {
            values.insert(m.name.clone(), *v);
            if !m.stable {
                volatile.push(m.name.clone());
            }
        }
        PhaseProfile {
            name: phase.name.clone(),
            ticks: n,
            warmup_ticks: warmup,
            hot_ticks: if phase.hot { n - warmup } else { 0 },
            hot: phase.hot,
            bounded: phase.bounded,
            grows: phase.grows,
            allocs: self.totals.allocs,
            deallocs: self.totals.deallocs,
            reallocs: self.totals.reallocs,
            bytes_allocated: self.totals.bytes_allocated,
            bytes_freed: self.totals.bytes_freed,
            live_start: self.live_start,
            live_end: self.live,
            growth: self.live - self.live_start,
            peak: self.peak.max(0),
            hot_ops: self.hot_ops,
            violating_ticks: self.violating_ticks,
            first_violation: self.first_violation.map(|(tick, raw)| TickViolation {
                tick,
                violation: raw.symbolise(),
            }),
            after_warmup: TickCounts {
                ticks: n - warmup,
                allocs: self.totals_warm.allocs,
                deallocs: self.totals_warm.deallocs,
                reallocs: self.totals_warm.reallocs,
                bytes_allocated: self.totals_warm.bytes_allocated,
                bytes_freed: self.totals_warm.bytes_freed,
                growth: if warmup < n {
                    self.live - self.live_warm
                } else {
                    0
                },
                peak: self.peak_warm.max(0),
            },
            step: StepTimes::from_samples(&self.steps),
            step_histogram: StepHistogram::from_samples(&self.steps),
            live_timeline: downsample(&self.lives),
            step_timeline: downsample(&step_ns),
            rss_start: self.rss_start,
            rss_end: self.rss_end,
            growth_check: growth.judge(&self.lives[warmup as usize..], warmup),
            pressure: PressureLevel::Low,
            metrics: values,
            volatile_metrics: volatile,
            sites: self.sites.map(|table| PhaseSites {
                from_second_run: false,
                sites: Sites::from_table(&table, Sites::KEPT),
            }),
        }
    }
}

/// Runs one phase's ticks, writing into `m`; allocates nothing of its own.
///
/// `start`, when set, is called once before the first tick, through the same
/// call as the ticks ([`call_tick`]), and counts as no tick: it starts the
/// DHAT profiler.
fn measure_phase<S>(
    phase: &Phase,
    tick: &mut (dyn FnMut(&mut S, &TickContext<'_>) + Send),
    state: &mut S,
    scale: Scale,
    m: &mut PhaseMeasure,
    start: &mut Option<&mut TickFn<'_, S>>,
) {
    let (n, warmup) = (m.ticks, m.warmup);
    let begin = |m: &mut PhaseMeasure| {
        m.rss_start = rss_bytes();
        m.live_start = block::sum_process().live_bytes();
        m.live = m.live_start;
        m.live_warm = m.live_start;
    };
    begin(m);
    let mut index = 0;
    while index < n {
        let starting = start.is_some();
        if index == warmup && !starting {
            if warmup > 0 {
                // What the warm-up set going on other threads finishes
                // here: it is counted in the phase, not in a measured tick.
                let settled = settle();
                m.live += settled.live_bytes();
                m.peak = m.peak.max(m.live - m.live_start);
                m.totals.add_counts(&settled);
            }
            m.live_warm = m.live;
        }
        let armed = !starting && phase.hot && index >= warmup;
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
        let f: &mut TickFn<'_, S> = match start.take() {
            Some(s) => s,
            None => &mut *tick,
        };
        let region = ProcessPeakRegion::open();
        let t0 = block::sum_process();
        let guard = armed.then(|| HotGuard::arm_here(GuardConfig::process()));
        let recording = match &mut m.sites {
            Some(table) if !starting && index >= warmup => {
                let fresh = !std::mem::replace(&mut m.sites_started, true);
                Some(site_table::start(table, fresh).unwrap_or_else(|_| {
                    panic!("allocguard: sites are already being recorded (one recording at a time)")
                }))
            }
            _ => None,
        };
        let started = Instant::now();
        call_tick(f, state, &ctx);
        let elapsed = started.elapsed();
        drop(recording);
        let raw = guard.and_then(HotGuard::finish_raw);
        let t1 = block::sum_process();
        let rise = region.close();
        if starting {
            // The profiler's own tables are no part of the phase.
            begin(m);
            continue;
        }

        let d = t1.since(&t0);
        m.peak = m.peak.max(m.live - m.live_start + rise);
        if index >= warmup {
            m.peak_warm = m.peak_warm.max(m.live - m.live_warm + rise);
            m.totals_warm.add_counts(&d);
        }
        m.live += d.live_bytes();
        m.totals.add_counts(&d);
        m.steps
            .push(elapsed.as_nanos().min(u64::MAX as u128) as u64);
        m.lives.push(m.live);
        if let Some(raw) = raw {
            m.hot_ops += raw.count();
            m.violating_ticks += 1;
            if m.first_violation.is_none() {
                m.first_violation = Some((index, raw));
            }
        }
        index += 1;
    }
    m.rss_end = rss_bytes();
}

/// How long no thread may touch the heap before the ticks after warm-up
/// start: longer than a scheduler's time slice on a loaded machine.
pub const SETTLE_QUIET: Duration = Duration::from_millis(50);

/// The longest the runner waits for quiet after warm-up; a thread that never
/// stops allocating (a busy background loop) costs the phase this much once.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(2);

/// Waits, after a phase's last warm-up tick, until no thread of the process
/// has allocated, reallocated or freed for [`SETTLE_QUIET`] (at most
/// [`SETTLE_LIMIT`]), and returns what they did meanwhile.
///
/// A thread pool, channel or logger that the warm-up started finishes its own
/// start-up (thread-locals, a channel's wait registration) on its own
/// threads, whenever the scheduler runs them: without this wait those
/// allocations would land in a measured tick in some runs and not in others,
/// and a snapshot of the ticks after warm-up would flake. Allocates nothing.
fn settle() -> Stats {
    let begin = block::sum_process();
    let started = Instant::now();
    let mut last = begin;
    let mut quiet_since = started;
    loop {
        std::thread::sleep(Duration::from_millis(1));
        let now = block::sum_process();
        if (now.allocs, now.deallocs, now.reallocs) != (last.allocs, last.deallocs, last.reallocs) {
            quiet_since = Instant::now();
            last = now;
        }
        if quiet_since.elapsed() >= SETTLE_QUIET || started.elapsed() >= SETTLE_LIMIT {
            return now.since(&begin);
        }
    }
}

/// Resident set size of this process, from `/proc/self/status` (Linux only).
/// Allocates nothing: the runner reads it at phase boundaries, where only the
/// scenario may allocate.
pub fn rss_bytes() -> Option<u64> {
    use std::io::Read;
    // The file is about 1.5 KiB; VmRSS is in its first half.
    let mut buf = [0u8; 4096];
    let mut file = std::fs::File::open("/proc/self/status").ok()?;
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(k) => len += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    let text = &buf[..len];
    let key = b"VmRSS:";
    let at = text.windows(key.len()).position(|w| w == key)? + key.len();
    let digits = text[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit());
    let mut kb: u64 = 0;
    let mut any = false;
    for d in digits {
        kb = kb.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        any = true;
    }
    any.then_some(kb * 1024)
}
