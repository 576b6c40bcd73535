//! The comparison engine of seed 002's pre/post protocol: the latest run
//! of each label, paired by scenario × phase, every gate applied (counts
//! exactly, times beyond the noise), both values side by side; what one side
//! lacks; the sites that changed.

use anyhow::anyhow;

use crate::config::rules::{Gates, Metric};
use crate::judge::gates::GateResult;
use crate::judge::site_diff::{self, SiteChange};
use crate::judge::time::{changed_beyond_noise, over_repeats};
use crate::store::phase_log::{self, PhaseRow};
use crate::store::run_file::Run;

/// One metric of one phase, before and after.
#[derive(Debug, serde::Serialize)]
pub struct MetricRow {
    /// Package of the scenario.
    pub package: String,
    /// Scenario.
    pub scenario: String,
    /// Phase.
    pub phase: String,
    /// Metric name.
    pub metric: &'static str,
    /// Value under PRE (absent when the phase is new); over repeats, the
    /// median of times and the highest count.
    pub pre: Option<f64>,
    /// Value under POST (absent when the phase is gone).
    pub post: Option<f64>,
    /// POST − PRE.
    pub delta: Option<f64>,
    /// Relative change, percent.
    pub delta_pct: Option<f64>,
    /// Gates checked on this metric.
    pub gates: Vec<GateResult>,
    /// Whether it changed: a count or a size that differs, a time whose
    /// bounds say it got slower or faster beyond the noise.
    pub changed: bool,
}

impl MetricRow {
    /// The metric.
    pub fn metric(&self) -> Metric {
        Metric::from_name(self.metric).expect("rows name known metrics")
    }

    /// Whether a gate on it failed.
    pub fn failed(&self) -> bool {
        self.gates.iter().any(|g| !g.passed)
    }
}

/// The whole comparison.
#[derive(Debug, serde::Serialize)]
pub struct Comparison {
    /// The PRE label and its runs (ids, comma-separated: repeats of one
    /// revision when more than one).
    pub pre: (String, String),
    /// The POST label and its runs.
    pub post: (String, String),
    /// Every metric of every paired phase.
    pub rows: Vec<MetricRow>,
    /// Results PRE has and POST does not: a phase gone, a scenario that
    /// crashed or timed out. Each one fails the comparison.
    pub missing: Vec<String>,
    /// Results POST lacks that `[compare] allow_missing` in allocguard.toml
    /// lets go (a scenario renamed or removed on purpose): said, not failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_missing: Vec<String>,
    /// Scenarios PRE has no result for (crashed or timed out there) that
    /// POST has: no relative gate could be applied to them. Said, not
    /// failed (the pull request may be what fixed the crash).
    pub unjudged: Vec<String>,
    /// What the two sides were built with, when the compilers differ.
    pub compiler_note: Option<String>,
    /// Whether every gate passed and nothing is missing.
    pub passed: bool,
    /// Allocation sites that appeared, went away or changed, in phases whose
    /// sites both runs recorded (from the latest run file of each label).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<SiteChange>,
}

