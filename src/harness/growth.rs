//! The growth check (a least-squares fit of live bytes over ticks), memory
//! pressure levels, and a background monitor that reports level changes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Thresholds of the growth check. A phase grows steadily when, over its
/// ticks after warm-up, the least-squares slope of live bytes is at least
/// `min_bytes_per_tick` *and* the line explains at least `min_r_squared` of
/// the variance: a leak rises like a ramp, a buffer that fills and drains
/// does not.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GrowthCheck {
    /// Smallest slope that counts as growth, in bytes per tick.
    pub min_bytes_per_tick: f64,
    /// Smallest coefficient of determination (R², 0 to 1) that counts.
    pub min_r_squared: f64,
    /// Fewer ticks after warm-up than this and the check abstains.
    pub min_ticks: u64,
}

impl Default for GrowthCheck {
    fn default() -> Self {
        Self {
            min_bytes_per_tick: 1.0,
            min_r_squared: 0.9,
            min_ticks: 8,
        }
    }
}

/// What the growth check found in one phase.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GrowthVerdict {
    /// Ticks the fit used (those after warm-up).
    pub ticks: u64,
    /// Least-squares slope of live bytes, in bytes per tick.
    pub slope_bytes_per_tick: f64,
    /// Share of the variance of live bytes the line explains (0 when live
    /// bytes never change).
    pub r_squared: f64,
    /// Whether this is steady growth by the thresholds used.
    pub steady_growth: bool,
}

impl GrowthCheck {
    /// Fits `live` (live bytes after each tick after warm-up, in tick order).
    pub fn judge(&self, live: &[i64]) -> GrowthVerdict {
        let (slope, r2) = fit(live);
        GrowthVerdict {
            ticks: live.len() as u64,
            slope_bytes_per_tick: slope,
            r_squared: r2,
            steady_growth: live.len() as u64 >= self.min_ticks.max(2)
                && slope >= self.min_bytes_per_tick
                && r2 >= self.min_r_squared,
        }
    }
}

/// Least-squares slope of `ys` against 0, 1, 2, … and its R².
fn fit(ys: &[i64]) -> (f64, f64) {
    let n = ys.len();
    if n < 2 {
        return (0.0, 0.0);
    }
    let nf = n as f64;
    let mean_x = (nf - 1.0) / 2.0;
    let mean_y = ys.iter().map(|&y| y as f64).sum::<f64>() / nf;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (i, &y) in ys.iter().enumerate() {
        let dx = i as f64 - mean_x;
        let dy = y as f64 - mean_y;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let slope = sxy / sxx;
    let r2 = if syy == 0.0 {
        0.0
    } else {
        (sxy * sxy) / (sxx * syy)
    };
    (slope, r2)
}

/// How much heap a phase held at its peak, in four levels (the thresholds of
/// seed 003's memory-pressure monitor).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum PressureLevel {
    /// Below the medium edge.
    Low,
    /// From the medium edge to the high edge.
    Medium,
    /// From the high edge to the critical edge.
    High,
    /// At or above the critical edge.
    Critical,
}

impl std::fmt::Display for PressureLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        })
    }
}

/// Live-heap edges between pressure levels, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PressureEdges {
    /// LOW below this; MEDIUM from here. Default 50 MiB.
    pub medium: u64,
    /// HIGH from here. Default 200 MiB.
    pub high: u64,
    /// CRITICAL from here. Default 500 MiB.
    pub critical: u64,
}

const MIB: u64 = 1024 * 1024;

impl Default for PressureEdges {
    fn default() -> Self {
        Self {
            medium: 50 * MIB,
            high: 200 * MIB,
            critical: 500 * MIB,
        }
    }
}

impl PressureEdges {
    /// The level of `live_bytes` of heap.
    pub fn level(&self, live_bytes: i64) -> PressureLevel {
        let b = live_bytes.max(0) as u64;
        if b >= self.critical {
            PressureLevel::Critical
        } else if b >= self.high {
            PressureLevel::High
        } else if b >= self.medium {
            PressureLevel::Medium
        } else {
            PressureLevel::Low
        }
    }
}

