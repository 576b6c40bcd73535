//! The results table of a run and the failure details under it.

use allocguard::harness::PhaseProfile;

use crate::gates::GateResult;
use crate::model::{Run, ScenarioResult, Status};
use crate::table::{self, bad, dim, good, warn, Cell};

/// The verdict of one phase, as shown in the table.
pub fn phase_verdict(s: &ScenarioResult, p: &PhaseProfile) -> (String, anstyle::Style) {
    let expect = s.profile.as_ref().map(|p| p.expect).unwrap_or_default();
    if p.hot_violations > 0 {
        return if expect.violation {
            ("caught (expected)".into(), good())
        } else {
            ("HOT ALLOC".into(), bad())
        };
    }
    if p.growth_check.steady_growth {
        return if expect.growth {
            ("growth caught (expected)".into(), good())
        } else if p.bounded {
            ("GROWTH".into(), bad())
        } else {
            ("growing".into(), warn())
        };
    }
    ("ok".into(), good())
}

fn status_cell(status: Status) -> Cell {
    match status {
        Status::Passed => Cell::text("pass").styled(good()),
        Status::Failed => Cell::text("FAIL").styled(bad()),
        Status::Crashed => Cell::text("CRASHED").styled(bad()),
        Status::TimedOut => Cell::text("TIMED OUT").styled(bad()),
    }
}

/// One row per phase; the scenario's name and status on its first row.
pub fn table(run: &Run) -> String {
    let mut rows = Vec::new();
    for s in &run.scenarios {
        let phases = s
            .profile
            .as_ref()
            .map(|p| p.phases.as_slice())
            .unwrap_or(&[]);
        if phases.is_empty() {
            rows.push(vec![
                Cell::text(&s.name),
                status_cell(s.status),
                Cell::text("—").styled(dim()),
                Cell::num(""),
                Cell::num(""),
                Cell::num(""),
                Cell::num(""),
                Cell::num(""),
                Cell::num(""),
                Cell::text("no profile").styled(bad()),
            ]);
            continue;
        }
        for (i, p) in phases.iter().enumerate() {
            let (verdict, style) = phase_verdict(s, p);
            rows.push(vec![
                Cell::text(if i == 0 { s.name.as_str() } else { "" }),
                if i == 0 {
                    status_cell(s.status)
                } else {
                    Cell::text("")
                },
                Cell::text(&p.name),
                Cell::num(p.ticks.to_string()),
                Cell::num(p.allocs.to_string()),
                Cell::num(p.hot_violations.to_string()).styled(if p.hot_violations > 0 {
                    bad()
                } else {
                    dim()
                }),
                Cell::num(table::bytes(p.growth, true)),
                Cell::num(table::bytes(p.peak, false)),
                Cell::num(table::duration_ns(p.step.p95_ns as f64)),
                Cell::text(verdict).styled(style),
            ]);
        }
    }
    table::render(
        &[
            "scenario", "result", "phase", "ticks", "allocs", "hot", "growth", "peak", "p95 step",
            "verdict",
        ],
        &rows,
    )
}

/// The failure messages, one block per failed scenario.
pub fn failure_details(run: &Run) -> String {
    let mut out = String::new();
    for s in run.failures() {
        out.push_str(&format!(
            "\n{}{}{} ({}/{}):\n",
            bad().render(),
            s.name,
            bad().render_reset(),
            s.package,
            s.target
        ));
        let msg = s.failure.as_deref().unwrap_or("(no message)");
        for line in msg.lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Gate results, failed ones first.
pub fn gate_table(results: &[GateResult]) -> String {
    let mut sorted: Vec<&GateResult> = results.iter().collect();
    sorted.sort_by_key(|g| g.passed);
    let rows: Vec<Vec<Cell>> = sorted
        .iter()
        .map(|g| {
            vec![
                Cell::text(&g.scenario),
                Cell::text(&g.phase),
                Cell::text(g.metric),
                Cell::text(&g.rule),
                Cell::num(
                    g.baseline
                        .map(crate::gates::fmt_num)
                        .unwrap_or_else(|| "—".into()),
                ),
                Cell::num(crate::gates::fmt_num(g.value)),
                if g.passed {
                    Cell::text("pass").styled(good())
                } else {
                    Cell::text("FAIL").styled(bad())
                },
            ]
        })
        .collect();
    table::render(
        &[
            "scenario", "phase", "metric", "gate", "baseline", "value", "result",
        ],
        &rows,
    )
}

/// `N scenarios: P passed, F failed` and the gate count.
pub fn summary_line(run: &Run, gates: &[GateResult], elapsed_s: f64) -> String {
    let failed = run.failures().count();
    let gates_failed = gates.iter().filter(|g| !g.passed).count();
    let verdict = if failed == 0 && gates_failed == 0 {
        format!("{}PASS{}", good().render(), good().render_reset())
    } else {
        format!("{}FAIL{}", bad().render(), bad().render_reset())
    };
    format!(
        "{verdict}: {} scenarios, {} passed, {} failed; {} gates checked, {} failed ({elapsed_s:.1} s)\n",
        run.scenarios.len(),
        run.scenarios.len() - failed,
        failed,
        gates.len(),
        gates_failed,
    )
}
