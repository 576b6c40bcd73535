//! The results table of a run, the failure details and failed gates under
//! it, and the one-line verdict.

use allocguard::harness::PhaseProfile;

use crate::judge::gates::GateResult;
use crate::reporter::table::{self, bad, dim, good, warn, Cell, Row};
use crate::store::run_file::{Run, ScenarioResult, Status};
use crate::units::{bytes, count, duration_ns, plural};

/// The verdict of one phase, as shown in the table: `ok`, `HOT OPS`
/// (armed ticks used the heap), `GROWTH` (a bounded phase kept memory tick
/// after tick), `grows` (one declared to grow did), `growing` (one that
/// declared neither did: the `leak_bytes_per_tick` gate judges it), `caught` (what the scenario expects to
/// be caught was).
pub fn phase_verdict(s: &ScenarioResult, p: &PhaseProfile) -> (String, anstyle::Style) {
    let expect = s.profile.as_ref().map(|p| p.expect).unwrap_or_default();
    if p.hot_ops > 0 {
        return if expect.violation {
            ("caught".into(), good())
        } else {
            ("HOT OPS".into(), bad())
        };
    }
    if p.growth_check.steady_growth {
        return if expect.growth {
            ("caught".into(), good())
        } else if p.grows {
            ("grows".into(), good())
        } else if p.bounded {
            ("GROWTH".into(), bad())
        } else {
            ("growing".into(), warn())
        };
    }
    ("ok".into(), good())
}

fn status_style(status: Status) -> anstyle::Style {
    if status.is_failure() {
        bad()
    } else {
        good()
    }
}

/// The line of a failure message that says what went wrong: the first one
/// that is not the `scenario `x` failed (debug build, smoke scale):`
/// heading, without a trailing `; last output:` (the output follows it).
pub fn failure_headline(failure: &str) -> &str {
    failure
        .lines()
        .map(str::trim)
        .find(|l| {
            let heading = l.starts_with("scenario `") && l.ends_with(':');
            !l.is_empty() && !heading
        })
        .map(|l| l.strip_suffix("; last output:").unwrap_or(l))
        .unwrap_or("failed")
}

/// What the tables' counts are (what gates, snapshots and the phase log
/// read too); short enough for a 60-column terminal.
pub const WARMUP_NOTE: &str = "allocs, growth, peak: the ticks after warm-up";

const HEADER: [&str; 8] = [
    "scenario / phase",
    "ticks",
    "allocs",
    "hot_ops",
    "growth",
    "peak",
    "p95 step",
    "verdict",
];

/// Columns left out, in this order, when the table would be wider than the
/// terminal: ticks, then peak, then p95 step.
const DROPPABLE: [usize; 3] = [1, 5, 6];

/// Sites listed under a phase in the table.
const TABLE_SITES: usize = 5;

/// Each scenario on a line of its own (status and name), its phases under
/// it, and with `show_sites` the busiest sites of phases that recorded them;
/// no wider than `width` when given (see [`table::render_rows`]).
pub fn table(run: &Run, width: Option<usize>, show_sites: bool) -> String {
    let mut rows = Vec::new();
    for s in &run.scenarios {
        let style = if s.label() == s.status.label() {
            status_style(s.status)
        } else {
            warn()
        };
        let heading = format!(
            "{}{}{} {}",
            style.render(),
            s.label(),
            style.render_reset(),
            s.name
        );
        let phases = s
            .profile
            .as_ref()
            .map(|p| p.phases.as_slice())
            .unwrap_or(&[]);
        if phases.is_empty() {
            rows.push(Row::Span(Cell::text(format!(
                "{heading}: no profile (see below)"
            ))));
            continue;
        }
        rows.push(Row::Span(Cell::text(heading)));
        for p in phases {
            let (verdict, style) = phase_verdict(s, p);
            rows.push(Row::Cells(vec![
                Cell::text(format!("  {}", p.name)),
                Cell::num(count(p.ticks)),
                Cell::num(count(p.after_warmup.allocs)),
                Cell::num(count(p.hot_ops)).styled(if p.hot_ops > 0 { bad() } else { dim() }),
                Cell::num(bytes(p.after_warmup.growth, true)),
                Cell::num(bytes(p.after_warmup.peak, false)),
                Cell::num(duration_ns(p.step.p95_ns as f64)),
                Cell::text(verdict).styled(style),
            ]));
            if let Some(sites) = p.sites.as_ref().filter(|_| show_sites) {
                rows.extend(site_rows(&sites.sites, sites.sites.ticks, width));
            }
        }
    }
    let (mut text, dropped) = table::render_rows(&HEADER, &rows, width, &DROPPABLE);
    let warmed = run
        .scenarios
        .iter()
        .filter_map(|s| s.profile.as_ref())
        .any(|p| p.phases.iter().any(|ph| ph.warmup_ticks > 0));
    if warmed {
        text.push_str(&format!(
            "{}({}){}\n",
            dim().render(),
            WARMUP_NOTE,
            dim().render_reset()
        ));
    }
    if !dropped.is_empty() {
        text.push_str(&format!(
            "{}(left out to fit {} columns: {}){}\n",
            dim().render(),
            width.unwrap_or_default(),
            dropped.join(", "),
            dim().render_reset()
        ));
    }
    text
}

