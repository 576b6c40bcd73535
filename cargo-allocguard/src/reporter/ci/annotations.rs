//! GitHub's `::error` and `::warning` workflow commands for a run.

use std::path::Path;

use super::place::{
    allocating_place, busiest_site_place, phase_allocating_place, scenario_place, Place,
};
use super::{
    declared_place, escape_data, escape_prop, location_props, repeats_scenario_failure,
    scenario_of, status_word,
};
use crate::judge::gates::GateResult;
use crate::store::run_file::Run;

/// How many failures [`annotations`] annotates (missing results aside): the
/// failed scenarios, and the phases with failed gates that do not repeat
/// their scenario's failure.
pub fn count_failures(run: &Run, gates: &[GateResult]) -> usize {
    let mut phases: Vec<(&str, &str, &str)> = Vec::new();
    for g in gates
        .iter()
        .filter(|g| !g.passed && !repeats_scenario_failure(run, g))
    {
        let key = (g.package.as_str(), g.scenario.as_str(), g.phase.as_str());
        if !phases.contains(&key) {
            phases.push(key);
        }
    }
    run.failures().count() + phases.len()
}

/// `::error` workflow commands, one per failure: a failed scenario (at the
/// allocating line in the workspace, else at the scenario's declaration),
/// and a phase whose gates failed (all its failed gates in one message, at
/// the phase's allocating line, else its busiest site in the workspace,
/// else the scenario's declaration). Gates on a phase whose scenario already
/// failed there repeat that failure and are not annotated again. GitHub
/// wants paths from the repository's root: `repo_prefix` is the
/// workspace's place in it (`""`, or `engine/`).
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
    let failed: Vec<&GateResult> = gates
        .iter()
        .filter(|g| !g.passed && !repeats_scenario_failure(run, g))
        .collect();
    let mut phases: Vec<(&str, &str, &str)> = Vec::new();
    for g in &failed {
        let key = (g.package.as_str(), g.scenario.as_str(), g.phase.as_str());
        if !phases.contains(&key) {
            phases.push(key);
        }
    }
    for (package, scenario, phase) in phases {
        let of_phase: Vec<&&GateResult> = failed
            .iter()
            .filter(|g| g.package == package && g.scenario == scenario && g.phase == phase)
            .collect();
        let metrics: Vec<&str> = of_phase.iter().map(|g| g.metric).collect();
        let title = format!(
            "allocguard: {scenario} › {phase} failed {}",
            metrics.join(", ")
        );
        let profile = scenario_of(run, of_phase[0]).and_then(|s| s.profile.as_ref());
        let place = profile.and_then(|p| {
            p.phase(phase)
                .and_then(|ph| {
                    phase_allocating_place(ph, workspace_root)
                        .or_else(|| busiest_site_place(ph, workspace_root))
                })
                .or_else(|| scenario_place(p, workspace_root))
        });
        let msg: Vec<String> = of_phase.iter().map(|g| g.describe()).collect();
        out.push_str(&format!(
            "::error {}title={}::{}\n",
            location(place),
            escape_prop(&title),
            escape_data(&format!("{scenario} › {phase}: {}", msg.join("; ")))
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
