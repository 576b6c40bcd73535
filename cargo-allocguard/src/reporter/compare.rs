//! How a comparison reads: by scenario, a one-line verdict each, then the
//! rows that failed a gate or changed (every row with `--all`), values in
//! counts, sizes and durations, deltas coloured (red up, green down: for
//! every metric here, less is better). The markdown form is what the
//! workflow puts in a pull request's job summary.

use crate::judge::compare::{Comparison, MetricRow};
use crate::judge::gates::GateResult;
use crate::judge::site_diff::{self, Change};
use crate::reporter::table::{bad, dim, good, render_rows, warn, Cell, Row};
use crate::reporter::wrap::{width, wrap};
use crate::units::plural;

/// `3 runs` from comma-separated run ids.
fn runs(ids: &str) -> String {
    plural(ids.split(", ").filter(|s| !s.is_empty()).count(), "run")
}

/// `+12.3%`, or `—`.
fn pct(v: Option<f64>) -> String {
    match v {
        Some(p) if p.is_finite() => format!("{p:+.1}%"),
        _ => "—".into(),
    }
}

/// A row's delta in its metric's unit, signed.
fn delta(r: &MetricRow) -> String {
    match r.delta {
        None => "—".into(),
        Some(d) => {
            let m = r.metric();
            let shown = m.show(d.abs());
            if d > 0.0 {
                format!("+{shown}")
            } else if d < 0.0 {
                format!("-{shown}")
            } else {
                "0".into()
            }
        }
    }
}

fn value(r: &MetricRow, v: Option<f64>) -> String {
    v.map(|v| r.metric().show(v)).unwrap_or_else(|| "—".into())
}

/// Each gate's rule and verdict, without its detail: `≤ +50% FAIL`.
fn gate_verdicts(g: &[GateResult]) -> String {
    g.iter()
        .map(|g| format!("{} {}", g.rule, if g.passed { "pass" } else { "FAIL" }))
        .collect::<Vec<_>>()
        .join("; ")
}

