//! Allocation sites compared between two runs: which appeared, which went
//! away, which changed, phase by phase.
//!
//! A site is matched by its whole trimmed call stack (every frame of the
//! user's part, with its function, file and line), never by its line alone:
//! two stacks through one line are two sites, and one is never compared with
//! the other. An edit that moves a line shows as one site gone and one new.
//! A site is "changed" only when its counts a tick or the bytes it holds
//! changed, so two runs of code that allocates the same way list nothing.
//! A site one run lacks is new or gone only when that run kept every site it
//! saw (one that summed some into `omitted` may hold it there). Amounts are
//! compared per tick after warm-up, so runs at different scales still
//! compare. Only phases that recorded their sites in both runs are compared.

use allocguard::harness::{PhaseProfile, PhaseSites};
use allocguard::{Site, SiteCounts};

use crate::store::run_file::{Run, ScenarioResult};

/// How a site differs between the two runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// In the post run only.
    New,
    /// In the pre run only.
    Gone,
    /// In both, with other amounts a tick.
    Changed,
}

impl Change {
    /// `new`, `gone`, `changed`.
    pub fn word(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Gone => "gone",
            Change::Changed => "changed",
        }
    }
}

/// One site that differs.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SiteChange {
    /// Package of the scenario.
    pub package: String,
    /// The scenario.
    pub scenario: String,
    /// The phase.
    pub phase: String,
    /// New, gone or changed.
    pub change: Change,
    /// `src/world.rs:42`.
    pub location: String,
    /// The allocating function.
    pub function: String,
    /// Where that function was called from.
    pub caller: Option<String>,
    /// The pre run's amounts a tick, when it has the site.
    pub pre: Option<PerTick>,
    /// The post run's.
    pub post: Option<PerTick>,
    /// The file of the allocating line, as the debug info names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The allocating line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// A new site in a hot or bounded phase, with `new_sites = true` in
    /// `[gates]`: it fails the comparison.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub gated: bool,
}

/// A site's amounts per tick after warm-up.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct PerTick {
    /// Heap operations (allocations, reallocations, deallocations).
    pub ops: f64,
    /// Allocations.
    pub allocs: f64,
    /// Bytes allocated.
    pub bytes: f64,
    /// Bytes still held at the phase's end (not per tick).
    pub held: i64,
}

impl PerTick {
    fn of(c: &SiteCounts, ticks: u64) -> Self {
        let t = ticks.max(1) as f64;
        Self {
            ops: c.ops() as f64 / t,
            allocs: c.allocs as f64 / t,
            bytes: c.bytes_allocated as f64 / t,
            held: c.live_bytes,
        }
    }

    /// `1 allocation a tick`, `2.5 heap operations a tick`, `64 B held`.
    pub fn text(&self) -> String {
        let (n, what) = if self.ops == self.allocs {
            (self.allocs, "allocation")
        } else {
            (self.ops, "heap operation")
        };
        let n_text = if n.fract() == 0.0 {
            format!("{n:.0}")
        } else {
            format!("{n:.2}")
        };
        let mut s = format!("{n_text} {what}{} a tick", if n == 1.0 { "" } else { "s" });
        if self.held > 0 {
            s.push_str(&format!(", {} held", crate::units::bytes(self.held, false)));
        }
        s
    }
}

/// How a site is shown: its line, its function, where that was called
/// from, and the file and line of the allocating frame.
fn shown(site: &Site) -> Shown {
    let own = site.own_frame();
    (
        site.location(),
        site.function().unwrap_or_default().to_string(),
        site.caller(),
        own.and_then(|f| f.file.clone()),
        own.and_then(|f| f.line),
    )
}

