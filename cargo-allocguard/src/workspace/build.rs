//! Building scenario targets through cargo and taking their executables from
//! the JSON artifact messages; diagnostics and progress are cargo's own
//! (`Compiling …` lines, and its progress bar on a terminal), on stderr.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use cargo_metadata::Message;

use crate::cli::{CargoOpts, ColorWhen};
use crate::workspace::metadata::ScenarioTarget;

/// Hears a line worth saying before cargo runs (its command line, `-v`).
pub type Announce<'a> = Box<dyn FnMut(&str) + 'a>;

/// How cargo's own output goes (it writes its progress and errors to the
/// terminal itself), and who hears the command line before it runs.
pub struct BuildOutput<'a> {
    /// `-q`: cargo is quiet too.
    pub quiet: bool,
    /// `--color`, passed on to cargo.
    pub color: ColorWhen,
    /// Told the cargo command line before it runs (`-v`).
    pub announce: Option<Announce<'a>>,
}

/// The cargo to run: the one that ran us, else `cargo` on the PATH.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Adds cargo's own flags to `cmd`.
pub fn add_cargo_flags(cmd: &mut Command, cargo: &CargoOpts, extra_features: &[&str]) {
    if let Some(p) = &cargo.manifest_path {
        cmd.arg("--manifest-path").arg(p);
    }
    if let Some(d) = &cargo.target_dir {
        cmd.arg("--target-dir").arg(d);
    }
    let mut features: Vec<String> = cargo.features.clone();
    features.extend(extra_features.iter().map(|s| s.to_string()));
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    if cargo.all_features {
        cmd.arg("--all-features");
    }
    if cargo.no_default_features {
        cmd.arg("--no-default-features");
    }
    cmd.arg("--profile").arg(&cargo.profile);
    for c in &cargo.config {
        cmd.arg("--config").arg(c);
    }
}

/// Builds every target in one cargo invocation (cargo checks freshness
/// once) and returns each executable, keyed by (package, target). Cargo
/// shows its progress and errors as it always does (quiet only with `-q`);
/// the error returned names the packages.
pub fn build(
    targets: &[ScenarioTarget],
    cargo_opts: &CargoOpts,
    extra_features: &[&str],
    out: &mut BuildOutput<'_>,
) -> anyhow::Result<BTreeMap<(String, String), PathBuf>> {
    let mut packages: Vec<&str> = targets.iter().map(|t| t.package.as_str()).collect();
    packages.dedup();
    let mut names: Vec<&str> = targets.iter().map(|t| t.target.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut cmd = cargo();
    cmd.args([
        "test",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    for p in &packages {
        cmd.args(["-p", p]);
    }
    for n in &names {
        cmd.args(["--test", n]);
    }
    add_cargo_flags(&mut cmd, cargo_opts, extra_features);
    if let Some(announce) = out.announce.as_mut() {
        announce(&format!("running {cmd:?}"));
    }
    if out.quiet {
        cmd.arg("--quiet");
    }
    match out.color {
        ColorWhen::Always => {
            cmd.args(["--color", "always"]);
        }
        ColorWhen::Never => {
            cmd.args(["--color", "never"]);
        }
        ColorWhen::Auto => {}
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot run cargo")?;
    let stdout = child.stdout.take().expect("piped");
    let mut exes = BTreeMap::new();
    for msg in Message::parse_stream(BufReader::new(stdout)) {
        let Message::CompilerArtifact(a) = msg.context("cannot read cargo's JSON messages")? else {
            continue;
        };
        let Some(exe) = a.executable else { continue };
        let package = package_of(&a.package_id.repr);
        let wanted = targets
            .iter()
            .find(|t| a.target.is_test() && t.target == a.target.name && package == t.package);
        if let Some(t) = wanted {
            exes.insert(
                (t.package.clone(), t.target.clone()),
                exe.into_std_path_buf(),
            );
        }
    }
    let status = child.wait().context("cargo did not finish")?;
    let list = packages
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if !status.success() {
        bail!("building the scenario targets of {list} failed (cargo's errors are above)");
    }
    for t in targets {
        if !exes.contains_key(&(t.package.clone(), t.target.clone())) {
            bail!(
                "cargo built {list} but reported no executable for `{}`'s test target `{}`",
                t.package,
                t.target
            );
        }
    }
    Ok(exes)
}

/// The package name in a package id: `path+file:///…/sim#allocguard-sim@0.1.0`
/// → `allocguard-sim`; `path+file:///…/allocguard#0.1.0` → `allocguard`
/// (cargo leaves the name out when it is the directory's).
fn package_of(id: &str) -> String {
    let (before, after) = id.rsplit_once('#').unwrap_or(("", id));
    match after.split_once('@') {
        Some((name, _)) => name.to_string(),
        None => before.rsplit('/').next().unwrap_or("").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::package_of;

    #[test]
    fn package_names_come_out_of_both_id_forms() {
        assert_eq!(
            package_of("path+file:///work/main/sim#allocguard-sim@0.1.0"),
            "allocguard-sim"
        );
        assert_eq!(
            package_of("path+file:///work/main#allocguard@0.1.0"),
            "allocguard"
        );
        assert_eq!(
            package_of("path+file:///tmp/x/fixture-basic#0.1.3"),
            "fixture-basic"
        );
    }
}
