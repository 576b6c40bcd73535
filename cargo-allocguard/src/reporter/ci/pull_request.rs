//! What `cargo allocguard ci` says of a pull request (or a push), once:
//! one verdict first, then every failure in one table (a scenario that
//! failed in the head run, a gate the comparison failed, a result missing),
//! then the gates that could not fire, then the details; one annotation per
//! failure; and a short comment for the pull request itself.

use std::path::Path;

use super::annotations::{annotations as run_annotations, count_failures};
use super::new_sites;
use super::step_summary::{failure_rows, failures_table, scenarios_section};
use crate::judge::compare::Comparison;
use crate::judge::gates::GateResult;
use crate::judge::Judged;
use crate::reporter::compare::markdown_details;
use crate::units::plural;

/// Where the base's results came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// A push: no base.
    None,
    /// Kept from the run on the push that made this commit.
    Cached(String),
    /// Checked out and run here.
    Built(String),
    /// It could not be run (it did not build, or the runs died): only the
    /// absolute gates judged the pull request.
    Unmeasured(String),
}

/// What a CI job found.
pub struct PullRequest<'a> {
    /// The head's run, judged by the absolute gates.
    pub head: &'a Judged,
    /// `compare base head`, when the base was measured.
    pub comparison: Option<&'a Comparison>,
    /// Where the base came from.
    pub base: Base,
    /// The base's run file, when there is one (for the report).
    pub base_run: Option<&'a crate::store::run_file::Run>,
}

/// The marker that finds this job's earlier comment, to update it in place.
pub const COMMENT_MARKER: &str = "<!-- allocguard pull request comment -->";

