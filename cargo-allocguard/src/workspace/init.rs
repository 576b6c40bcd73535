//! `cargo allocguard init`: sets a crate up in one step.
//!
//! - `tests/allocguard.rs`, a scenario target with one example scenario;
//! - its `[[test]]` entry (`harness = false`) and the `allocguard`
//!   dev-dependency in the package's `Cargo.toml`, edited with `toml_edit`
//!   so that the rest of the file keeps its formatting and comments;
//! - `allocguard.toml` at the workspace root, its gates commented;
//! - `.github/workflows/allocguard.yml`, the workflow of `ci/`.
//!
//! A file that exists is never overwritten: it is skipped, and said so. The
//! manifest is only added to, never changed where it has something already.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use toml_edit::{value, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

use crate::cli::InitArgs;
use crate::workspace::install_source::{self, Source};

/// The scenario target's source.
pub const SCENARIOS_TEMPLATE: &str = include_str!("../../templates/scenarios.rs");
/// `allocguard.toml`.
pub const CONFIG_TEMPLATE: &str = include_str!("../../templates/allocguard.toml");
/// The GitHub Actions workflow.
pub const WORKFLOW_TEMPLATE: &str = include_str!("../../templates/github-workflow.yml");

/// What init did with one thing.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// A new file.
    Created(PathBuf, &'static str),
    /// Entries added to a file.
    Edited(PathBuf, String),
    /// Left alone, and why.
    Skipped(PathBuf, String),
}

/// The package to set up: `-p`, else the one whose directory holds the
/// current directory, else the only one.
fn choose_package<'a>(
    meta: &'a cargo_metadata::Metadata,
    name: Option<&str>,
) -> anyhow::Result<&'a cargo_metadata::Package> {
    let members = meta.workspace_packages();
    let names = || {
        members
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = name {
        return members
            .iter()
            .find(|p| p.name.as_str() == name)
            .copied()
            .with_context(|| {
                format!(
                    "-p {name}: no such package in the workspace; members: {}",
                    names()
                )
            });
    }
    let cwd = std::env::current_dir()?;
    let containing = members
        .iter()
        .filter(|p| {
            p.manifest_path
                .parent()
                .is_some_and(|d| cwd.starts_with(d.as_std_path()))
        })
        .max_by_key(|p| p.manifest_path.as_str().len());
    match (containing, members.as_slice()) {
        (Some(p), _) => Ok(p),
        (None, [only]) => Ok(only),
        _ => bail!(
            "which package? the workspace has several ({}): run init in its directory or give -p NAME",
            names()
        ),
    }
}

/// The dependency table for `source`, relative to `package_dir` when the
/// library lies inside `workspace_root`. Also says whether CI can build it.
fn dependency(
    source: &Source,
    package_dir: &Path,
    workspace_root: &Path,
) -> (Item, Option<String>) {
    match source {
        Source::Version(v) => (value(v.as_str()), None),
        Source::Git { url, rev } => {
            let mut t = InlineTable::new();
            t.insert("git", url.as_str().into());
            if let Some(rev) = rev {
                t.insert("rev", rev.as_str().into());
            }
            (value(t), None)
        }
        Source::Path(dir) => {
            let mut t = InlineTable::new();
            let (shown, warning) = match dir.strip_prefix(workspace_root) {
                Ok(inside) => {
                    let depth = package_dir
                        .strip_prefix(workspace_root)
                        .map(|p| p.components().count())
                        .unwrap_or(0);
                    let mut rel = PathBuf::new();
                    for _ in 0..depth {
                        rel.push("..");
                    }
                    rel.push(inside);
                    let rel = if rel.as_os_str().is_empty() { PathBuf::from(".") } else { rel };
                    (rel.display().to_string(), None)
                }
                Err(_) => (
                    dir.display().to_string(),
                    Some(format!(
                        "allocguard is a path dependency on {}, outside this workspace: it builds \
                         here, but not in CI; for the workflow, depend on it by git (`init --git URL`) \
                         or, once published, by version",
                        dir.display()
                    )),
                ),
            };
            t.insert("path", shown.as_str().into());
            (value(t), warning)
        }
    }
}

