//! What is public but not the API: the protocol between the scenario
//! harness and `cargo allocguard`, and hooks for allocguard's own tests. As
//! insta keeps what cargo-insta reads in a hidden module, these are
//! `#[doc(hidden)]`, unstable, and may change in any release.

/// What `cargo allocguard` reads and writes of the harness: run-file
/// records, the environment it sets, snapshot checking and diffs, and
/// process trees. Not part of the stable API.
#[cfg(feature = "harness")]
pub mod _cargo_allocguard {
    pub use crate::harness::driver::OUTPUT_MARK_ENV;
    /// Finding, naming and ending the processes a scenario started.
    pub mod process_tree {
        pub use crate::harness::process_tree::*;
    }
    pub use crate::harness::run_file::{
        Line, RunFile, ScenarioRecord, SnapshotMismatch, OUT_ENV, RUN_SCHEMA_VERSION,
    };
    pub use crate::harness::runner::DHAT_OUT_ENV;
    pub use crate::harness::seal::{SealKey, SEAL_ENV};
    pub use crate::harness::snapshot::{numbered_diff, numbered_diff_labelled, snapshot_name};
    pub use crate::harness::snapshot_check::{check_snapshot_file, SnapshotError};
}

/// Hooks for allocguard's own tests. Not part of the stable API.
pub mod _test_support {
    pub use crate::guard::hot_scope::set_capture_hook;

    /// Heap operations counted in the shared orphan counters: made while a
    /// thread was linking its block or after its block was retired at exit.
    pub fn orphan_ops() -> u64 {
        crate::counters::block::orphan_ops()
    }
}
