//! `cargo allocguard profile SCENARIO`: rebuild with allocguard's `dhat`
//! feature (and full debug info, so that DHAT can tell allocator frames from
//! the program's in an optimised build), run the scenario alone, and write
//! `dhat-heap.json`.
//!
//! The profiler runs over the scenario's phases only: not its setup or
//! teardown, and none of allocguard's own work (its buffers are allocated
//! before the first phase, its symbolising done after the last). Its
//! backtraces end at the scenario's tick closure: the harness starts the
//! profiler through the same call as every tick, and DHAT cuts the frames
//! every backtrace shares with the one it took at its start.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use allocguard::_cargo_allocguard::{DHAT_OUT_ENV, OUT_ENV};
use allocguard::harness::SCALE_ENV;
use anyhow::{anyhow, bail, Context};

use crate::cli::ProfileArgs;
use crate::commands::build_output;
use crate::error::{CliError, CliResult, WithCode};
use crate::reporter::wrap::wrap;
use crate::reporter::Output;
use crate::runner::binary::{self, Job};
use crate::workspace::metadata::metadata;
use crate::workspace::select::select;

/// `cargo allocguard profile`.
pub fn run(args: ProfileArgs, out: &Output) -> CliResult<bool> {
    let dest = if args.out.is_absolute() {
        args.out.clone()
    } else {
        std::env::current_dir().infra_err()?.join(&args.out)
    };
    refuse_to_overwrite(&dest)?;
    let meta = metadata(&args.cargo).usage_err()?;
    let mut cargo = args.cargo.clone();
    cargo
        .config
        .push(format!("profile.{}.debug=\"full\"", cargo.profile));
    let selected = select(
        &meta,
        &cargo,
        std::slice::from_ref(&args.scenario),
        &["allocguard/dhat"],
        &mut build_output(out),
    )?;
    let Some(sel) = selected.iter().find(|s| s.name == args.scenario) else {
        let close: Vec<&str> = selected.iter().map(|s| s.name.as_str()).collect();
        return Err(CliError::usage(anyhow!(
            "no scenario is named exactly `{}`{}",
            args.scenario,
            if close.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", close.join(", "))
            }
        )));
    };
    let scale: allocguard::Scale = args.scale.into();
    let tmp = dest.with_extension("json.partial");
    // The harness's record of the run, for the phases it covered; removed
    // once read.
    let run_file = dest.with_extension(format!("run.{}.jsonl", std::process::id()));
    let job = Job {
        exe: &sel.exe,
        dir: &sel.target.package_dir,
        scenario: &sel.name,
        ignored: sel.ignored,
        env: vec![
            (DHAT_OUT_ENV.into(), tmp.clone()),
            (SCALE_ENV.into(), PathBuf::from(scale.to_string())),
            ("ALLOCGUARD_SNAPSHOTS".into(), PathBuf::from("off")),
            (OUT_ENV.into(), run_file.clone()),
            ("CARGO_MANIFEST_DIR".into(), sel.target.package_dir.clone()),
        ],
        timeout: Some(Duration::from_secs(24 * 3600)),
        // Only which phases ran is read from its run file, not a verdict.
        seal: None,
    };
    let finished = binary::run(&job);
    let covered = coverage(&run_file, &sel.name, scale);
    let _ = std::fs::remove_file(&run_file);
    let finished = finished.infra_err()?;
    if out.verbose > 0 {
        eprint!("{}", finished.output_unmarked());
    }
    if finished.interrupted {
        let _ = std::fs::remove_file(&tmp);
        return Err(CliError::infra(anyhow!(
            "interrupted by a signal: the scenario and every process it started were ended; no profile was written"
        )));
    }
    let check = || -> anyhow::Result<()> {
        let text = std::fs::read_to_string(&tmp).with_context(|| {
            format!(
                "the scenario ran ({}) but wrote no DHAT profile; is its global allocator \
                 `allocguard::CountingAlloc::system()`? last output:\n{}",
                finished
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "killed".into()),
                finished.stderr_of(&sel.name)
            )
        })?;
        if !text.contains("dhatFileVersion") {
            bail!("{} is not a DHAT profile", tmp.display());
        }
        std::fs::rename(&tmp, &dest).with_context(|| format!("cannot write {}", dest.display()))
    };
    check().infra_err()?;
    let mut stdout = out.stdout();
    let _ = writeln!(stdout, "wrote {}", dest.display());
    if let Some(covered) = covered {
        let _ = writeln!(stdout, "{}", wrap(&covered, 2));
    }
    let _ = writeln!(
        stdout,
        "{}",
        wrap(
            "open it in DHAT's viewer: https://nnethercote.github.io/dh_view/dh_view.html \
             (\"Load…\"), or a local copy of dh_view.html from valgrind's share directory",
            2
        )
    );
    Ok(true)
}

/// Refuses `dest` when it exists and is not a DHAT profile (whatever it
/// holds, text or not): `profile` only replaces its own output.
fn refuse_to_overwrite(dest: &Path) -> CliResult<()> {
    let existing = match std::fs::read(dest) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(CliError::usage(anyhow!(
                "cannot read {} ({e}), so cannot tell whether it is a DHAT profile; refusing to \
                 overwrite it (choose another --out)",
                dest.display()
            )))
        }
    };
    let is_profile = serde_json::from_slice::<serde_json::Value>(&existing)
        .is_ok_and(|v| v.get("dhatFileVersion").is_some());
    if is_profile {
        Ok(())
    } else {
        Err(CliError::usage(anyhow!(
            "{} exists and is not a DHAT profile; refusing to overwrite it (choose another --out)",
            dest.display()
        )))
    }
}

/// `it covers the phases of NAME at smoke scale: warm (10 ticks), hot (40
/// ticks); not its setup or teardown, nor allocguard's own work`, from the
/// profile the harness wrote to the run file.
fn coverage(run_file: &Path, name: &str, scale: allocguard::Scale) -> Option<String> {
    let run = allocguard::_cargo_allocguard::RunFile::read(run_file).ok()?;
    let profile = run
        .scenarios
        .iter()
        .find(|s| s.name == name)?
        .profile
        .as_ref()?;
    let phases: Vec<String> = profile
        .phases
        .iter()
        .map(|p| {
            format!(
                "{} ({})",
                p.name,
                crate::units::plural(p.ticks as usize, "tick")
            )
        })
        .collect();
    Some(format!(
        "it covers the phases of {name} at {scale} scale: {}; not its setup or teardown, nor \
         allocguard's own work",
        phases.join(", ")
    ))
}
