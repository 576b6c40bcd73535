//! Gates: bounds on phase metrics, absolute or relative to a baseline.
//!
//! Counts are compared exactly. Times are compared as criterion decides
//! "change within noise": a relative time rule fails only when the phase is
//! slower with confidence *and* by more than the rule allows. Each run keeps
//! every tick's time ([`StepHistogram`]); from it come confidence bounds for
//! the tick time's median, 95th percentile or mean (order statistics for the
//! quantiles, so no assumption about their shape). The change is bounded
//! from below by the slowest the baseline could be and the fastest this run
//! could be; the rule fails when even that lower bound exceeds it. A phase of
//! one tick, or of too few to bound a 95th percentile, cannot fail a relative
//! time rule: there is nothing to tell noise from change with. A relative
//! rule on the slowest tick (`step_max_us`), a single sample, is refused.
//!
//! Either side may be several runs of one revision (repeats, run
//! alternately: base, head, base, head …), which is what makes time gates
//! hold on a shared machine, where a whole run can be half as fast as the
//! next for minutes. The least change is then the fastest that any run of
//! this side could be over the slowest that any baseline run could be: a
//! slow spell on a baseline run makes the gate more lenient, never a cry of
//! wolf, and one on a head run is outvoted by the others. The price is power
//! in phases whose speed moves from run to run: a regression there must be
//! larger than the spread of the baseline's runs to be called. (Pairing the
//! runs in the order they ran, and taking the median pair, was measured too:
//! on the same 120 runs of `benches/timegate.sh` it came within 0.4 points of
//! a false alarm where this came within 40.) Counts compare each side's
//! highest (they are the same in every repeat of a deterministic scenario).

use std::collections::BTreeMap;

use allocguard::harness::{Bounds, StepHistogram};
use anyhow::bail;

