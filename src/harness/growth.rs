//! The growth check: does a phase keep memory, more of it the longer it
//! runs?
//!
//! # What it decides
//!
//! A leak is memory the measured ticks allocate and never give back, more
//! of it the longer the phase runs. The check follows the **floor** of the
//! scenario's heap: the least it held in each quarter of the ticks after
//! warm-up. Memory a tick frees again (temporaries, a buffer cleared and
//! refilled, an arena reset, the troughs of a sawtooth) never raises a
//! floor; memory that is kept raises every later one. A phase **grows
//! steadily** when
//!
//! 1. its floor in the last quarter stands above its floor in the second, by
//!    at least [`GrowthCheck::min_bytes_per_tick`] for every tick between
//!    them (`(floor₄ − floor₂) / (n / 2)`: it kept memory late in the
//!    phase), and
//! 2. the floor rose in at least two of the three steps from one quarter to
//!    the next (it kept memory more than once).
//!
//! Why this shape, and not a straight line through live bytes (the check
//! before it, which missed most container leaks it was tried on):
//!
//! - **Containers grow in stairs.** A `Vec`, `String`, `HashMap` or
//!   `VecDeque` that only grows reallocates when it is full, doubling: live
//!   bytes are flat for longer and longer stretches, then jump, and a line
//!   explains such stairs poorly (R² 0.82–0.86 over 2,000 ticks). Floors do
//!   not care how the memory came. When the container held no more than a
//!   quarter-phase's worth as the measured ticks began, its length at least
//!   doubles between the first quarter's start and the second's, and again
//!   between the second's and the last's, so it reallocates in both
//!   stretches: both rules hold, and the late reallocation alone holds half
//!   of all it ever took. At the worst alignment a container leak of `b`
//!   bytes a tick shows as `b / 2`.
//! - **A cache that fills and stops** is not a leak: growth that ends
//!   within the first quarter of the measured ticks (a cache filling, a pool
//!   starting) leaves the last three floors equal.
//! - **A structure that settles late** is not a leak either: a hash table
//!   under churn can double once more, at any time, and stop. One late step
//!   fails rule 2.
//! - **Slow leaks and pointer leaks** (a box every tenth tick, `Box::leak`,
//!   `Rc` cycles, a node per key) raise every floor, at their own rate.
//! - **Swings are not growth**, however large: a sawtooth, an arena reset
//!   every N ticks, a buffer that fills and drains come back to their floor
//!   in every quarter, as long as a quarter holds one of their periods.
//!
//! Its limits, in the same terms: growth that goes on past the first
//! quarter of the phase and then stops looks like a leak (a cache filling
//! for 40 % of it: fill caches in the warm-up); a leak that starts in the
//! second half of the phase rises too late to count twice; a container that
//! held more when the measured ticks began than a quarter of the phase adds
//! may not reallocate in time (start it empty, or run more ticks); a swing
//! slower than a quarter of the phase can raise a floor; leaks under 1 byte
//! a tick (2 for a container at the worst alignment) are below the default
//! threshold. Counts are exact, so a bounded phase's floors are equal to the
//! byte: the threshold is a size, not a tolerance for noise.
//!
//! The figures (`cargo test --test leak_zoo -- --nocapture`: 11 leak kinds
//! and 8 bounded ones, 20 runs each at 200 and at 2,000 ticks): every leak
//! caught in every run, no bounded pattern flagged in any. The straight-line
//! fit this check replaced caught 9 of the 11 at 200 ticks and 6 at 2,000,
//! where it missed every container but the `BTreeMap`.
//!
//! With sites recorded, a failing phase names the sites that hold what it
//! kept ([`Sites::holding`](crate::Sites::holding)); the check itself reads
//! only the per-tick counts, so it costs nothing on the allocator's fast
//! path.

/// The threshold of the growth check (see the module docs for what it
/// decides).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct GrowthCheck {
    /// Smallest rate at which the heap's floor must rise, between the second
    /// quarter of the ticks after warm-up and the last, to count as steady
    /// growth, in bytes per tick. Default 1.
    pub min_bytes_per_tick: f64,
    /// Fewer ticks after warm-up than this and the check abstains (a
    /// quarter of them must be a stretch). Default 8.
    pub min_ticks: u64,
}

