//! `cargo allocguard merge`: joins the run files of partitioned runs.
//!
//! The shards must make a whole: every `M` of one `KIND:M/N` partition once,
//! unless `--allow-partial` says a missing shard is expected (it is still
//! named).

use std::io::Write;

use anyhow::bail;

use crate::cli::MergeArgs;
use crate::error::{CliResult, WithCode};
use crate::model::Run;
use crate::partition::Partition;
use crate::{results, Output};

/// Which shards of which partition the runs are.
#[derive(Debug, PartialEq, Eq)]
pub struct ShardSet {
    /// `hash` or `slice`, and N.
    pub kind: String,
    /// N.
    pub of: u64,
    /// The Ms present, sorted.
    pub present: Vec<u64>,
}

impl ShardSet {
    /// The Ms missing.
    pub fn missing(&self) -> Vec<u64> {
        (1..=self.of)
            .filter(|m| !self.present.contains(m))
            .collect()
    }
}

/// Checks that `runs` are distinct shards of one partition.
pub fn shard_set(runs: &[Run], paths: &[String]) -> anyhow::Result<ShardSet> {
    let mut set: Option<ShardSet> = None;
    for (r, path) in runs.iter().zip(paths) {
        let Some(text) = &r.partition else {
            bail!(
                "{path} is a whole run, not a shard (it was not run with --partition); \
                 there is nothing to merge it with"
            );
        };
        let p = Partition::parse(text).map_err(|_| {
            anyhow::anyhow!("{path}: `{text}` is not a shard (it may be a merged run already)")
        })?;
        let (kind, m, n) = match p {
            Partition::Slice { m, n } => ("slice", m, n),
            Partition::Hash { m, n } => ("hash", m, n),
        };
        let s = set.get_or_insert_with(|| ShardSet {
            kind: kind.to_string(),
            of: n,
            present: Vec::new(),
        });
        if s.kind != kind || s.of != n {
            bail!(
                "{path} is shard {text}, but the first is of {}:M/{}: shards must come from one partition",
                s.kind,
                s.of
            );
        }
        if s.present.contains(&m) {
            bail!("{path}: shard {text} is given twice");
        }
        s.present.push(m);
    }
    let mut set = set.ok_or_else(|| anyhow::anyhow!("nothing to merge"))?;
    set.present.sort_unstable();
    Ok(set)
}

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
    let paths: Vec<String> = args
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let set = shard_set(&runs, &paths).usage_err()?;
    let missing = set.missing();
    if !missing.is_empty() && !args.allow_partial {
        return Err(crate::error::CliError::usage(anyhow::anyhow!(
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
            results::table(&merged, crate::table::terminal_width(), out.verbose > 0)
        );
    }
    let _ = write!(stdout, "{}", results::failure_details(&merged));
    let _ = writeln!(
        stdout,
        "merged {} of {} shards of {}:M/{} ({}) into {}{}",
        set.present.len(),
        set.of,
        set.kind,
        set.of,
        crate::table::plural(merged.scenarios.len(), "scenario"),
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
