//! A metric's value in a phase-log row, and the confidence bounds of a
//! time metric from the row's tick histogram.

use allocguard::harness::{Bounds, StepHistogram};

use crate::config::rules::Metric;
use crate::store::phase_log::PhaseRow;

/// What a [`Metric`] measures of a [`PhaseRow`].
pub trait Measured {
    /// Its value in a row; `None` for a column the row's log did not have
    /// yet (the median, before it was recorded).
    fn value(self, row: &PhaseRow) -> Option<f64>;

    /// Confidence bounds, in µs, for the true value of a time metric, from
    /// the row's tick histogram; `None` for counts, for the slowest tick, and
    /// for rows without a histogram.
    fn bounds(self, row: &PhaseRow, confidence: f64) -> Option<Bounds>;
}

impl Measured for Metric {
    fn value(self, row: &PhaseRow) -> Option<f64> {
        Some(match self {
            Metric::Allocs => row.allocs as f64,
            Metric::BytesAllocated => row.bytes_allocated as f64,
            Metric::HotOps => row.hot_ops as f64,
            Metric::GrowthBytes => row.growth_bytes as f64,
            Metric::PeakBytes => row.peak_bytes as f64,
            Metric::LeakBytesPerTick => return row.leak_bytes_per_tick,
            Metric::StepMeanUs => row.step_mean_us,
            Metric::StepP50Us => return row.step_p50_us,
            Metric::StepP95Us => row.step_p95_us,
            Metric::StepMaxUs => row.step_max_us,
        })
    }

    fn bounds(self, row: &PhaseRow, confidence: f64) -> Option<Bounds> {
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
}