use crate::phase_log::PhaseRow;

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
    pub const ALL: [Metric; 9] = [
        Metric::Allocs,
        Metric::BytesAllocated,
        Metric::HotOps,
        Metric::GrowthBytes,
        Metric::PeakBytes,
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

    /// Its value in a row; `None` for a column the row's log did not have
    /// yet (the median, before it was recorded).
    pub fn value(self, row: &PhaseRow) -> Option<f64> {
        match self {
            Metric::StepP50Us => row.step_p50_us,
            _ => Some(self.of(row)),
        }
    }

    fn of(self, row: &PhaseRow) -> f64 {
        match self {
            Metric::Allocs => row.allocs as f64,
            Metric::BytesAllocated => row.bytes_allocated as f64,
            Metric::HotOps => row.hot_ops as f64,
            Metric::GrowthBytes => row.growth_bytes as f64,
            Metric::PeakBytes => row.peak_bytes as f64,
            Metric::StepMeanUs => row.step_mean_us,
            Metric::StepP50Us => row.step_p50_us.unwrap_or(f64::NAN),
            Metric::StepP95Us => row.step_p95_us,
            Metric::StepMaxUs => row.step_max_us,
        }
    }

    /// Confidence bounds, in µs, for the true value of a time metric, from
    /// the row's tick histogram; `None` for counts, for the slowest tick, and
    /// for rows without a histogram.
    pub fn bounds(self, row: &PhaseRow, confidence: f64) -> Option<Bounds> {
        let h: &StepHistogram = &row.step_hist;
        if h.is_empty() {
            return None;
        }
        let b = match self {
            Metric::StepMeanUs => h.mean_bounds(confidence),
            Metric::StepP50Us => h.quantile_bounds(0.5, confidence),
            Metric::StepP95Us => h.quantile_bounds(0.95, confidence),
            _ => return None,
        };
        Some(Bounds {
            lo: b.lo / 1e3,
            hi: b.hi / 1e3,
        })
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
        if self.is_time() {
            crate::table::duration_ns(v * 1e3)
        } else if self.is_bytes() {
            crate::table::bytes(v as i64, false)
        } else {
            crate::table::count(v as u64)
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
}

impl Default for Gates {
    fn default() -> Self {
        Self {
            rules: BTreeMap::new(),
            time_tolerance_pct: 0.0,
            time_floor_us: 0.0,
            time_confidence: DEFAULT_TIME_CONFIDENCE,
        }
    }
}

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

/// `+12.3%`.
fn pct(v: f64) -> String {
    if v.is_infinite() {
        "+∞".into()
    } else {
        format!("{:+.1}%", v * 100.0)
    }
}

/// The median of `v` (which is not empty).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A metric's value over repeats: the median of times, the highest count.
pub fn over_repeats(metric: Metric, rows: &[&PhaseRow]) -> Option<f64> {
    let values: Vec<f64> = rows.iter().filter_map(|r| metric.value(r)).collect();
    if values.is_empty() {
        None
    } else if metric.is_time() {
        Some(median(values))
    } else {
        Some(values.into_iter().fold(f64::MIN, f64::max))
    }
}

/// Whether a time metric changed beyond the noise between the repeats of the
/// baseline and of this side: `Some(true)` when even the bounds agree it got
/// slower or faster, `None` when it cannot be told (too few ticks, no
/// histograms).
pub fn changed_beyond_noise(
    metric: Metric,
    post: &[&PhaseRow],
    base: &[&PhaseRow],
    confidence: f64,
) -> Option<bool> {
    if post.is_empty() || base.is_empty() {
        return None;
    }
    let now: Vec<Bounds> = post
        .iter()
        .map(|r| metric.bounds(r, confidence))
        .collect::<Option<_>>()?;
    let then: Vec<Bounds> = base
        .iter()
        .map(|r| metric.bounds(r, confidence))
        .collect::<Option<_>>()?;
    let now_lo = now.iter().map(|b| b.lo).fold(f64::INFINITY, f64::min);
    let now_hi = now.iter().map(|b| b.hi).fold(0.0, f64::max);
    let then_lo = then.iter().map(|b| b.lo).fold(f64::INFINITY, f64::min);
    let then_hi = then.iter().map(|b| b.hi).fold(0.0, f64::max);
    if !then_hi.is_finite() || !now_hi.is_finite() || now_lo == 0.0 || then_lo == 0.0 {
        return None;
    }
    Some(now_lo > then_hi || now_hi < then_lo)
}

/// Decides a relative time rule allowing `allowed_pct` percent, between the
/// repeats of this side and of the baseline. Returns (passed, detail).
fn judge_time(
    metric: Metric,
    post: &[&PhaseRow],
    base: &[&PhaseRow],
    allowed_pct: f64,
    confidence: f64,
) -> (bool, String) {
    let (value, base_value) = (
        over_repeats(metric, post).unwrap_or(f64::NAN),
        over_repeats(metric, base).unwrap_or(f64::NAN),
    );
    let runs = if post.len() > 1 || base.len() > 1 {
        format!(", {} runs against {}", post.len(), base.len())
    } else {
        String::new()
    };
    let now: Option<Vec<Bounds>> = post.iter().map(|r| metric.bounds(r, confidence)).collect();
    let then: Option<Vec<Bounds>> = base.iter().map(|r| metric.bounds(r, confidence)).collect();
    let (Some(now), Some(then)) = (now, then) else {
        // Rows from before tick histograms were kept: two single numbers
        // cannot tell noise from change, so the rule is not applied.
        return (
            true,
            format!(
                "{}, but a run has no tick times (recorded before allocguard kept them): \
                 not judged; run it again to compare times",
                pct(if base_value > 0.0 {
                    value / base_value - 1.0
                } else {
                    0.0
                })
            ),
        );
    };
    let change = if base_value > 0.0 {
        value / base_value - 1.0
    } else {
        0.0
    };
    // The fastest this side can be and the slowest the baseline can be.
    let now_lo = now.iter().map(|b| b.lo).fold(f64::INFINITY, f64::min);
    let now_hi = now.iter().map(|b| b.hi).fold(0.0, f64::max);
    let then_lo = then.iter().map(|b| b.lo).fold(f64::INFINITY, f64::min);
    let then_hi = then.iter().map(|b| b.hi).fold(0.0, f64::max);
    let conf = format!("{:.0}%", confidence * 100.0);
    if now_lo == 0.0 || !then_hi.is_finite() {
        let (whose, ticks) = if now_lo == 0.0 {
            ("this run", post[0].step_hist.count())
        } else {
            ("the baseline", base[0].step_hist.count())
        };
        return (
            true,
            format!(
                "{}, but {whose} has too few ticks ({ticks}) to bound its {} at {conf}: \
                 noise cannot be told from change",
                pct(change),
                metric.statistic()
            ),
        );
    }
    let least = now_lo / then_hi - 1.0;
    let most = if then_lo > 0.0 {
        now_hi / then_lo - 1.0
    } else {
        f64::INFINITY
    };
    let regressed = least > allowed_pct / 100.0;
    let verdict = if regressed {
        "slower beyond the allowed change"
    } else if least > 0.0 {
        "slower, but within what the rule allows"
    } else {
        "within noise"
    };
    (
        !regressed,
        format!(
            "{} ({conf} bounds {} … {}{runs}), {verdict}",
            pct(change),
            pct(least),
            pct(most)
        ),
    )
}

impl Gates {
    /// Whether any rule is configured.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

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

    /// Whether any rule needs a baseline.
    pub fn has_relative(&self) -> bool {
        self.rules.values().any(GateRule::is_relative)
    }

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
        assert_eq!(Metric::from_name("hot_allocs"), Some(Metric::HotOps));
    }
}