fn has_dependency(doc: &DocumentMut, name: &str) -> bool {
    ["dependencies", "dev-dependencies"]
        .iter()
        .any(|t| doc.get(t).and_then(|t| t.get(name)).is_some())
}

/// Adds the `[[test]]` entry and the dev-dependency to a manifest's text.
/// Returns the new text (unchanged when nothing was missing) and what was
/// added; an `allocguard` test target with the default harness is an error.
pub fn edit_manifest(text: &str, dep: Option<Item>) -> anyhow::Result<(String, Vec<String>)> {
    let mut doc: DocumentMut = text.parse().context("Cargo.toml is not valid TOML")?;
    let mut added = Vec::new();
    let existing = doc
        .get("test")
        .and_then(Item::as_array_of_tables)
        .and_then(|a| {
            a.iter()
                .find(|t| t.get("name").and_then(Item::as_str) == Some("allocguard"))
        });
    match existing {
        Some(t) if t.get("harness").and_then(Item::as_bool) != Some(false) => bail!(
            "Cargo.toml has a test target `allocguard` with libtest's harness; a scenario target needs \
             `harness = false` (its main is allocguard's Harness): rename that target, or set \
             `harness = false` if it is meant to hold scenarios"
        ),
        Some(_) => {}
        None => {
            let mut t = Table::new();
            t.insert("name", value("allocguard"));
            t.insert("harness", value(false));
            match doc.get_mut("test").and_then(Item::as_array_of_tables_mut) {
                Some(a) => a.push(t),
                None => {
                    let mut a = ArrayOfTables::new();
                    a.push(t);
                    doc.insert("test", Item::ArrayOfTables(a));
                }
            }
            added.push("[[test]] allocguard (harness = false)".to_string());
        }
    }
    if let Some(dep) = dep {
        if !has_dependency(&doc, "allocguard") {
            let dev = doc
                .entry("dev-dependencies")
                .or_insert(Item::Table(Table::new()));
            let Some(dev) = dev.as_table_like_mut() else {
                bail!("Cargo.toml: `dev-dependencies` is not a table");
            };
            dev.insert("allocguard", dep);
            added.push("dev-dependency allocguard".to_string());
        }
    }
    Ok((doc.to_string(), added))
}

/// Adds `debug = "line-tables-only"` to `[profile.release]` of a workspace
/// root manifest's text, unless that profile sets `debug` already: without
/// line tables an optimised build's violations and CI annotations name a
/// function, not the allocating line. Returns the new text and what was
/// added, if anything.
pub fn edit_release_profile(text: &str) -> anyhow::Result<(String, Option<String>)> {
    let mut doc: DocumentMut = text.parse().context("Cargo.toml is not valid TOML")?;
    let profile = doc
        .entry("profile")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_like_mut()
        .context("Cargo.toml: `profile` is not a table")?;
    let release = profile
        .entry("release")
        .or_insert(Item::Table(Table::new()))
        .as_table_like_mut()
        .context("Cargo.toml: `profile.release` is not a table")?;
    if release.contains_key("debug") {
        return Ok((text.to_string(), None));
    }
    release.insert("debug", value("line-tables-only"));
    Ok((
        doc.to_string(),
        Some("[profile.release] debug = \"line-tables-only\" (violations name the line)".into()),
    ))
}

/// The example scenario target for `package`: its scenario is named after
/// the package, so that two packages of one workspace set up by `init`
/// do not both have an `example/steady`.
pub fn scenarios_for(package: &str) -> String {
    SCENARIOS_TEMPLATE.replace("\"example/steady\"", &format!("\"{package}/steady\""))
}

