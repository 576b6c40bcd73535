//! Gates: bounds on phase metrics, absolute or relative to a baseline.
//! Counts are compared exactly; times only with a tolerance.

use std::collections::BTreeMap;

use anyhow::bail;

use crate::phase_log::PhaseRow;

/// A phase metric a gate can bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Allocations in all ticks.
    Allocs,
    /// Bytes allocated in all ticks.
    BytesAllocated,
    /// Heap operations in armed ticks.
    HotAllocs,
    /// Live bytes at the end minus at the start.
    GrowthBytes,
    /// Highest live bytes above the start.
    PeakBytes,
    /// Mean tick time, µs.
    StepMeanUs,
    /// 95th-percentile tick time, µs.
    StepP95Us,
    /// Slowest tick, µs.
    StepMaxUs,
}

impl Metric {
    /// Every metric, in table order.
    pub const ALL: [Metric; 8] = [
        Metric::Allocs,
        Metric::BytesAllocated,
        Metric::HotAllocs,
        Metric::GrowthBytes,
        Metric::PeakBytes,
        Metric::StepMeanUs,
        Metric::StepP95Us,
        Metric::StepMaxUs,
    ];

    /// The name used in allocguard.toml and the phase log.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Allocs => "allocs",
            Metric::BytesAllocated => "bytes_allocated",
            Metric::HotAllocs => "hot_allocs",
            Metric::GrowthBytes => "growth_bytes",
            Metric::PeakBytes => "peak_bytes",
            Metric::StepMeanUs => "step_mean_us",
            Metric::StepP95Us => "step_p95_us",
            Metric::StepMaxUs => "step_max_us",
        }
    }

    /// The metric called `name`.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether the metric is a time (compared with tolerance) or a count.
    pub fn is_time(self) -> bool {
        matches!(
            self,
            Metric::StepMeanUs | Metric::StepP95Us | Metric::StepMaxUs
        )
    }

    /// Its value in a row.
    pub fn of(self, row: &PhaseRow) -> f64 {
        match self {
            Metric::Allocs => row.allocs as f64,
            Metric::BytesAllocated => row.bytes_allocated as f64,
            Metric::HotAllocs => row.hot_allocs as f64,
            Metric::GrowthBytes => row.growth_bytes as f64,
            Metric::PeakBytes => row.peak_bytes as f64,
            Metric::StepMeanUs => row.step_mean_us,
            Metric::StepP95Us => row.step_p95_us,
            Metric::StepMaxUs => row.step_max_us,
        }
    }
}

/// A bound given as a number, or as a size such as `"50 MiB"`.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(untagged)]
pub enum Limit {
    /// A plain number (bytes, counts, or µs).
    Number(f64),
    /// A size with a unit: B, KB, KiB, MB, MiB, GB, GiB.
    Text(String),
}

