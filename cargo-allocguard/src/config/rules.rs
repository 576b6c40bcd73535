//! The gates' vocabulary, as `allocguard.toml` writes it: the metrics a
//! gate can bound ([`Metric`]), a rule per metric ([`GateRule`]: an absolute
//! `max`, `no_increase`, `max_regression_pct`, scenarios it skips) and the
//! time settings ([`Gates`]). How a phase is held to them is the judge's
//! (`crate::judge::gates`).

use std::collections::BTreeMap;

use anyhow::bail;

use crate::units::{fmt_num, parse_size};

/// A phase metric a gate can bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Allocations in the ticks after warm-up.
    Allocs,
    /// Bytes allocated in the ticks after warm-up.
    BytesAllocated,
    /// Heap operations (allocations, reallocations, deallocations) in armed ticks.
    HotOps,
    /// Live bytes at the end minus at the end of warm-up.
    GrowthBytes,
    /// Highest live bytes after warm-up, above their level at its end.
    PeakBytes,
    /// Bytes a tick a phase kept, tick after tick, when the growth check
    /// found it growing steadily and neither it nor its scenario said it
    /// would (`.grows()`, `expect_growth`); 0 otherwise.
    LeakBytesPerTick,
    /// Mean tick time, µs.
    StepMeanUs,
    /// Median tick time, µs.
    StepP50Us,
    /// 95th-percentile tick time, µs.
    StepP95Us,
    /// Slowest tick, µs.
    StepMaxUs,
}

/// The name `hot_ops` had before it was renamed; still accepted in gates files.
pub const HOT_OPS_OLD_NAME: &str = "hot_allocs";

impl Metric {
    /// Every metric, in table order.
    pub const ALL: [Metric; 10] = [
        Metric::Allocs,
        Metric::BytesAllocated,
        Metric::HotOps,
        Metric::GrowthBytes,
        Metric::PeakBytes,
        Metric::LeakBytesPerTick,
        Metric::StepMeanUs,
        Metric::StepP50Us,
        Metric::StepP95Us,
        Metric::StepMaxUs,
    ];

