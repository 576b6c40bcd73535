//! [`StepHistogram`]: every tick time of a phase, kept compactly enough for a
//! run file and a CSV cell, so that a later comparison can decide whether a
//! phase really got slower instead of comparing two single numbers.
//!
//! Times go into log-linear buckets: exact below 128 ns, then 64 buckets per
//! doubling, so a bucket is at most 1/64 (1.6 %) of its value wide. A phase
//! of any length needs at most a few hundred non-empty buckets; only those
//! are stored.
//!
//! Besides quantiles, the histogram gives distribution-free confidence bounds
//! for them (order statistics: the number of ticks below the true quantile is
//! binomial), and a normal-theory interval for the mean. `cargo allocguard`
//! compares two phases with these: a change counts only when the bounds of
//! the two runs are further apart than the gate allows.

use std::fmt;

/// Sub-buckets per doubling (2^6): a bucket is at most 1/64 of its value wide.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;

/// The bucket of `v`.
fn index_of(v: u64) -> u32 {
    if v < 2 * SUB {
        return v as u32;
    }
    let top = 63 - v.leading_zeros();
    let shift = top - SUB_BITS;
    (u64::from(shift) * SUB + (v >> shift)) as u32
}

/// The smallest and largest value of bucket `i`.
fn range_of(i: u32) -> (u64, u64) {
    let i = u64::from(i);
    if i < 2 * SUB {
        return (i, i);
    }
    let shift = i / SUB - 1;
    let m = i - shift * SUB;
    let low = m << shift;
    (low, low + ((1u64 << shift) - 1))
}

/// The value reported for bucket `i`: its midpoint.
fn value_of(i: u32) -> f64 {
    let (lo, hi) = range_of(i);
    (lo as f64 + hi as f64) / 2.0
}

/// Tick times of a phase in nanoseconds, bucketed. Serialised as compact
/// text (see [`StepHistogram::encode`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepHistogram {
    /// Non-empty buckets `(index, count)`, by increasing index.
    buckets: Vec<(u32, u64)>,
    count: u64,
}

/// A two-sided confidence interval. `hi` is `f64::INFINITY` and `lo` is 0
/// when the samples are too few to bound that side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

impl StepHistogram {
    /// Buckets `samples` (nanoseconds).
    pub fn from_samples(samples: &[u64]) -> Self {
        let mut idx: Vec<u32> = samples.iter().map(|&v| index_of(v)).collect();
        idx.sort_unstable();
        let mut buckets: Vec<(u32, u64)> = Vec::new();
        for i in idx {
            match buckets.last_mut() {
                Some((last, n)) if *last == i => *n += 1,
                _ => buckets.push((i, 1)),
            }
        }
        Self {
            buckets,
            count: samples.len() as u64,
        }
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The value of the `rank`-th smallest sample (1-based), as its bucket's midpoint.
    fn at_rank(&self, rank: u64) -> f64 {
        let mut seen = 0;
        for &(i, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                return value_of(i);
            }
        }
        self.buckets.last().map_or(0.0, |&(i, _)| value_of(i))
    }

