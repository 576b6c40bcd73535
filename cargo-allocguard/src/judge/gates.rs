//! Gates applied: each phase of a run held to every rule of
//! `allocguard.toml`, against a baseline's rows when a rule is relative.
//! Counts are compared exactly; times as `crate::judge::time` decides.

use crate::config::rules::{glob_match, Gates, Metric};
use crate::config::Config;
use crate::judge::time::{judge_time, over_repeats, TOO_FEW_TICKS};
use crate::store::phase_log::{self, PhaseRow};
use crate::store::run_file::Run;
use crate::units::fmt_num;

/// One gate checked on one phase.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GateResult {
    /// Package of the scenario.
    pub package: String,
    /// Scenario name.
    pub scenario: String,
    /// Phase name.
    pub phase: String,
    /// Metric name.
    pub metric: &'static str,
    /// The rule, as text: `max 0`, `no increase`, `≤ +5%`.
    pub rule: String,
    /// The bound the value was held to: the absolute maximum, or the
    /// baseline's value raised by the allowed percentage.
    pub bound: Option<f64>,
    /// Baseline value, for relative rules.
    pub baseline: Option<f64>,
    /// The value checked.
    pub value: f64,
    /// How a relative time rule decided: the change and its bounds, or why
    /// it could not tell.
    pub detail: Option<String>,
    /// Whether it passed.
    pub passed: bool,
    /// Whether it could not fire: a relative time rule over too few ticks to
    /// bound its statistic (it passes, and says so).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inert: bool,
}

impl GateResult {
    /// The metric.
    pub fn metric(&self) -> Metric {
        Metric::from_name(self.metric).expect("results name known metrics")
    }

    /// `hot_ops = 1 > max 0`, `step_p95_us = 2.10 ms > 1.40 ms (≤ +50%, baseline 0.93 ms)`.
    pub fn describe(&self) -> String {
        let m = self.metric();
        let mut s = format!("{} = {}", self.metric, m.show(self.value));
        match (self.bound, self.baseline) {
            (Some(b), None) => s.push_str(&format!(
                " {} {}",
                if self.passed { "≤" } else { ">" },
                m.show(b)
            )),
            (_, Some(base)) => s.push_str(&format!(", baseline {}", m.show(base))),
            (None, None) => {}
        }
        s.push_str(&format!(" ({})", self.rule));
        if let Some(d) = &self.detail {
            s.push_str(&format!(": {d}"));
        }
        s
    }
}

impl Gates {
    /// Checks one phase against every rule. `post` holds the phase's row in
    /// each run of this side (usually one), `baseline` its rows in the
    /// baseline's runs (empty: no baseline, relative rules are skipped).
    pub fn check(&self, post: &[&PhaseRow], baseline: &[&PhaseRow]) -> Vec<GateResult> {
        let mut out = Vec::new();
        let Some(first) = post.first() else {
            return out;
        };
        for (&metric, rule) in &self.rules {
            if !rule.applies_to(&first.scenario) {
                continue;
            }
            let Some(value) = over_repeats(metric, post) else {
                continue;
            };
            let mut push = |rule_text: String,
                            bound: Option<f64>,
                            base: Option<f64>,
                            detail: Option<String>,
                            passed: bool| {
                let inert = detail.as_deref().is_some_and(|d| d.contains(TOO_FEW_TICKS));
                out.push(GateResult {
                    package: first.package.clone(),
                    scenario: first.scenario.clone(),
                    phase: first.phase.clone(),
                    metric: metric.name(),
                    rule: rule_text,
                    bound,
                    baseline: base,
                    value,
                    detail,
                    passed,
                    inert,
                })
            };
            if let Some(max) = rule.max_value() {
                push(
                    format!("max {}", metric.show(max)),
                    Some(max),
                    None,
                    None,
                    value <= max,
                );
            }
            if baseline.is_empty() {
                continue;
            }
            let Some(base) = over_repeats(metric, baseline) else {
                if rule.is_relative() {
                    push(
                        "relative".to_string(),
                        None,
                        None,
                        Some(format!(
                            "the baseline's row has no {}: it was recorded before that column \
                             was; run the baseline again to compare",
                            metric.name()
                        )),
                        true,
                    );
                }
                continue;
            };
            let relative: Vec<(String, f64)> = [
                rule.no_increase.then(|| {
                    if metric.is_time() {
                        (
                            format!("no increase beyond {}%", fmt_num(self.time_tolerance_pct)),
                            self.time_tolerance_pct,
                        )
                    } else {
                        ("no increase".to_string(), 0.0)
                    }
                }),
                rule.max_regression_pct
                    .map(|p| (format!("≤ +{}%", fmt_num(p)), p)),
            ]
            .into_iter()
            .flatten()
            .collect();
            for (text, allowed) in relative {
                let bound = Some(base + base.abs() * allowed / 100.0);
                if !metric.is_time() {
                    push(text, bound, Some(base), None, within(value, base, allowed));
                    continue;
                }
                let floor = self.time_floor_us;
                if floor > 0.0 && value <= floor {
                    push(
                        text,
                        bound,
                        Some(base),
                        Some(format!("at or under the {} floor", metric.show(floor))),
                        true,
                    );
                    continue;
                }
                let (passed, detail) =
                    judge_time(metric, post, baseline, allowed, self.time_confidence);
                push(text, bound, Some(base), Some(detail), passed);
            }
        }
        out
    }
}