/// A change of pressure level seen by a [`PressureMonitor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PressureChange {
    /// The level before.
    pub from: PressureLevel,
    /// The level now.
    pub to: PressureLevel,
    /// Process live bytes at the sample that changed level.
    pub live_bytes: i64,
}

/// Samples process live bytes on a background thread and calls back when the
/// pressure level changes. Stops (and joins its thread) when dropped.
pub struct PressureMonitor {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl PressureMonitor {
    /// Starts sampling every `interval`. The starting level is sampled here,
    /// before `start` returns (so a change right after it is reported, however
    /// late the thread starts). `on_change` runs on the monitor thread inside
    /// [`permit_alloc`](crate::permit_alloc).
    pub fn start(
        interval: Duration,
        edges: PressureEdges,
        mut on_change: impl FnMut(PressureChange) + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let mut level = edges.level(crate::process_stats().live_bytes());
        let handle = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("allocguard-pressure".into())
                .spawn(move || {
                    while !stop.load(Ordering::Acquire) {
                        std::thread::park_timeout(interval);
                        let live = crate::process_stats().live_bytes();
                        let now = edges.level(live);
                        if now != level {
                            let change = PressureChange {
                                from: level,
                                to: now,
                                live_bytes: live,
                            };
                            crate::permit_alloc(|| on_change(change));
                            level = now;
                        }
                    }
                })
                .expect("allocguard: cannot start the pressure monitor thread")
        };
        Self {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for PressureMonitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            h.thread().unpark();
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ramp_is_steady_growth_with_its_slope() {
        let ramp: Vec<i64> = (0..100).map(|i| 1000 + 24 * i).collect();
        let v = GrowthCheck::default().judge(&ramp);
        assert!((v.slope_bytes_per_tick - 24.0).abs() < 1e-9);
        assert!((v.r_squared - 1.0).abs() < 1e-12);
        assert!(v.steady_growth);
        assert_eq!(v.ticks, 100);
    }

    #[test]
    fn a_step_every_ten_ticks_is_still_steady_growth() {
        let steps: Vec<i64> = (0..200).map(|i| (i / 10) * 80).collect();
        let v = GrowthCheck::default().judge(&steps);
        assert!((v.slope_bytes_per_tick - 8.0).abs() < 0.5, "{v:?}");
        assert!(v.r_squared > 0.95 && v.steady_growth, "{v:?}");
    }

    #[test]
    fn flat_and_sawtooth_lines_are_not_growth() {
        let flat = vec![4096i64; 50];
        let v = GrowthCheck::default().judge(&flat);
        assert_eq!(
            (v.slope_bytes_per_tick, v.r_squared, v.steady_growth),
            (0.0, 0.0, false)
        );
        // Fills for 10 ticks, drains, fills again: no trend.
        let saw: Vec<i64> = (0..200).map(|i| (i % 10) * 100).collect();
        let v = GrowthCheck::default().judge(&saw);
        assert!(!v.steady_growth, "{v:?}");
        assert!(v.r_squared < 0.1, "{v:?}");
    }

    #[test]
    fn too_few_ticks_abstain_and_shrinking_is_not_growth() {
        assert!(!GrowthCheck::default().judge(&[0, 100, 200]).steady_growth);
        let falling: Vec<i64> = (0..50).map(|i| 10_000 - 10 * i).collect();
        assert!(!GrowthCheck::default().judge(&falling).steady_growth);
    }

    #[test]
    fn pressure_levels_follow_the_edges() {
        let e = PressureEdges::default();
        assert_eq!(e.level(-5), PressureLevel::Low);
        assert_eq!(e.level((50 * MIB - 1) as i64), PressureLevel::Low);
        assert_eq!(e.level((50 * MIB) as i64), PressureLevel::Medium);
        assert_eq!(e.level((200 * MIB) as i64), PressureLevel::High);
        assert_eq!(e.level((500 * MIB) as i64), PressureLevel::Critical);
        let tight = PressureEdges {
            medium: 10,
            high: 20,
            critical: 30,
        };
        assert_eq!(tight.level(25), PressureLevel::High);
    }
}
