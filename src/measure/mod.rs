//! Reading the counters: [`thread_stats`](stats::thread_stats),
//! [`process_stats`](stats::process_stats), [`measure`](stats::measure),
//! [`measure_process`](stats::measure_process), and the rule that keeps a
//! process-wide region honest inside libtest's `#[test]`s (`libtest`).
//!
//! Rule of this folder: it reads `counters` and nothing above.

pub(crate) mod libtest;
pub(crate) mod stats;
