//! CI outputs: GitHub annotations, the step summary, JUnit XML.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};

use crate::gates::GateResult;
use crate::model::{Run, Status};

/// Whether CI mode is on: `--ci`, or `CI` set to anything but false/0/empty.
pub fn ci_mode(flag: bool) -> bool {
    flag || matches!(std::env::var("CI").ok().as_deref(), Some(v) if !v.is_empty() && v != "false" && v != "0")
}

/// Whether we run on GitHub Actions.
pub fn github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error` workflow commands: one per failed scenario, at the allocating
/// line when the violation names one, plus one per failed gate.
pub fn annotations(run: &Run, gates: &[GateResult], workspace_root: &Path) -> String {
    let mut out = String::new();
    for s in run.failures() {
        let title = format!(
            "allocguard: {} {}",
            s.name,
            match s.status {
                Status::Failed => "failed",
                Status::Crashed => "crashed",
                Status::TimedOut => "timed out",
                Status::Passed => "passed",
            }
        );
        let frame = s.profile.as_ref().and_then(|p| {
            p.phases
                .iter()
                .filter_map(|ph| ph.first_violation.as_ref())
                .find_map(|v| v.violation.first.as_ref()?.user_frame().cloned())
        });
        let location = frame
            .and_then(|f| Some((f.file?, f.line?)))
            .map(|(file, line)| {
                let rel = Path::new(&file)
                    .strip_prefix(workspace_root)
                    .map(|p| p.display().to_string())
                    .unwrap_or(file);
                format!("file={},line={line},", escape_prop(&rel))
            })
            .unwrap_or_default();
        let msg = s.failure.as_deref().unwrap_or("(no message)");
        out.push_str(&format!(
            "::error {location}title={}::{}\n",
            escape_prop(&title),
            escape_data(msg)
        ));
    }
    for g in gates.iter().filter(|g| !g.passed) {
        let title = format!("allocguard gate: {} {}", g.scenario, g.metric);
        let msg = format!(
            "{}/{}: {} = {} fails `{}`{}",
            g.scenario,
            g.phase,
            g.metric,
            crate::gates::fmt_num(g.value),
            g.rule,
            g.baseline
                .map(|b| format!(" (baseline {})", crate::gates::fmt_num(b)))
                .unwrap_or_default()
        );
        out.push_str(&format!(
            "::error title={}::{}\n",
            escape_prop(&title),
            escape_data(&msg)
        ));
    }
    out
}

/// A markdown summary of the run for `$GITHUB_STEP_SUMMARY`.
pub fn markdown_summary(run: &Run, gates: &[GateResult]) -> String {
    let failed = run.failures().count();
    let gates_failed = gates.iter().filter(|g| !g.passed).count();
    let mut md = format!(
        "## allocguard: {}\n\n{} scenarios, {} failed; {} gates, {} failed. `{}` build, {} scale, git {}.\n\n",
        if failed + gates_failed == 0 { "pass" } else { "FAIL" },
        run.scenarios.len(),
        failed,
        gates.len(),
        gates_failed,
        run.build_profile,
        run.scale,
        run.git_rev
    );
    md.push_str("| scenario | phase | allocs | hot | growth | peak | p95 step | verdict |\n");
    md.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for s in &run.scenarios {
        let Some(p) = &s.profile else {
            md.push_str(&format!("| {} | | | | | | | {:?} |\n", s.name, s.status));
            continue;
        };
        for ph in &p.phases {
            let (verdict, _) = crate::results::phase_verdict(s, ph);
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                s.name,
                ph.name,
                ph.allocs,
                ph.hot_violations,
                crate::table::bytes(ph.growth, true),
                crate::table::bytes(ph.peak, false),
                crate::table::duration_ns(ph.step.p95_ns as f64),
                verdict
            ));
        }
    }
    for s in run.failures() {
        md.push_str(&format!(
            "\n<details><summary>{} failed</summary>\n\n```\n{}\n```\n</details>\n",
            s.name,
            s.failure.as_deref().unwrap_or("")
        ));
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

/// Writes a JUnit report: one suite per target, one case per scenario. An
/// existing file is replaced only if it is a JUnit report itself.
pub fn write_junit(run: &Run, path: &Path) -> anyhow::Result<()> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    if let Ok(existing) = std::fs::read_to_string(path) {
        if !existing.contains("<testsuites") {
            bail!(
                "--junit {}: the file exists and is not a JUnit report; refusing to overwrite it",
                path.display()
            );
        }
    }
    let mut report = Report::new("allocguard");
    let mut suites: std::collections::BTreeMap<String, TestSuite> = Default::default();
    for s in &run.scenarios {
        let suite_name = format!("{}::{}", s.package, s.target);
        let suite = suites
            .entry(suite_name.clone())
            .or_insert_with(|| TestSuite::new(suite_name));
        let status = match s.status {
            Status::Passed => TestCaseStatus::success(),
            other => {
                let mut st = TestCaseStatus::non_success(match other {
                    Status::Failed => NonSuccessKind::Failure,
                    _ => NonSuccessKind::Error,
                });
                st.set_message(format!("{other:?}"));
                st.set_description(s.failure.clone().unwrap_or_default());
                st
            }
        };
        let mut case = TestCase::new(s.name.clone(), status);
        case.set_time(std::time::Duration::from_millis(s.duration_ms));
        suite.add_test_case(case);
    }
    report.add_test_suites(suites.into_values());
    let xml = report
        .to_string()
        .context("cannot render the JUnit report")?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("xml.tmp");
    std::fs::write(&tmp, xml).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