/// Writes `text` to a new file at `path`, through a temporary file.
fn create(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = path.with_extension("allocguard-init.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    // A link, unlike a rename, fails when the file appeared meanwhile.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    linked.with_context(|| format!("cannot create {}", path.display()))
}

/// Replaces `path`'s text through a temporary file and a rename.
fn replace(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("toml.allocguard-init.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

fn create_unless_exists(path: PathBuf, text: &str, what: &'static str) -> anyhow::Result<Action> {
    if path.exists() {
        return Ok(Action::Skipped(path, "it exists; left as it is".into()));
    }
    create(&path, text)?;
    Ok(Action::Created(path, what))
}

/// The source of the dependency: the flags, else where this binary came from.
fn source_of(args: &InitArgs) -> Source {
    if let Some(url) = &args.git {
        return Source::Git {
            url: url.clone(),
            rev: args.rev.clone(),
        };
    }
    if let Some(path) = &args.path {
        let abs = std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.clone());
        return Source::Path(abs.canonicalize().unwrap_or(abs));
    }
    if let Some(v) = &args.version {
        return Source::Version(v.clone());
    }
    install_source::detect().unwrap_or_else(|| Source::Version(env!("CARGO_PKG_VERSION").into()))
}

/// The root of the git repository holding `dir`, if any.
fn git_root(dir: &Path) -> Option<PathBuf> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let root = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!root.is_empty()).then(|| PathBuf::from(root))
}

/// Where the workflow is and what it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowSite<'a> {
    /// The workspace below the repository's root (`""` at it).
    pub rel: &'a str,
    /// The branch pushes go to (the repository's default).
    pub branch: &'a str,
    /// The action: `owner/repo@ref`.
    pub action: &'a str,
}

/// The action `uses:` names for an install from `source`: the same
/// repository and commit for a git install (a GitHub one), the release tag
/// of a crates.io version, else allocguard's repository at `main`.
pub fn action_for(source: &Source) -> String {
    let home = env!("CARGO_PKG_REPOSITORY")
        .trim_end_matches('/')
        .trim_start_matches("https://github.com/")
        .to_string();
    match source {
        Source::Git { url, rev } => {
            let repo = url
                .trim_end_matches(".git")
                .strip_prefix("https://github.com/")
                .map(str::to_string)
                .unwrap_or(home);
            format!("{repo}@{}", rev.as_deref().unwrap_or("main"))
        }
        Source::Version(v) if v.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
            format!("{home}@v{}", v.trim_start_matches('='))
        }
        _ => format!("{home}@main"),
    }
}

/// The workflow for `site`: its branch, the action's reference, and for a
/// workspace below the repository's root, its directory (the action's
/// `working-directory`, and the cache's).
pub fn workflow_for(site: &WorkflowSite<'_>) -> String {
    let mut w = WORKFLOW_TEMPLATE
        .replace(
            "    branches: [main]\n",
            &format!("    branches: [{}]\n", site.branch),
        )
        .replace(
            "      - uses: allocguard/allocguard@main\n",
            &format!("      - uses: {}\n", site.action),
        );
    if !site.rel.is_empty() {
        w = w
            .replace(
                "          working-directory: .\n",
                &format!("          working-directory: {}\n", site.rel),
            )
            .replace(
                "      - uses: Swatinem/rust-cache@v2\n",
                &format!(
                    "      - uses: Swatinem/rust-cache@v2\n        with:\n          workspaces: {}\n",
                    site.rel
                ),
            );
    }
    w
}

