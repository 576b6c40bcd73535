//! The phase log: one CSV row per scenario × phase × labelled run.
//!
//! Appended under an exclusive file lock with a single write per run, read by
//! header name (so columns can be added later), never rewritten or truncated.
//!
//! The counts and bytes of a row are those of the phase's ticks *after its
//! warm-up*, as in snapshots: what gates and `compare` judge must not change
//! because a pool or a buffer started a little sooner or later. The warm-up's
//! ticks and allocations have columns of their own; the run table and the
//! report show whole phases.

use allocguard::harness::StepHistogram;

use crate::store::run_file::{Run, ScenarioResult};

mod csv_file;

pub use csv_file::{append, read};

/// One row: one phase of one scenario of one run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PhaseRow {
    /// When the run started (RFC 3339, UTC).
    pub timestamp: String,
    /// The run's id (rows of one run share it).
    pub run_id: String,
    /// `git rev-parse --short HEAD` (`-dirty` with uncommitted changes).
    pub git_rev: String,
    /// The label given with `--label`.
    pub label: String,
    /// Package of the scenario target.
    pub package: String,
    /// Scenario name.
    pub scenario: String,
    /// Phase name.
    pub phase: String,
    /// Cargo profile.
    pub build_profile: String,
    /// smoke, default or full.
    pub scale: String,
    /// passed, failed, crashed, timed_out.
    pub status: String,
    /// Ticks run, warm-up included.
    pub ticks: u64,
    /// Of which warm-up (empty in rows written before it was recorded, whose
    /// counts are of every tick).
    pub warmup_ticks: Option<u64>,
    /// Allocations in the warm-up ticks (measured, never gated).
    pub warmup_allocs: Option<u64>,
    /// Allocations in the ticks after warm-up.
    pub allocs: u64,
    /// Deallocations in the ticks after warm-up.
    pub deallocs: u64,
    /// Reallocations in the ticks after warm-up.
    pub reallocs: u64,
    /// Bytes allocated in the ticks after warm-up.
    pub bytes_allocated: u64,
    /// Heap operations (allocations, reallocations, deallocations) in armed
    /// ticks; the column was called `hot_allocs` before, and is read under
    /// that name too.
    #[serde(alias = "hot_allocs")]
    pub hot_ops: u64,
    /// Live bytes at the end minus at the end of warm-up.
    pub growth_bytes: i64,
    /// Highest live bytes after warm-up, above their level at its end.
    pub peak_bytes: i64,
    /// Bytes a tick the phase kept when the growth check found it growing
    /// steadily and neither it nor its scenario said it would; 0 otherwise
    /// (empty in rows written before it was recorded).
    pub leak_bytes_per_tick: Option<f64>,
    /// Mean tick time, µs.
    pub step_mean_us: f64,
    /// Median tick time, µs (empty in rows written before it was recorded).
    pub step_p50_us: Option<f64>,
    /// 95th percentile tick time, µs.
    pub step_p95_us: f64,
    /// Slowest tick, µs.
    pub step_max_us: f64,
    /// Every tick's time, bucketed (see `StepHistogram::encode`): what
    /// relative time gates compare.
    pub step_hist: StepHistogram,
    /// Whether the timed run recorded the phase's allocation sites (heap
    /// operations are slower then: times of a run with them and one without
    /// are not compared); empty in rows written before it was recorded.
    pub sites: Option<bool>,
    /// The compiler the scenario was built with.
    pub rustc: String,
    /// Custom metrics, as a JSON object.
    pub metrics: String,
    /// `--notes`.
    pub notes: String,
}

/// The column names, in the order a new log is written.
pub const COLUMNS: &[&str] = &[
    "timestamp",
    "run_id",
    "git_rev",
    "label",
    "package",
    "scenario",
    "phase",
    "build_profile",
    "scale",
    "rustc",
    "status",
    "ticks",
    "warmup_ticks",
    "warmup_allocs",
    "allocs",
    "deallocs",
    "reallocs",
    "bytes_allocated",
    "hot_ops",
    "growth_bytes",
    "peak_bytes",
    "step_mean_us",
    "step_p50_us",
    "step_p95_us",
    "step_max_us",
    "metrics",
    "notes",
    "step_hist",
    "leak_bytes_per_tick",
    "sites",
];

/// Old column names, and the column they are now.
pub(crate) const RENAMED: &[(&str, &str)] = &[("hot_allocs", "hot_ops")];

