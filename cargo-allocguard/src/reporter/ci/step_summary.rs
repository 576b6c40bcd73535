//! The job's step summary: failures first, each at its line, then the
//! table of every scenario.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::place::{allocating_place, in_workspace, phase_allocating_place, scenario_place, Place};
use super::{repeats_scenario_failure, scenario_of, status_word};
use crate::judge::gates::GateResult;
use crate::reporter::results::phase_verdict;
use crate::store::run_file::{Run, ScenarioResult};
use crate::units::{bytes, count, duration_ns};

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// One row of the failures table: scenario, phase, what failed, value,
/// bound, where.
pub(super) struct FailureRow {
    scenario: String,
    phase: String,
    what: String,
    value: String,
    bound: String,
    place: Option<Place>,
    /// The top sites of the failure, when the phase recorded them.
    sites: Vec<String>,
}

/// Sites listed per failure in the step summary.
const SUMMARY_SITES: usize = 3;

/// The busiest sites of a phase (or, for growth, those holding the most),
/// as `` `src/x.rs:42` 30 ops `` relative to the workspace root.
fn site_cells(
    phase: &allocguard::harness::PhaseProfile,
    root: &Path,
    holding: bool,
) -> Vec<String> {
    let Some(sites) = &phase.sites else {
        return Vec::new();
    };
    let listed: Vec<&allocguard::Site> = if holding {
        sites.sites.holding()
    } else {
        sites.sites.sites.iter().collect()
    };
    listed
        .into_iter()
        .take(SUMMARY_SITES)
        .map(|site| {
            let place = site
                .frames
                .iter()
                .find_map(|f| {
                    Some(format!(
                        "{}:{}",
                        in_workspace(f.file.as_deref()?, root)?,
                        f.line?
                    ))
                })
                .unwrap_or_else(|| site.location());
            if holding {
                format!("`{place}` {} held", bytes(site.counts.live_bytes, false))
            } else {
                format!(
                    "`{place}` {}",
                    crate::units::plural(site.counts.ops() as usize, "op")
                )
            }
        })
        .collect()
}

pub(super) fn failure_rows(run: &Run, gates: &[GateResult], root: &Path) -> Vec<FailureRow> {
    let mut rows = Vec::new();
    for s in run.failures() {
        let Some(p) = &s.profile else {
            let first = s
                .failure
                .as_deref()
                .and_then(|f| f.lines().next())
                .unwrap_or("");
            rows.push(FailureRow {
                scenario: s.name.clone(),
                phase: "—".into(),
                what: format!("{}: {first}", s.status.label()),
                value: String::new(),
                bound: String::new(),
                place: None,
                sites: Vec::new(),
            });
            continue;
        };
        let before = rows.len();
        if !p.expect.violation {
            for ph in p.violating_phases() {
                rows.push(FailureRow {
                    scenario: s.name.clone(),
                    phase: ph.name.clone(),
                    what: "heap operations in hot ticks".into(),
                    value: count(ph.hot_ops),
                    bound: "0".into(),
                    place: phase_allocating_place(ph, root),
                    sites: site_cells(ph, root, false),
                });
            }
        }
        if !p.expect.growth {
            for ph in p
                .phases
                .iter()
                .filter(|ph| ph.bounded && ph.growth_check.steady_growth)
            {
                rows.push(FailureRow {
                    scenario: s.name.clone(),
                    phase: ph.name.clone(),
                    what: "memory kept in a bounded phase".into(),
                    value: format!(
                        "{:.1} B a tick{} ({} in all)",
                        ph.growth_check.retained_bytes_per_tick,
                        ph.growth_check
                            .since_tick
                            .map(|t| format!(" since tick {t}"))
                            .unwrap_or_default(),
                        bytes(ph.after_warmup.growth, true),
                    ),
                    bound: "no steady growth".into(),
                    place: scenario_place(p, root),
                    sites: site_cells(ph, root, true),
                });
            }
        }
        if rows.len() == before {
            let first = s
                .failure
                .as_deref()
                .and_then(|f| f.lines().find(|l| !l.trim().is_empty()))
                .unwrap_or("failed");
            rows.push(FailureRow {
                scenario: s.name.clone(),
                phase: "—".into(),
                what: first.to_string(),
                value: String::new(),
                bound: String::new(),
                place: scenario_place(p, root),
                sites: Vec::new(),
            });
        }
    }
    for g in gates
        .iter()
        .filter(|g| !g.passed && !repeats_scenario_failure(run, g))
    {
        let m = g.metric();
        let bound = match (g.bound, g.baseline) {
            (Some(b), _) => m.show(b),
            (None, Some(b)) => format!("baseline {}", m.show(b)),
            (None, None) => String::new(),
        };
        let profile = scenario_of(run, g).and_then(|s| s.profile.as_ref());
        rows.push(FailureRow {
            scenario: g.scenario.clone(),
            phase: g.phase.clone(),
            what: format!(
                "gate `{}` ({}){}",
                g.metric,
                g.rule,
                g.detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
            value: m.show(g.value),
            bound,
            place: profile
                .and_then(|p| allocating_place(p, root).or_else(|| scenario_place(p, root))),
            sites: Vec::new(),
        });
    }
    rows
}

/// A markdown summary of the run for `$GITHUB_STEP_SUMMARY`: the verdict,
/// the failures (scenario, phase, what, value against bound, the allocating
/// line), then every phase, then the failure messages.
pub fn markdown_summary(
    run: &Run,
    gates: &[GateResult],
    missing: &[String],
    root: &Path,
) -> String {
    let failed = run.failures().count();
    let gates_failed = gates.iter().filter(|g| !g.passed).count();
    let mut md = format!(
        "## allocguard: {}\n\n{}, {} failed; {}, {} failed{}. `{}` build, {} scale, git {}.\n\n",
        if failed + gates_failed + missing.len() == 0 {
            "pass"
        } else {
            "FAIL"
        },
        crate::units::plural(run.scenarios.len(), "scenario"),
        failed,
        crate::units::plural(gates.len(), "gate"),
        gates_failed,
        if missing.is_empty() {
            String::new()
        } else {
            format!(
                "; {} missing against the baseline",
                crate::units::plural(missing.len(), "result")
            )
        },
        run.build_profile,
        run.scale,
        run.git_rev
    );
    if !missing.is_empty() {
        md.push_str("### Missing results\n\n");
        for m in missing {
            md.push_str(&format!("- {}\n", md_cell(m)));
        }
        md.push('\n');
    }
    md.push_str(&failures_table(&failure_rows(run, gates, root)));
    md.push_str(&scenarios_section(run));
    md
}

/// The failures as a table (nothing when there are none).
pub(super) fn failures_table(failures: &[FailureRow]) -> String {
    let mut md = String::new();
    if !failures.is_empty() {
        md.push_str("### Failures\n\n");
        md.push_str("| scenario | phase | what failed | value | bound | where |\n");
        md.push_str("| --- | --- | --- | ---: | ---: | --- |\n");
        for f in failures {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                md_cell(&f.scenario),
                md_cell(&f.phase),
                md_cell(&f.what),
                md_cell(&f.value),
                md_cell(&f.bound),
                if f.sites.is_empty() {
                    f.place
                        .as_ref()
                        .map(|p| format!("`{p}`"))
                        .unwrap_or_default()
                } else {
                    f.sites.join("<br>")
                }
            ));
        }
        md.push('\n');
    }
    md
}

