//! `cargo allocguard merge`: joins the run files of partitioned runs.

use std::io::Write;

use anyhow::bail;

use crate::cli::MergeArgs;
use crate::error::{CliResult, WithCode};
use crate::model::Run;
use crate::{results, Output};

/// Joins `runs` into one: they must share git revision, scale and profile,
/// and no scenario may appear twice.
pub fn merge(runs: Vec<Run>) -> anyhow::Result<Run> {
    let Some(first) = runs.first() else {
        bail!("nothing to merge");
    };
    let mut merged = Run {
        partition: None,
        scenarios: Vec::new(),
        ..first.clone()
    };
    let mut shards = Vec::new();
    for r in runs {
        if (&r.git_rev, r.scale, &r.build_profile)
            != (&merged.git_rev, merged.scale, &merged.build_profile)
        {
            bail!(
                "run {} ({} {} {}) differs from run {} ({} {} {}): shards must come from the same revision, scale and profile",
                r.run_id, r.git_rev, r.scale, r.build_profile, merged.run_id, merged.git_rev, merged.scale, merged.build_profile
            );
        }
        for s in &r.scenarios {
            if merged
                .scenarios
                .iter()
                .any(|m| (&m.package, &m.target, &m.name) == (&s.package, &s.target, &s.name))
            {
                bail!(
                    "scenario `{}` is in more than one shard (run {})",
                    s.name,
                    r.run_id
                );
            }
        }
        shards.push(r.partition.clone().unwrap_or_else(|| "whole".into()));
        merged.started = merged.started.min(r.started.clone());
        merged.scenarios.extend(r.scenarios);
    }
    merged.partition = Some(format!("merged: {}", shards.join(" + ")));
    merged.sort();
    Ok(merged)
}

/// `cargo allocguard merge`.
pub fn run(args: MergeArgs, out: &Output) -> CliResult<bool> {
    let runs = args
        .inputs
        .iter()
        .map(|p| Run::read(p))
        .collect::<anyhow::Result<Vec<_>>>()
        .usage_err()?;
    let merged = merge(runs).usage_err()?;
    merged.write_new(&args.out).usage_err()?;
    let mut stdout = out.stdout();
    if !out.quiet {
        let _ = write!(stdout, "{}", results::table(&merged));
    }
    let _ = write!(stdout, "{}", results::failure_details(&merged));
    let _ = writeln!(
        stdout,
        "merged {} runs into {}",
        args.inputs.len(),
        args.out.display()
    );
    let passed = merged.failures().next().is_none();
    Ok(passed)
}