/// `value` is at most `base` plus `pct` percent of it. Exact for counts
/// (pct 0 means no increase at all); a zero baseline allows only zero.
fn within(value: f64, base: f64, pct: f64) -> bool {
    if pct == 0.0 {
        return value <= base;
    }
    value <= base + base.abs() * pct / 100.0
}

/// Applies the gates to every phase of the run, against the baseline's rows
/// (all its repeats; empty: absolute rules only).
pub fn apply_gates(config: &Config, run: &Run, baseline: &[&PhaseRow]) -> Vec<GateResult> {
    let mut out = Vec::new();
    for s in &run.scenarios {
        for row in phase_log::rows_of(run, s, "", "") {
            let base = phase_log::of_phase(baseline, &row);
            out.extend(config.gates.check(&[&row], &base));
        }
    }
    out
}

/// Each `exclude` pattern that names none of `scenarios` (a typo, or a
/// scenario renamed or gone), as `(metric, pattern)`.
pub fn unmatched_excludes<'a>(
    gates: &'a Gates,
    scenarios: &[&str],
) -> Vec<(&'static str, &'a str)> {
    let mut out = Vec::new();
    for (metric, rule) in &gates.rules {
        for pattern in &rule.exclude {
            if !scenarios.iter().any(|s| glob_match(pattern, s)) {
                out.push((metric.name(), pattern.as_str()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exclude_that_names_no_scenario_is_found() {
        let mut gates = Gates::default();
        gates.rules.insert(
            Metric::HotOps,
            GateRule {
                exclude: vec!["waves/*".into(), "wave/naive".into()],
                ..GateRule::default()
            },
        );
        assert_eq!(
            unmatched_excludes(&gates, &["waves/naive", "genes/lean"]),
            [("hot_ops", "wave/naive")]
        );
    }
    use crate::config::rules::{GateRule, Limit};
    use allocguard::harness::StepHistogram;

    fn row(scenario: &str, allocs: u64, p95: f64) -> PhaseRow {
        PhaseRow {
            scenario: scenario.into(),
            phase: "p".into(),
            allocs,
            step_p95_us: p95,
            ..PhaseRow::default()
        }
    }

    /// A row whose `n` ticks take `us` µs each, give or take `jitter` µs.
    fn timed(n: u64, us: f64, jitter: f64) -> PhaseRow {
        let samples: Vec<u64> = (0..n)
            .map(|i| ((us + jitter * ((i * 7919 % 101) as f64 / 50.0 - 1.0)) * 1e3) as u64)
            .collect();
        let hist = StepHistogram::from_samples(&samples);
        let steps = allocguard::harness::StepTimes::from_samples(&samples);
        PhaseRow {
            scenario: "s".into(),
            phase: "p".into(),
            step_mean_us: steps.mean_ns / 1e3,
            step_p50_us: Some(steps.p50_ns as f64 / 1e3),
            step_p95_us: steps.p95_ns as f64 / 1e3,
            step_max_us: steps.max_ns as f64 / 1e3,
            step_hist: hist,
            ..PhaseRow::default()
        }
    }

    fn rule(max: Option<f64>, no_increase: bool, pct: Option<f64>) -> GateRule {
        GateRule {
            max: max.map(Limit::Number),
            no_increase,
            max_regression_pct: pct,
            exclude: vec![],
        }
    }

    fn gates(rules: &[(Metric, GateRule)]) -> Gates {
        Gates {
            rules: rules.iter().cloned().collect(),
            time_tolerance_pct: 10.0,
            ..Gates::default()
        }
    }

    #[test]
    fn counts_are_exact() {
        let g = gates(&[(Metric::Allocs, rule(None, true, None))]);
        let base = row("s", 100, 50.0);
        let r = g.check(&[&row("s", 101, 54.9)], &[&base]);
        assert_eq!(r.len(), 1);
        assert!(!r[0].passed, "one allocation more fails: {r:?}");
        assert_eq!(r[0].bound, Some(100.0));
        assert!(g.check(&[&row("s", 100, 0.0)], &[&base])[0].passed);
    }

    #[test]
    fn a_time_rule_fails_only_on_a_change_beyond_its_bound_and_the_noise() {
        let g = gates(&[(Metric::StepP95Us, rule(None, false, Some(50.0)))]);
        let base = timed(300, 100.0, 10.0);
        // The same distribution again: within noise.
        let r = g.check(&[&timed(300, 101.0, 10.0)], &[&base]);
        assert!(r[0].passed, "{r:?}");
        assert!(
            r[0].detail.as_deref().unwrap().contains("within noise"),
            "{r:?}"
        );
        // 30 % slower: real, but allowed.
        let r = g.check(&[&timed(300, 130.0, 10.0)], &[&base]);
        assert!(r[0].passed, "{r:?}");
        // Twice as slow: caught, with the bounds shown.
        let r = g.check(&[&timed(300, 200.0, 20.0)], &[&base]);
        assert!(!r[0].passed, "{r:?}");
        assert!(
            r[0].detail.as_deref().unwrap().contains("99% bounds"),
            "{r:?}"
        );
    }

    #[test]
    fn times_with_sites_are_not_compared_with_times_without() {
        let g = gates(&[(Metric::StepP95Us, rule(Some(1000.0), false, Some(50.0)))]);
        let base = timed(300, 100.0, 10.0);
        let with_sites = |us| PhaseRow {
            sites: Some(true),
            ..timed(300, us, 10.0)
        };
        // Three times as slow with sites on: not judged against a run
        // without them, and said so; the absolute bound still holds.
        let r = g.check(&[&with_sites(300.0)], &[&base]);
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r.iter().all(|g| g.passed), "{r:?}");
        assert!(
            r[1].detail.as_deref() == Some(crate::judge::time::SITES_DIFFER),
            "{r:?}"
        );
        assert!(!g.check(&[&with_sites(1001.0)], &[&base])[0].passed);
        // Both with sites: compared, and twice as slow fails.
        let r = g.check(&[&with_sites(200.0)], &[&with_sites(100.0)]);
        assert!(!r[1].passed, "{r:?}");
        // A row from before the column counts as without.
        let old = PhaseRow {
            sites: None,
            ..timed(300, 200.0, 20.0)
        };
        assert!(!g.check(&[&old], &[&base])[1].passed);
        assert_eq!(
            crate::judge::time::changed_beyond_noise(
                Metric::StepP95Us,
                &[&with_sites(300.0)],
                &[&base],
                0.99
            ),
            None
        );
    }

    #[test]
    fn over_repeats_a_slow_spell_makes_the_gate_lenient_never_cry_wolf() {
        let g = gates(&[(Metric::StepP50Us, rule(None, false, Some(50.0)))]);
        let runs =
            |us: [f64; 3]| -> Vec<PhaseRow> { us.iter().map(|&u| timed(300, u, 10.0)).collect() };
        let check = |base: &[PhaseRow], head: &[PhaseRow]| {
            let (b, h): (Vec<&PhaseRow>, Vec<&PhaseRow>) =
                (base.iter().collect(), head.iter().collect());
            g.check(&h, &b).remove(0)
        };
        // Two head runs of three on a slow spell (x1.8): not a regression.
        let r = check(&runs([100.0, 104.0, 98.0]), &runs([180.0, 181.0, 101.0]));
        assert!(r.passed, "{r:?}");
        assert!(
            r.detail.as_deref().unwrap().contains("3 runs against 3"),
            "{r:?}"
        );
        // Every head run twice as slow, steady bases: caught.
        let r = check(&runs([100.0, 104.0, 98.0]), &runs([200.0, 205.0, 199.0]));
        assert!(!r.passed, "{r:?}");
        // The value shown is the median run's.
        assert_eq!(Some(r.value), timed(300, 200.0, 10.0).step_p50_us);
        // A slow spell on one base run: the gate leans to passing (the
        // measured trade-off, see the module docs).
        let r = check(&runs([100.0, 180.0, 98.0]), &runs([200.0, 205.0, 199.0]));
        assert!(r.passed, "{r:?}");
        // Counts take each side's highest.
        let g = gates(&[(Metric::Allocs, rule(None, true, None))]);
        let (a, b) = (row("s", 5, 0.0), row("s", 6, 0.0));
        assert!(g.check(&[&a, &b], &[&b])[0].passed);
        assert!(!g.check(&[&a, &b], &[&a])[0].passed);
    }

    #[test]
    fn a_phase_of_one_tick_cannot_fail_a_relative_time_rule() {
        let g = gates(&[(Metric::StepP50Us, rule(None, false, Some(50.0)))]);
        let r = g.check(&[&timed(1, 900.0, 0.0)], &[&timed(1, 100.0, 0.0)]);
        assert!(r[0].passed, "{r:?}");
        assert!(
            r[0].detail
                .as_deref()
                .unwrap()
                .contains("this run has too few ticks (1)"),
            "{r:?}"
        );
        // The absolute bound still applies to it.
        let g = gates(&[(Metric::StepP50Us, rule(Some(500.0), false, None))]);
        assert!(!g.check(&[&timed(1, 900.0, 0.0)], &[])[0].passed);
    }

    #[test]
    fn rows_without_tick_times_are_not_judged_on_two_numbers() {
        let g = gates(&[(Metric::StepP95Us, rule(None, true, None))]);
        let r = g.check(&[&row("s", 1, 500.0)], &[&row("s", 1, 50.0)]);
        assert!(r[0].passed, "{r:?}");
        assert!(r[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("+900.0%, but a run has no tick times"));
    }

    #[test]
    fn times_under_the_floor_pass_relative_gates_but_counts_do_not() {
        let mut g = gates(&[
            (Metric::StepP95Us, rule(None, false, Some(50.0))),
            (Metric::Allocs, rule(None, true, None)),
        ]);
        g.time_floor_us = 1000.0;
        let r = g.check(&[&row("s", 2, 120.0)], &[&row("s", 1, 6.0)]);
        assert!(
            r[1].passed && r[1].detail.as_deref().unwrap().contains("floor"),
            "{r:?}"
        );
        assert!(!r[0].passed, "the floor is for times only: {r:?}");
    }

    #[test]
    fn absolute_regression_and_exclusion() {
        let g = gates(&[(
            Metric::Allocs,
            GateRule {
                exclude: vec!["naive/*".into()],
                ..rule(Some(10.0), false, Some(5.0))
            },
        )]);
        let r = g.check(&[&row("lean/a", 10, 0.0)], &[&row("lean/a", 10, 0.0)]);
        assert!(r.iter().all(|x| x.passed) && r.len() == 2);
        let r = g.check(&[&row("lean/a", 11, 0.0)], &[]);
        assert_eq!(
            (r.len(), r[0].passed, r[0].rule.as_str()),
            (1, false, "max 10")
        );
        assert_eq!(r[0].describe(), "allocs = 11 > 10 (max 10)");
        let r = g.check(&[&row("lean/a", 105, 0.0)], &[&row("lean/a", 100, 0.0)]);
        assert!(r[1].passed, "exactly +5%");
        assert!(g.check(&[&row("naive/a", 1000, 0.0)], &[]).is_empty());
    }
}
