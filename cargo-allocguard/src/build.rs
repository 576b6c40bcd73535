//! Building scenario targets through cargo and taking their executables from
//! the JSON artifact messages; diagnostics are rendered by cargo itself.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use cargo_metadata::Message;

use crate::cli::CargoOpts;
use crate::discover::ScenarioTarget;

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
}

/// Builds every target and returns its executable, keyed by (package, target).
/// Build errors are printed by cargo as it prints them; the error returned
/// says which packages failed.
pub fn build(
    targets: &[ScenarioTarget],
    cargo_opts: &CargoOpts,
    extra_features: &[&str],
    verbose: bool,
) -> anyhow::Result<BTreeMap<(String, String), PathBuf>> {
    let mut by_package: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in targets {
        by_package.entry(&t.package).or_default().push(&t.target);
    }
    let mut exes = BTreeMap::new();
    for (package, names) in by_package {
        let mut cmd = cargo();
        cmd.args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
            "-p",
            package,
        ]);
        for n in &names {
            cmd.args(["--test", n]);
        }
        add_cargo_flags(&mut cmd, cargo_opts, extra_features);
        if !verbose {
            cmd.arg("--quiet");
        }
        if verbose {
            eprintln!("running {cmd:?}");
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot run cargo")?;
        let stdout = child.stdout.take().expect("piped");
        for msg in Message::parse_stream(BufReader::new(stdout)) {
            if let Message::CompilerArtifact(a) =
                msg.context("cannot read cargo's JSON messages")?
            {
                if a.target.is_test() && names.contains(&a.target.name.as_str()) {
                    if let Some(exe) = a.executable {
                        exes.insert(
                            (package.to_string(), a.target.name.clone()),
                            exe.into_std_path_buf(),
                        );
                    }
                }
            }
        }
        let status = child.wait().context("cargo did not finish")?;
        if !status.success() {
            bail!("building the scenario targets of `{package}` failed (cargo's errors are above)");
        }
        for n in names {
            if !exes.contains_key(&(package.to_string(), n.to_string())) {
                bail!(
                    "cargo built `{package}` but reported no executable for its test target `{n}`"
                );
            }
        }
    }
    Ok(exes)
}
