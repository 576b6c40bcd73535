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
//! `Scenario::run_and_check`); `driver` (the test binary's `main`); `process_tree` (the processes a
//! scenario started; also `cargo allocguard`'s) beside them all. What the
//! subcommand reads of the harness is re-exported, hidden, as
//! `allocguard::_cargo_allocguard`.

pub(crate) mod driver;
mod growth;
mod histogram;
mod pressure;
pub(crate) mod process_tree;
mod profile;
pub(crate) mod run_file;
pub(crate) mod runner;
mod scale;
mod scenario;
pub(crate) mod seal;
pub(crate) mod snapshot;
pub(crate) mod snapshot_check;
mod verdict;

pub use driver::{Harness, SNAPSHOTS_ENV};
pub use growth::{GrowthCheck, GrowthVerdict};
pub use histogram::{Bounds, StepHistogram};
pub use pressure::{PressureChange, PressureEdges, PressureLevel, PressureMonitor};
pub use profile::{
    Expectation, PhaseProfile, PhaseSites, Profile, StepTimes, TickCounts, TickViolation,
    TimelinePoint, MAX_TIMELINE_POINTS, PROFILE_SCHEMA_VERSION, RUSTC_VERSION,
};
pub use runner::{build_profile, rss_bytes, SETTLE_LIMIT, SETTLE_QUIET};
pub use scale::{Scale, SCALE_ENV};
pub use scenario::{Phase, Scenario, TickContext, SITES_ENV};
pub use snapshot::{
    assert_profile_snapshot, default_snapshot_dir, snapshot_path, workspace_root, SNAPSHOT_DIR_ENV,
};
pub use verdict::Failure;