    /// The name used in allocguard.toml and the phase log.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Allocs => "allocs",
            Metric::BytesAllocated => "bytes_allocated",
            Metric::HotOps => "hot_ops",
            Metric::GrowthBytes => "growth_bytes",
            Metric::PeakBytes => "peak_bytes",
            Metric::LeakBytesPerTick => "leak_bytes_per_tick",
            Metric::StepMeanUs => "step_mean_us",
            Metric::StepP50Us => "step_p50_us",
            Metric::StepP95Us => "step_p95_us",
            Metric::StepMaxUs => "step_max_us",
        }
    }

    /// The metric called `name` (`hot_allocs` is `hot_ops`'s old name).
    pub fn from_name(name: &str) -> Option<Metric> {
        if name == HOT_OPS_OLD_NAME {
            return Some(Metric::HotOps);
        }
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether the metric is a time (compared statistically) or a count.
    pub fn is_time(self) -> bool {
        matches!(
            self,
            Metric::StepMeanUs | Metric::StepP50Us | Metric::StepP95Us | Metric::StepMaxUs
        )
    }

    /// Whether the metric is a number of bytes.
    pub fn is_bytes(self) -> bool {
        matches!(
            self,
            Metric::BytesAllocated | Metric::GrowthBytes | Metric::PeakBytes
        )
    }

    /// What the metric is of the tick times: `median`, `mean`, ….
    pub fn statistic(self) -> &'static str {
        match self {
            Metric::StepMeanUs => "mean",
            Metric::StepP50Us => "median",
            Metric::StepP95Us => "95th percentile",
            Metric::StepMaxUs => "maximum",
            _ => "value",
        }
    }

    /// A value of this metric for people: `1,234`, `1.50 KiB`, `2.37 ms`.
    pub fn show(self, v: f64) -> String {
        if self == Metric::LeakBytesPerTick {
            format!("{} B/tick", crate::units::fmt_num(v))
        } else if self.is_time() {
            crate::units::duration_ns(v * 1e3)
        } else if self.is_bytes() {
            crate::units::bytes(v as i64, false)
        } else {
            crate::units::count(v as u64)
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

    /// The rule as `allocguard.toml` writes it: `{ max_regression_pct = 50 }`.
    pub fn as_toml(&self) -> String {
        let mut fields = Vec::new();
        match &self.max {
            Some(Limit::Number(n)) => fields.push(format!("max = {}", fmt_num(*n))),
            Some(Limit::Text(t)) => fields.push(format!("max = {t:?}")),
            None => {}
        }
        if self.no_increase {
            fields.push("no_increase = true".into());
        }
        if let Some(p) = self.max_regression_pct {
            fields.push(format!("max_regression_pct = {}", fmt_num(p)));
        }
        format!("{{ {} }}", fields.join(", "))
    }

    /// Whether the rule compares against a baseline.
    pub fn is_relative(&self) -> bool {
        self.no_increase || self.max_regression_pct.is_some()
    }

    pub(crate) fn validate(&self, metric: Metric) -> anyhow::Result<()> {
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
        if self.max.is_none() && !self.is_relative() {
            bail!("the rule bounds nothing: give max, no_increase = true or max_regression_pct");
        }
        if metric == Metric::StepMaxUs && self.is_relative() {
            bail!(
                "a relative rule on step_max_us compares the single slowest tick of two runs, \
                 which noise alone moves by more than any useful bound; gate step_p95_us or \
                 step_p50_us relatively, and step_max_us with `max`"
            );
        }
        Ok(())
    }

    /// Whether the rule judges `scenario` (its `exclude` patterns do not name it).
    pub fn applies_to(&self, scenario: &str) -> bool {
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

/// The confidence of the bounds relative time rules use, when not configured.
pub const DEFAULT_TIME_CONFIDENCE: f64 = 0.99;

/// Every configured rule.
#[derive(Clone, Debug)]
pub struct Gates {
    /// Rule per metric.
    pub rules: BTreeMap<Metric, GateRule>,
    /// Slack for `no_increase` on times, percent.
    pub time_tolerance_pct: f64,
    /// Times at or below this many microseconds pass relative time gates.
    pub time_floor_us: f64,
    /// Confidence of the bounds a relative time rule compares (0.5 to 0.9999).
    pub time_confidence: f64,
    /// `new_sites = true`: a comparison fails when a hot or bounded phase
    /// has an allocation site its base did not (both sides recorded sites).
    pub new_sites: bool,
}

impl Default for Gates {
    fn default() -> Self {
        Self {
            rules: BTreeMap::new(),
            time_tolerance_pct: 0.0,
            time_floor_us: 0.0,
            time_confidence: DEFAULT_TIME_CONFIDENCE,
            new_sites: false,
        }
    }
}

impl Gates {
    /// The phase-log columns the rules read, each with the rule that reads
    /// it (`step_p50_us = { max_regression_pct = 50 }`): the metric's own
    /// column, and for a relative rule on a time its per-tick histogram.
    pub fn columns_read(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (m, rule) in &self.rules {
            let why = format!("the gate `{} = {}`", m.name(), rule.as_toml());
            out.push((m.name(), why.clone()));
            if m.is_time() && rule.is_relative() {
                out.push(("step_hist", why));
            }
        }
        out
    }

    /// Whether a rule on a time compares against a baseline.
    pub fn has_relative_times(&self) -> bool {
        self.rules
            .iter()
            .any(|(m, r)| m.is_time() && r.is_relative())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(max: Option<f64>, no_increase: bool, pct: Option<f64>) -> GateRule {
        GateRule {
            max: max.map(Limit::Number),
            no_increase,
            max_regression_pct: pct,
            exclude: vec![],
        }
    }

    #[test]
    fn a_relative_rule_on_the_slowest_tick_is_refused() {
        let e = rule(None, true, None)
            .validate(Metric::StepMaxUs)
            .unwrap_err();
        assert!(e.to_string().contains("gate step_p95_us"), "{e}");
        assert!(rule(Some(5.0), false, None)
            .validate(Metric::StepMaxUs)
            .is_ok());
    }

    #[test]
    fn globs_and_old_names() {
        assert!(glob_match("waves/*", "waves/stress_500"));
        assert!(glob_match("*naive*", "genes/naive_5k"));
        assert!(glob_match("a*c*e", "abcde"));
        assert!(!glob_match("waves/*", "genes/x"));
        assert!(glob_match("exact", "exact") && !glob_match("exact", "exactly"));
        assert_eq!(Metric::from_name("hot_allocs"), Some(Metric::HotOps));
    }
}
