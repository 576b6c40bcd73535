//! [`Scenario`] and [`Phase`]: what a scenario runs, declared as a builder.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::growth::GrowthCheck;
use super::pressure::{PressureChange, PressureEdges};
use super::profile::Expectation;
use super::scale::Scale;

/// What a tick closure is told about the tick it runs.
#[derive(Clone, Copy, Debug)]
pub struct TickContext<'a> {
    /// The phase's name.
    pub phase: &'a str,
    /// Index of the tick within its phase, from 0.
    pub index: u64,
    /// Ticks in this phase.
    pub ticks: u64,
    /// Whether this tick is one of the phase's warm-up ticks.
    pub warmup: bool,
    /// Whether this tick is armed: any heap operation in it is a violation.
    pub armed: bool,
    /// The fixed time step, in seconds.
    pub dt: f64,
    /// Simulated time since the phase began: `index * dt`.
    pub time: f64,
    /// The scale the scenario runs at.
    pub scale: Scale,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TickCount {
    Fixed(u64),
    ByScale(u64, u64, u64),
}

/// One phase of a scenario: a number of ticks, the first few of which may be
/// warm-up, optionally hot (armed after warm-up) and optionally bounded
/// (steady growth of live bytes fails it).
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub(crate) name: String,
    ticks: TickCount,
    pub(crate) warmup: u64,
    pub(crate) hot: bool,
    pub(crate) bounded: bool,
    pub(crate) grows: bool,
    pub(crate) dt: f64,
    pub(crate) sites: bool,
}

impl Phase {
    /// A phase of one tick, not hot, not bounded, with `dt` = 1/30 s.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ticks: TickCount::Fixed(1),
            warmup: 0,
            hot: false,
            bounded: false,
            grows: false,
            dt: 1.0 / 30.0,
            sites: false,
        }
    }

    /// Runs `n` ticks at every scale.
    pub fn ticks(mut self, n: u64) -> Self {
        self.ticks = TickCount::Fixed(n);
        self
    }

    /// Runs a different number of ticks at each scale.
    pub fn ticks_by_scale(mut self, smoke: u64, default: u64, full: u64) -> Self {
        self.ticks = TickCount::ByScale(smoke, default, full);
        self
    }

    /// The first `n` ticks warm up: they are measured but never armed, and
    /// the growth check and snapshots ignore them. After the last one the
    /// runner waits until no thread has touched the heap for
    /// [`SETTLE_QUIET`](crate::harness::SETTLE_QUIET), so what the warm-up
    /// started on other threads (a pool, a channel) is done starting before
    /// the measured ticks; what those threads did meanwhile counts in the
    /// phase's totals, not in a tick.
    pub fn warmup(mut self, n: u64) -> Self {
        self.warmup = n;
        self
    }

    /// Arms every tick after warm-up: a heap operation on any thread fails
    /// the scenario.
    pub fn hot(mut self) -> Self {
        self.hot = true;
        self
    }

    /// Fails the scenario when the phase keeps memory after warm-up, more
    /// of it the longer it runs (see [`GrowthCheck`]): what a steady-state
    /// loop must not do.
    pub fn bounded(mut self) -> Self {
        self.bounded = true;
        self.grows = false;
        self
    }

    /// Declares that the phase is meant to keep memory (a load, a cache
    /// being filled, a history that is the point): the growth check still
    /// runs and is reported, but neither the scenario nor the
    /// `leak_bytes_per_tick` gate of `cargo allocguard` fails on it. The
    /// opposite of [`bounded`](Self::bounded); a phase declares neither when
    /// only the gates should judge it.
    pub fn grows(mut self) -> Self {
        self.grows = true;
        self.bounded = false;
        self
    }

    /// Records the phase's allocation sites: every line that used the heap in
    /// its ticks after warm-up, with its counts and the bytes it still holds
    /// at the phase's end (see [`Sites`](crate::Sites)). Heap operations
    /// take about three times as long in those ticks. Off by default; a run
    /// can turn it on for every phase (`cargo allocguard run --sites`, CI
    /// mode, or `ALLOCGUARD_SITES=on`), and a failing scenario is run a
    /// second time with it on where it was off, so that its failure names
    /// every site.
    pub fn sites(mut self) -> Self {
        self.sites = true;
        self
    }

    /// The fixed time step passed to every tick, in seconds.
    pub fn dt(mut self, seconds: f64) -> Self {
        self.dt = seconds;
        self
    }

    /// The number of ticks at `scale`.
    pub fn ticks_at(&self, scale: Scale) -> u64 {
        match self.ticks {
            TickCount::Fixed(n) => n,
            TickCount::ByScale(s, d, f) => scale.pick(s, d, f),
        }
    }

    /// The phase's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// `ALLOCGUARD_SITES`: whether runs record allocation sites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SitesMode {
    /// In every phase.
    On,
    /// Only where a phase asks; never a second run.
    Off,
    /// Where a phase asks, and in a second run of a failing scenario (the
    /// default).
    Auto,
}

