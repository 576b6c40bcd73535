//! `cargo allocguard report`: finds the run (and the baseline, with
//! `--baseline`), then writes `report.md` and `report.html` beside it
//! (see [`crate::reporter::page`] for what they hold).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{CargoOpts, ReportArgs};
use crate::config::Config;
use crate::error::{CliError, CliResult, WithCode};
use crate::judge::compare::baseline_comparison;
use crate::reporter::page::{self, write_report, Baseline};
use crate::reporter::Output;
use crate::store::locate::{locate, locate_baseline};
use crate::store::run_file::Run;
use crate::workspace::metadata::metadata;

/// `cargo allocguard report`.
pub fn run(args: ReportArgs, out: &Output) -> CliResult<bool> {
    let cargo = CargoOpts {
        manifest_path: args.manifest_path.clone(),
        ..Default::default()
    };
    let needs_workspace =
        args.run.as_deref().is_none_or(|a| !Path::new(a).is_file()) || args.baseline.is_some();
    // Outside a workspace, a --target-dir is enough (and every run counts).
    let meta = if needs_workspace {
        match (metadata(&cargo), &args.target_dir) {
            (Ok(meta), _) => Some(meta),
            (Err(_), Some(_)) => None,
            (Err(e), None) => return Err(CliError::usage(e)),
        }
    } else {
        None
    };
    let runs_dir = args
        .target_dir
        .clone()
        .or_else(|| {
            meta.as_ref()
                .map(|m| m.target_directory.clone().into_std_path_buf())
        })
        .unwrap_or_default()
        .join("allocguard");
    let root = meta.map(|m| m.workspace_root.into_std_path_buf());
    let path = match args.run.as_deref().filter(|a| Path::new(a).is_file()) {
        Some(file) => PathBuf::from(file),
        None => locate(args.run.as_deref(), &runs_dir, root.as_deref()).usage_err()?,
    };
    let run = Run::read(&path).usage_err()?;
    let base_run;
    let baseline = match &args.baseline {
        None => None,
        Some(name) => {
            let (config, log) = match &root {
                Some(root) => {
                    let config = crate::config::load(None, root)?;
                    for note in &config.notes {
                        out.note(note);
                    }
                    let log =
                        crate::config::phase_log_path(args.phase_log.as_deref(), &config, root);
                    (config, Some(log))
                }
                None => (Config::default(), args.phase_log.clone()),
            };
            let file = locate_baseline(name, &runs_dir, log.as_deref()).usage_err()?;
            base_run = Run::read(&file).usage_err()?;
            // A path is named by its run's id.
            let name = if Path::new(name).is_file() {
                &base_run.run_id
            } else {
                name
            };
            let comparison =
                baseline_comparison(&run, &base_run, name, &config.gates).usage_err()?;
            Some(Baseline {
                name: name.to_string(),
                run: &base_run,
                comparison,
            })
        }
    };
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| path.parent().unwrap_or(Path::new(".")).to_path_buf());
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .usage_err()?;
    let (md, html) = (dir.join("report.md"), dir.join("report.html"));
    write_report(&md, &page::markdown(&run, baseline.as_ref())).usage_err()?;
    write_report(&html, &page::html(&run, baseline.as_ref())).usage_err()?;
    let _ = writeln!(out.stdout(), "{}\n{}", md.display(), html.display());
    Ok(true)
}
