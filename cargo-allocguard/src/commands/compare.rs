//! `cargo allocguard compare PRE POST`: two labels of the phase log side by
//! side, every gate applied (seed 002's pre/post protocol).

use std::io::Write;

use crate::cli::{CargoOpts, CompareArgs, Format};
use crate::config::env::github_actions;
use crate::error::{CliError, CliResult, WithCode};
use crate::judge::compare::compare;
use crate::reporter::compare as text;
use crate::reporter::Output;
use crate::store::locate::locate_baseline;
use crate::store::phase_log;
use crate::store::run_file::Run;
use crate::workspace::git::repo_prefix;
use crate::workspace::metadata::metadata;

/// `cargo allocguard compare`.
pub fn run(args: CompareArgs, out: &Output) -> CliResult<bool> {
    let cargo = CargoOpts {
        manifest_path: args.manifest_path.clone(),
        ..Default::default()
    };
    let meta = metadata(&cargo).usage_err()?;
    let root = meta.workspace_root.as_std_path();
    let config = crate::config::load(args.config.as_deref(), root)?;
    for note in &config.notes {
        out.note(note);
    }
    let path = crate::config::phase_log_path(args.phase_log.as_deref(), &config, root);
    let rows = phase_log::read(&path, &config.gates.columns_read()).usage_err()?;
    let mut c = compare(&rows, &args.pre, &args.post, &config.gates)
        .map_err(|e| CliError::usage(e.context(format!("in {}", path.display()))))?;
    c.allow_missing(&config.allow_missing);
    // Sites live in the run files, when they are still there.
    let runs_dir = meta.target_directory.as_std_path().join("allocguard");
    let run_of = |label: &str| {
        locate_baseline(label, &runs_dir, Some(&path))
            .ok()
            .and_then(|file| Run::read(&file).ok())
    };
    let post_run = run_of(&args.post);
    match (run_of(&args.pre), &post_run) {
        (Some(pre), Some(post)) => c.compare_sites(&pre, post, &config.gates),
        _ if config.gates.new_sites => c.unjudged.push(format!(
            "the new_sites gate needs the run files of `{}` and `{}` (under {}), and one is gone: \
             no site was compared",
            args.pre,
            args.post,
            runs_dir.display()
        )),
        _ => {}
    }
    if github_actions() {
        // On standard error: the comparison itself usually goes to the
        // job summary, and the runner reads workflow commands from both.
        let _ = write!(
            out.stderr(),
            "{}",
            text::annotations(&c, post_run.as_ref(), root, &repo_prefix(root))
        );
    }
    let text = match args.format {
        Format::Human => text::human(&c, args.all),
        Format::Markdown => text::markdown(&c, args.all),
        Format::Json => serde_json::to_string_pretty(&c).expect("serialises") + "\n",
    };
    let _ = write!(out.stdout(), "{text}");
    Ok(c.passed)
}
