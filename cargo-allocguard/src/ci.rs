//! CI outputs: GitHub annotations, the step summary, JUnit XML.
//!
//! Every failure gets one annotation, at the first frame of the allocation's
//! call stack that lies inside the workspace (never a file in the cargo
//! registry or the standard library), or at the line that declared the
//! scenario. The step summary lists the failures first, then the table.
//! JUnit has a test case per scenario, with its real time and its phase table
//! in `system-out`; a failed gate fails its scenario's test case.

use std::io::Write;
use std::path::{Path, PathBuf};

use allocguard::harness::Profile;
use anyhow::{bail, Context};

use crate::gates::GateResult;
use crate::model::{Run, ScenarioResult, Status};
use crate::results::phase_verdict;
use crate::table::{bytes, count, duration_ns, Cell};

/// Whether CI mode is on: `--ci`, or `CI` set to anything but false/0/empty.
pub fn ci_mode(flag: bool) -> bool {
    flag || matches!(std::env::var("CI").ok().as_deref(), Some(v) if !v.is_empty() && v != "false" && v != "0")
}

/// Whether we run on GitHub Actions.
pub fn github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

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

/// A place in the workspace: a path relative to its root, and a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// Relative to the workspace root, with `/`.
    pub file: String,
    /// 1-based.
    pub line: u32,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// `file` (absolute, or relative to the workspace root as the compiler
/// names workspace members) as a path inside the workspace, unless it lies
/// outside it, in its target directory or a cargo home inside it, or is not
/// a file there: a debug-info path of the C library's sources
/// (`csu/../sysdeps/nptl/libc_start_call_main.h`) is relative too, and
/// names nothing in the workspace.
pub fn in_workspace(file: &str, root: &Path) -> Option<String> {
    let path = Path::new(file);
    if path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return None;
    }
    let abs: PathBuf = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    let rel = abs.strip_prefix(root).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    if first == "target" || first.starts_with('.') {
        return None;
    }
    if !abs.is_file() {
        return None;
    }
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// The first frame of the first violation of `profile` that is in the
/// workspace: the line of the user's code that allocated.
pub fn allocating_place(profile: &Profile, root: &Path) -> Option<Place> {
    profile
        .phases
        .iter()
        .find_map(|ph| phase_allocating_place(ph, root))
}

/// The same for one phase.
pub fn phase_allocating_place(
    phase: &allocguard::harness::PhaseProfile,
    root: &Path,
) -> Option<Place> {
    let offence = phase.first_violation.as_ref()?.violation.first.as_ref()?;
    offence.frames.iter().find_map(|f| {
        let file = in_workspace(f.file.as_deref()?, root)?;
        Some(Place {
            file,
            line: f.line?,
        })
    })
}

/// The line that declared the scenario, when it is in the workspace.
pub fn scenario_place(profile: &Profile, root: &Path) -> Option<Place> {
    Some(Place {
        file: in_workspace(profile.source_file.as_deref()?, root)?,
        line: profile.source_line?,
    })
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Failed => "failed",
        Status::Crashed => "crashed",
        Status::TimedOut => "timed out",
        Status::Passed => "passed",
    }
}

