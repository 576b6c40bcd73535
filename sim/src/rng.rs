//! A seeded random stream whose values never change between versions.
//!
//! Xoshiro256++ (from `rand_xoshiro`, whose output is fixed by its reference
//! implementation) supplies raw `u64`s; every distribution used by the
//! simulations is derived here from those bits, so no crate update can shift
//! a result.

use rand_core::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The simulations' random stream.
#[derive(Clone, Debug)]
pub struct Rng {
    inner: Xoshiro256PlusPlus,
    /// Box–Muller makes normals in pairs; the second waits here.
    spare_normal: Option<f64>,
}

impl Rng {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng {
            inner: Xoshiro256PlusPlus::seed_from_u64(seed),
            spare_normal: None,
        }
    }

    /// 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in [0, 1), 53 bits of precision.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    #[inline]
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [0, n), without modulo bias (Lemire's method).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform integer in [lo, hi] (both included).
    #[inline]
    pub fn range_inclusive(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// The threshold for [`hit`](Self::hit): `p` as a fraction of 2⁶⁴.
    pub fn threshold(p: f64) -> u64 {
        if p >= 1.0 {
            u64::MAX
        } else {
            (p.max(0.0) * 18_446_744_073_709_551_616.0) as u64
        }
    }

    /// True with the probability a [`threshold`](Self::threshold) stands
    /// for: one draw, no float conversion (for loops over millions of cells).
    #[inline]
    pub fn hit(&mut self, threshold: u64) -> bool {
        self.next_u64() < threshold
    }

    /// Normal with mean 0 and standard deviation `sigma` (Marsaglia's polar
    /// method: a point in the unit disc makes two normals with one `ln` and
    /// one `sqrt`; the second is returned by the next call).
    #[inline]
    pub fn normal(&mut self, sigma: f64) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return sigma * z;
        }
        loop {
            let u = 2.0 * self.unit() - 1.0;
            let v = 2.0 * self.unit() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let m = (-2.0 * s.ln() / s).sqrt();
                self.spare_normal = Some(v * m);
                return sigma * u * m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_fixed_by_the_seed() {
        let a: Vec<u64> = {
            let mut r = Rng::new(12345);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let mut r = Rng::new(12345);
        assert_eq!(a, (0..4).map(|_| r.next_u64()).collect::<Vec<_>>());
        assert_ne!(a[0], Rng::new(12346).next_u64());
    }

    #[test]
    fn ranges_stay_in_bounds_and_cover_them() {
        let mut r = Rng::new(1);
        let mut seen = [false; 6];
        for _ in 0..10_000 {
            let v = r.range_inclusive(3, 8);
            assert!((3..=8).contains(&v));
            seen[(v - 3) as usize] = true;
            let u = r.uniform(0.5, 2.0);
            assert!((0.5..2.0).contains(&u));
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn thresholds_hit_at_their_rate() {
        let mut r = Rng::new(3);
        let t = Rng::threshold(0.1);
        let hits = (0..1_000_000).filter(|_| r.hit(t)).count() as f64;
        // σ = sqrt(n p (1 - p)) = 300.
        assert!((hits - 100_000.0).abs() < 1_200.0, "{hits}");
        assert!(!Rng::new(1).hit(Rng::threshold(0.0)));
        assert_eq!(Rng::threshold(1.0), u64::MAX);
    }

    #[test]
    fn normal_has_the_asked_spread() {
        let mut r = Rng::new(7);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal(0.05)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // Standard error of the mean is 0.05/sqrt(n) ≈ 1.1e-4; allow 5 of them.
        assert!(mean.abs() < 5.6e-4, "{mean}");
        assert!((var.sqrt() - 0.05).abs() < 0.0005, "{}", var.sqrt());
    }
}