/// One row per listed site, then one for the rest.
fn site_rows(sites: &allocguard::Sites, ticks: u64, width: Option<usize>) -> Vec<Row> {
    if sites.distinct == 0 {
        return vec![Row::Span(
            Cell::text("      no heap operation after warm-up").styled(dim()),
        )];
    }
    // Two lines a site, each cut to the terminal: where, then what.
    let fit = |text: String| match width {
        Some(w) if text.chars().count() > w => {
            text.chars().take(w.saturating_sub(1)).collect::<String>() + "…"
        }
        _ => text,
    };
    let mut rows: Vec<Row> = Vec::new();
    for s in sites.sites.iter().take(TABLE_SITES) {
        rows.push(Row::Span(
            Cell::text(fit(format!("      {}", s.place()))).styled(dim()),
        ));
        rows.push(Row::Span(
            Cell::text(fit(format!("        {}", s.counts.summary(ticks)))).styled(dim()),
        ));
    }
    let more = sites.distinct.saturating_sub(TABLE_SITES as u64);
    if more > 0 {
        rows.push(Row::Span(
            Cell::text(format!(
                "      … {} more (the report lists {})",
                plural(more as usize, "site"),
                sites.sites.len()
            ))
            .styled(dim()),
        ));
    }
    rows
}

/// The failure messages, one block per failed scenario; with `brief_new`,
/// none for a scenario whose only failure is a new snapshot (the verdict's
/// line says how to review those).
pub fn failure_details(run: &Run, brief_new: bool) -> String {
    let mut out = String::new();
    for s in run
        .failures()
        .filter(|s| !(brief_new && s.only_new_snapshot()))
    {
        let style = if s.only_new_snapshot() { warn() } else { bad() };
        out.push_str(&format!(
            "\n{}{} {}{} ({}, test target {}):\n",
            style.render(),
            s.label(),
            s.name,
            style.render_reset(),
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
    for s in run.scenarios.iter().filter(|s| !s.leaked.is_empty()) {
        out.push_str(&format!(
            "\n{}LEAKY {}{}: it left processes running when it ended (allocguard ended them):\n",
            warn().render(),
            s.name,
            warn().render_reset()
        ));
        for p in &s.leaked {
            out.push_str(&format!("  {p}\n"));
        }
    }
    out
}

/// Failed gates, one line each (`all`: every gate checked, failed first).
pub fn gate_lines(gates: &[GateResult], all: bool) -> String {
    let mut sorted: Vec<&GateResult> = gates.iter().filter(|g| all || !g.passed).collect();
    sorted.sort_by_key(|g| g.passed);
    if sorted.is_empty() {
        return String::new();
    }
    let mut out = format!("\n{}:\n", if all { "gates" } else { "failed gates" });
    for g in sorted {
        let (label, style) = if g.passed {
            ("pass", good())
        } else {
            ("FAIL", bad())
        };
        out.push_str(&format!(
            "  {}{label}{} {} › {}: {}\n",
            style.render(),
            style.render_reset(),
            g.scenario,
            g.phase,
            g.describe()
        ));
    }
    out
}

/// `PASS: 19 scenarios, 19 passed, 0 failed; 165 gates checked, 0 failed (14.6 s)`.
/// With `missing` (results the baseline has and this run does not, each a
/// failure): `FAIL: …; 1 result missing against the baseline (14.6 s)`.
/// Scenarios whose only failure is a new snapshot are counted apart, and
/// when they are all there is, the verdict is `NEW`, followed by the
/// command that reviews them (`ci`: what to do in CI instead).
pub fn summary_line(
    run: &Run,
    gates: &[GateResult],
    missing: &[String],
    elapsed_s: f64,
    ci: bool,
) -> String {
    let new = run
        .scenarios
        .iter()
        .filter(|s| s.only_new_snapshot())
        .count();
    let failed = run.failures().count() - new;
    let gates_failed = gates.iter().filter(|g| !g.passed).count();
    let verdict = if failed > 0 || gates_failed > 0 || !missing.is_empty() {
        format!("{}FAIL{}", bad().render(), bad().render_reset())
    } else if new > 0 {
        format!("{}NEW{}", warn().render(), warn().render_reset())
    } else {
        format!("{}PASS{}", good().render(), good().render_reset())
    };
    let missing_text = if missing.is_empty() {
        String::new()
    } else {
        format!(
            "; {} missing against the baseline",
            plural(missing.len(), "result")
        )
    };
    let new_text = if new == 0 {
        String::new()
    } else {
        format!(", {new} new")
    };
    let mut line = format!(
        "{verdict}: {}, {} passed, {} failed{new_text}; {} checked, {} failed{missing_text} \
         ({elapsed_s:.1} s)\n",
        plural(run.scenarios.len(), "scenario"),
        count((run.scenarios.len() - failed - new) as u64),
        count(failed as u64),
        plural(gates.len(), "gate"),
        count(gates_failed as u64),
    );
    if new > 0 {
        line.push_str(&new_snapshots_hint(new, ci));
    }
    line
}

/// What to do with `new` scenarios' new snapshots: review them here; in
/// CI, where nothing is written, record them on a machine and commit them.
pub fn new_snapshots_hint(new: usize, ci: bool) -> String {
    let them = if new == 1 { "it" } else { "them" };
    if ci {
        format!(
            "{} not recorded yet (CI writes none): run `cargo allocguard run` \
             locally, review {them} and commit snapshots/\n",
            plural(new, "snapshot")
        )
    } else {
        format!(
            "{} to review: `cargo allocguard review` shows {them}, \
             `--accept` accepts {them}; then commit snapshots/\n",
            plural(new, "new snapshot")
        )
    }
}