    /// The `q` quantile (0 < q ≤ 1) by nearest rank, within a bucket's width.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = (q * self.count as f64).ceil() as u64;
        self.at_rank(rank.clamp(1, self.count))
    }

    /// Mean, within a bucket's width.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let sum: f64 = self
            .buckets
            .iter()
            .map(|&(i, n)| value_of(i) * n as f64)
            .sum();
        sum / self.count as f64
    }

    /// A `confidence` interval (such as 0.99) for the true `q` quantile of the
    /// distribution the ticks were drawn from, by order statistics: no
    /// assumption about the distribution's shape.
    pub fn quantile_bounds(&self, q: f64, confidence: f64) -> Bounds {
        let n = self.count;
        if n == 0 {
            return Bounds {
                lo: 0.0,
                hi: f64::INFINITY,
            };
        }
        let tail = (1.0 - confidence) / 2.0;
        let cdf = binomial_cdf(n, q);
        // Lower: the largest rank l with P(B <= l - 1) <= tail, where B counts
        // the samples below the true quantile.
        let mut l = 0u64;
        while l < n && cdf(l) <= tail {
            l += 1;
        }
        // Upper: the smallest rank u with P(B >= u) <= tail.
        let mut u = n + 1;
        while u > 1 && 1.0 - cdf(u - 2) <= tail {
            u -= 1;
        }
        Bounds {
            lo: if l == 0 { 0.0 } else { self.at_rank(l) },
            hi: if u > n {
                f64::INFINITY
            } else {
                self.at_rank(u)
            },
        }
    }

    /// A `confidence` interval for the mean (normal approximation; unbounded
    /// with fewer than two samples).
    pub fn mean_bounds(&self, confidence: f64) -> Bounds {
        let n = self.count as f64;
        if self.count < 2 {
            return Bounds {
                lo: 0.0,
                hi: f64::INFINITY,
            };
        }
        let mean = self.mean();
        let var = self
            .buckets
            .iter()
            .map(|&(i, c)| (value_of(i) - mean).powi(2) * c as f64)
            .sum::<f64>()
            / (n - 1.0);
        let half = normal_quantile(1.0 - (1.0 - confidence) / 2.0) * (var / n).sqrt();
        Bounds {
            lo: (mean - half).max(0.0),
            hi: mean + half,
        }
    }

    /// Compact text: `index:count` pairs separated by spaces, indexes as the
    /// gap from the previous one, `:count` left out when it is 1.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let mut prev = 0u32;
        for &(i, n) in &self.buckets {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&(i - prev).to_string());
            if n != 1 {
                out.push(':');
                out.push_str(&n.to_string());
            }
            prev = i;
        }
        out
    }

    /// Reads what [`encode`](Self::encode) wrote.
    pub fn decode(text: &str) -> Result<Self, String> {
        let mut buckets = Vec::new();
        let mut prev = 0u32;
        let mut count = 0u64;
        for (k, token) in text.split_whitespace().enumerate() {
            let bad = || {
                format!(
                    "step histogram: `{token}` (item {}) is not GAP[:COUNT]",
                    k + 1
                )
            };
            let (gap, n) = match token.split_once(':') {
                Some((g, n)) => (g, n.parse::<u64>().map_err(|_| bad())?),
                None => (token, 1),
            };
            let gap: u32 = gap.parse().map_err(|_| bad())?;
            if (k > 0 && gap == 0) || n == 0 {
                return Err(bad());
            }
            let i = prev.checked_add(gap).ok_or_else(bad)?;
            buckets.push((i, n));
            count += n;
            prev = i;
        }
        Ok(Self { buckets, count })
    }
}

impl fmt::Display for StepHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl serde::Serialize for StepHistogram {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

impl<'de> serde::Deserialize<'de> for StepHistogram {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::decode(&text).map_err(serde::de::Error::custom)
    }
}