impl Default for GrowthCheck {
    fn default() -> Self {
        Self {
            min_bytes_per_tick: 1.0,
            min_ticks: 8,
        }
    }
}

impl GrowthCheck {
    /// A check with the default threshold but `bytes` a tick.
    pub fn min_bytes_per_tick(mut self, bytes: f64) -> Self {
        self.min_bytes_per_tick = bytes;
        self
    }
}

/// What the growth check found in one phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GrowthVerdict {
    /// Ticks the check read (those after warm-up).
    pub ticks: u64,
    /// How far the heap's floor rose from the second quarter of those ticks
    /// to the last, in bytes (negative: it fell).
    pub retained_bytes: i64,
    /// The same per tick between the two quarters: the rate at which the
    /// phase kept memory late in its run.
    pub retained_bytes_per_tick: f64,
    /// When the phase grew steadily: the first tick of the phase (warm-up
    /// counted, from 0) after which live bytes never went back down to where
    /// they stood when the measured ticks began, i.e. since when memory has
    /// been kept. `None` otherwise.
    pub since_tick: Option<u64>,
    /// Whether the phase grew steadily by the threshold used.
    pub steady_growth: bool,
}

impl GrowthCheck {
    /// Judges `live`: live bytes after each tick after warm-up, in tick
    /// order; `first_tick` is the phase's index of `live[0]` (its warm-up
    /// ticks), so that [`GrowthVerdict::since_tick`] counts from the phase's
    /// start.
    pub fn judge(&self, live: &[i64], first_tick: u64) -> GrowthVerdict {
        let n = live.len();
        let mut v = GrowthVerdict {
            ticks: n as u64,
            ..GrowthVerdict::default()
        };
        if n < 4 {
            return v;
        }
        // The floor of each quarter: the least the scenario held in it.
        let floor = |k: usize| {
            live[k * n / 4..(k + 1) * n / 4]
                .iter()
                .copied()
                .min()
                .unwrap_or(live[k * n / 4])
        };
        let f = [floor(0), floor(1), floor(2), floor(3)];
        v.retained_bytes = f[3] - f[1];
        v.retained_bytes_per_tick = v.retained_bytes as f64 / (n as f64 / 2.0);
        // Kept late, and kept more than once: one late step alone is a
        // structure settling (a hash table resized once under churn).
        let rises = f.windows(2).filter(|w| w[1] > w[0]).count();
        v.steady_growth = n as u64 >= self.min_ticks.max(4)
            && v.retained_bytes > 0
            && rises >= 2
            && v.retained_bytes_per_tick >= self.min_bytes_per_tick;
        if v.steady_growth {
            v.since_tick = since(live).map(|t| t as u64 + first_tick);
        }
        v
    }
}

