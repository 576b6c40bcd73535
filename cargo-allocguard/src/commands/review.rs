//! `cargo allocguard review`: accept or reject pending snapshots, at a
//! terminal or all at once; `--unreferenced` finds snapshots whose scenario
//! no longer exists and deletes them after asking.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::cli::{CargoOpts, ReviewArgs};
use crate::commands::build_output;
use crate::error::{CliError, CliResult, WithCode};
use crate::reporter::Output;
use crate::review::{accept, accepted_path, pending, reject, session, unreferenced};
use crate::units::plural;

/// The snapshot directory of the workspace (or `--snapshots`).
fn snapshot_dir(args: &ReviewArgs) -> CliResult<PathBuf> {
    match &args.snapshots {
        Some(d) => Ok(d.clone()),
        None => {
            let cargo = CargoOpts {
                manifest_path: args.manifest_path.clone(),
                ..Default::default()
            };
            let meta = crate::workspace::metadata::metadata(&cargo).usage_err()?;
            Ok(meta.workspace_root.as_std_path().join("snapshots"))
        }
    }
}

fn run_unreferenced(args: &ReviewArgs, dir: &Path, out: &Output) -> CliResult<bool> {
    // Every package's scenarios: the snapshot directory is the workspace's.
    let cargo = CargoOpts {
        manifest_path: args.manifest_path.clone(),
        profile: args.profile.clone(),
        target_dir: args.target_dir.clone(),
        ..Default::default()
    };
    let meta = crate::workspace::metadata::metadata(&cargo).usage_err()?;
    // Ignored scenarios have snapshots too.
    let names: Vec<String> =
        crate::workspace::select::list_all(&meta, &cargo, &[], &mut build_output(out))?
            .into_iter()
            .map(|s| s.name)
            .collect();
    let stale = unreferenced(dir, &names).usage_err()?;
    let mut stdout = out.stdout();
    if stale.is_empty() {
        let _ = writeln!(
            stdout,
            "every snapshot in {} belongs to a scenario",
            dir.display()
        );
        return Ok(true);
    }
    let _ = writeln!(
        stdout,
        "{} of no scenario that exists (renamed or deleted):",
        plural(stale.len(), "snapshot")
    );
    for p in &stale {
        let _ = writeln!(stdout, "  {}", p.display());
    }
    if !std::io::stdin().is_terminal() {
        let _ = writeln!(
            stdout,
            "run `cargo allocguard review --unreferenced` in a terminal to delete them"
        );
        return Ok(false);
    }
    session::delete_when_asked(&stale, out)?;
    Ok(true)
}

/// `cargo allocguard review`.
pub fn run(args: ReviewArgs, out: &Output) -> CliResult<bool> {
    let dir = snapshot_dir(&args)?;
    if args.unreferenced {
        return run_unreferenced(&args, &dir, out);
    }
    let list = pending(&dir, &args.filters).usage_err()?;
    let mut stdout = out.stdout();
    if list.is_empty() {
        let _ = writeln!(stdout, "no pending snapshots in {}", dir.display());
        return Ok(true);
    }
    if args.accept || args.reject {
        for p in &list {
            if args.accept { accept(p) } else { reject(p) }.usage_err()?;
            let _ = writeln!(
                stdout,
                "{} {}",
                if args.accept { "accepted" } else { "rejected" },
                accepted_path(p).display()
            );
        }
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(anyhow::anyhow!(
            "{} pending, but review is interactive and standard input is not a terminal.\n\
             accept them all:  cargo allocguard review --accept [FILTER…]\n\
             reject them all:  cargo allocguard review --reject [FILTER…]",
            plural(list.len(), "snapshot")
        )));
    }
    session::interactive(&list, out)
}
