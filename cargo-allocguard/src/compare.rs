//! `cargo allocguard compare PRE POST`: seed 002's pre/post protocol. The
//! latest run of each label, paired by scenario × phase, every gate applied
//! (counts exactly, times with tolerance), both values side by side.

use std::io::Write;

use anyhow::anyhow;

use crate::cli::{CompareArgs, Format};
use crate::error::{CliError, CliResult, WithCode};
use crate::gates::{fmt_num, over_repeats, GateResult, Metric};
use crate::phase_log::{self, PhaseRow};
use crate::run_cmd::{load_config, phase_log_path};
use crate::table::{bad, good, render, Cell};
use crate::Output;

/// One metric of one phase, before and after.
#[derive(Debug, serde::Serialize)]
pub struct MetricRow {
    /// Scenario.
    pub scenario: String,
    /// Phase.
    pub phase: String,
    /// Metric name.
    pub metric: &'static str,
    /// Value under PRE (absent when the phase is new); over repeats, the
    /// median of times and the highest count.
    pub pre: Option<f64>,
    /// Value under POST (absent when the phase is gone).
    pub post: Option<f64>,
    /// POST − PRE.
    pub delta: Option<f64>,
    /// Relative change, percent.
    pub delta_pct: Option<f64>,
    /// Gates checked on this metric.
    pub gates: Vec<GateResult>,
}

/// The whole comparison.
#[derive(Debug, serde::Serialize)]
pub struct Comparison {
    /// The PRE label and its runs (ids, comma-separated: repeats of one
    /// revision when more than one).
    pub pre: (String, String),
    /// The POST label and its runs.
    pub post: (String, String),
    /// Every metric of every paired phase.
    pub rows: Vec<MetricRow>,
    /// Results PRE has and POST does not: a phase gone, a scenario that
    /// crashed or timed out. Each one fails the comparison.
    pub missing: Vec<String>,
    /// What the two sides were built with, when the compilers differ.
    pub compiler_note: Option<String>,
    /// Whether every gate passed and nothing is missing.
    pub passed: bool,
}

