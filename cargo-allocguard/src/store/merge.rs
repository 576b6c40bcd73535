//! Joining the run files of partitioned runs (`cargo allocguard merge`):
//! the shards must be distinct shards of one partition; which are missing
//! is said, for the command to refuse or allow.

use anyhow::bail;

use crate::store::run_file::Run;
use crate::workspace::partition::Partition;

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