/// The variable that says whether runs record allocation sites: `on` (in
/// every phase), `off` (only where a phase asks, and never a second run of a
/// failing scenario) or `auto` (the default: where a phase asks, and in a
/// second run of a failing scenario).
pub const SITES_ENV: &str = "ALLOCGUARD_SITES";

impl SitesMode {
    pub(crate) fn from_env() -> Self {
        match std::env::var(SITES_ENV).as_deref() {
            Ok("on" | "1" | "true") => Self::On,
            Ok("off" | "0" | "false") => Self::Off,
            _ => Self::Auto,
        }
    }
}

type SetupFn<S> = Box<dyn FnMut(Scale) -> S + Send>;
type TickFn<S> = Box<dyn FnMut(&mut S, &TickContext<'_>) + Send>;
type MetricFn<S> = Box<dyn Fn(&S) -> f64 + Send>;
type TeardownFn<S> = Box<dyn FnMut(S) + Send>;
/// A pressure callback, shared with the monitor thread of each run.
pub(crate) type PressureCallback = Arc<Mutex<dyn FnMut(PressureChange) + Send>>;

pub(crate) struct Metric<S> {
    pub(crate) name: String,
    pub(crate) read: MetricFn<S>,
    /// Whether the value is deterministic and belongs in the snapshot.
    pub(crate) stable: bool,
}

/// A scenario: a state built by `setup`, then phases of ticks run on it.
///
/// `S` is the state; it is built from [`Scenario::new`] by calling
/// [`setup`](Scenario::setup). See the crate docs, "Writing a scenario".
pub struct Scenario<S = ()> {
    pub(crate) name: String,
    pub(crate) setup: Option<SetupFn<S>>,
    pub(crate) phases: Vec<(Phase, TickFn<S>)>,
    pub(crate) metrics: Vec<Metric<S>>,
    pub(crate) teardown: Option<TeardownFn<S>>,
    pub(crate) expect: Expectation,
    pub(crate) ignored: bool,
    pub(crate) growth_check: GrowthCheck,
    pub(crate) pressure_edges: PressureEdges,
    pub(crate) pressure_monitor: Option<(Duration, PressureCallback)>,
    pub(crate) snapshot: bool,
    pub(crate) snapshot_bytes: bool,
    /// Every phase records its sites ([`Scenario::sites`]).
    pub(crate) sites: bool,
    /// Where `Scenario::new` was called: the scenario's own file.
    pub(crate) source: Option<&'static std::panic::Location<'static>>,
}

impl Scenario<()> {
    /// A scenario named `name` (`area/what`, such as `waves/stress_500`),
    /// with a unit state until [`setup`](Self::setup) gives it one.
    ///
    /// The file and line of the call are kept: snapshots, reports and CI
    /// annotations point at them.
    #[track_caller]
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            setup: Some(Box::new(|_| ())),
            phases: Vec::new(),
            metrics: Vec::new(),
            teardown: None,
            expect: Expectation::default(),
            ignored: false,
            growth_check: GrowthCheck::default(),
            pressure_edges: PressureEdges::default(),
            pressure_monitor: None,
            snapshot: true,
            snapshot_bytes: true,
            sites: false,
            source: Some(std::panic::Location::caller()),
        }
    }

    /// Builds the state the phases run on; called once per run with the scale.
    /// Its allocations are measured and reported, but never armed.
    pub fn setup<S, F>(self, f: F) -> Scenario<S>
    where
        F: FnMut(Scale) -> S + Send + 'static,
    {
        Scenario {
            name: self.name,
            setup: Some(Box::new(f)),
            phases: Vec::new(),
            metrics: Vec::new(),
            teardown: None,
            expect: self.expect,
            ignored: self.ignored,
            growth_check: self.growth_check,
            pressure_edges: self.pressure_edges,
            pressure_monitor: self.pressure_monitor,
            snapshot: self.snapshot,
            snapshot_bytes: self.snapshot_bytes,
            sites: self.sites,
            source: self.source,
        }
    }
}