/// `k ↦ P(B <= k)` for `B ~ Binomial(n, p)`, exact (summed in log space) up
/// to a million samples, normal with continuity correction beyond.
fn binomial_cdf(n: u64, p: f64) -> impl Fn(u64) -> f64 {
    let exact: Option<Vec<f64>> = (n <= 1_000_000).then(|| {
        let (lp, lq) = (p.ln(), (1.0 - p).ln());
        let mut log_pmf = n as f64 * lq;
        let mut cum = Vec::with_capacity(n as usize + 1);
        let mut acc = 0.0f64;
        for k in 0..=n {
            acc += log_pmf.exp();
            cum.push(acc.min(1.0));
            if k < n {
                log_pmf += ((n - k) as f64).ln() - ((k + 1) as f64).ln() + lp - lq;
            }
        }
        cum
    });
    move |k: u64| match &exact {
        Some(cum) => cum[k.min(n) as usize],
        None => {
            let (mu, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
            normal_cdf((k as f64 + 0.5 - mu) / sd)
        }
    }
}

fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes' erfcc, |error| < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// The standard normal quantile, by bisection on [`normal_cdf`].
fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0f64, 10.0f64);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_below_128_and_within_a_64th_above() {
        for v in 0..128u64 {
            assert_eq!(range_of(index_of(v)), (v, v));
        }
        for v in [128u64, 129, 1000, 65_535, 1 << 40, u64::MAX / 3, u64::MAX] {
            let (lo, hi) = range_of(index_of(v));
            assert!(lo <= v && v <= hi, "{v} in [{lo}, {hi}]");
            assert!((hi - lo) as f64 <= lo as f64 / 64.0, "{v}: [{lo}, {hi}]");
        }
        // Consecutive buckets tile the line with no gap.
        for i in 1..2000u32 {
            assert_eq!(range_of(i).0, range_of(i - 1).1 + 1, "bucket {i}");
        }
    }

    #[test]
    fn quantiles_follow_nearest_rank() {
        let samples: Vec<u64> = (1..=100).collect();
        let h = StepHistogram::from_samples(&samples);
        assert_eq!(h.count(), 100);
        assert_eq!(h.quantile(0.5), 50.0);
        assert_eq!(h.quantile(0.95), 95.0);
        assert_eq!(h.quantile(1.0), 100.0);
        assert!((h.mean() - 50.5).abs() < 1e-9);
    }

    #[test]
    fn text_round_trips() {
        let samples = [5u64, 5, 7, 1_000, 1_000_000, 1_000_000, 1_000_001];
        let h = StepHistogram::from_samples(&samples);
        let text = h.encode();
        assert_eq!(StepHistogram::decode(&text).unwrap(), h);
        assert_eq!(StepHistogram::decode("").unwrap(), StepHistogram::default());
        assert!(StepHistogram::decode("3 x").is_err());
        assert!(
            StepHistogram::decode("3 0:2").is_err(),
            "a zero gap repeats a bucket"
        );
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<StepHistogram>(&json).unwrap(), h);
    }

    #[test]
    fn quantile_bounds_are_order_statistics() {
        // n = 100, q = 0.5, 99 %: the classical ranks are 37 and 64 (binomial
        // table: P(B <= 36) = 0.0033, P(B <= 37) = 0.0060 ...).
        let samples: Vec<u64> = (1..=100).collect();
        let h = StepHistogram::from_samples(&samples);
        let b = h.quantile_bounds(0.5, 0.99);
        assert_eq!((b.lo, b.hi), (37.0, 64.0));
        // One sample bounds nothing.
        let one = StepHistogram::from_samples(&[40]);
        let b = one.quantile_bounds(0.95, 0.99);
        assert_eq!((b.lo, b.hi), (0.0, f64::INFINITY));
        // Twenty samples cannot bound a 95th percentile from above.
        let twenty = StepHistogram::from_samples(&samples[..20]);
        assert_eq!(twenty.quantile_bounds(0.95, 0.99).hi, f64::INFINITY);
    }

    #[test]
    fn the_mean_interval_narrows_with_more_samples() {
        let few: Vec<u64> = (0..10).map(|i| 100 + i % 3).collect();
        let many: Vec<u64> = (0..10_000).map(|i| 100 + i % 3).collect();
        let (a, b) = (
            StepHistogram::from_samples(&few).mean_bounds(0.99),
            StepHistogram::from_samples(&many).mean_bounds(0.99),
        );
        assert!(a.lo < 101.0 && a.hi > 101.0 && b.lo < 101.0 && b.hi > 101.0);
        assert!(b.hi - b.lo < (a.hi - a.lo) / 10.0, "{a:?} {b:?}");
        assert!((normal_quantile(0.995) - 2.5758).abs() < 1e-3);
    }
}