/// Where the workspace sits in its git repository: `""` at the root,
/// `engine/` below it (what `git rev-parse --show-prefix` says).
pub fn repo_prefix(root: &Path) -> String {
    std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--show-prefix"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// `::error` workflow commands: one per failed scenario (at the allocating
/// line in the workspace, else at the scenario's declaration), one per failed
/// gate (at the scenario's declaration). GitHub wants paths from the
/// repository's root: `repo_prefix` is the workspace's place in it (`""`, or
/// `engine/`).
pub fn annotations(
    run: &Run,
    gates: &[GateResult],
    missing: &[String],
    workspace_root: &Path,
    repo_prefix: &str,
) -> String {
    let location = |place: Option<Place>| location_props(place, repo_prefix);
    let mut out = String::new();
    for s in run.failures() {
        let title = format!("allocguard: {} {}", s.name, status_word(s.status));
        let place = s
            .profile
            .as_ref()
            .and_then(|p| {
                allocating_place(p, workspace_root).or_else(|| scenario_place(p, workspace_root))
            })
            .or_else(|| declared_place(s, workspace_root));
        let msg = s.failure.as_deref().unwrap_or("(no message)");
        out.push_str(&format!(
            "::error {}title={}::{}\n",
            location(place),
            escape_prop(&title),
            escape_data(msg)
        ));
    }
    for g in gates
        .iter()
        .filter(|g| !g.passed && !repeats_scenario_failure(run, g))
    {
        let title = format!("allocguard gate: {} {}", g.scenario, g.metric);
        let place = scenario_of(run, g)
            .and_then(|s| s.profile.as_ref())
            .and_then(|p| scenario_place(p, workspace_root));
        let msg = format!("{} › {}: {}", g.scenario, g.phase, g.describe());
        out.push_str(&format!(
            "::error {}title={}::{}\n",
            location(place),
            escape_prop(&title),
            escape_data(&msg)
        ));
    }
    // Leaky scenarios passed, as nextest's do, but a CI reader must see
    // them: a warning each, at the scenario's declaration.
    for s in run.scenarios.iter().filter(|s| !s.leaked.is_empty()) {
        let place = s
            .profile
            .as_ref()
            .and_then(|p| scenario_place(p, workspace_root));
        out.push_str(&format!(
            "::warning {}title={}::{}\n",
            location(place),
            escape_prop(&format!("allocguard: {} is leaky", s.name)),
            escape_data(&format!(
                "it left processes running when it ended (allocguard ended them): {}",
                s.leaked.join("; ")
            ))
        ));
    }
    for m in missing {
        out.push_str(&format!(
            "::error title={}::{}\n",
            escape_prop("allocguard: a result is missing against the baseline"),
            escape_data(m)
        ));
    }
    out
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

/// Whether a failed `hot_ops` gate only repeats its scenario's own failure
/// (heap operations in hot ticks of that phase): one failure, one
/// annotation, one summary row.
fn repeats_scenario_failure(run: &Run, g: &GateResult) -> bool {
    g.metric == crate::gates::Metric::HotOps.name()
        && scenario_of(run, g)
            .filter(|s| s.status == Status::Failed)
            .and_then(|s| s.profile.as_ref())
            .is_some_and(|p| {
                !p.expect.violation && p.phase(&g.phase).is_some_and(|ph| ph.hot_ops > 0)
            })
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// One row of the failures table: scenario, phase, what failed, value,
/// bound, where.
struct FailureRow {
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
                    crate::table::plural(site.counts.ops() as usize, "op")
                )
            }
        })
        .collect()
}

fn failure_rows(run: &Run, gates: &[GateResult], root: &Path) -> Vec<FailureRow> {
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
                    what: "steady growth in a bounded phase".into(),
                    value: format!(
                        "{} ({:.1} B/tick)",
                        bytes(ph.after_warmup.growth, true),
                        ph.growth_check.slope_bytes_per_tick
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
        crate::table::plural(run.scenarios.len(), "scenario"),
        failed,
        crate::table::plural(gates.len(), "gate"),
        gates_failed,
        if missing.is_empty() {
            String::new()
        } else {
            format!(
                "; {} missing against the baseline",
                crate::table::plural(missing.len(), "result")
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
    let failures = failure_rows(run, gates, root);
    if !failures.is_empty() {
        md.push_str("### Failures\n\n");
        md.push_str("| scenario | phase | what failed | value | bound | where |\n");
        md.push_str("| --- | --- | --- | ---: | ---: | --- |\n");
        for f in &failures {
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
    md.push_str(&format!(
        "### Scenarios\n\n{}.\n\n",
        crate::results::WARMUP_NOTE
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
                s.status.label()
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
                if i == 0 { s.status.label() } else { "" },
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
    let text = crate::table::render(
        &[
            "phase", "ticks", "allocs", "hot_ops", "growth", "peak", "p50 step", "p95 step",
            "verdict",
        ],
        &rows,
    );
    format!(
        "{}{}\n",
        anstream::adapter::strip_str(&text),
        crate::results::WARMUP_NOTE
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
                    .map_or("failed", crate::results::failure_headline);
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
            let name = crate::phase_log::missing_scenario(m).to_string();
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
    crate::whole_file::write_whole(path, crate::whole_file::Existing::Replace, |w| {
        w.write_all(xml.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_workspace_files_are_places() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("tests")).unwrap();
        std::fs::write(root.join("tests/a.rs"), "").unwrap();
        let abs = root.join("tests/a.rs").display().to_string();
        assert_eq!(in_workspace(&abs, root).as_deref(), Some("tests/a.rs"));
        assert_eq!(
            in_workspace("tests/a.rs", root).as_deref(),
            Some("tests/a.rs")
        );
        assert_eq!(
            in_workspace(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde_json-1.0.0/src/ser.rs",
                root
            ),
            None
        );
        assert_eq!(
            in_workspace("/rustc/abc/library/alloc/src/vec/mod.rs", root),
            None
        );
        let in_target = root.join("target/debug/build/x/out/gen.rs");
        assert_eq!(in_workspace(&in_target.display().to_string(), root), None);
        // glibc's own relative debug paths name nothing here (an annotation
        // pointed at this one).
        assert_eq!(
            in_workspace("csu/../sysdeps/nptl/libc_start_call_main.h", root),
            None
        );
        assert_eq!(in_workspace("src/missing.rs", root), None);
        assert_eq!(in_workspace("tests/../tests/a.rs", root), None);
    }
}
