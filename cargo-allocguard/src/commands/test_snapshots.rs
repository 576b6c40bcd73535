//! The snapshots `cargo test` checks, recorded beside `run`'s, so that one
//! `cargo allocguard review` covers both.
//!
//! Plain `cargo test` runs the scenarios in a debug build at smoke scale,
//! and counts differ by build profile and scale, so those runs keep
//! snapshots of their own (`…@debug-smoke.snap`). When `run` (outside CI,
//! at another profile or scale) leaves snapshots pending, the scenarios it
//! left them for are run once more the way `cargo test` runs them: their
//! pending snapshots join the others, and the debug build is the one
//! `cargo test` then reuses. Nothing of that run is kept but the snapshots.

use std::collections::BTreeSet;
use std::io::Write;

use crate::cli::CargoOpts;
use crate::commands::build_output;
use crate::error::{CliResult, WithCode};
use crate::reporter::wrap::wrap;
use crate::reporter::Output;
use crate::runner::schedule::{execute, Settings};
use crate::runner::{Event, Reporter};
use crate::store::run_file::ScenarioResult;
use crate::units::plural;
use crate::workspace::select::list_all;

/// The profile `cargo test` builds with, and the scale it runs at.
const TEST_PROFILE: &str = "dev";
const TEST_SCALE: allocguard::Scale = allocguard::Scale::Smoke;

/// Whether a run at `profile` and `scale` keeps other snapshots than
/// `cargo test` does.
pub(crate) fn differ_from_cargo_test(profile: &str, scale: allocguard::Scale) -> bool {
    !(matches!(profile, "dev" | "test") && scale == TEST_SCALE)
}

/// Hears nothing: this run's results are its snapshots.
struct Unheard;

impl Reporter for Unheard {
    fn event(&mut self, _: Event<'_>) {}
}

/// Runs the scenarios of `results` whose snapshot was left pending as
/// `cargo test` runs them; says how many of their snapshots are pending.
pub(crate) fn record(
    meta: &cargo_metadata::Metadata,
    cargo: &CargoOpts,
    results: &[ScenarioResult],
    timeout: std::time::Duration,
    out: &Output,
) -> CliResult<()> {
    let names: BTreeSet<&str> = results
        .iter()
        .filter(|s| s.snapshot.is_some())
        .map(|s| s.name.as_str())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    if !out.quiet {
        let _ = writeln!(
            out.stderr(),
            "\n{}",
            wrap(
                &format!(
                    "`cargo test` checks {} too, in a debug build at smoke scale, against \
                     snapshots of its own: recording those as well",
                    if names.len() == 1 { "it" } else { "them" }
                ),
                2
            )
        );
    }
    let cargo = CargoOpts {
        profile: TEST_PROFILE.to_string(),
        ..cargo.clone()
    };
    let selected: Vec<_> = list_all(meta, &cargo, &[], &mut build_output(out))?
        .into_iter()
        .filter(|s| names.contains(s.name.as_str()))
        .collect();
    let target = cargo
        .target_dir
        .clone()
        .unwrap_or_else(|| meta.target_directory.as_std_path().to_path_buf());
    let scratch = tempfile::Builder::new()
        .prefix("test-snapshots-")
        .tempdir_in(target.join("allocguard"))
        .map_err(anyhow::Error::from)
        .infra_err()?;
    std::fs::create_dir_all(scratch.path().join("scenarios"))
        .map_err(anyhow::Error::from)
        .infra_err()?;
    let settings = Settings {
        run_dir: scratch.path(),
        scale: TEST_SCALE,
        ci_mode: false,
        timeout,
        sites: false,
        seal: None,
    };
    let ran = execute(&selected, settings, &mut Unheard)?;
    let new = ran
        .iter()
        .filter(|s| s.snapshot.is_some_and(|m| m.new))
        .count();
    let changed = ran
        .iter()
        .filter(|s| s.snapshot.is_some_and(|m| !m.new))
        .count();
    let _ = writeln!(
        out.stderr(),
        "{}",
        match (new, changed) {
            (0, 0) => "`cargo test`'s snapshots of them match: nothing more to review".to_string(),
            (n, 0) => format!("{} for `cargo test` as well", plural(n, "new snapshot")),
            (0, c) => format!("{} for `cargo test` as well", plural(c, "changed snapshot")),
            (n, c) => format!("{n} new and {c} changed snapshots for `cargo test` as well"),
        }
    );
    if new + changed > 0 {
        let _ = writeln!(
            out.stderr(),
            "review them all at once: cargo allocguard review"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_keeps_other_snapshots_than_cargo_test_unless_debug_at_smoke_scale() {
        use allocguard::Scale;
        assert!(!differ_from_cargo_test("dev", Scale::Smoke));
        assert!(!differ_from_cargo_test("test", Scale::Smoke));
        assert!(differ_from_cargo_test("release", Scale::Smoke));
        assert!(differ_from_cargo_test("dev", Scale::Default));
        assert!(differ_from_cargo_test("release", Scale::Default));
    }
}