/// What POST lacks of PRE: phases gone, and (with `crashes`) scenarios that
/// left no profile.
pub fn missing_results(pre: &[&PhaseRow], post: &[&PhaseRow], crashes: bool) -> Vec<String> {
    let mut out = Vec::new();
    for r in post.iter().filter(|r| crashes && r.is_missing_result()) {
        let text = format!(
            "{} ({}) {} in the post run: it has no result, so no gate could be applied",
            r.scenario,
            r.package,
            if r.status == "timed_out" {
                "timed out"
            } else {
                "crashed"
            }
        );
        if !out.contains(&text) {
            out.push(text);
        }
    }
    for r in pre.iter().filter(|r| !r.is_missing_result()) {
        let same_scenario = |p: &&&PhaseRow| p.package == r.package && p.scenario == r.scenario;
        if post
            .iter()
            .filter(same_scenario)
            .any(|p| p.is_missing_result())
        {
            continue; // said above
        }
        if !post
            .iter()
            .filter(same_scenario)
            .any(|p| p.phase == r.phase)
        {
            let text = format!(
                "{} › {} ({}) is in the pre run and missing in the post run (renamed or \
                 deleted?): a missing result is a failure",
                r.scenario, r.phase, r.package
            );
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
    out
}

/// A note when the two sides were built by different compilers.
fn compiler_note(pre: &[&PhaseRow], post: &[&PhaseRow]) -> Option<String> {
    let one = |set: &[&PhaseRow]| {
        let mut v: Vec<&str> = set
            .iter()
            .map(|r| r.rustc.as_str())
            .filter(|r| !r.is_empty())
            .collect();
        v.sort_unstable();
        v.dedup();
        v.join(" and ")
    };
    let (a, b) = (one(pre), one(post));
    (!a.is_empty() && !b.is_empty() && a != b).then(|| {
        format!(
            "note: the pre run was built with rustc {a}, the post run with rustc {b}: counts \
             can change between compilers"
        )
    })
}

/// Pairs and gates the two runs.
pub fn compare(
    rows: &[PhaseRow],
    pre_label: &str,
    post_label: &str,
    gates: &crate::gates::Gates,
) -> anyhow::Result<Comparison> {
    let pre = phase_log::latest_runs(rows, pre_label);
    let post = phase_log::latest_runs(rows, post_label);
    for (label, set) in [(pre_label, &pre), (post_label, &post)] {
        if set.is_empty() {
            return Err(anyhow!(
                "no run labelled `{label}` in the phase log; labels there: {}",
                phase_log::labels(rows).join(", ")
            ));
        }
    }
    let key = |r: &PhaseRow| (r.package.clone(), r.scenario.clone(), r.phase.clone());
    let mut keys: Vec<(String, String, String)> = Vec::new();
    for r in pre.iter().chain(&post).filter(|r| !r.is_missing_result()) {
        if !keys.contains(&key(r)) {
            keys.push(key(r));
        }
    }
    let missing = missing_results(&pre, &post, true);
    let mut out = Vec::new();
    let mut passed = true;
    for k in keys {
        let a: Vec<&PhaseRow> = pre.iter().filter(|r| key(r) == k).copied().collect();
        let b: Vec<&PhaseRow> = post.iter().filter(|r| key(r) == k).copied().collect();
        let gate_results = gates.check(&b, &a);
        passed &= gate_results.iter().all(|g| g.passed);
        for m in Metric::ALL {
            let (pv, qv) = (over_repeats(m, &a), over_repeats(m, &b));
            let delta = pv.zip(qv).map(|(p, q)| q - p);
            out.push(MetricRow {
                scenario: k.1.clone(),
                phase: k.2.clone(),
                metric: m.name(),
                pre: pv,
                post: qv,
                delta,
                delta_pct: pv
                    .zip(delta)
                    .and_then(|(p, d)| (p != 0.0).then(|| d / p * 100.0)),
                gates: gate_results
                    .iter()
                    .filter(|g| g.metric == m.name())
                    .cloned()
                    .collect(),
            });
        }
    }
    let ids = |set: &[&PhaseRow]| {
        let mut ids: Vec<String> = set.iter().map(|r| r.run_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids.join(", ")
    };
    Ok(Comparison {
        pre: (pre_label.to_string(), ids(&pre)),
        post: (post_label.to_string(), ids(&post)),
        rows: out,
        compiler_note: compiler_note(&pre, &post),
        passed: passed && missing.is_empty(),
        missing,
    })
}

fn opt(v: Option<f64>) -> String {
    v.map(fmt_num).unwrap_or_else(|| "—".into())
}

fn signed(v: Option<f64>) -> String {
    match v {
        Some(d) if d > 0.0 => format!("+{}", fmt_num(d)),
        Some(d) => fmt_num(d),
        None => "—".into(),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:+.1}%")).unwrap_or_else(|| "—".into())
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

/// The human table.
pub fn human(c: &Comparison) -> String {
    let rows: Vec<Vec<Cell>> = c
        .rows
        .iter()
        .map(|r| {
            let failed = r.gates.iter().any(|g| !g.passed);
            let gate = Cell::text(gate_text(&r.gates));
            vec![
                Cell::text(&r.scenario),
                Cell::text(&r.phase),
                Cell::text(r.metric),
                Cell::num(opt(r.pre)),
                Cell::num(opt(r.post)),
                Cell::num(signed(r.delta)),
                Cell::num(pct(r.delta_pct)),
                if r.gates.is_empty() {
                    gate
                } else if failed {
                    gate.styled(bad())
                } else {
                    gate.styled(good())
                },
            ]
        })
        .collect();
    let mut s = format!(
        "{} (run {}) → {} (run {})\n\n",
        c.pre.0, c.pre.1, c.post.0, c.post.1
    );
    if let Some(note) = &c.compiler_note {
        s.push_str(&format!("{note}\n\n"));
    }
    s.push_str(&render(
        &[
            "scenario", "phase", "metric", &c.pre.0, &c.post.0, "Δ", "Δ%", "gates",
        ],
        &rows,
    ));
    if !c.missing.is_empty() {
        s.push_str(&format!(
            "\nmissing results:\n{}",
            missing_lines(c, "  FAIL ")
        ));
    }
    s.push_str(&format!("\n{}\n", verdict(c)));
    s
}

fn verdict(c: &Comparison) -> String {
    let n: usize = c.rows.iter().map(|r| r.gates.len()).sum();
    let failed: usize = c
        .rows
        .iter()
        .map(|r| r.gates.iter().filter(|g| !g.passed).count())
        .sum();
    let mut v = format!(
        "{}: {n} gates checked, {failed} failed",
        if c.passed { "PASS" } else { "FAIL" }
    );
    if !c.missing.is_empty() {
        v.push_str(&format!("; {} missing", c.missing.len()));
    }
    v
}

/// The missing results, one line each.
fn missing_lines(c: &Comparison, bullet: &str) -> String {
    c.missing.iter().map(|m| format!("{bullet}{m}\n")).collect()
}

/// The markdown table.
pub fn markdown(c: &Comparison) -> String {
    let mut s = format!(
        "### allocguard: `{}` → `{}`\n\n| scenario | phase | metric | {} | {} | Δ | Δ% | gates |\n| --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n",
        c.pre.0, c.post.0, c.pre.0, c.post.0
    );
    for r in &c.rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.scenario,
            r.phase,
            r.metric,
            opt(r.pre),
            opt(r.post),
            signed(r.delta),
            pct(r.delta_pct),
            gate_text(&r.gates)
        ));
    }
    if let Some(note) = &c.compiler_note {
        s.push_str(&format!("\n{note}\n"));
    }
    if !c.missing.is_empty() {
        s.push_str(&format!(
            "\n**Missing results**\n\n{}",
            missing_lines(c, "- ")
        ));
    }
    s.push_str(&format!("\n**{}**\n", verdict(c)));
    s
}

/// `cargo allocguard compare`.
pub fn run(args: CompareArgs, out: &Output) -> CliResult<bool> {
    let cargo = crate::cli::CargoOpts {
        manifest_path: args.manifest_path.clone(),
        ..Default::default()
    };
    let meta = crate::discover::metadata(&cargo).usage_err()?;
    let root = meta.workspace_root.as_std_path();
    let config = load_config(args.config.as_deref(), root, out)?;
    let path = phase_log_path(args.phase_log.as_deref(), &config, root);
    let rows = phase_log::read(&path).usage_err()?;
    let c = compare(&rows, &args.pre, &args.post, &config.gates)
        .map_err(|e| CliError::usage(e.context(format!("in {}", path.display()))))?;
    let text = match args.format {
        Format::Human => human(&c),
        Format::Markdown => markdown(&c),
        Format::Json => serde_json::to_string_pretty(&c).expect("serialises") + "\n",
    };
    let _ = write!(out.stdout(), "{text}");
    Ok(c.passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, scenario: &str, phase: &str, status: &str) -> PhaseRow {
        PhaseRow {
            timestamp: "t".into(),
            run_id: label.into(),
            label: label.into(),
            package: "p".into(),
            scenario: scenario.into(),
            phase: phase.into(),
            status: status.into(),
            ..PhaseRow::default()
        }
    }

    #[test]
    fn what_post_lacks_fails_the_comparison() {
        let rows = vec![
            row("pre", "a", "run", "passed"),
            row("pre", "b", "run", "passed"),
            row("pre", "c", "x", "passed"),
            row("pre", "c", "y", "passed"),
            row("post", "a", "run", "passed"),
            row("post", "b", "", "crashed"),
            row("post", "c", "x", "passed"),
        ];
        let c = compare(&rows, "pre", "post", &crate::gates::Gates::default()).unwrap();
        assert!(!c.passed);
        assert_eq!(c.missing.len(), 2, "{:?}", c.missing);
        assert!(
            c.missing[0].starts_with("b (p) crashed in the post run"),
            "{:?}",
            c.missing
        );
        assert!(
            c.missing[1].starts_with("c › y (p) is in the pre run and missing"),
            "{:?}",
            c.missing
        );
        assert!(human(&c).contains("FAIL: 0 gates checked, 0 failed; 2 missing"));
        // Everything there: nothing missing.
        let whole: Vec<PhaseRow> = rows.iter().filter(|r| r.scenario == "a").cloned().collect();
        assert!(
            compare(&whole, "pre", "post", &crate::gates::Gates::default())
                .unwrap()
                .passed
        );
    }
}
