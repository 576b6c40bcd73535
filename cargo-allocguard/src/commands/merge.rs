//! `cargo allocguard merge`: joins the run files of partitioned runs.
//!
//! The shards must make a whole: every `M` of one `KIND:M/N` partition once,
//! unless `--allow-partial` says a missing shard is expected (it is still
//! named).

use std::io::Write;

use crate::cli::MergeArgs;
use crate::error::{CliError, CliResult, WithCode};
use crate::reporter::table::terminal_width;
use crate::reporter::{results, Output};
use crate::store::merge::{merge, shard_set};
use crate::store::run_file::Run;
use crate::units::plural;

/// `cargo allocguard merge`.
pub fn run(args: MergeArgs, out: &Output) -> CliResult<bool> {
    let runs = args
        .inputs
        .iter()
        .map(|p| Run::read(p))
        .collect::<anyhow::Result<Vec<_>>>()
        .usage_err()?;
    let paths: Vec<String> = args
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let set = shard_set(&runs, &paths).usage_err()?;
    let missing = set.missing();
    if !missing.is_empty() && !args.allow_partial {
        return Err(CliError::usage(anyhow::anyhow!(
            "{} of {} shards given: {} missing ({}); merge them all, or pass --allow-partial \
             if a missing shard is expected",
            set.present.len(),
            set.of,
            if missing.len() == 1 {
                "shard"
            } else {
                "shards"
            },
            missing
                .iter()
                .map(|m| format!("{}:{m}/{}", set.kind, set.of))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let merged = merge(runs).usage_err()?;
    merged.write_new(&args.out).usage_err()?;
    let mut stdout = out.stdout();
    if !out.quiet {
        let _ = write!(
            stdout,
            "{}",
            results::table(&merged, terminal_width(), out.verbose > 0)
        );
    }
    let _ = write!(
        stdout,
        "{}",
        crate::reporter::wrap::wrap(&results::failure_details(&merged, false), 2)
    );
    let _ = writeln!(
        stdout,
        "merged {} of {} shards of {}:M/{} ({}) into {}{}",
        set.present.len(),
        set.of,
        set.kind,
        set.of,
        plural(merged.scenarios.len(), "scenario"),
        args.out.display(),
        if missing.is_empty() {
            String::new()
        } else {
            format!(
                "; missing, as --allow-partial allows: {}",
                missing
                    .iter()
                    .map(|m| format!("{}:{m}/{}", set.kind, set.of))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    let passed = merged.failures().next().is_none();
    Ok(passed)
}