/// Sets the package up; returns what was done to each thing.
pub fn init(args: &InitArgs) -> anyhow::Result<(Vec<Action>, Vec<String>)> {
    let cargo = crate::cli::CargoOpts {
        manifest_path: args.manifest_path.clone(),
        ..Default::default()
    };
    let meta = crate::workspace::metadata::metadata(&cargo)?;
    let package = choose_package(&meta, args.package.as_deref())?;
    let root = meta.workspace_root.as_std_path().to_path_buf();
    let manifest = package.manifest_path.as_std_path().to_path_buf();
    let package_dir = manifest.parent().unwrap_or(&root).to_path_buf();
    let mut actions = Vec::new();
    let mut warnings = Vec::new();

    // The manifest's edit is worked out first: if it cannot be made,
    // nothing is written.
    let source = source_of(args);
    let (dep, warning) = dependency(&source, &package_dir, &root);
    warnings.extend(warning);
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let (mut edited, mut added) =
        edit_manifest(&text, Some(dep)).with_context(|| manifest.display().to_string())?;
    // The release profile is the workspace root's.
    let root_manifest = root.join("Cargo.toml");
    let mut root_edit: Option<(String, String)> = None;
    if root_manifest == manifest {
        let (text, profile) =
            edit_release_profile(&edited).with_context(|| manifest.display().to_string())?;
        edited = text;
        added.extend(profile);
    } else {
        let text = std::fs::read_to_string(&root_manifest)
            .with_context(|| format!("cannot read {}", root_manifest.display()))?;
        let (text, profile) =
            edit_release_profile(&text).with_context(|| root_manifest.display().to_string())?;
        root_edit = profile.map(|p| (text, p));
    }

    let has_target = package
        .targets
        .iter()
        .any(|t| t.is_test() && t.name == "allocguard");
    let declared = text
        .parse::<DocumentMut>()
        .ok()
        .and_then(|d| {
            d.get("test").and_then(Item::as_array_of_tables).map(|a| {
                a.iter()
                    .any(|t| t.get("name").and_then(Item::as_str) == Some("allocguard"))
            })
        })
        .unwrap_or(false);
    if has_target && !declared {
        // Found by cargo from tests/allocguard.rs with no [[test]] entry:
        // a libtest test file, which `harness = false` would break.
        bail!(
            "{}: the package has a test target `allocguard` (tests/allocguard.rs, found by \
             cargo) that runs under libtest's harness; a scenario target needs `harness = \
             false`, which would break those tests. Rename that file, or make it a scenario \
             target yourself (see docs/guide.md) and add `[[test]] name = \"allocguard\" harness = \
             false`",
            manifest.display()
        );
    }
    let scenarios = package_dir.join("tests/allocguard.rs");
    if has_target && !scenarios.exists() {
        actions.push(Action::Skipped(
            scenarios.clone(),
            "the package has a test target `allocguard` already".into(),
        ));
    } else {
        actions.push(create_unless_exists(
            scenarios,
            &scenarios_for(package.name.as_str()),
            "the scenario target, with one example scenario",
        )?);
    }
    if added.is_empty() {
        actions.push(Action::Skipped(
            manifest.clone(),
            "it has the [[test]] entry and the dependency already".into(),
        ));
    } else {
        replace(&manifest, &edited)?;
        actions.push(Action::Edited(manifest, added.join("; ")));
    }
    if let Some((text, added)) = root_edit {
        replace(&root_manifest, &text)?;
        actions.push(Action::Edited(root_manifest, added));
    }

    actions.push(create_unless_exists(
        root.join(crate::config::CONFIG_FILE),
        CONFIG_TEMPLATE,
        "the gates, with what each does",
    )?);
    if !args.no_workflow {
        // GitHub reads workflows at the repository's root.
        let repo = git_root(&root).unwrap_or_else(|| {
            warnings.push(format!(
                "{} is not in a git repository (or git would not read it): the workflow is \
                 written at the workspace root, and GitHub reads workflows only at the \
                 repository's root; move .github/ there if the repository is elsewhere",
                root.display()
            ));
            root.clone()
        });
        let rel = root
            .strip_prefix(&repo)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let branch = crate::workspace::git::default_branch(&repo);
        let action = action_for(&source);
        actions.push(create_unless_exists(
            repo.join(".github/workflows/allocguard.yml"),
            &workflow_for(&WorkflowSite {
                rel: &rel,
                branch: &branch,
                action: &action,
            }),
            "the CI workflow: every pull request against its base, every push kept",
        )?);
    }
    if !["rust-toolchain.toml", "rust-toolchain"]
        .iter()
        .any(|f| root.join(f).exists())
    {
        warnings.push(
            "no rust-toolchain.toml: snapshots record the compiler they were made with, and \
             counts can change between compilers, so CI and your machine should build with one; \
             pin it in rust-toolchain.toml (`channel = \"1.95.0\"` under `[toolchain]`, the \
             version `rustc --version` prints); the workflow uses the pinned one"
                .to_string(),
        );
    }
    Ok((actions, warnings))
}

#[cfg(test)]
mod tests;
