//! JUnit XML: a test case per scenario with its real time and its phase
//! table, a failed gate failing its scenario's case.

use std::path::Path;

use anyhow::{bail, Context};

use crate::judge::gates::GateResult;
use crate::reporter::results::phase_verdict;
use crate::reporter::table::Cell;
use crate::store::run_file::{Run, ScenarioResult, Status};
use crate::units::{bytes, count, duration_ns};

/// Refuses a `--junit` path holding a file that is not a JUnit report (it
/// would be overwritten): checked before the run, and again before writing.
pub fn check_junit_target(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        bail!(
            "--junit {}: that is a directory; give a file path",
            path.display()
        );
    }
    if let Ok(existing) = std::fs::read(path) {
        if !String::from_utf8_lossy(&existing).contains("<testsuites") {
            bail!(
                "--junit {}: the file exists and is not a JUnit report; refusing to overwrite it \
                 (give another path, or remove it)",
                path.display()
            );
        }
    }
    Ok(())
}

/// The phase table of one scenario as plain text, for JUnit's `system-out`.
fn phase_text(s: &ScenarioResult) -> String {
    let Some(p) = &s.profile else {
        return String::new();
    };
    let rows: Vec<Vec<Cell>> = p
        .phases
        .iter()
        .map(|ph| {
            vec![
                Cell::text(&ph.name),
                Cell::num(count(ph.ticks)),
                Cell::num(count(ph.after_warmup.allocs)),
                Cell::num(count(ph.hot_ops)),
                Cell::num(bytes(ph.after_warmup.growth, true)),
                Cell::num(bytes(ph.after_warmup.peak, false)),
                Cell::num(duration_ns(ph.step.p50_ns as f64)),
                Cell::num(duration_ns(ph.step.p95_ns as f64)),
                Cell::text(phase_verdict(s, ph).0),
            ]
        })
        .collect();
    let text = crate::reporter::table::render(
        &[
            "phase", "ticks", "allocs", "hot_ops", "growth", "peak", "p50 step", "p95 step",
            "verdict",
        ],
        &rows,
    );
    format!(
        "{}{}\n",
        anstream::adapter::strip_str(&text),
        crate::reporter::results::WARMUP_NOTE
    )
}

/// Writes a JUnit report: one suite per target, one case per scenario, with
/// its real time and its phase table; a scenario that failed, or whose phase
/// failed a gate, is a `<failure>` (crashed or timed out: an `<error>`) that
/// names the scenario, phase, gate, value and bound. An existing file is
/// replaced only if it is a JUnit report itself.
pub fn write_junit(
    run: &Run,
    gates: &[GateResult],
    missing: &[String],
    path: &Path,
) -> anyhow::Result<()> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    check_junit_target(path)?;
    let mut report = Report::new("allocguard");
    let mut suites: std::collections::BTreeMap<String, TestSuite> = Default::default();
    for s in &run.scenarios {
        let suite_name = format!("{}::{}", s.package, s.target);
        let suite = suites
            .entry(suite_name.clone())
            .or_insert_with(|| TestSuite::new(suite_name.clone()));
        let failed_gates: Vec<&GateResult> = gates
            .iter()
            .filter(|g| !g.passed && g.scenario == s.name && g.package == s.package)
            .collect();
        let gate_text: Vec<String> = failed_gates
            .iter()
            .map(|g| {
                format!(
                    "gate failed: {} › {}: {}",
                    g.scenario,
                    g.phase,
                    g.describe()
                )
            })
            .collect();
        let status = if s.status == Status::Passed && failed_gates.is_empty() {
            TestCaseStatus::success()
        } else {
            let kind = match s.status {
                Status::Crashed | Status::TimedOut => NonSuccessKind::Error,
                _ => NonSuccessKind::Failure,
            };
            let mut st = TestCaseStatus::non_success(kind);
            let (message, ty) = if s.status.is_failure() {
                let first = s
                    .failure
                    .as_deref()
                    .map_or("failed", crate::reporter::results::failure_headline);
                (
                    format!("{} {}: {first}", s.status.label(), s.name),
                    s.status.name(),
                )
            } else {
                (gate_text[0].clone(), "gate")
            };
            st.set_message(message);
            st.set_type(ty);
            let mut description = s.failure.clone().unwrap_or_default();
            for g in &gate_text {
                if !description.is_empty() {
                    description.push('\n');
                }
                description.push_str(g);
            }
            st.set_description(description);
            st
        };
        let mut case = TestCase::new(s.name.clone(), status);
        case.set_classname(suite_name);
        case.set_time(Run::duration_of(s));
        let table = phase_text(s);
        if !table.is_empty() {
            case.set_system_out(table);
        }
        if !s.leaked.is_empty() {
            // Passed, as nextest's leaky tests do, with the processes named.
            case.set_system_err(format!(
                "LEAKY: it left processes running when it ended (allocguard ended them):\n{}\n",
                s.leaked.join("\n")
            ));
        }
        suite.add_test_case(case);
    }
    if !missing.is_empty() {
        // A result the baseline has and this run lacks is a failure of its
        // own: a case per missing result, in a suite of their own.
        let mut suite = TestSuite::new("allocguard::baseline");
        for m in missing {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(m.clone());
            st.set_type("missing");
            let name = crate::store::phase_log::missing_scenario(m).to_string();
            let mut case = TestCase::new(name, st);
            case.set_classname("allocguard::baseline");
            suite.add_test_case(case);
        }
        suites.insert("~baseline".into(), suite);
    }
    report.add_test_suites(suites.into_values());
    let xml = report
        .to_string()
        .context("cannot render the JUnit report")?;
    crate::store::whole_file::write_whole(path, crate::store::whole_file::Existing::Replace, |w| {
        w.write_all(xml.as_bytes())
    })
}