/// Each phase of `post` beside the same phase of `pre` (same package,
/// scenario and phase name, both with a profile), with its scenario.
fn paired_phases<'a>(
    pre: &'a Run,
    post: &'a Run,
) -> impl Iterator<Item = (&'a ScenarioResult, &'a PhaseProfile, &'a PhaseProfile)> + 'a {
    post.scenarios.iter().flat_map(move |b| {
        let a = pre
            .scenarios
            .iter()
            .find(|a| a.name == b.name && a.package == b.package);
        let profiles = a.and_then(|a| Some((a.profile.as_ref()?, b.profile.as_ref()?)));
        profiles.into_iter().flat_map(move |(pa, pb)| {
            pb.phases
                .iter()
                .filter_map(move |qb| Some((b, pa.phase(&qb.name)?, qb)))
        })
    })
}

/// The sites of each phase both runs recorded, compared.
pub fn diff(pre: &Run, post: &Run) -> Vec<SiteChange> {
    let mut out = Vec::new();
    for (b, qa, qb) in paired_phases(pre, post) {
        if let (Some(sa), Some(sb)) = (&qa.sites, &qb.sites) {
            let owner = (b.package.as_str(), b.name.as_str(), qb.name.as_str());
            out.extend(phase_diff(
                owner,
                (sa, qa.after_warmup.ticks),
                (sb, qb.after_warmup.ticks),
            ));
        }
    }
    out
}

type Shown = (String, String, Option<String>, Option<String>, Option<u32>);

/// The changes between one phase's sites in two runs (each with its ticks
/// after warm-up), for the phase `owner` (package, scenario, phase) names.
fn phase_diff(
    owner: (&str, &str, &str),
    (sa, ta): (&PhaseSites, u64),
    (sb, tb): (&PhaseSites, u64),
) -> Vec<SiteChange> {
    let change = |change, (location, function, caller, file, line): Shown, pre, post| SiteChange {
        package: owner.0.to_string(),
        scenario: owner.1.to_string(),
        phase: owner.2.to_string(),
        change,
        location,
        function,
        caller,
        pre,
        post,
        file,
        line,
        gated: false,
    };
    // A side that summed sites into `omitted` may hold there what it lacks.
    let (pre_whole, post_whole) = (sa.sites.omitted.ops() == 0, sb.sites.omitted.ops() == 0);
    let mut out = Vec::new();
    for s in &sb.sites.sites {
        let post = PerTick::of(&s.counts, tb);
        match sa.sites.sites.iter().find(|o| o.frames == s.frames) {
            None if pre_whole => out.push(change(Change::New, shown(s), None, Some(post))),
            None => {}
            Some(o) => {
                let pre = PerTick::of(&o.counts, ta);
                let same = (pre.ops - post.ops).abs() < 1e-9
                    && (pre.bytes - post.bytes).abs() < 1e-9
                    && pre.held == post.held;
                if !same {
                    out.push(change(Change::Changed, shown(s), Some(pre), Some(post)));
                }
            }
        }
    }
    for o in &sa.sites.sites {
        if post_whole && !sb.sites.sites.iter().any(|s| s.frames == o.frames) {
            out.push(change(
                Change::Gone,
                shown(o),
                Some(PerTick::of(&o.counts, ta)),
                None,
            ));
        }
    }
    out
}

/// The `new_sites` gate: marks each new site of a hot or bounded phase of
/// `post` as [`gated`](SiteChange::gated); returns how many.
pub fn gate_new_sites(changes: &mut [SiteChange], post: &Run) -> usize {
    let guarded = |c: &SiteChange| {
        post.scenarios
            .iter()
            .filter(|s| s.name == c.scenario && s.package == c.package)
            .filter_map(|s| s.profile.as_ref()?.phase(&c.phase))
            .any(|p| p.hot || p.bounded)
    };
    let mut n = 0;
    for c in changes.iter_mut() {
        c.gated = c.change == Change::New && guarded(c);
        n += usize::from(c.gated);
    }
    n
}

/// The hot or bounded phases of `post` (that `pre` has too) whose sites one
/// of the runs did not record: `(scenario, phase, "pre" or "post")`.
pub fn guarded_without_sites(pre: &Run, post: &Run) -> Vec<(String, String, &'static str)> {
    paired_phases(pre, post)
        .filter(|(_, _, qb)| qb.hot || qb.bounded)
        .filter_map(|(b, qa, qb)| {
            let side = match (&qa.sites, &qb.sites) {
                (None, _) => "pre",
                (_, None) => "post",
                _ => return None,
            };
            Some((b.name.clone(), qb.name.clone(), side))
        })
        .collect()
}

/// One line per change: `new: src/world.rs:42 in spawn, 1 allocation a tick`.
pub fn line(c: &SiteChange) -> String {
    let mut place = if c.function.is_empty() {
        c.location.clone()
    } else {
        format!("{} in {}", c.location, c.function)
    };
    if let Some(caller) = &c.caller {
        place.push_str(&format!(" (called from {caller})"));
    }
    match (c.change, &c.pre, &c.post) {
        (Change::New, _, Some(q)) => format!("new: {place}, {}", q.text()),
        (Change::Gone, Some(p), _) => format!("gone: {place}, was {}", p.text()),
        (_, Some(p), Some(q)) => format!("changed: {place}, {} → {}", p.text(), q.text()),
        _ => format!("{}: {place}", c.change.word()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use allocguard::{Frame, Sites};

    fn site(line: u32, allocs: u64) -> Site {
        Site {
            frames: vec![Frame {
                function: "game::tick".into(),
                file: Some("src/world.rs".into()),
                line: Some(line),
            }],
            counts: {
                let mut c = SiteCounts::default();
                c.allocs = allocs;
                c.bytes_allocated = allocs * 32;
                c
            },
        }
    }

    fn phase_with(sites: Vec<Site>) -> PhaseSites {
        PhaseSites {
            from_second_run: false,
            sites: {
                let mut s = Sites::default();
                s.distinct = sites.len() as u64;
                s.sites = sites;
                s
            },
        }
    }

    #[test]
    fn sites_are_new_gone_or_changed_per_tick() {
        let a = phase_with(vec![site(42, 10), site(50, 10), site(60, 10)]);
        let b = phase_with(vec![site(50, 10), site(60, 20), site(70, 10)]);
        let changes = diff_sites(&a, 10, &b, 10);
        let lines: Vec<String> = changes.iter().map(line).collect();
        assert_eq!(
            lines,
            [
                "changed: src/world.rs:60 in game::tick, 1 allocation a tick → 2 allocations a tick",
                "new: src/world.rs:70 in game::tick, 1 allocation a tick",
                "gone: src/world.rs:42 in game::tick, was 1 allocation a tick",
            ]
        );
        // Twice the ticks and twice the allocations: the same a tick.
        let c = diff_sites(
            &a,
            10,
            &phase_with(vec![site(42, 20), site(50, 20), site(60, 20)]),
            20,
        );
        assert!(c.is_empty(), "{c:?}");
    }

    /// A site at `line` of `src/world.rs`, called from `caller` of
    /// `src/main.rs`: one line, reached two ways, is two stacks.
    fn site_via(line: u32, caller: u32, allocs: u64) -> Site {
        let mut s = site(line, allocs);
        s.frames.push(Frame {
            function: "game::main".into(),
            file: Some("src/main.rs".into()),
            line: Some(caller),
        });
        s
    }

    #[test]
    fn a_site_is_its_whole_stack_and_equal_counts_are_no_change() {
        // Line 42 reached from two callers, with different amounts; the same
        // in both runs, listed in another order: nothing changed.
        let a = phase_with(vec![site_via(42, 7, 10), site_via(42, 9, 30)]);
        let b = phase_with(vec![site_via(42, 9, 30), site_via(42, 7, 10)]);
        assert!(diff_sites(&a, 10, &b, 10).is_empty());
        // One of the two stacks changed: only it is said, never the line's
        // other stack against it.
        let c = phase_with(vec![site_via(42, 9, 30), site_via(42, 7, 20)]);
        let lines: Vec<String> = diff_sites(&a, 10, &c, 10).iter().map(line).collect();
        assert_eq!(
            lines,
            ["changed: src/world.rs:42 in game::tick (called from src/main.rs:7), 1 allocation a tick → 2 allocations a tick"]
        );
    }

    #[test]
    fn a_site_a_run_may_have_summed_into_omitted_is_not_called_gone() {
        let a = phase_with(vec![site(42, 10), site(50, 10)]);
        let mut b = phase_with(vec![site(50, 10)]);
        b.sites.omitted.allocs = 100;
        assert!(diff_sites(&a, 10, &b, 10).is_empty());
        let b = phase_with(vec![site(50, 10)]);
        assert_eq!(diff_sites(&a, 10, &b, 10).len(), 1, "kept whole: gone");
    }

    fn diff_sites(a: &PhaseSites, ta: u64, b: &PhaseSites, tb: u64) -> Vec<SiteChange> {
        phase_diff(("p", "s", "p"), (a, ta), (b, tb))
    }
}