impl PullRequest<'_> {
    /// Every gate checked: the head run's and the comparison's.
    fn gates(&self) -> Vec<GateResult> {
        let mut all = self.head.gates.clone();
        if let Some(c) = self.comparison {
            all.extend(c.rows.iter().flat_map(|r| r.gates.iter().cloned()));
        }
        all
    }

    /// Results missing against the baseline: the comparison's.
    fn missing(&self) -> Vec<String> {
        let mut all = self.head.missing.clone();
        if let Some(c) = self.comparison {
            all.extend(c.missing.iter().cloned());
        }
        all
    }

    /// Sites that failed the comparison's `new_sites` gate.
    fn new_sites(&self) -> usize {
        self.comparison.map_or(0, |c| c.gated_sites().count())
    }

    /// Whether everything passed.
    pub fn passed(&self) -> bool {
        self.head.passed && self.comparison.is_none_or(|c| c.passed)
    }

    /// Gates that could not fire: a relative time rule over too few ticks
    /// to bound its statistic. `(scenario, phase, metric, why)`.
    fn inert(&self) -> Vec<(String, String, &'static str, String)> {
        let Some(c) = self.comparison else {
            return Vec::new();
        };
        c.rows
            .iter()
            .flat_map(|r| r.gates.iter())
            .filter(|g| g.inert)
            .map(|g| {
                (
                    g.scenario.clone(),
                    g.phase.clone(),
                    g.metric,
                    g.detail.clone().unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// `## allocguard: fail — 2 failures (…)`: the first line of the summary.
pub fn verdict_line(pr: &PullRequest<'_>) -> String {
    // A failure is what gets an annotation: a scenario that failed, a
    // phase whose gates failed (not repeating its scenario's failure), a
    // result missing.
    let failures = count_failures(&pr.head.run, &pr.gates()) + pr.missing().len() + pr.new_sites();
    let against = match &pr.base {
        Base::None => "a push: the absolute gates".to_string(),
        Base::Cached(c) => format!("against base {}, its results kept", short(c)),
        Base::Built(c) => format!("against base {}, built here", short(c)),
        Base::Unmeasured(c) => format!(
            "base {} could not be measured: the absolute gates alone",
            short(c)
        ),
    };
    if pr.passed() {
        format!(
            "## allocguard: pass ({}, {against})",
            plural(pr.head.run.scenarios.len(), "scenario")
        )
    } else {
        format!(
            "## allocguard: FAIL, {} ({against})",
            plural(failures.max(1), "failure")
        )
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The step summary: the verdict, the failures, the gates that could not
/// fire, then the comparison's tables and every scenario's phases.
pub fn summary(pr: &PullRequest<'_>, root: &Path) -> String {
    let run = &pr.head.run;
    let mut md = format!(
        "{}\n\n`{}` build, {} scale, git {}.\n\n",
        verdict_line(pr),
        run.build_profile,
        run.scale,
        run.git_rev
    );
    let missing = pr.missing();
    if !missing.is_empty() {
        md.push_str("### Missing results\n\n");
        for m in &missing {
            md.push_str(&format!("- {}\n", md_cell(m)));
        }
        md.push('\n');
    }
    md.push_str(&failures_table(&failure_rows(run, &pr.gates(), root)));
    if let Some(c) = pr.comparison {
        let listed = new_sites::markdown(c);
        if !listed.is_empty() {
            md.push_str(listed.trim_start());
            md.push('\n');
        }
    }
    let inert = pr.inert();
    if !inert.is_empty() {
        md.push_str(
            "### Gates that could not fire\n\nToo few ticks to tell a change from noise: \
             give these phases more ticks, or drop the rule.\n\n",
        );
        for (scenario, phase, metric, why) in inert {
            md.push_str(&format!(
                "- `{}` › `{}`: `{metric}`: {}\n",
                md_cell(&scenario),
                md_cell(&phase),
                md_cell(&why)
            ));
        }
        md.push('\n');
    }
    if let Some(c) = pr.comparison {
        md.push_str("### Compared with the base\n");
        if matches!(pr.base, Base::Cached(_)) {
            md.push_str(
                "\nCounts only: the base's times were measured by another job, \
                 on another machine.\n",
            );
        }
        md.push_str(&markdown_details(c, false));
        md.push('\n');
    }
    md.push_str(&scenarios_section(run));
    md
}

/// One annotation per failure: the head run's, and the comparison's failed
/// gates on phases the head run did not already fail.
pub fn annotations(pr: &PullRequest<'_>, root: &Path, repo_prefix: &str) -> String {
    let mut out = run_annotations(&pr.head.run, &pr.gates(), &pr.missing(), root, repo_prefix);
    if let Some(c) = pr.comparison {
        out.push_str(&new_sites::annotations(c, root, repo_prefix));
    }
    out
}

/// The comment for the pull request: the verdict, what failed, and which
/// phases changed; updated in place (its marker finds it).
pub fn comment(pr: &PullRequest<'_>) -> String {
    let mut md = format!("{COMMENT_MARKER}\n{}\n", verdict_line(pr));
    let run = &pr.head.run;
    let rows = failure_rows(run, &pr.gates(), Path::new(""));
    if !rows.is_empty() {
        md.push('\n');
        md.push_str(&failures_table(&rows));
    }
    let missing = pr.missing();
    if !missing.is_empty() {
        md.push_str("\n**Missing results**\n\n");
        for m in &missing {
            md.push_str(&format!("- {}\n", md_cell(m)));
        }
    }
    if let Some(c) = pr.comparison {
        md.push_str(&new_sites::markdown(c));
        let mut changed: Vec<String> = Vec::new();
        for r in c.rows.iter().filter(|r| r.changed) {
            let phase = format!("`{}` › `{}`", r.scenario, r.phase);
            if !changed.contains(&phase) {
                changed.push(phase);
            }
        }
        if changed.is_empty() {
            md.push_str("\nNo phase changed against the base.\n");
        } else {
            md.push_str(&format!(
                "\n**Phases that changed** ({}): {}\n",
                changed.len(),
                changed.join(", ")
            ));
        }
    }
    md.push_str("\nDetails: the job's summary and its `allocguard` artifact (the report).\n");
    md
}
