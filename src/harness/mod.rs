//! The scenario harness: phases of ticks, warm-up, hot ticks, memory
//! profiles, growth detection and insta snapshots (feature `harness`).
//!
//! See the crate documentation, "Writing a scenario".
//!
//! Layers, bottom up (each module uses only those below it; `tests/layers.rs`
//! checks it): `scale`, `growth`, `histogram` (plain tools); `profile` (what a
//! run measured) and `run_file`, `snapshot` (how profiles are kept);
//! `scenario` (declarations: phases, ticks, expectations); `runner` (running
//! a scenario into a profile: `Scenario::run`); `verdict` (judging it:
//! `Scenario::run_and_check`); `driver` (the test binary's `main`).

mod driver;
mod growth;
mod histogram;
mod profile;
mod run_file;
mod runner;
mod scale;
mod scenario;
mod snapshot;
mod snapshot_check;
mod verdict;

pub use driver::{Harness, OUTPUT_MARK_ENV, SNAPSHOTS_ENV};
pub use growth::{
    GrowthCheck, GrowthVerdict, PressureChange, PressureEdges, PressureLevel, PressureMonitor,
};
pub use histogram::{Bounds, StepHistogram};
pub use profile::{
    Expectation, PhaseProfile, PhaseSites, Profile, StepTimes, TickCounts, TickViolation,
    TimelinePoint, MAX_TIMELINE_POINTS, PROFILE_SCHEMA_VERSION, RUSTC_VERSION,
};
pub use run_file::{Line, RunFile, ScenarioRecord, OUT_ENV, RUN_SCHEMA_VERSION};
pub use runner::{build_profile, rss_bytes, DHAT_OUT_ENV, SETTLE_LIMIT, SETTLE_QUIET};
pub use scale::{Scale, SCALE_ENV};
pub use scenario::{Phase, Scenario, TickContext, SITES_ENV};
pub use snapshot::{
    assert_profile_snapshot, default_snapshot_dir, numbered_diff, numbered_diff_labelled,
    snapshot_name, snapshot_path, workspace_root, SNAPSHOT_DIR_ENV,
};
pub use snapshot_check::{check_snapshot_file, SnapshotError};
pub use verdict::Failure;
