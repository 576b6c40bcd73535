//! Choosing the scenarios to run: build the scenario targets, list each
//! binary's scenarios (`--list`, as libtest lists them), filter them, and
//! refuse a name two packages share.

use std::path::PathBuf;
use std::sync::Arc;

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

use crate::cli::CargoOpts;
use crate::error::{CliError, CliResult, WithCode};
use crate::workspace::build::{self, BuildOutput};
use crate::workspace::metadata::{self, ScenarioTarget};
use crate::workspace::partition::Partition;

/// One scenario to run.
#[derive(Clone, Debug)]
pub struct Selected {
    /// Its target.
    pub target: ScenarioTarget,
    /// The target's executable.
    pub exe: PathBuf,
    /// The scenario's name.
    pub name: String,
    /// Whether it is ignored (selected by its exact name).
    pub ignored: bool,
    /// Every scenario its binary holds (to skip the ones not selected).
    pub siblings: Arc<Vec<String>>,
}

/// Builds the targets and lists their scenarios, filtered, in canonical order
/// (package, target, name). Ignored scenarios are selected only by their
/// exact name.
pub fn select(
    meta: &cargo_metadata::Metadata,
    cargo: &CargoOpts,
    filters: &[String],
    extra_features: &[&str],
    out: &mut BuildOutput<'_>,
) -> CliResult<Vec<Selected>> {
    let all = list_all(meta, cargo, extra_features, out)?;
    let selected: Vec<Selected> = all
        .iter()
        .filter(|s| {
            if s.ignored {
                filters.iter().any(|f| f == &s.name)
            } else {
                matches_any(filters, &s.name)
            }
        })
        .cloned()
        .collect();
    if selected.is_empty() && !filters.is_empty() {
        let ignored: Vec<&str> = all
            .iter()
            .filter(|s| s.ignored && matches_any(filters, &s.name))
            .map(|s| s.name.as_str())
            .collect();
        let hint = if ignored.is_empty() {
            String::new()
        } else {
            format!(
                "; ignored scenarios run only when named exactly, and these match: {}",
                ignored.join(", ")
            )
        };
        return Err(CliError::usage(anyhow::anyhow!(
            "no scenario matches {}{hint}; `cargo allocguard list` shows them all",
            filters.join(" or ")
        )));
    }
    Ok(selected)
}

/// The scenarios of `selected` that fall to shard `p` (by their index in
/// the whole selection, or a hash of `package/target/name`).
pub fn take_shard(selected: Vec<Selected>, p: Partition) -> Vec<Selected> {
    selected
        .into_iter()
        .enumerate()
        .filter(|(i, s)| {
            let id = format!("{}/{}/{}", s.target.package, s.target.target, s.name);
            p.contains(*i, &id)
        })
        .map(|(_, s)| s)
        .collect()
}

/// Whether `name` contains one of `filters` (every name matches none).
pub fn matches_any(filters: &[String], name: &str) -> bool {
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

/// Builds the targets and lists every scenario, ignored ones included, in
/// canonical order.
pub fn list_all(
    meta: &cargo_metadata::Metadata,
    cargo: &CargoOpts,
    extra_features: &[&str],
    out: &mut BuildOutput<'_>,
) -> CliResult<Vec<Selected>> {
    let targets = metadata::scenario_targets(meta, cargo).usage_err()?;
    if targets.is_empty() {
        return Err(CliError::usage(anyhow::anyhow!(metadata::no_targets_help(
            meta
        ))));
    }
    let exes = build::build(&targets, cargo, extra_features, out).infra_err()?;
    let mut all = Vec::new();
    for t in &targets {
        let exe = &exes[&(t.package.clone(), t.target.clone())];
        let listing = list(exe, &t.package_dir).infra_err()?;
        let siblings = Arc::new(listing.iter().map(|l| l.name.clone()).collect::<Vec<_>>());
        for listed in listing {
            all.push(Selected {
                target: t.clone(),
                exe: exe.clone(),
                name: listed.name,
                ignored: listed.ignored,
                siblings: siblings.clone(),
            });
        }
    }
    all.sort_by(|a, b| {
        (&a.target.package, &a.target.target, &a.name).cmp(&(
            &b.target.package,
            &b.target.target,
            &b.name,
        ))
    });
    refuse_shared_names(&all)?;
    Ok(all)
}

/// Scenario names key snapshots, the phase log, gates and JUnit: two
/// scenarios of one name would overwrite each other's snapshot. Refused,
/// naming both.
fn refuse_shared_names(all: &[Selected]) -> CliResult<()> {
    for (i, a) in all.iter().enumerate() {
        if let Some(b) = all[i + 1..].iter().find(|b| b.name == a.name) {
            return Err(CliError::usage(anyhow::anyhow!(
                "two scenarios are named `{}`: one in package `{}` (test target `{}`), one in \
                 package `{}` (test target `{}`).\nSnapshots, the phase log, gates and JUnit \
                 know a scenario by its name, so the two would overwrite each other's \
                 snapshot; rename one (names such as `{}/{}` keep them apart)",
                a.name,
                a.target.package,
                a.target.target,
                b.target.package,
                b.target.target,
                b.target.package,
                a.name.rsplit('/').next().unwrap_or(&a.name),
            )));
        }
    }
    Ok(())
}

/// A scenario as a harness binary lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Its name.
    pub name: String,
    /// Whether it is ignored (runs only when asked for by name).
    pub ignored: bool,
}

fn list_names(exe: &Path, dir: &Path, ignored_only: bool) -> anyhow::Result<Vec<String>> {
    let mut cmd = Command::new(exe);
    cmd.arg("--list").current_dir(dir);
    if ignored_only {
        cmd.arg("--ignored");
    }
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {} --list", exe.display()))?;
    if !out.status.success() {
        bail!(
            "{} --list failed ({}): {}",
            exe.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect())
}

/// The scenarios of a harness binary, in its order.
pub fn list(exe: &Path, dir: &Path) -> anyhow::Result<Vec<Listed>> {
    let all = list_names(exe, dir, false)?;
    let ignored = list_names(exe, dir, true)?;
    Ok(all
        .into_iter()
        .map(|name| Listed {
            ignored: ignored.contains(&name),
            name,
        })
        .collect())
}