/// Every scenario's phases, then the failure messages and the leaky
/// scenarios.
pub(super) fn scenarios_section(run: &Run) -> String {
    let mut md = String::new();
    md.push_str(&format!(
        "### Scenarios\n\n{}.\n\n",
        crate::reporter::results::WARMUP_NOTE
    ));
    md.push_str(
        "| scenario | result | phase | ticks | allocs | hot_ops | growth | peak | p95 step | verdict |\n",
    );
    md.push_str("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for s in &run.scenarios {
        let Some(p) = &s.profile else {
            md.push_str(&format!(
                "| {} | {} | | | | | | | | |\n",
                md_cell(&s.name),
                s.label()
            ));
            continue;
        };
        for (i, ph) in p.phases.iter().enumerate() {
            let (verdict, _) = phase_verdict(s, ph);
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                if i == 0 {
                    md_cell(&s.name)
                } else {
                    String::new()
                },
                if i == 0 { s.label() } else { "" },
                md_cell(&ph.name),
                count(ph.ticks),
                count(ph.after_warmup.allocs),
                count(ph.hot_ops),
                bytes(ph.after_warmup.growth, true),
                bytes(ph.after_warmup.peak, false),
                duration_ns(ph.step.p95_ns as f64),
                verdict
            ));
        }
    }
    for s in run.failures() {
        md.push_str(&format!(
            "\n<details><summary>{} {}</summary>\n\n```\n{}\n```\n</details>\n",
            s.name,
            status_word(s.status),
            s.failure.as_deref().unwrap_or("")
        ));
    }
    let leaky: Vec<&ScenarioResult> = run
        .scenarios
        .iter()
        .filter(|s| !s.leaked.is_empty())
        .collect();
    if !leaky.is_empty() {
        md.push_str("\n### Leaky scenarios\n\nThey passed, and left processes running when they ended (allocguard ended them):\n\n");
        for s in leaky {
            md.push_str(&format!(
                "- {}: {}\n",
                md_cell(&s.name),
                md_cell(&s.leaked.join("; "))
            ));
        }
    }
    md
}

/// Appends the summary to `$GITHUB_STEP_SUMMARY` (which GitHub creates).
pub fn append_step_summary(md: &str) -> anyhow::Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return Ok(());
    };
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .with_context(|| {
            format!(
                "cannot append to GITHUB_STEP_SUMMARY ({})",
                Path::new(&path).display()
            )
        })?;
    f.write_all(md.as_bytes())?;
    Ok(())
}
