//! Deciding, without printing or writing: a metric's value in a row
//! (`metric`), whether a time changed beyond the noise (`time`), every gate
//! applied to a run's phases (`gates`), the pre/post comparison and what one
//! side lacks (`compare`), and which allocation sites changed (`site_diff`).
//!
//! Rule of this folder: pure functions of what `store` kept and `config`
//! says; no process, no file, no terminal.

use std::path::PathBuf;

use crate::judge::gates::GateResult;
use crate::store::run_file::Run;

pub mod compare;
pub mod gates;
pub mod metric;
pub mod site_diff;
pub mod time;

/// A run and what the judge found in it.
pub struct Judged {
    /// The run.
    pub run: Run,
    /// Its run file.
    pub run_file: PathBuf,
    /// Every gate checked (absolute ones, and relative ones against a
    /// baseline).
    pub gates: Vec<GateResult>,
    /// What the baseline had that the run lacks.
    pub missing: Vec<String>,
    /// Whether every scenario and gate passed and nothing is missing.
    pub passed: bool,
}