/// Columns that gates and `compare` read: a log without one of them is
/// refused, naming it (a missing column must never read as zero).
/// `hot_ops` may be under its old name `hot_allocs`.
pub const REQUIRED: &[&str] = &[
    "timestamp",
    "run_id",
    "label",
    "package",
    "scenario",
    "phase",
    "status",
    "allocs",
    "bytes_allocated",
    "hot_ops",
    "growth_bytes",
    "peak_bytes",
    "step_mean_us",
    "step_p95_us",
    "step_max_us",
];

/// Columns a result without a profile leaves empty: its counts and times.
pub(crate) const MEASURED: &[&str] = &[
    "ticks",
    "warmup_ticks",
    "warmup_allocs",
    "allocs",
    "deallocs",
    "reallocs",
    "bytes_allocated",
    "hot_ops",
    "hot_allocs",
    "growth_bytes",
    "peak_bytes",
    "step_mean_us",
    "step_p50_us",
    "step_p95_us",
    "step_max_us",
    "metrics",
    "step_hist",
    "leak_bytes_per_tick",
    "sites",
];

impl PhaseRow {
    /// Whether this row stands for a scenario that left no profile (it
    /// crashed or timed out): status only, no phase, no counts.
    pub fn is_missing_result(&self) -> bool {
        self.phase.is_empty() && (self.status == "crashed" || self.status == "timed_out")
    }
}

/// The rows of one scenario: one per phase, or, for a scenario that left no
/// profile (it crashed or timed out), one row with its status and no counts,
/// so that a comparison can see it.
pub fn rows_of(run: &Run, s: &ScenarioResult, label: &str, notes: &str) -> Vec<PhaseRow> {
    let Some(profile) = &s.profile else {
        return vec![PhaseRow {
            timestamp: run.started.clone(),
            run_id: run.run_id.clone(),
            git_rev: run.git_rev.clone(),
            label: label.to_string(),
            package: s.package.clone(),
            scenario: s.name.clone(),
            phase: String::new(),
            build_profile: run.build_profile.clone(),
            scale: run.scale.to_string(),
            status: s.status.name().to_string(),
            notes: notes.to_string(),
            ..PhaseRow::default()
        }];
    };
    profile
        .phases
        .iter()
        .map(|p| PhaseRow {
            timestamp: run.started.clone(),
            run_id: run.run_id.clone(),
            git_rev: run.git_rev.clone(),
            label: label.to_string(),
            package: s.package.clone(),
            scenario: s.name.clone(),
            phase: p.name.clone(),
            build_profile: run.build_profile.clone(),
            scale: run.scale.to_string(),
            status: s.status.name().to_string(),
            ticks: p.ticks,
            warmup_ticks: Some(p.warmup_ticks),
            warmup_allocs: Some(p.allocs - p.after_warmup.allocs.min(p.allocs)),
            allocs: p.after_warmup.allocs,
            deallocs: p.after_warmup.deallocs,
            reallocs: p.after_warmup.reallocs,
            bytes_allocated: p.after_warmup.bytes_allocated,
            hot_ops: p.hot_ops,
            growth_bytes: p.after_warmup.growth,
            peak_bytes: p.after_warmup.peak,
            leak_bytes_per_tick: Some(leak_rate(profile, p)),
            step_mean_us: round3(p.step.mean_ns / 1e3),
            step_p50_us: Some(round3(p.step.p50_ns as f64 / 1e3)),
            step_p95_us: round3(p.step.p95_ns as f64 / 1e3),
            step_max_us: round3(p.step.max_ns as f64 / 1e3),
            step_hist: p.step_histogram.clone(),
            sites: Some(p.sites.as_ref().is_some_and(|s| !s.from_second_run)),
            rustc: profile.rustc.clone(),
            metrics: serde_json::to_string(&p.metrics).unwrap_or_default(),
            notes: notes.to_string(),
        })
        .collect()
}

