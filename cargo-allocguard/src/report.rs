//! `cargo allocguard report`: finds the run (and the baseline, with
//! `--baseline`), then writes `report.md` and `report.html` beside it
//! (see [`crate::report_page`] for what they hold).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::cli::ReportArgs;
use crate::error::{CliResult, WithCode};
use crate::model::Run;
use crate::phase_log::{self, PhaseRow};
use crate::report_page::{self, Baseline, MARKER};
use crate::Output;

/// The workspace a run file belongs to, without reading its scenarios.
fn workspace_of(run_json: &Path) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        workspace_root: Option<String>,
    }
    let text = std::fs::read_to_string(run_json).ok()?;
    serde_json::from_str::<Head>(&text).ok()?.workspace_root
}

/// Finds the run: a path to a run.json, a run id, or the latest run of the
/// workspace at `root` (other workspaces' runs in a shared target directory
/// are passed over; runs that do not record their workspace are taken).
pub fn locate(arg: Option<&str>, runs_dir: &Path, root: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(a) = arg {
        let p = PathBuf::from(a);
        if p.is_file() {
            return Ok(p);
        }
        let by_id = runs_dir.join(a).join("run.json");
        if by_id.is_file() {
            return Ok(by_id);
        }
        bail!(
            "`{a}` is neither a run.json file nor a run id under {}",
            runs_dir.display()
        );
    }
    let mut ids: Vec<PathBuf> = std::fs::read_dir(runs_dir)
        .with_context(|| {
            format!(
                "no runs in {}: run `cargo allocguard run` first",
                runs_dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path().join("run.json")))
        .filter(|p| p.is_file())
        .collect();
    ids.sort();
    let total = ids.len();
    let ours = |p: &PathBuf| match (root, workspace_of(p)) {
        (Some(root), Some(theirs)) => Path::new(&theirs) == root,
        _ => true,
    };
    let found = ids.iter().rev().find(|p| ours(p)).cloned();
    found.with_context(|| {
        if total == 0 {
            format!(
                "no runs in {}: run `cargo allocguard run` first",
                runs_dir.display()
            )
        } else {
            format!(
                "none of the {total} runs in {} is of the workspace at {}: run `cargo allocguard \
                 run` here first, or name a run (a run id or a run.json path)",
                runs_dir.display(),
                root.map(|r| r.display().to_string()).unwrap_or_default()
            )
        }
    })
}

/// Writes `text` to `path` unless a file that is not one of our reports is there.
/// The file is written whole or not at all (see
/// [`whole_file`](crate::whole_file)).
fn write_report(path: &Path, text: &str) -> anyhow::Result<()> {
    if path.exists() {
        let existing =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let existing = String::from_utf8_lossy(&existing);
        if !existing.contains(MARKER) && !existing.starts_with("# allocguard report") {
            bail!(
                "{} exists and is not an allocguard report; refusing to overwrite it",
                path.display()
            );
        }
    }
    crate::whole_file::write_whole(path, crate::whole_file::Existing::Replace, |w| {
        w.write_all(text.as_bytes())
    })
}

/// Finds the baseline named by `--baseline`: a run.json path, a run id, or
/// a label of the phase log (its latest run, whose run file must still be
/// under `runs_dir`).
pub fn locate_baseline(arg: &str, runs_dir: &Path, log: Option<&Path>) -> anyhow::Result<PathBuf> {
    let p = PathBuf::from(arg);
    if p.is_file() {
        return Ok(p);
    }
    let by_id = runs_dir.join(arg).join("run.json");
    if by_id.is_file() {
        return Ok(by_id);
    }
    let rows = match log.filter(|l| l.is_file()) {
        Some(l) => phase_log::read(l, &[])?,
        None => Vec::new(),
    };
    let latest = rows
        .iter()
        .filter(|r| r.label == arg)
        .max_by(|a, b| (&a.timestamp, &a.run_id).cmp(&(&b.timestamp, &b.run_id)));
    let where_log = log
        .map(|l| l.display().to_string())
        .unwrap_or_else(|| "the phase log".into());
    match latest {
        Some(r) => {
            let file = runs_dir.join(&r.run_id).join("run.json");
            anyhow::ensure!(
                file.is_file(),
                "--baseline {arg}: its latest run in {where_log} is {}, whose run file {} is gone \
                 (a `cargo clean`, or another machine's run); run it again with `cargo allocguard \
                 run --label {arg}`, or name a run file",
                r.run_id,
                file.display()
            );
            Ok(file)
        }
        None => bail!(
            "--baseline {arg}: not a run.json file, a run id under {}, or a label in {where_log}{}",
            runs_dir.display(),
            if rows.is_empty() {
                String::new()
            } else {
                format!(" (labels there: {})", phase_log::labels(&rows).join(", "))
            }
        ),
    }
}

/// Compares the baseline's phases with the run's, as `compare` would.
pub fn baseline_comparison(
    run: &Run,
    base: &Run,
    name: &str,
    gates: &crate::gates::Gates,
) -> anyhow::Result<crate::compare::Comparison> {
    let post = if name == run.run_id {
        format!("{name} (this run)")
    } else {
        run.run_id.clone()
    };
    let mut rows: Vec<PhaseRow> = Vec::new();
    for s in &base.scenarios {
        rows.extend(phase_log::rows_of(base, s, name, ""));
    }
    for s in &run.scenarios {
        rows.extend(phase_log::rows_of(run, s, &post, ""));
    }
    crate::compare::compare(&rows, name, &post, gates)
}

/// `cargo allocguard report`.
pub fn run(args: ReportArgs, out: &Output) -> CliResult<bool> {
    let cargo = crate::cli::CargoOpts {
        manifest_path: args.manifest_path.clone(),
        ..Default::default()
    };
    let needs_workspace =
        args.run.as_deref().is_none_or(|a| !Path::new(a).is_file()) || args.baseline.is_some();
    // Outside a workspace, a --target-dir is enough (and every run counts).
    let meta = if needs_workspace {
        match (crate::discover::metadata(&cargo), &args.target_dir) {
            (Ok(meta), _) => Some(meta),
            (Err(_), Some(_)) => None,
            (Err(e), None) => return Err(crate::error::CliError::usage(e)),
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
                    let config = crate::run_cmd::load_config(None, root, out)?;
                    let log =
                        crate::run_cmd::phase_log_path(args.phase_log.as_deref(), &config, root);
                    (config, Some(log))
                }
                None => (crate::config::Config::default(), args.phase_log.clone()),
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
    let (md, page) = (dir.join("report.md"), dir.join("report.html"));
    write_report(&md, &report_page::markdown(&run, baseline.as_ref())).usage_err()?;
    write_report(&page, &report_page::html(&run, baseline.as_ref())).usage_err()?;
    let _ = writeln!(out.stdout(), "{}\n{}", md.display(), page.display());
    Ok(true)
}
