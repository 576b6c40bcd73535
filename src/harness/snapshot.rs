//! Snapshots of the deterministic part of a profile, with insta.
//!
//! One file per scenario, build profile and scale, in `snapshots/` at the
//! workspace root: `waves__stress_500@release-default.snap`. Only what is
//! deterministic goes in: counts per phase, bytes (unless the scenario opts
//! out), the tick of the first violation, the growth verdict and the stable
//! metrics; never times, RSS or absolute live bytes.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use super::profile::Profile;

/// Overrides the snapshot directory (default: `snapshots/` at the workspace root).
pub const SNAPSHOT_DIR_ENV: &str = "ALLOCGUARD_SNAPSHOT_DIR";

#[derive(serde::Serialize)]
struct SnapshotView<'a> {
    scenario: &'a str,
    build_profile: &'a str,
    scale: String,
    phases: Vec<PhaseView<'a>>,
}

#[derive(serde::Serialize)]
struct PhaseView<'a> {
    name: &'a str,
    ticks: u64,
    warmup_ticks: u64,
    hot_ticks: u64,
    allocs: u64,
    deallocs: u64,
    reallocs: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_allocated: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_freed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    growth: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    peak: Option<i64>,
    hot_violations: u64,
    violating_ticks: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_violation_tick: Option<u64>,
    steady_growth: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metrics: BTreeMap<&'a str, f64>,
}

fn view(profile: &Profile, include_bytes: bool) -> SnapshotView<'_> {
    let bytes = |v| include_bytes.then_some(v);
    SnapshotView {
        scenario: &profile.scenario,
        build_profile: &profile.build_profile,
        scale: profile.scale.to_string(),
        phases: profile
            .phases
            .iter()
            .map(|p| PhaseView {
                name: &p.name,
                ticks: p.ticks,
                warmup_ticks: p.warmup_ticks,
                hot_ticks: p.hot_ticks,
                allocs: p.allocs,
                deallocs: p.deallocs,
                reallocs: p.reallocs,
                bytes_allocated: bytes(p.bytes_allocated),
                bytes_freed: bytes(p.bytes_freed),
                growth: include_bytes.then_some(p.growth),
                peak: include_bytes.then_some(p.peak),
                hot_violations: p.hot_violations,
                violating_ticks: p.violating_ticks,
                first_violation_tick: p.first_violation.as_ref().map(|v| v.tick),
                steady_growth: p.growth_check.steady_growth,
                metrics: p
                    .metrics
                    .iter()
                    .filter(|(k, _)| !p.volatile_metrics.contains(k))
                    .map(|(k, v)| (k.as_str(), *v))
                    .collect(),
            })
            .collect(),
    }
}

/// The snapshot name of a scenario: `/` becomes `__`, anything else outside
/// `[A-Za-z0-9_.-]` becomes `_`.
pub fn snapshot_name(scenario: &str) -> String {
    scenario
        .replace('/', "__")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where the snapshot of `profile` lives inside `dir`.
pub fn snapshot_path(dir: &Path, profile: &Profile) -> PathBuf {
    dir.join(format!(
        "{}@{}-{}.snap",
        snapshot_name(&profile.scenario),
        profile.build_profile,
        profile.scale
    ))
}

/// The workspace root: the nearest ancestor of `CARGO_MANIFEST_DIR` (set by
/// cargo and nextest when they run a test) or of the current directory whose
/// `Cargo.toml` has a `[workspace]` table; else that directory itself.
pub fn workspace_root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    start
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .map(|t| t.lines().any(|l| l.trim() == "[workspace]"))
                .unwrap_or(false)
        })
        .map(Path::to_path_buf)
        .unwrap_or(start)
}

/// The snapshot directory: `ALLOCGUARD_SNAPSHOT_DIR`, or `snapshots/` at the
/// workspace root.
pub fn default_snapshot_dir() -> PathBuf {
    std::env::var_os(SNAPSHOT_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("snapshots"))
}

/// Asserts the deterministic view of `profile` against its snapshot in `dir`.
/// On a mismatch (or a missing snapshot) insta prints the diff and, unless
/// `CI` is set, leaves a `.snap.new` next to the snapshot.
pub fn assert_profile_snapshot(
    dir: &Path,
    profile: &Profile,
    include_bytes: bool,
) -> Result<(), String> {
    let name = snapshot_name(&profile.scenario);
    let view = view(profile, include_bytes);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_suffix(format!("{}-{}", profile.build_profile, profile.scale));
    settings.set_omit_expression(true);
    settings.set_description(format!(
        "allocguard memory profile of `{}`: counts per phase ({} build, {} scale)",
        profile.scenario, profile.build_profile, profile.scale
    ));
    // insta reports through a panic after printing its diff; the panic's own
    // message and backtrace add nothing, so the default hook is muted here.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_yaml_snapshot!(name.as_str(), &view));
    }));
    std::panic::set_hook(hook);
    result.map_err(|_| {
        let path = snapshot_path(dir, profile);
        let pending = if insta_is_ci() {
            "CI is set, so nothing was written".to_string()
        } else {
            format!("the new version is in {}.new", path.display())
        };
        format!(
            "snapshot {} does not match this run, or does not exist yet; {pending}.\n\
             see the difference and accept it, if intended, with `cargo allocguard review` \
             (or `cargo insta review`)",
            path.display()
        )
    })
}

fn insta_is_ci() -> bool {
    match std::env::var("CI").ok().as_deref() {
        Some("false") | Some("0") | Some("") => false,
        None => std::env::var("TF_BUILD").is_ok(),
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_file_safe() {
        assert_eq!(snapshot_name("waves/stress_500"), "waves__stress_500");
        assert_eq!(snapshot_name("a b:c"), "a_b_c");
    }
}
