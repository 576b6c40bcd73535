//! What a binary's end says about each of its scenarios: the result its
//! record gives, or the crash, timeout or silent exit it died in, or the
//! death after every scenario had reported; and the lines of its run file
//! that were refused (see `records`), said against the scenario they
//! concern.

use std::time::Duration;

use allocguard::_cargo_allocguard::ScenarioRecord;

use crate::runner::binary::Finished;
use crate::runner::records::Problem;
use crate::store::run_file::{ScenarioResult, Status};
use crate::workspace::select::Selected;

/// The most of a crash's output a failure shows: its last lines, each cut
/// to a screenful (the whole is kept in the run file, as `output`).
const TAIL_LINES: usize = 20;
const TAIL_LINE_BYTES: usize = 400;

/// The exit code of a harness whose scenarios did not all pass (libtest's).
const HARNESS_FAILED: i32 = 101;

/// A result from the record the harness wrote.
pub fn from_record(sel: &Selected, r: &ScenarioRecord, fallback: Duration) -> ScenarioResult {
    ScenarioResult {
        package: sel.target.package.clone(),
        target: sel.target.target.clone(),
        name: sel.name.clone(),
        status: if r.passed {
            Status::Passed
        } else {
            Status::Failed
        },
        failure: r.failure.clone(),
        profile: r.profile.clone(),
        duration_ms: r
            .duration_ns
            .map(|ns| ns as f64 / 1e6)
            .unwrap_or(fallback.as_secs_f64() * 1e3),
        leaked: r.leaked.clone(),
        declared_at: None,
        snapshot: r.snapshot,
        output: None,
    }
}

/// The last lines of `s`, each cut to [`TAIL_LINE_BYTES`].
pub fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return "(none: it printed nothing to standard error)".to_string();
    }
    let skipped = lines.len().saturating_sub(TAIL_LINES);
    let mut out: Vec<String> = Vec::new();
    if skipped > 0 {
        out.push(format!(
            "[{skipped} lines before these; the run file keeps them all]"
        ));
    }
    for l in &lines[skipped..] {
        if l.len() <= TAIL_LINE_BYTES {
            out.push(l.to_string());
        } else {
            let mut end = TAIL_LINE_BYTES;
            while !l.is_char_boundary(end) {
                end -= 1;
            }
            out.push(format!(
                "{}… [cut: {} bytes in all; the run file keeps them]",
                &l[..end],
                l.len()
            ));
        }
    }
    out.join("\n")
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    }
}

/// How the binary ended, when not as a harness ends: killed by a signal,
/// or an exit code other than the one its records call for (0 when every
/// scenario passed, libtest's 101 when one failed).
pub fn abnormal_end(finished: &Finished, records: &[&ScenarioRecord]) -> Option<String> {
    if let Some(sig) = finished.signal() {
        return Some(format!("was killed by signal {sig}{}", signal_name(sig)));
    }
    let code = finished.status.and_then(|s| s.code())?;
    let expected = if records.iter().all(|r| r.passed) {
        0
    } else {
        HARNESS_FAILED
    };
    (code != expected)
        .then(|| format!("exited with code {code}, where the harness exits {expected}"))
}

/// The scenario's failure, with the refused lines of the run file that
/// concern it appended: a scenario with any fails.
pub fn with_refused(mut result: ScenarioResult, refused: &[&Problem]) -> ScenarioResult {
    if refused.is_empty() {
        return result;
    }
    if result.status == Status::Passed {
        result.status = Status::Failed;
    }
    let lines: Vec<String> = refused.iter().map(|p| format!("  {p}")).collect();
    let said = format!(
        "lines of its run file were refused (a result counts only as the harness wrote it, \
         sealed with a key only it held):\n{}",
        lines.join("\n")
    );
    result.failure = Some(match result.failure {
        Some(f) => format!("{f}\n\n{said}"),
        None => said,
    });
    result
}

/// The last scenario of a binary that died after every scenario had
/// reported: its result is that death, naming every scenario that ran in
/// the binary, whose results are not trusted.
pub fn died_after(
    mut result: ScenarioResult,
    how: &str,
    ran: &[&str],
    finished: &Finished,
) -> ScenarioResult {
    result.status = Status::Crashed;
    let said = format!(
        "after every scenario had reported, the scenario binary {how}: outside any scenario \
         (an exit handler, a static's destructor, a thread), so the results of the scenarios \
         that ran in it ({}) are not trusted; last output:\n{}",
        ran.join(", "),
        tail(&finished.stderr_of(&result.name))
    );
    result.failure = Some(match result.failure {
        Some(f) => format!("{said}\n\n{f}"),
        None => said,
    });
    result
}

/// A result for a scenario whose process died in it.
pub fn died_in(
    sel: &Selected,
    finished: &Finished,
    timeout: Duration,
    ran_for: Duration,
    declared_at: Option<(String, u32)>,
) -> ScenarioResult {
    let (status, failure) = if finished.timed_out {
        (
            Status::TimedOut,
            format!(
                "killed after the timeout of {} (raise it with --timeout or [run] timeout); \
                 last output:\n{}",
                humantime::format_duration(timeout),
                tail(&finished.stderr_of(&sel.name))
            ),
        )
    } else if let Some(sig) = finished.signal() {
        (
            Status::Crashed,
            format!(
                "the scenario binary was killed by signal {sig}{}; last output:\n{}",
                signal_name(sig),
                tail(&finished.stderr_of(&sel.name))
            ),
        )
    } else {
        (
            Status::Crashed,
            format!(
                "the scenario binary exited ({}) without a result; last output:\n{}",
                finished
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "unknown status".into()),
                tail(&finished.stderr_of(&sel.name))
            ),
        )
    };
    ScenarioResult {
        package: sel.target.package.clone(),
        target: sel.target.target.clone(),
        name: sel.name.clone(),
        status,
        failure: Some(failure),
        profile: None,
        duration_ms: ran_for.as_secs_f64() * 1e3,
        leaked: Vec::new(),
        declared_at,
        snapshot: None,
        output: Some(finished.stderr_of(&sel.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_is_the_last_lines_each_cut_to_a_screenful() {
        let long = "x".repeat(2_000_000);
        let text = format!(
            "{}\n{long}\nlast\n",
            (0..30)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
        let t = tail(&text);
        assert!(t.len() < 2_000, "{}", t.len());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "[12 lines before these; the run file keeps them all]"
        );
        assert_eq!(lines.len(), 21);
        assert!(lines[19].ends_with("… [cut: 2000000 bytes in all; the run file keeps them]"));
        assert_eq!(lines[20], "last");
        assert_eq!(tail("a\n\nb"), "a\nb");
    }
}
