//! Time gates: whether a phase got slower beyond the noise.
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

use allocguard::harness::Bounds;

use crate::config::rules::Metric;
use crate::judge::metric::Measured;
use crate::store::phase_log::PhaseRow;

/// `+12.3%`.
pub(crate) fn pct(v: f64) -> String {
    if v.is_infinite() {
        "+∞".into()
    } else {
        format!("{:+.1}%", v * 100.0)
    }
}

/// What a time rule's detail says when its phase has too few ticks to
/// bound the statistic: the gate cannot fire.
pub(crate) const TOO_FEW_TICKS: &str = "too few ticks";

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

/// Whether some rows of `a` and `b` were timed with allocation sites
/// recording and others without: heap operations are about three times
/// slower with them, so such times are not compared. A row from before the
/// column was kept counts as without (sites were off unless asked for).
pub(crate) fn sites_differ(a: &[&PhaseRow], b: &[&PhaseRow]) -> bool {
    let on = |r: &&PhaseRow| r.sites.unwrap_or(false);
    let (any_on, all_on) = (a.iter().chain(b).any(on), a.iter().chain(b).all(on));
    any_on && !all_on
}

/// What a relative time rule says when [`sites_differ`].
pub(crate) const SITES_DIFFER: &str = "one run recorded allocation sites and the other did not \
     (heap operations are slower with them): times not compared; run both sides with sites on \
     (`--ci`, `--sites`) or both with `--no-sites`";

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
    if post.is_empty() || base.is_empty() || sites_differ(post, base) {
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
pub(crate) fn judge_time(
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
    if sites_differ(post, base) {
        return (true, SITES_DIFFER.to_string());
    }
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
                "{}, but {whose} has {TOO_FEW_TICKS} ({ticks}) to bound its {} at {conf}: \
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