/// What POST lacks of PRE: phases gone, and (with `crashes`) scenarios that
/// left no profile. Each text begins with the scenario's name
/// ([`phase_log::missing_scenario`]).
pub fn missing_results(pre: &[&PhaseRow], post: &[&PhaseRow], crashes: bool) -> Vec<String> {
    let mut out = Vec::new();
    for r in post.iter().filter(|r| crashes && r.is_missing_result()) {
        let how = if r.status == "timed_out" {
            "timed out"
        } else {
            "crashed"
        };
        let has_result = post
            .iter()
            .any(|p| p.package == r.package && p.scenario == r.scenario && !p.is_missing_result());
        let text = if has_result {
            // Repeats of one revision: one died, another has a result.
            format!(
                "{} ({}) {how} in one of the {} post runs: a crash in any repeat is a failure",
                r.scenario,
                r.package,
                phase_log::run_count(post)
            )
        } else {
            format!(
                "{} ({}) {how} in the post run: it has no result, so no gate could be applied",
                r.scenario, r.package
            )
        };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    for r in pre.iter().filter(|r| !r.is_missing_result()) {
        let same_scenario = |p: &&&PhaseRow| p.package == r.package && p.scenario == r.scenario;
        if post
            .iter()
            .filter(same_scenario)
            .any(|p| p.is_missing_result())
        {
            continue; // said above
        }
        if !post
            .iter()
            .filter(same_scenario)
            .any(|p| p.phase == r.phase)
        {
            let text = format!(
                "{} › {} ({}) is in the pre run and missing in the post run (renamed or \
                 deleted?): a missing result is a failure",
                r.scenario, r.phase, r.package
            );
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
    out
}

/// Splits `missing` (texts that begin with the scenario's name) into those
/// still failures and those a pattern of `allowed` (`*` any run of
/// characters) matches the scenario of.
pub fn split_allowed(missing: Vec<String>, allowed: &[String]) -> (Vec<String>, Vec<String>) {
    missing.into_iter().partition(|m| {
        let scenario = phase_log::missing_scenario(m);
        !allowed
            .iter()
            .any(|p| crate::config::rules::glob_match(p, scenario))
    })
}

/// Missing results of a run against its baseline: those that fail, and
/// those `[compare] allow_missing` lets go.
#[derive(Debug, Default, PartialEq)]
pub struct Missing {
    /// Missing, failing the run.
    pub kept: Vec<String>,
    /// Missing, allowed.
    pub allowed: Vec<String>,
}

/// The phases of `baseline` that `run` lacks: of every scenario when the
/// run was `whole` (no filter, no partition), else only of the scenarios
/// the run has. Crashes are not counted: they fail the run already.
pub fn missing_against_baseline(
    run: &Run,
    baseline: &[&PhaseRow],
    whole: bool,
    allow: &[String],
) -> Missing {
    if baseline.is_empty() {
        return Missing::default();
    }
    let current: Vec<PhaseRow> = run
        .scenarios
        .iter()
        .flat_map(|s| phase_log::rows_of(run, s, "", ""))
        .collect();
    let base: Vec<&PhaseRow> = baseline
        .iter()
        .filter(|b| {
            whole
                || current
                    .iter()
                    .any(|c| c.package == b.package && c.scenario == b.scenario)
        })
        .copied()
        .collect();
    let current: Vec<&PhaseRow> = current.iter().collect();
    let (kept, allowed) = split_allowed(missing_results(&base, &current, false), allow);
    Missing { kept, allowed }
}

impl Comparison {
    /// Lets go of missing results whose scenario `allowed` matches (see
    /// [`split_allowed`]); the verdict is taken again.
    pub fn allow_missing(&mut self, allowed: &[String]) {
        let (kept, let_go) = split_allowed(std::mem::take(&mut self.missing), allowed);
        self.missing = kept;
        self.allowed_missing = let_go;
        self.passed = self.verdict();
    }

    /// Compares the sites of the two runs' files, and applies the
    /// `new_sites` gate when `gates` turns it on: a hot or bounded phase
    /// with a site `pre` did not have fails. Such a phase that did not
    /// record its sites on both sides is listed as not compared.
    pub fn compare_sites(&mut self, pre: &Run, post: &Run, gates: &Gates) {
        self.sites = site_diff::diff(pre, post);
        if gates.new_sites {
            site_diff::gate_new_sites(&mut self.sites, post);
            for (scenario, phase, side) in site_diff::guarded_without_sites(pre, post) {
                self.unjudged.push(format!(
                    "{scenario} › {phase}: the new_sites gate needs both runs to record the \
                     phase's sites, and the {side} run did not (CI mode records them; else \
                     run with --sites)"
                ));
            }
        }
        self.passed = self.verdict();
    }

    /// Every gate passed, nothing is missing, no site failed `new_sites`.
    fn verdict(&self) -> bool {
        let gates_passed = self
            .rows
            .iter()
            .flat_map(|r| r.gates.iter())
            .all(|g| g.passed);
        gates_passed && self.missing.is_empty() && !self.sites.iter().any(|s| s.gated)
    }

    /// The sites that failed the `new_sites` gate.
    pub fn gated_sites(&self) -> impl Iterator<Item = &SiteChange> {
        self.sites.iter().filter(|s| s.gated)
    }
}

/// What PRE lacks for want of a result: scenarios that crashed or timed out
/// in the pre run, so that no relative gate could compare them.
pub fn unjudged(pre: &[&PhaseRow], post: &[&PhaseRow]) -> Vec<String> {
    let mut out = Vec::new();
    for r in pre.iter().filter(|r| r.is_missing_result()) {
        let with_result = |set: &[&PhaseRow]| {
            set.iter().any(|p| {
                p.package == r.package && p.scenario == r.scenario && !p.is_missing_result()
            })
        };
        if !with_result(post) {
            continue; // missing on both sides: the post side's failure says it
        }
        if with_result(pre) {
            continue; // another pre repeat has a result: the gates used it
        }
        let text = format!(
            "{} ({}) {} in the pre run: it has no result there, so no relative gate \
             (no_increase, max_regression_pct) could be applied to it",
            r.scenario,
            r.package,
            if r.status == "timed_out" {
                "timed out"
            } else {
                "crashed"
            }
        );
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// A note when the two sides were built by different compilers.
fn compiler_note(pre: &[&PhaseRow], post: &[&PhaseRow]) -> Option<String> {
    let one = |set: &[&PhaseRow]| {
        let mut v: Vec<&str> = set
            .iter()
            .map(|r| r.rustc.as_str())
            .filter(|r| !r.is_empty())
            .collect();
        v.sort_unstable();
        v.dedup();
        v.join(" and ")
    };
    let (a, b) = (one(pre), one(post));
    (!a.is_empty() && !b.is_empty() && a != b).then(|| {
        format!(
            "note: the pre run was built with rustc {a}, the post run with rustc {b}: counts \
             can change between compilers"
        )
    })
}

/// Pairs and gates the two runs.
pub fn compare(
    rows: &[PhaseRow],
    pre_label: &str,
    post_label: &str,
    gates: &Gates,
) -> anyhow::Result<Comparison> {
    let pre = phase_log::latest_runs(rows, pre_label);
    let post = phase_log::latest_runs(rows, post_label);
    for (label, set) in [(pre_label, &pre), (post_label, &post)] {
        if set.is_empty() {
            return Err(anyhow!(
                "no run labelled `{label}` in the phase log; labels there: {}",
                phase_log::labels(rows).join(", ")
            ));
        }
    }
    let (pre_settings, post_settings) = (phase_log::settings(&pre), phase_log::settings(&post));
    if pre_settings != post_settings {
        return Err(anyhow!(
            "`{pre_label}` ran at {} and `{post_label}` at {}: counts and times of different \
             scales or build profiles are not comparable, so no gate is applied. Run both the \
             same way (--scale, --profile, or [run] scale in allocguard.toml)",
            pre_settings.join(" and "),
            post_settings.join(" and ")
        ));
    }
    let key = |r: &PhaseRow| (r.package.clone(), r.scenario.clone(), r.phase.clone());
    let mut keys: Vec<(String, String, String)> = Vec::new();
    for r in pre.iter().chain(&post).filter(|r| !r.is_missing_result()) {
        if !keys.contains(&key(r)) {
            keys.push(key(r));
        }
    }
    let missing = missing_results(&pre, &post, true);
    let mut out = Vec::new();
    let mut passed = true;
    for k in keys {
        let a: Vec<&PhaseRow> = pre.iter().filter(|r| key(r) == k).copied().collect();
        let b: Vec<&PhaseRow> = post.iter().filter(|r| key(r) == k).copied().collect();
        let gate_results = gates.check(&b, &a);
        passed &= gate_results.iter().all(|g| g.passed);
        for m in Metric::ALL {
            let (pv, qv) = (over_repeats(m, &a), over_repeats(m, &b));
            let delta = pv.zip(qv).map(|(p, q)| q - p);
            let changed = if m.is_time() {
                changed_beyond_noise(m, &b, &a, gates.time_confidence).unwrap_or(false)
            } else {
                delta.is_some_and(|d| d != 0.0)
            };
            out.push(MetricRow {
                package: k.0.clone(),
                scenario: k.1.clone(),
                phase: k.2.clone(),
                metric: m.name(),
                pre: pv,
                post: qv,
                delta,
                // A percentage of a negative (shrinking) value reads backwards.
                delta_pct: pv
                    .zip(delta)
                    .and_then(|(p, d)| (p > 0.0).then(|| d / p * 100.0)),
                gates: gate_results
                    .iter()
                    .filter(|g| g.metric == m.name())
                    .cloned()
                    .collect(),
                changed,
            });
        }
    }
    let ids = |set: &[&PhaseRow]| {
        let mut ids: Vec<String> = set.iter().map(|r| r.run_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids.join(", ")
    };
    Ok(Comparison {
        pre: (pre_label.to_string(), ids(&pre)),
        post: (post_label.to_string(), ids(&post)),
        rows: out,
        compiler_note: compiler_note(&pre, &post),
        unjudged: unjudged(&pre, &post),
        allowed_missing: Vec::new(),
        passed: passed && missing.is_empty(),
        missing,
        sites: Vec::new(),
    })
}

/// Compares the baseline's phases with the run's, as `compare` would.
pub fn baseline_comparison(
    run: &Run,
    base: &Run,
    name: &str,
    gates: &Gates,
) -> anyhow::Result<Comparison> {
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
    compare(&rows, name, &post, gates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, scenario: &str, phase: &str, status: &str) -> PhaseRow {
        PhaseRow {
            timestamp: "t".into(),
            run_id: label.into(),
            label: label.into(),
            package: "p".into(),
            scenario: scenario.into(),
            phase: phase.into(),
            status: status.into(),
            ..PhaseRow::default()
        }
    }

    #[test]
    fn what_post_lacks_fails_the_comparison() {
        let rows = vec![
            row("pre", "a", "run", "passed"),
            row("pre", "b", "run", "passed"),
            row("pre", "c", "x", "passed"),
            row("pre", "c", "y", "passed"),
            row("post", "a", "run", "passed"),
            row("post", "b", "", "crashed"),
            row("post", "c", "x", "passed"),
        ];
        let c = compare(
            &rows,
            "pre",
            "post",
            &crate::config::rules::Gates::default(),
        )
        .unwrap();
        assert!(!c.passed);
        assert_eq!(c.missing.len(), 2, "{:?}", c.missing);
        assert!(
            c.missing[0].starts_with("b (p) crashed in the post run"),
            "{:?}",
            c.missing
        );
        assert!(
            c.missing[1].starts_with("c › y (p) is in the pre run and missing"),
            "{:?}",
            c.missing
        );
        assert!(crate::reporter::compare::human(&c, false).contains("2 missing"));
        // Repeats of one revision: crashed in one post run, a result in
        // the other. A failure, said as such (not "it has no result").
        let mut repeats: Vec<PhaseRow> = rows
            .iter()
            .cloned()
            .map(|mut r| {
                r.git_rev = "abc".into();
                r
            })
            .collect();
        let mut again = row("post", "b", "run", "passed");
        (again.run_id, again.git_rev) = ("post-2".into(), "abc".into());
        repeats.push(again);
        let c = compare(
            &repeats,
            "pre",
            "post",
            &crate::config::rules::Gates::default(),
        )
        .unwrap();
        assert!(!c.passed);
        assert!(
            c.missing.iter().any(|m| m
                == "b (p) crashed in one of the 2 post runs: a crash in any repeat is a failure"),
            "{:?}",
            c.missing
        );
        // The mirror: a crash in one pre repeat, a result in another: the
        // gates compared with that result, so nothing is "not compared".
        let c = compare(
            &repeats,
            "post",
            "pre",
            &crate::config::rules::Gates::default(),
        )
        .unwrap();
        assert!(c.unjudged.is_empty(), "{:?}", c.unjudged);
        // Crashed in the pre run, there in the post one: no gate could
        // compare it, and that is said (it passed silently before).
        let c = compare(
            &rows,
            "post",
            "pre",
            &crate::config::rules::Gates::default(),
        )
        .unwrap();
        assert_eq!(
            c.unjudged,
            [
                "b (p) crashed in the pre run: it has no result there, so no relative gate \
              (no_increase, max_regression_pct) could be applied to it"
            ]
        );
        // Wrapped to 80 columns: read as one line.
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = crate::reporter::compare::human(&c, false);
        assert!(flat(&text).contains(&flat(&c.unjudged[0])), "{text}");
        assert!(crate::reporter::compare::markdown(&c, false).contains(&c.unjudged[0]));
        // Removed on purpose: `[compare] allow_missing` lets it go, said.
        let mut c = compare(
            &rows,
            "pre",
            "post",
            &crate::config::rules::Gates::default(),
        )
        .unwrap();
        c.allow_missing(&["c".into(), "b".into()]);
        assert!(c.passed, "{:?}", c.missing);
        assert_eq!(c.allowed_missing.len(), 2);
        assert!(crate::reporter::compare::human(&c, false)
            .contains("allowed by [compare] allow_missing"));
        // Everything there: nothing missing.
        let whole: Vec<PhaseRow> = rows.iter().filter(|r| r.scenario == "a").cloned().collect();
        assert!(
            compare(
                &whole,
                "pre",
                "post",
                &crate::config::rules::Gates::default()
            )
            .unwrap()
            .passed
        );
    }
}
