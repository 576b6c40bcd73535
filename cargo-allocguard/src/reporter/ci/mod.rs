//! CI outputs: GitHub annotations, the step summary, JUnit XML.
//!
//! Every failure gets one annotation, at the first frame of the allocation's
//! call stack that lies inside the workspace (never a file in the cargo
//! registry or the standard library), or at the line that declared the
//! scenario. The step summary lists the failures first, then the table.
//! JUnit has a test case per scenario, with its real time and its phase table
//! in `system-out`; a failed gate fails its scenario's test case.

use std::path::Path;

use crate::judge::gates::GateResult;
use crate::store::run_file::{Run, ScenarioResult, Status};

mod annotations;
mod junit;
pub mod new_sites;
mod place;
pub mod pull_request;
mod step_summary;

pub use annotations::annotations;
pub use junit::{check_junit_target, write_junit};
pub use place::{in_workspace, scenario_place, Place};
pub use step_summary::{append_step_summary, markdown_summary};

/// `s` as the message of a workflow command.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// `s` as a property of a workflow command (`title=`, `file=`).
pub(crate) fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Failed => "failed",
        Status::Crashed => "crashed",
        Status::TimedOut => "timed out",
        Status::Passed => "passed",
    }
}

/// `file=…,line=…,` for a workflow command at `place` (nothing without one);
/// `repo_prefix` is the workspace's place in the repository.
pub(crate) fn location_props(place: Option<Place>, repo_prefix: &str) -> String {
    place
        .map(|p| {
            format!(
                "file={},line={},",
                escape_prop(&format!("{repo_prefix}{}", p.file)),
                p.line
            )
        })
        .unwrap_or_default()
}

/// Where a scenario that left no profile (a crash, a timeout) is declared,
/// as the harness said when it started it.
fn declared_place(s: &ScenarioResult, root: &Path) -> Option<Place> {
    let (file, line) = s.declared_at.as_ref()?;
    Some(Place {
        file: in_workspace(file, root)?,
        line: *line,
    })
}

fn scenario_of<'a>(run: &'a Run, g: &GateResult) -> Option<&'a ScenarioResult> {
    run.scenarios
        .iter()
        .find(|s| s.name == g.scenario && s.package == g.package)
}

/// Whether a failed gate only repeats its scenario's own failure in that
/// phase (heap operations in its hot ticks, memory kept in a bounded phase):
/// the allocation that failed the scenario is also what raised its counts.
/// One failure, one annotation, one summary row.
fn repeats_scenario_failure(run: &Run, g: &GateResult) -> bool {
    scenario_of(run, g)
        .filter(|s| s.status == Status::Failed)
        .and_then(|s| s.profile.as_ref())
        .is_some_and(|p| {
            p.phase(&g.phase).is_some_and(|ph| {
                (!p.expect.violation && ph.hot_ops > 0)
                    || (!p.expect.growth && ph.bounded && ph.growth_check.steady_growth)
            })
        })
}