/// The rate at which `p` kept memory, when that was not declared (see
/// [`PhaseRow::leak_bytes_per_tick`]), rounded to 0.01 byte.
fn leak_rate(profile: &allocguard::harness::Profile, p: &allocguard::harness::PhaseProfile) -> f64 {
    let g = &p.growth_check;
    if g.steady_growth && !p.grows && !profile.expect.growth {
        (g.retained_bytes_per_tick * 100.0).round() / 100.0
    } else {
        0.0
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The scenario a missing result's text names (`compare`'s missing
/// results, whose texts begin with it, are read in `ci` and the outputs).
pub fn missing_scenario(text: &str) -> &str {
    text.split(' ').next().unwrap_or("")
}

/// How the rows were run: their distinct `scale, build profile` pairs, as
/// `smoke scale, dev profile`.
pub fn settings(rows: &[&PhaseRow]) -> Vec<String> {
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| format!("{} scale, {} profile", r.scale, r.build_profile))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The rows of the runs labelled `label` that repeat its latest one: the
/// same revision (for uncommitted changes, the same diff), build profile and
/// scale. That is the latest run alone, unless the label was run several
/// times at that revision, as the workflow's alternating base and head are.
pub fn latest_runs<'a>(rows: &'a [PhaseRow], label: &str) -> Vec<&'a PhaseRow> {
    let Some(latest) = rows
        .iter()
        .filter(|r| r.label == label)
        .max_by(|a, b| (&a.timestamp, &a.run_id).cmp(&(&b.timestamp, &b.run_id)))
    else {
        return Vec::new();
    };
    let same = |r: &PhaseRow| {
        r.label == label
            && r.git_rev == latest.git_rev
            && r.build_profile == latest.build_profile
            && r.scale == latest.scale
            && !latest.git_rev.is_empty()
            && latest.git_rev != "unknown"
            // Written before dirty trees were told apart by their diff.
            && !latest.git_rev.ends_with("-dirty")
    };
    rows.iter()
        .filter(|r| r.label == label && r.run_id == latest.run_id || same(r))
        .collect()
}

/// How many distinct runs `rows` hold.
pub fn run_count(rows: &[&PhaseRow]) -> usize {
    let mut ids: Vec<&str> = rows.iter().map(|r| r.run_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

/// `rows` of one phase (package, scenario, phase).
pub fn of_phase<'a>(rows: &[&'a PhaseRow], row: &PhaseRow) -> Vec<&'a PhaseRow> {
    rows.iter()
        .filter(|b| b.package == row.package && b.scenario == row.scenario && b.phase == row.phase)
        .copied()
        .collect()
}

/// Labels present in the log, in order of first appearance.
pub fn labels(rows: &[PhaseRow]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        if !out.contains(&r.label) {
            out.push(r.label.clone());
        }
    }
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A passed row of scenario `s`, phase `p`, with a note that needs quoting.
    pub(in crate::store::phase_log) fn row(
        label: &str,
        run: &str,
        ts: &str,
        allocs: u64,
    ) -> PhaseRow {
        PhaseRow {
            timestamp: ts.into(),
            run_id: run.into(),
            label: label.into(),
            scenario: "s".into(),
            phase: "p".into(),
            status: "passed".into(),
            allocs,
            notes: "a, \"quoted\" note".into(),
            ..PhaseRow::default()
        }
    }

    #[test]
    fn latest_run_of_a_label() {
        let rows = vec![
            row("pre", "r1", "2026-01-01T00:00:00Z", 1),
            row("pre", "r2", "2026-01-03T00:00:00Z", 2),
            row("post", "r3", "2026-01-02T00:00:00Z", 3),
        ];
        let latest = latest_runs(&rows, "pre");
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].allocs, 2);
        assert!(latest_runs(&rows, "nope").is_empty());

        assert_eq!(labels(&rows), vec!["pre", "post"]);
        // Runs of one clean revision are repeats of one measurement.
        let at = |run: &str, ts: &str, rev: &str| PhaseRow {
            git_rev: rev.into(),
            ..row("base", run, ts, 1)
        };
        let rows = vec![
            at("r1", "2026-01-01T00:00:00Z", "old"),
            at("r2", "2026-01-02T00:00:00Z", "abc"),
            at("r3", "2026-01-03T00:00:00Z", "abc"),
            at("r4", "2026-01-04T00:00:00Z", "abc"),
        ];
        let repeats = latest_runs(&rows, "base");
        assert_eq!(run_count(&repeats), 3);
        assert!(repeats.iter().all(|r| r.git_rev == "abc"));
        let dirty: Vec<PhaseRow> = rows
            .iter()
            .map(|r| PhaseRow {
                git_rev: format!("{}-dirty", r.git_rev),
                ..r.clone()
            })
            .collect();
        assert_eq!(
            run_count(&latest_runs(&dirty, "base")),
            1,
            "a dirty tree may differ between runs"
        );
    }
}