impl<S: 'static> Scenario<S> {
    /// Adds a phase whose every tick calls `tick`.
    pub fn phase<F>(mut self, phase: Phase, tick: F) -> Self
    where
        F: FnMut(&mut S, &TickContext<'_>) + Send + 'static,
    {
        self.phases.push((phase, Box::new(tick)));
        self
    }

    /// A custom metric read from the state at the end of every phase. It must
    /// be deterministic: it goes into the snapshot.
    pub fn metric<F>(mut self, name: impl Into<String>, read: F) -> Self
    where
        F: Fn(&S) -> f64 + Send + 'static,
    {
        self.metrics.push(Metric {
            name: name.into(),
            read: Box::new(read),
            stable: true,
        });
        self
    }

    /// A custom metric that may vary from run to run (a timing, a rate): it
    /// is reported in the profile but kept out of the snapshot.
    pub fn volatile_metric<F>(mut self, name: impl Into<String>, read: F) -> Self
    where
        F: Fn(&S) -> f64 + Send + 'static,
    {
        self.metrics.push(Metric {
            name: name.into(),
            read: Box::new(read),
            stable: false,
        });
        self
    }

    /// Runs after the last phase with the state (by default it is dropped).
    pub fn teardown<F>(mut self, f: F) -> Self
    where
        F: FnMut(S) + Send + 'static,
    {
        self.teardown = Some(Box::new(f));
        self
    }

    /// Declares that a hot tick allocates: the scenario passes only if
    /// allocguard catches it.
    pub fn expect_violation(mut self) -> Self {
        self.expect.violation = true;
        self
    }

    /// Declares that live bytes grow steadily: the scenario passes only if
    /// the growth check flags it.
    pub fn expect_growth(mut self) -> Self {
        self.expect.growth = true;
        self
    }

    /// Marks the scenario ignored: it runs only with `--ignored` or
    /// `--include-ignored` (for long, full-scale runs).
    pub fn ignore(mut self) -> Self {
        self.ignored = true;
        self
    }

    /// Sets the thresholds of the growth check.
    pub fn growth_check(mut self, check: GrowthCheck) -> Self {
        self.growth_check = check;
        self
    }

    /// Sets the live-heap edges of the pressure levels.
    pub fn pressure_edges(mut self, edges: PressureEdges) -> Self {
        self.pressure_edges = edges;
        self
    }

    /// Samples process live bytes every `interval` on a background thread
    /// while the scenario runs, and calls `on_change` when the pressure level
    /// changes. The callback runs on that thread inside
    /// [`permit_alloc`](crate::permit_alloc), so it never violates a hot tick;
    /// anything it allocates still counts in the tick it falls in.
    pub fn on_pressure_change<F>(mut self, interval: Duration, on_change: F) -> Self
    where
        F: FnMut(PressureChange) + Send + 'static,
    {
        self.pressure_monitor = Some((interval, Arc::new(Mutex::new(on_change))));
        self
    }

    /// Records the allocation sites of every phase (see [`Phase::sites`]).
    pub fn sites(mut self) -> Self {
        self.sites = true;
        self
    }

    /// Turns the snapshot off (it is on by default).
    pub fn without_snapshot(mut self) -> Self {
        self.snapshot = false;
        self
    }

    /// Keeps byte figures out of the snapshot, for scenarios whose counts
    /// are deterministic but whose sizes are not (hash-map capacities seeded
    /// at random, sizes of formatted timestamps).
    pub fn snapshot_counts_only(mut self) -> Self {
        self.snapshot_bytes = false;
        self
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The phases, in order.
    pub fn phases(&self) -> impl Iterator<Item = &Phase> {
        self.phases.iter().map(|(p, _)| p)
    }
}
