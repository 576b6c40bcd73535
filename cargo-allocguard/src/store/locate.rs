//! Finding runs: the run a command names (a run.json path or a run id) or
//! the latest of a workspace, and the baseline a label names (its latest
//! run in the phase log, whose run file must still be there).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::store::phase_log;

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