fn gate_text(g: &[GateResult]) -> String {
    g.iter()
        .map(|g| {
            format!(
                "{} {}{}",
                g.rule,
                if g.passed { "pass" } else { "FAIL" },
                g.detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A row's PRE, POST, Δ, Δ% and gates, as shown.
pub fn cells(r: &MetricRow) -> [String; 5] {
    [
        value(r, r.pre),
        value(r, r.post),
        delta(r),
        pct(r.delta_pct),
        gate_text(&r.gates),
    ]
}

/// One scenario's rows, in order.
struct Group<'a> {
    scenario: &'a str,
    package: &'a str,
    rows: Vec<&'a MetricRow>,
}

impl Group<'_> {
    fn failed_gates(&self) -> usize {
        self.rows
            .iter()
            .map(|r| r.gates.iter().filter(|g| !g.passed).count())
            .sum()
    }

    fn changes(&self) -> usize {
        self.rows.iter().filter(|r| r.changed).count()
    }

    /// `FAIL (2 gates failed, 5 changes)`, `pass (3 changes)`, `pass,
    /// unchanged`; `missing`: a result of it is missing; `new_sites`: its
    /// sites that failed the `new_sites` gate.
    fn verdict(&self, missing: bool, new_sites: usize) -> (bool, String) {
        let (failed, changes) = (self.failed_gates(), self.changes());
        let mut parts = Vec::new();
        if failed > 0 {
            parts.push(format!("{} failed", plural(failed, "gate")));
        }
        if new_sites > 0 {
            parts.push(plural(new_sites, "new allocation site"));
        }
        if missing {
            parts.push("a result missing".to_string());
        }
        if changes > 0 {
            parts.push(plural(changes, "change"));
        }
        let ok = failed == 0 && !missing && new_sites == 0;
        let text = match (ok, parts.is_empty()) {
            (true, true) => "pass, unchanged".to_string(),
            (true, false) => format!("pass ({})", parts.join(", ")),
            (false, _) => format!("FAIL ({})", parts.join(", ")),
        };
        (ok, text)
    }

    fn shown(&self, all: bool) -> Vec<&MetricRow> {
        self.rows
            .iter()
            .copied()
            .filter(|r| all || r.changed || r.failed())
            .collect()
    }
}

fn groups(c: &Comparison) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    for r in &c.rows {
        match out.last_mut() {
            Some(g) if g.scenario == r.scenario && g.package == r.package => g.rows.push(r),
            _ => out.push(Group {
                scenario: &r.scenario,
                package: &r.package,
                rows: vec![r],
            }),
        }
    }
    out
}

/// A group's verdict in `c` (see [`Group::verdict`]).
fn standing(c: &Comparison, g: &Group<'_>) -> (bool, String) {
    let missing = c
        .missing
        .iter()
        .any(|m| m.starts_with(&format!("{} ", g.scenario)));
    let new_sites = c
        .gated_sites()
        .filter(|s| s.scenario == g.scenario && s.package == g.package)
        .count();
    g.verdict(missing, new_sites)
}

fn verdict(c: &Comparison) -> String {
    let n: usize = c.rows.iter().map(|r| r.gates.len()).sum();
    let failed: usize = c
        .rows
        .iter()
        .map(|r| r.gates.iter().filter(|g| !g.passed).count())
        .sum();
    let gs = groups(c);
    let changed = gs.iter().filter(|g| g.changes() > 0).count();
    let new_sites = c.gated_sites().count();
    let mut v = format!(
        "{}: {} checked, {failed} failed; {changed} of {} changed",
        if c.passed { "PASS" } else { "FAIL" },
        plural(n, "gate"),
        plural(gs.len(), "scenario")
    );
    if !c.missing.is_empty() {
        v.push_str(&format!("; {} missing", c.missing.len()));
    }
    if new_sites > 0 {
        v.push_str(&format!(
            "; {} in hot or bounded phases (new_sites)",
            plural(new_sites, "new allocation site")
        ));
    }
    v
}

/// The comparison for people.
pub fn human(c: &Comparison, all: bool) -> String {
    let mut s = format!(
        "{} ({}) → {} ({})\n",
        c.pre.0,
        runs(&c.pre.1),
        c.post.0,
        runs(&c.post.1)
    );
    if let Some(note) = &c.compiler_note {
        s.push_str(&format!("{}\n", wrap(note, 2)));
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut quiet = 0;
    for g in groups(c) {
        let (ok, text) = standing(c, &g);
        if !all && ok && g.shown(false).is_empty() {
            quiet += 1;
            continue;
        }
        let style = if ok { good() } else { bad() };
        rows.push(Row::Span(Cell::text(wrap(
            &format!(
                "{}{}{}  {}",
                style.render(),
                g.scenario,
                style.render_reset(),
                text
            ),
            2,
        ))));
        for r in g.shown(all) {
            let d_style = match r.delta {
                Some(x) if x > 0.0 => bad(),
                Some(x) if x < 0.0 => good(),
                _ => dim(),
            };
            // The table keeps each gate's verdict; what it measured goes on
            // a line of its own under the row, so the table fits 80 columns.
            let gate = Cell::text(gate_verdicts(&r.gates));
            rows.push(Row::Cells(vec![
                Cell::text(format!("  {}", r.phase)),
                Cell::text(r.metric),
                Cell::num(value(r, r.pre)),
                Cell::num(value(r, r.post)),
                Cell::num(delta(r)).styled(d_style),
                Cell::num(pct(r.delta_pct)).styled(d_style),
                if r.gates.is_empty() {
                    gate
                } else if r.failed() {
                    gate.styled(bad())
                } else {
                    gate.styled(dim())
                },
            ]));
            for g in r.gates.iter().filter(|g| !g.passed || all) {
                if let Some(d) = &g.detail {
                    rows.push(Row::Span(
                        Cell::text(wrap(&format!("      {} {}: {d}", r.metric, g.rule), 4))
                            .styled(if g.passed { dim() } else { bad() }),
                    ));
                }
            }
        }
    }
    s.push('\n');
    if rows.is_empty() {
        s.push_str(&format!(
            "{}: pass, unchanged (--all lists every row)\n",
            plural(quiet, "scenario")
        ));
    } else {
        s.push_str(&table(c, &rows));
        if quiet > 0 {
            s.push_str(&format!(
                "{}{} pass, unchanged (--all lists them){}\n",
                dim().render(),
                plural(quiet, "more scenario"),
                dim().render_reset()
            ));
        }
    }
    if !c.sites.is_empty() {
        s.push_str("\nallocation sites:\n");
        for sc in &c.sites {
            let style = match sc.change {
                Change::New => bad(),
                Change::Gone => good(),
                Change::Changed => warn(),
            };
            let line = format!(
                "  {}{} › {}: {}{}{}",
                if sc.gated { "FAIL new_sites: " } else { "" },
                sc.scenario,
                sc.phase,
                style.render(),
                site_diff::line(sc),
                style.render_reset()
            );
            s.push_str(&wrap(&line, 4));
            s.push('\n');
        }
    }
    let note = (warn(), "note");
    listed(
        &mut s,
        "missing, allowed by [compare] allow_missing in allocguard.toml",
        note,
        &c.allowed_missing,
    );
    listed(&mut s, "not compared", note, &c.unjudged);
    listed(&mut s, "missing results", (bad(), "FAIL"), &c.missing);
    s.push_str(&format!("\n{}\n", wrap(&verdict(c), 2)));
    s
}

/// A heading and its items, each flagged (`note`, `FAIL`) and wrapped;
/// nothing without items.
fn listed(s: &mut String, heading: &str, (style, flag): (anstyle::Style, &str), items: &[String]) {
    if items.is_empty() {
        return;
    }
    s.push_str(&format!("\n{heading}:\n"));
    for m in items {
        let line = format!("  {}{flag}{} {m}", style.render(), style.render_reset());
        s.push_str(&wrap(&line, 4));
        s.push('\n');
    }
}

fn table(c: &Comparison, rows: &[Row]) -> String {
    render_rows(
        &[
            "scenario / phase",
            "metric",
            &c.pre.0,
            &c.post.0,
            "Δ",
            "Δ%",
            "gates",
        ],
        rows,
        Some(width()),
        &[],
    )
    .0
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The comparison as markdown, for a pull request's job summary.
pub fn markdown(c: &Comparison, all: bool) -> String {
    let mut s = format!(
        "### allocguard: `{}` → `{}`\n\n**{}**\n",
        c.pre.0,
        c.post.0,
        verdict(c)
    );
    if let Some(note) = &c.compiler_note {
        s.push_str(&format!("\n{note}\n"));
    }
    // What failed comes first: each failed gate with its value and bound,
    // then the results that are missing.
    let failed: Vec<&GateResult> = c
        .rows
        .iter()
        .flat_map(|r| r.gates.iter())
        .filter(|g| !g.passed)
        .collect();
    if !failed.is_empty() {
        s.push_str("\n**Failed gates**\n\n");
        for g in failed {
            s.push_str(&format!(
                "- `{}` › `{}`: {}\n",
                md_cell(&g.scenario),
                md_cell(&g.phase),
                md_cell(&g.describe())
            ));
        }
    }
    s.push_str(&crate::reporter::ci::new_sites::markdown(c));
    if !c.missing.is_empty() {
        s.push_str("\n**Missing results**\n\n");
        for m in &c.missing {
            s.push_str(&format!("- {}\n", md_cell(m)));
        }
    }
    if !c.allowed_missing.is_empty() {
        s.push_str("\n**Missing, allowed by `[compare] allow_missing`**\n\n");
        for m in &c.allowed_missing {
            s.push_str(&format!("- {}\n", md_cell(m)));
        }
    }
    if !c.unjudged.is_empty() {
        s.push_str("\n**Not compared**\n\n");
        for m in &c.unjudged {
            s.push_str(&format!("- {}\n", md_cell(m)));
        }
    }
    s.push_str(&markdown_details(c, all));
    s
}

/// The comparison's tables, without its verdict and failure lists: each
/// scenario's verdict, the rows that changed or failed (every row with
/// `all`), and the allocation sites that changed.
pub fn markdown_details(c: &Comparison, all: bool) -> String {
    let mut s = String::new();
    s.push_str("\n| scenario | verdict |\n| --- | --- |\n");
    let gs = groups(c);
    let mut quiet = 0;
    for g in &gs {
        let (ok, text) = standing(c, g);
        if !all && ok && g.shown(false).is_empty() {
            quiet += 1;
            continue;
        }
        s.push_str(&format!(
            "| {} | {}{} |\n",
            md_cell(g.scenario),
            if ok { "" } else { "❌ " },
            text
        ));
    }
    if quiet > 0 {
        let listed = quiet < gs.len();
        s.push_str(&format!(
            "| {} | pass, unchanged |\n",
            plural(quiet, if listed { "more scenario" } else { "scenario" })
        ));
    }
    let rows: Vec<(&Group<'_>, &MetricRow)> = gs
        .iter()
        .flat_map(|g| g.shown(all).into_iter().map(move |r| (g, r)))
        .collect();
    if !rows.is_empty() {
        s.push_str(&format!(
            "\n| scenario | phase | metric | {} | {} | Δ | Δ% | gates |\n| --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n",
            md_cell(&c.pre.0),
            md_cell(&c.post.0)
        ));
        for (g, r) in rows {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                md_cell(g.scenario),
                md_cell(&r.phase),
                r.metric,
                value(r, r.pre),
                value(r, r.post),
                delta(r),
                pct(r.delta_pct),
                md_cell(&gate_text(&r.gates))
            ));
        }
    }
    if !c.sites.is_empty() {
        s.push_str("\n**Allocation sites**\n\n| scenario | phase | site |\n| --- | --- | --- |\n");
        for sc in &c.sites {
            s.push_str(&format!(
                "| {} | {} | {} |\n",
                md_cell(&sc.scenario),
                md_cell(&sc.phase),
                md_cell(&site_diff::line(sc))
            ));
        }
    }
    s
}

/// `::error` workflow commands for GitHub Actions: one per phase whose gates
/// failed (every failed gate of it in one message) and one per missing
/// result, at the scenario's declaration when the post run's file says where
/// it is (`repo_prefix`: the workspace's place in the repository).
pub fn annotations(
    c: &Comparison,
    post: Option<&crate::store::run_file::Run>,
    workspace_root: &std::path::Path,
    repo_prefix: &str,
) -> String {
    use crate::reporter::ci::{escape_data, escape_prop, location_props, scenario_place};
    let location = |scenario: &str| {
        let place = post
            .and_then(|run| run.scenarios.iter().find(|s| s.name == scenario))
            .and_then(|s| s.profile.as_ref())
            .and_then(|p| scenario_place(p, workspace_root));
        location_props(place, repo_prefix)
    };
    let mut out = String::new();
    let failed: Vec<&GateResult> = c
        .rows
        .iter()
        .flat_map(|r| r.gates.iter())
        .filter(|g| !g.passed)
        .collect();
    let mut phases: Vec<(&str, &str)> = Vec::new();
    for g in &failed {
        if !phases.contains(&(g.scenario.as_str(), g.phase.as_str())) {
            phases.push((g.scenario.as_str(), g.phase.as_str()));
        }
    }
    for (scenario, phase) in phases {
        let of_phase: Vec<&&GateResult> = failed
            .iter()
            .filter(|g| g.scenario == scenario && g.phase == phase)
            .collect();
        let metrics: Vec<&str> = of_phase.iter().map(|g| g.metric).collect();
        let described: Vec<String> = of_phase.iter().map(|g| g.describe()).collect();
        out.push_str(&format!(
            "::error {}title={}::{}\n",
            location(scenario),
            escape_prop(&format!(
                "allocguard regression: {scenario} › {phase} {} ({} → {})",
                metrics.join(", "),
                c.pre.0,
                c.post.0
            )),
            escape_data(&format!("{scenario} › {phase}: {}", described.join("; ")))
        ));
    }
    out.push_str(&crate::reporter::ci::new_sites::annotations(
        c,
        workspace_root,
        repo_prefix,
    ));
    for m in &c.missing {
        let scenario = crate::store::phase_log::missing_scenario(m);
        out.push_str(&format!(
            "::error {}title={}::{}\n",
            location(scenario),
            escape_prop(&format!(
                "allocguard: a result is missing in `{}`",
                c.post.0
            )),
            escape_data(m)
        ));
    }
    out
}

#[cfg(test)]
mod tests;