/// Parses `"50 MiB"`, `"1.5GB"`, `"512"`.
pub fn parse_size(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(s.len());
    let number: f64 = s[..split].replace('_', "").parse().ok()?;
    let factor = match s[split..].trim() {
        "" | "B" => 1.0,
        "KB" | "kB" => 1e3,
        "KiB" => 1024.0,
        "MB" => 1e6,
        "MiB" => 1024.0 * 1024.0,
        "GB" => 1e9,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(number * factor)
}

/// The rule for one metric.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateRule {
    /// Absolute upper bound.
    pub max: Option<Limit>,
    /// The value may not rise above the baseline's (times: beyond the tolerance).
    #[serde(default)]
    pub no_increase: bool,
    /// The value may rise at most this many percent above the baseline's.
    pub max_regression_pct: Option<f64>,
    /// Scenarios the rule skips: names, `*` matching any run of characters.
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl GateRule {
    /// The absolute bound as a number.
    pub fn max_value(&self) -> Option<f64> {
        match &self.max {
            None => None,
            Some(Limit::Number(n)) => Some(*n),
            Some(Limit::Text(t)) => parse_size(t),
        }
    }

    pub(crate) fn validate(&self, _metric: Metric) -> anyhow::Result<()> {
        if let Some(Limit::Text(t)) = &self.max {
            if parse_size(t).is_none() {
                bail!("max = {t:?} is not a number or a size such as \"50 MiB\"");
            }
        }
        if let Some(p) = self.max_regression_pct {
            if p.is_nan() || p < 0.0 {
                bail!("max_regression_pct = {p}: use a percentage of 0 or more");
            }
        }
        if self.max.is_none() && !self.no_increase && self.max_regression_pct.is_none() {
            bail!("the rule bounds nothing: give max, no_increase = true or max_regression_pct");
        }
        Ok(())
    }

    fn applies_to(&self, scenario: &str) -> bool {
        !self.exclude.iter().any(|p| glob_match(p, scenario))
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Every configured rule.
#[derive(Clone, Debug, Default)]
pub struct Gates {
    /// Rule per metric.
    pub rules: BTreeMap<Metric, GateRule>,
    /// Slack for relative time gates, percent.
    pub time_tolerance_pct: f64,
    /// Times at or below this many microseconds pass relative time gates:
    /// a one-tick phase of a few microseconds is noise on a shared machine.
    pub time_floor_us: f64,
}

/// One gate checked on one phase.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GateResult {
    /// Scenario name.
    pub scenario: String,
    /// Phase name.
    pub phase: String,
    /// Metric name.
    pub metric: &'static str,
    /// The rule, as text: `max 0`, `no increase`, `≤ +5%`.
    pub rule: String,
    /// Baseline value, for relative rules.
    pub baseline: Option<f64>,
    /// The value checked.
    pub value: f64,
    /// Whether it passed.
    pub passed: bool,
}

impl Gates {
    /// Whether any rule is configured.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Checks `row` against every rule; relative rules need `baseline`.
    pub fn check(&self, row: &PhaseRow, baseline: Option<&PhaseRow>) -> Vec<GateResult> {
        let mut out = Vec::new();
        for (&metric, rule) in &self.rules {
            if !rule.applies_to(&row.scenario) {
                continue;
            }
            let value = metric.of(row);
            let mut push = |rule_text: String, base: Option<f64>, passed: bool| {
                out.push(GateResult {
                    scenario: row.scenario.clone(),
                    phase: row.phase.clone(),
                    metric: metric.name(),
                    rule: rule_text,
                    baseline: base,
                    value,
                    passed,
                })
            };
            if let Some(max) = rule.max_value() {
                push(format!("max {}", fmt_num(max)), None, value <= max);
            }
            let Some(base_row) = baseline else { continue };
            let base = metric.of(base_row);
            let (tolerance, floor) = if metric.is_time() {
                (self.time_tolerance_pct, self.time_floor_us)
            } else {
                (0.0, 0.0)
            };
            let under_floor = floor > 0.0 && value <= floor;
            let floor_text = if under_floor {
                format!(", ≤ {} µs floor", fmt_num(floor))
            } else {
                String::new()
            };
            if rule.no_increase {
                let text = if metric.is_time() {
                    format!("no increase (±{}%){floor_text}", fmt_num(tolerance))
                } else {
                    "no increase".to_string()
                };
                push(
                    text,
                    Some(base),
                    under_floor || within(value, base, tolerance),
                );
            }
            if let Some(pct) = rule.max_regression_pct {
                push(
                    format!("≤ +{}%{floor_text}", fmt_num(pct)),
                    Some(base),
                    under_floor || within(value, base, pct),
                );
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

/// A number without a pointless fraction.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(scenario: &str, allocs: u64, p95: f64) -> PhaseRow {
        PhaseRow {
            scenario: scenario.into(),
            phase: "p".into(),
            allocs,
            step_p95_us: p95,
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

    #[test]
    fn counts_are_exact_and_times_tolerant() {
        let mut g = Gates {
            rules: BTreeMap::new(),
            time_tolerance_pct: 10.0,
            time_floor_us: 0.0,
        };
        g.rules.insert(Metric::Allocs, rule(None, true, None));
        g.rules.insert(Metric::StepP95Us, rule(None, true, None));
        let base = row("s", 100, 50.0);
        let r = g.check(&row("s", 101, 54.9), Some(&base));
        assert_eq!(r.len(), 2);
        assert!(!r[0].passed, "one allocation more fails: {r:?}");
        assert!(r[1].passed, "9.8% slower is inside the 10% tolerance");
        let r = g.check(&row("s", 100, 55.1), Some(&base));
        assert!(r[0].passed && !r[1].passed, "{r:?}");
    }

    #[test]
    fn times_under_the_floor_pass_relative_gates_but_counts_do_not() {
        let mut g = Gates {
            rules: BTreeMap::new(),
            time_tolerance_pct: 10.0,
            time_floor_us: 1000.0,
        };
        g.rules
            .insert(Metric::StepP95Us, rule(None, false, Some(50.0)));
        g.rules.insert(Metric::Allocs, rule(None, true, None));
        // 6 µs → 120 µs is +1,900%, but under the 1 ms floor.
        let r = g.check(&row("s", 2, 120.0), Some(&row("s", 1, 6.0)));
        assert!(r[1].passed && r[1].rule.contains("floor"), "{r:?}");
        assert!(!r[0].passed, "the floor is for times only: {r:?}");
        // Above the floor the percentage rules.
        let r = g.check(&row("s", 1, 1600.0), Some(&row("s", 1, 1000.0)));
        assert!(!r[1].passed, "{r:?}");
    }

    #[test]
    fn absolute_regression_and_exclusion() {
        let mut g = Gates::default();
        g.rules.insert(
            Metric::Allocs,
            GateRule {
                exclude: vec!["naive/*".into()],
                ..rule(Some(10.0), false, Some(5.0))
            },
        );
        let r = g.check(&row("lean/a", 10, 0.0), Some(&row("lean/a", 10, 0.0)));
        assert!(r.iter().all(|x| x.passed) && r.len() == 2);
        let r = g.check(&row("lean/a", 11, 0.0), None);
        assert_eq!(
            (r.len(), r[0].passed, r[0].rule.as_str()),
            (1, false, "max 10")
        );
        let r = g.check(&row("lean/a", 105, 0.0), Some(&row("lean/a", 100, 0.0)));
        assert!(r[1].passed, "exactly +5%");
        assert!(g.check(&row("naive/a", 1000, 0.0), None).is_empty());
    }

    #[test]
    fn sizes_and_globs() {
        assert_eq!(parse_size("50 MiB"), Some(50.0 * 1048576.0));
        assert_eq!(parse_size("1.5GB"), Some(1.5e9));
        assert_eq!(parse_size("1_024"), Some(1024.0));
        assert_eq!(parse_size("lots"), None);
        assert!(glob_match("waves/*", "waves/stress_500"));
        assert!(glob_match("*naive*", "genes/naive_5k"));
        assert!(glob_match("a*c*e", "abcde"));
        assert!(!glob_match("waves/*", "genes/x"));
        assert!(glob_match("exact", "exact") && !glob_match("exact", "exactly"));
    }
}
