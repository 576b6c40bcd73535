//! [`Profile`]: everything one run of a scenario measured, versioned for the
//! JSON run file that `cargo allocguard` reads.

use std::collections::BTreeMap;

use super::growth::GrowthVerdict;
use super::histogram::StepHistogram;
use super::pressure::PressureLevel;
use super::scale::Scale;
use crate::{Stats, Violation};

/// Version of the [`Profile`] layout. Bumped when a field changes meaning or
/// is removed; adding a field does not bump it (readers ignore unknown fields).
///
/// 2: `hot_violations` renamed `hot_ops` (read under both names); counts
/// after warm-up, the tick-time histogram, the scenario's source and the
/// compiler added.
/// 3: allocation sites per phase (`sites`, absent when not recorded: older
/// profiles read as having none).
pub const PROFILE_SCHEMA_VERSION: u32 = 3;

/// The version of the compiler allocguard (and so the scenario binary) was
/// built with, as `rustc --version` prints it without the `rustc ` prefix.
/// Allocation counts can change between compilers.
pub const RUSTC_VERSION: &str = env!("ALLOCGUARD_RUSTC_VERSION");

/// The most points a timeline keeps; longer phases are downsampled.
pub const MAX_TIMELINE_POINTS: usize = 1000;

/// What a scenario is expected to reveal. A deliberately bad variant declares
/// what allocguard must catch, so that it passes only when it is caught.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Expectation {
    /// A hot tick must allocate (and be caught).
    pub violation: bool,
    /// The growth check must flag steady growth in some phase.
    pub growth: bool,
}

/// One run of one scenario.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Profile {
    /// [`PROFILE_SCHEMA_VERSION`] at the time of writing.
    pub schema_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// The scale it ran at.
    pub scale: Scale,
    /// `debug` or `release`: counts differ between them.
    pub build_profile: String,
    /// The compiler the scenario was built with ([`RUSTC_VERSION`]).
    #[serde(default)]
    pub rustc: String,
    /// The file that declared the scenario (where `Scenario::new` was
    /// called), as the compiler names it: relative to the workspace root for
    /// a workspace member.
    #[serde(default)]
    pub source_file: Option<String>,
    /// The line of that call.
    #[serde(default)]
    pub source_line: Option<u32>,
    /// What the scenario declared it expects to be caught.
    pub expect: Expectation,
    /// What setup allocated, process-wide.
    pub setup: Stats,
    /// The phases, in order.
    pub phases: Vec<PhaseProfile>,
}

/// One phase of one run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct PhaseProfile {
    /// The phase's name.
    pub name: String,
    /// Ticks run.
    pub ticks: u64,
    /// Of which warm-up.
    pub warmup_ticks: u64,
    /// Ticks that were armed (after warm-up, in a hot phase).
    pub hot_ticks: u64,
    /// Whether the phase was declared hot.
    pub hot: bool,
    /// Whether the phase was declared bounded.
    pub bounded: bool,
    /// Whether the phase was declared to grow ([`Phase::grows`](super::Phase::grows)).
    #[serde(default)]
    pub grows: bool,
    /// Allocations in all ticks, process-wide.
    pub allocs: u64,
    /// Deallocations in all ticks.
    pub deallocs: u64,
    /// Reallocations in all ticks.
    pub reallocs: u64,
    /// Bytes allocated in all ticks (with growing reallocations).
    pub bytes_allocated: u64,
    /// Bytes freed in all ticks (with shrinking reallocations).
    pub bytes_freed: u64,
    /// Process live bytes when the phase began.
    pub live_start: i64,
    /// Process live bytes after its last tick.
    pub live_end: i64,
    /// `live_end - live_start`.
    pub growth: i64,
    /// Highest live bytes reached during the phase, above `live_start`.
    pub peak: i64,
    /// Heap operations (allocations, reallocations, deallocations) in armed
    /// ticks: each one a violation. Called `hot_violations` before schema 2.
    #[serde(alias = "hot_violations")]
    pub hot_ops: u64,
    /// Armed ticks with at least one violation.
    pub violating_ticks: u64,
    /// The first violation, with the tick it happened in.
    pub first_violation: Option<TickViolation>,
    /// The counts of the ticks after warm-up only: what snapshots hold, so
    /// that a thread pool or a buffer that starts lazily during warm-up cannot
    /// change them from one run to the next. Equal to the phase's totals when
    /// it has no warm-up.
    #[serde(default)]
    pub after_warmup: TickCounts,
    /// Time per tick.
    pub step: StepTimes,
    /// Every tick's time, bucketed: what time gates compare.
    #[serde(default)]
    pub step_histogram: StepHistogram,
    /// Live bytes after each tick (the highest in each bucket when the phase
    /// has more than [`MAX_TIMELINE_POINTS`] ticks): `live_start` plus the
    /// ticks' own deltas, so `value - live_start` is what the phase's ticks
    /// have kept so far, whatever the runner did between ticks. Add what
    /// setup kept and the growth of the phases before for the bytes the
    /// scenario holds (what `cargo allocguard report` draws).
    pub live_timeline: Vec<TimelinePoint>,
    /// Step time in nanoseconds per tick (the slowest in each bucket).
    pub step_timeline: Vec<TimelinePoint>,
    /// Resident set size when the phase began, in bytes (Linux only).
    pub rss_start: Option<u64>,
    /// Resident set size when it ended, in bytes (Linux only).
    pub rss_end: Option<u64>,
    /// The growth check over the ticks after warm-up.
    pub growth_check: GrowthVerdict,
    /// Pressure level of the phase's highest live heap.
    pub pressure: PressureLevel,
    /// Custom metrics read at the end of the phase.
    pub metrics: BTreeMap<String, f64>,
    /// Names of metrics that are volatile (kept out of snapshots).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volatile_metrics: Vec<String>,
    /// The allocation sites of the ticks after warm-up, when recorded
    /// ([`Phase::sites`](super::Phase::sites), a run with sites on, or the
    /// second run of a failing scenario). Never in snapshots: line numbers
    /// move with every edit. Since schema 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sites: Option<PhaseSites>,
}

