//! Finding scenario targets with cargo_metadata.
//!
//! A scenario target is a test target named `allocguard`, or one listed in
//! its package's manifest:
//!
//! ```toml
//! [package.metadata.allocguard]
//! targets = ["scenarios"]
//! ```

use std::path::PathBuf;

use anyhow::{bail, Context};
use cargo_metadata::{Metadata, MetadataCommand, Package};

use crate::cli::CargoOpts;

/// The conventional name of a scenario target.
pub const DEFAULT_TARGET: &str = "allocguard";

/// One scenario target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioTarget {
    /// Its package's name.
    pub package: String,
    /// The test target's name.
    pub target: String,
    /// The package's directory (scenario binaries run there, as under cargo test).
    pub package_dir: PathBuf,
}

/// Loads the workspace metadata (no dependencies resolved: fast and offline).
pub fn metadata(cargo: &CargoOpts) -> anyhow::Result<Metadata> {
    let mut cmd = MetadataCommand::new();
    cmd.no_deps();
    if let Some(p) = &cargo.manifest_path {
        cmd.manifest_path(p);
    }
    cmd.exec().map_err(|e| match e {
        cargo_metadata::Error::CargoMetadata { stderr } => {
            anyhow::anyhow!("cargo metadata failed:\n{}", stderr.trim_end())
        }
        other => anyhow::anyhow!("cargo metadata failed: {other}"),
    })
}

fn listed_targets(p: &Package) -> anyhow::Result<Vec<String>> {
    let Some(meta) = p.metadata.get("allocguard") else {
        return Ok(Vec::new());
    };
    let Some(targets) = meta.get("targets") else {
        return Ok(Vec::new());
    };
    serde_json::from_value(targets.clone()).with_context(|| {
        format!(
            "{}: [package.metadata.allocguard] targets must be a list of test target names",
            p.manifest_path
        )
    })
}

/// The scenario targets of the selected packages (`-p`, else every workspace
/// member, less `--exclude`), in workspace order.
pub fn scenario_targets(meta: &Metadata, cargo: &CargoOpts) -> anyhow::Result<Vec<ScenarioTarget>> {
    let members: Vec<&Package> = meta.workspace_packages();
    for spec in &cargo.package {
        if !members.iter().any(|p| p.name.as_str() == spec) {
            bail!(
                "-p {spec}: no such package in the workspace; members: {}",
                members
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let mut out = Vec::new();
    for p in members {
        let name = p.name.as_str();
        if !cargo.package.is_empty() && !cargo.package.iter().any(|s| s == name) {
            continue;
        }
        if cargo.exclude.iter().any(|s| s == name) {
            continue;
        }
        let listed = listed_targets(p)?;
        for l in &listed {
            if !p.targets.iter().any(|t| &t.name == l && t.is_test()) {
                bail!(
                    "{}: [package.metadata.allocguard] lists `{l}`, but the package has no test target of that name",
                    p.manifest_path
                );
            }
        }
        for t in &p.targets {
            if t.is_test() && (t.name == DEFAULT_TARGET || listed.contains(&t.name)) {
                out.push(ScenarioTarget {
                    package: name.to_string(),
                    target: t.name.clone(),
                    package_dir: p
                        .manifest_path
                        .parent()
                        .map(|d| d.as_std_path().to_path_buf())
                        .unwrap_or_default(),
                });
            }
        }
    }
    Ok(out)
}

/// Test targets of the selected packages declared with `harness = false`
/// that are not scenario targets: a scenario target under another name would
/// otherwise be skipped in silence. (cargo metadata does not report
/// `harness`, so the manifests are read.)
pub fn other_custom_harness_targets(
    meta: &Metadata,
    cargo: &CargoOpts,
) -> anyhow::Result<Vec<ScenarioTarget>> {
    let ours = scenario_targets(meta, cargo)?;
    let mut out = Vec::new();
    for p in meta.workspace_packages() {
        let name = p.name.as_str();
        if (!cargo.package.is_empty() && !cargo.package.iter().any(|s| s == name))
            || cargo.exclude.iter().any(|s| s == name)
        {
            continue;
        }
        let text = std::fs::read_to_string(&p.manifest_path)
            .with_context(|| format!("cannot read {}", p.manifest_path))?;
        let manifest: toml::Table = text
            .parse()
            .with_context(|| format!("{} is not valid TOML", p.manifest_path))?;
        let tests = manifest
            .get("test")
            .and_then(|t| t.as_array())
            .cloned()
            .unwrap_or_default();
        for t in tests {
            let harness = t.get("harness").and_then(|h| h.as_bool()).unwrap_or(true);
            let Some(target) = t.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            if harness || ours.iter().any(|o| o.package == name && o.target == target) {
                continue;
            }
            out.push(ScenarioTarget {
                package: name.to_string(),
                target: target.to_string(),
                package_dir: p
                    .manifest_path
                    .parent()
                    .map(|d| d.as_std_path().to_path_buf())
                    .unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// The note for `harness = false` test targets that are not scenario
/// targets, or nothing.
pub fn custom_harness_note(others: &[ScenarioTarget]) -> String {
    if others.is_empty() {
        return String::new();
    }
    let list = others
        .iter()
        .map(|t| format!("`{}` ({})", t.target, t.package))
        .collect::<Vec<_>>()
        .join(", ");
    let one = others.len() == 1;
    format!(
        "note: {} {list} {} `harness = false` but {}, so {} not run; \
         if one holds allocguard scenarios, name it `allocguard` or list it under \
         `[package.metadata.allocguard] targets = [\"{}\"]`\n",
        if one { "test target" } else { "test targets" },
        if one { "has" } else { "have" },
        if one {
            "is not a scenario target"
        } else {
            "are not scenario targets"
        },
        if one { "it is" } else { "they are" },
        others[0].target
    )
}

/// What to tell a user whose workspace has no scenario target.
pub fn no_targets_help(meta: &Metadata) -> String {
    let others = other_custom_harness_targets(meta, &CargoOpts::default()).unwrap_or_default();
    format!(
        "no scenario targets in {}: add a test target named `allocguard` with `harness = false`\n\
         \n    [[test]]\n    name = \"allocguard\"\n    harness = false\n\n\
         whose main runs `allocguard::Harness` (`cargo allocguard init` writes one), or list \
         existing targets under\n`[package.metadata.allocguard] targets = [\"…\"]`\n{}",
        meta.workspace_root,
        custom_harness_note(&others).trim_end()
    )
}