/// The first index after which `live` never again comes down to `live[0]`
/// (the floor first rose there, for good); `None` when it does.
fn since(live: &[i64]) -> Option<usize> {
    let start = live[0];
    // The last index at or below the start: the floor rises after it.
    let last_low = live.iter().rposition(|&l| l <= start)?;
    (last_low + 1 < live.len()).then_some(last_low + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(live: &[i64]) -> GrowthVerdict {
        GrowthCheck::default().judge(live, 0)
    }

    /// A `Vec` of `size`-byte items pushed once a tick from empty, as its
    /// capacity grows: 4 items first (8 for 1-byte items), then doubling.
    fn vec_stairs(ticks: usize, size: i64) -> Vec<i64> {
        let mut cap = 0i64;
        (1..=ticks as i64)
            .map(|len| {
                if len > cap {
                    cap = (2 * cap).max(len).max(if size == 1 { 8 } else { 4 });
                }
                cap * size
            })
            .collect()
    }

    #[test]
    fn a_ramp_is_steady_growth_at_its_rate() {
        let ramp: Vec<i64> = (0..100).map(|i| 1000 + 24 * i).collect();
        let v = judge(&ramp);
        // Floors: tick 25 (1600) and tick 75 (2800), 50 ticks apart.
        assert_eq!(v.retained_bytes, 1200);
        assert_eq!(v.retained_bytes_per_tick, 24.0);
        assert!(v.steady_growth);
        assert_eq!((v.ticks, v.since_tick), (100, Some(1)));
        assert_eq!(GrowthCheck::default().judge(&ramp, 30).since_tick, Some(31));
    }

    #[test]
    fn doubling_stairs_are_growth_at_every_length() {
        for ticks in [16, 50, 200, 333, 2000, 2048, 2049, 5000] {
            let v = judge(&vec_stairs(ticks, 8));
            assert!(v.steady_growth, "{ticks} ticks: {v:?}");
            // At least half the leak's own rate, whatever the alignment.
            assert!(v.retained_bytes_per_tick >= 4.0, "{ticks} ticks: {v:?}");
        }
        // 200 ticks of a Vec<u64>: 64 items at tick 50, 256 at tick 150.
        assert_eq!(judge(&vec_stairs(200, 8)).retained_bytes, (256 - 64) * 8);
        // The documented limit: over 8 ticks, the first capacity (4 items)
        // is more than a quarter of the phase adds (2), and one step shows.
        let v = judge(&vec_stairs(8, 8));
        assert!(v.retained_bytes > 0 && !v.steady_growth, "{v:?}");
    }

    #[test]
    fn a_step_every_ten_ticks_is_growth_and_a_cache_that_stops_is_not() {
        let slow: Vec<i64> = (0..200).map(|i| (i / 10) * 64).collect();
        let v = judge(&slow);
        assert!(v.steady_growth && v.retained_bytes_per_tick >= 6.0, "{v:?}");
        // One late step: a hash table resized once more under churn.
        let settle: Vec<i64> = (0..200)
            .map(|i| if i < 100 { 2624 } else { 5248 })
            .collect();
        let v = judge(&settle);
        assert!(v.retained_bytes > 0 && !v.steady_growth, "{v:?}");
        // Fills over the first 40 of 200 ticks (a fifth), then stops.
        let cache: Vec<i64> = (0..200).map(|i| i.min(40) * 100).collect();
        let v = judge(&cache);
        assert_eq!(
            (v.retained_bytes, v.steady_growth, v.since_tick),
            (0, false, None),
            "{v:?}"
        );
        // A leak that starts at tick 60 of 200 is kept since then.
        let late: Vec<i64> = (0..200).map(|i| (i - 60).max(0) * 16).collect();
        assert_eq!(GrowthCheck::default().judge(&late, 10).since_tick, Some(71));
    }

    #[test]
    fn swings_are_not_growth_and_neither_is_shrinking() {
        let flat = vec![4096i64; 50];
        assert_eq!(
            judge(&flat),
            GrowthVerdict {
                ticks: 50,
                ..GrowthVerdict::default()
            }
        );
        // Fills for 10 ticks, drains, fills again, ending high.
        let saw: Vec<i64> = (0..205).map(|i| (i % 10) * 1000).collect();
        let v = judge(&saw);
        assert_eq!(
            (v.retained_bytes, v.steady_growth, v.since_tick),
            (0, false, None)
        );
        let falling: Vec<i64> = (0..50).map(|i| 10_000 - 10 * i).collect();
        let v = judge(&falling);
        assert!(!v.steady_growth && v.retained_bytes < 0, "{v:?}");
    }

    #[test]
    fn the_threshold_and_too_few_ticks() {
        // Half a byte a tick: kept, but under the default threshold.
        let trickle: Vec<i64> = (0..400).map(|i| i / 2).collect();
        let v = judge(&trickle);
        assert!(v.retained_bytes > 0 && !v.steady_growth, "{v:?}");
        assert!(
            GrowthCheck::default()
                .min_bytes_per_tick(0.25)
                .judge(&trickle, 0)
                .steady_growth
        );
        assert!(!judge(&[0, 100, 200]).steady_growth);
        assert!(!judge(&[]).steady_growth);
    }
}
