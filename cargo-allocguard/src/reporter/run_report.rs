//! What `run` (and `run --baseline`) says when its scenarios are done: the
//! results table, the failures and gates under it, the verdict line, and in
//! CI the annotations, the step summary and JUnit.

use std::io::Write;
use std::path::Path;

use crate::config::env::github_actions;
use crate::error::{CliResult, WithCode};
use crate::judge::gates::GateResult;
use crate::reporter::table::terminal_width;
use crate::reporter::wrap::wrap;
use crate::reporter::{ci, results, Output};
use crate::store::run_file::Run;
use crate::workspace::git::repo_prefix;

/// What a run found: its results, the gates checked, and what the
/// baseline has that the run lacks.
pub struct Outcome<'a> {
    /// The run.
    pub run: &'a Run,
    /// Every gate checked.
    pub gates: &'a [GateResult],
    /// Missing results, against the baseline.
    pub missing: &'a [String],
    /// List the sites under each phase that recorded them.
    pub show_sites: bool,
}

impl Outcome<'_> {
    /// Whether every scenario and gate passed and nothing is missing.
    pub fn passed(&self) -> bool {
        self.run.failures().next().is_none()
            && self.gates.iter().all(|g| g.passed)
            && self.missing.is_empty()
    }
}

/// Prints the results, the failures and the gates; writes the CI outputs
/// (annotations and the step summary when `github` and on GitHub Actions;
/// `ci`: the run is CI's, which writes no snapshots).
pub fn report(
    outcome: &Outcome<'_>,
    root: &Path,
    ci: bool,
    github: bool,
    junit: Option<&Path>,
    elapsed: f64,
    out: &Output,
) -> CliResult<bool> {
    let Outcome {
        run,
        gates,
        missing,
        show_sites,
    } = *outcome;
    let mut stdout = out.stdout();
    if !out.quiet {
        let _ = write!(
            stdout,
            "{}",
            results::table(run, terminal_width(), show_sites)
        );
    }
    let _ = write!(stdout, "{}", wrap(&results::failure_details(run, !ci), 2));
    let _ = write!(
        stdout,
        "{}",
        wrap(&results::gate_lines(gates, out.verbose > 0), 4)
    );
    if !missing.is_empty() {
        let _ = writeln!(stdout, "\nmissing results (against the baseline):");
        for m in missing {
            let _ = writeln!(stdout, "  FAIL {m}");
        }
    }
    let _ = write!(
        stdout,
        "\n{}",
        wrap(&results::summary_line(run, gates, missing, elapsed, ci), 2)
    );
    if github && github_actions() {
        let prefix = repo_prefix(root);
        let _ = write!(
            stdout,
            "{}",
            ci::annotations(run, gates, missing, root, &prefix)
        );
        ci::append_step_summary(&ci::markdown_summary(run, gates, missing, root)).infra_err()?;
    }
    if let Some(path) = junit {
        ci::write_junit(run, gates, missing, path).usage_err()?;
    }
    Ok(outcome.passed())
}