/// A phase's allocation sites, and which run they come from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PhaseSites {
    /// True when they come from a second run of the scenario with sites on,
    /// made because the first one failed (its counts may differ from this
    /// profile's if the scenario is not deterministic).
    #[serde(default)]
    pub from_second_run: bool,
    /// The sites.
    #[serde(flatten)]
    pub sites: crate::Sites,
}

/// Heap counts over a run of ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct TickCounts {
    /// Ticks counted.
    pub ticks: u64,
    /// Allocations.
    pub allocs: u64,
    /// Deallocations.
    pub deallocs: u64,
    /// Reallocations.
    pub reallocs: u64,
    /// Bytes allocated (with growing reallocations).
    pub bytes_allocated: u64,
    /// Bytes freed (with shrinking reallocations).
    pub bytes_freed: u64,
    /// Live bytes after the last of these ticks minus before the first.
    pub growth: i64,
    /// Highest live bytes reached during these ticks, above the level before
    /// the first.
    pub peak: i64,
}

/// The first violation of a phase and where it happened.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TickViolation {
    /// Index of the tick within the phase.
    pub tick: u64,
    /// What the guard saw in that tick.
    pub violation: Violation,
}

/// One point of a timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimelinePoint {
    /// Tick index within the phase.
    pub tick: u64,
    /// The value: bytes, or nanoseconds.
    pub value: i64,
}

/// Distribution of tick times, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct StepTimes {
    /// Mean.
    pub mean_ns: f64,
    /// Median.
    pub p50_ns: u64,
    /// 95th percentile.
    pub p95_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// Slowest tick.
    pub max_ns: u64,
}

impl StepTimes {
    /// Summarises tick times (nearest-rank percentiles).
    pub fn from_samples(samples: &[u64]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let rank = |p: f64| {
            let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
            sorted[i.clamp(1, sorted.len()) - 1]
        };
        Self {
            mean_ns: samples.iter().map(|&s| s as f64).sum::<f64>() / samples.len() as f64,
            p50_ns: rank(50.0),
            p95_ns: rank(95.0),
            p99_ns: rank(99.0),
            max_ns: *sorted.last().unwrap(),
        }
    }
}

/// Keeps at most [`MAX_TIMELINE_POINTS`] points: the highest value of each
/// bucket of consecutive ticks, at the bucket's last tick.
pub(crate) fn downsample(values: &[i64]) -> Vec<TimelinePoint> {
    let bucket = values.len().div_ceil(MAX_TIMELINE_POINTS).max(1);
    values
        .chunks(bucket)
        .enumerate()
        .map(|(k, chunk)| TimelinePoint {
            tick: (k * bucket + chunk.len() - 1) as u64,
            value: chunk.iter().copied().max().unwrap_or(0),
        })
        .collect()
}

impl Profile {
    /// Phases whose armed ticks allocated.
    pub fn violating_phases(&self) -> impl Iterator<Item = &PhaseProfile> {
        self.phases.iter().filter(|p| p.hot_ops > 0)
    }

    /// Phases the growth check flagged.
    pub fn growing_phases(&self) -> impl Iterator<Item = &PhaseProfile> {
        self.phases.iter().filter(|p| p.growth_check.steady_growth)
    }

    /// The phase named `name`.
    pub fn phase(&self, name: &str) -> Option<&PhaseProfile> {
        self.phases.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<u64> = (1..=100).collect();
        let s = StepTimes::from_samples(&samples);
        assert_eq!((s.p50_ns, s.p95_ns, s.p99_ns, s.max_ns), (50, 95, 99, 100));
        assert!((s.mean_ns - 50.5).abs() < 1e-9);
        let one = StepTimes::from_samples(&[7]);
        assert_eq!((one.p50_ns, one.p99_ns, one.max_ns), (7, 7, 7));
        assert_eq!(StepTimes::from_samples(&[]), StepTimes::default());
    }

    #[test]
    fn short_timelines_are_kept_and_long_ones_bucketed_by_max() {
        let short: Vec<i64> = (0..10).collect();
        let pts = downsample(&short);
        assert_eq!(pts.len(), 10);
        assert_eq!(pts[9], TimelinePoint { tick: 9, value: 9 });

        let long: Vec<i64> = (0..2500)
            .map(|i| if i == 1234 { 1_000_000 } else { i })
            .collect();
        let pts = downsample(&long);
        assert!(pts.len() <= MAX_TIMELINE_POINTS);
        assert_eq!(pts.len(), 834); // buckets of 3
        assert_eq!(pts.last().unwrap().tick, 2499);
        assert!(pts.iter().any(|p| p.value == 1_000_000), "a spike survives");
    }
}
