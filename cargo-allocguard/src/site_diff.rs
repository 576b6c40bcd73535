//! Allocation sites compared between two runs: which appeared, which went
//! away, which changed, phase by phase.
//!
//! A site is matched by its allocating line and function; an edit that moves
//! a line shows as one site gone and one new. Amounts are compared per tick
//! after warm-up, so runs at different scales still compare. Only phases
//! that recorded their sites in both runs are compared.

use allocguard::harness::PhaseSites;
use allocguard::{Site, SiteCounts};

use crate::model::Run;

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
            s.push_str(&format!(", {} held", crate::table::bytes(self.held, false)));
        }
        s
    }
}

/// A site is its line, its function and where that was called from.
fn key(site: &Site) -> SiteKey {
    (
        site.location(),
        site.function().unwrap_or_default().to_string(),
        site.caller(),
    )
}

/// The sites of each phase both runs recorded, compared.
pub fn diff(pre: &Run, post: &Run) -> Vec<SiteChange> {
    let mut out = Vec::new();
    for b in &post.scenarios {
        let Some(a) = pre
            .scenarios
            .iter()
            .find(|a| a.name == b.name && a.package == b.package)
        else {
            continue;
        };
        let (Some(pa), Some(pb)) = (&a.profile, &b.profile) else {
            continue;
        };
        for qb in &pb.phases {
            let Some(qa) = pa.phase(&qb.name) else {
                continue;
            };
            if let (Some(sa), Some(sb)) = (&qa.sites, &qb.sites) {
                let owner = (b.package.as_str(), b.name.as_str(), qb.name.as_str());
                out.extend(phase_diff(
                    owner,
                    (sa, qa.after_warmup.ticks),
                    (sb, qb.after_warmup.ticks),
                ));
            }
        }
    }
    out
}

type SiteKey = (String, String, Option<String>);

/// The changes between one phase's sites in two runs (each with its ticks
/// after warm-up), for the phase `owner` (package, scenario, phase) names.
fn phase_diff(
    owner: (&str, &str, &str),
    (sa, ta): (&PhaseSites, u64),
    (sb, tb): (&PhaseSites, u64),
) -> Vec<SiteChange> {
    let change = |change, (location, function, caller): SiteKey, pre, post| SiteChange {
        package: owner.0.to_string(),
        scenario: owner.1.to_string(),
        phase: owner.2.to_string(),
        change,
        location,
        function,
        caller,
        pre,
        post,
    };
    let mut out = Vec::new();
    for s in &sb.sites.sites {
        let k = key(s);
        let post = PerTick::of(&s.counts, tb);
        match sa.sites.sites.iter().find(|o| key(o) == k) {
            None => out.push(change(Change::New, k, None, Some(post))),
            Some(o) => {
                let pre = PerTick::of(&o.counts, ta);
                let same = (pre.ops - post.ops).abs() < 1e-9
                    && (pre.bytes - post.bytes).abs() < 1e-9
                    && pre.held == post.held;
                if !same {
                    out.push(change(Change::Changed, k, Some(pre), Some(post)));
                }
            }
        }
    }
    for o in &sa.sites.sites {
        let k = key(o);
        if !sb.sites.sites.iter().any(|s| key(s) == k) {
            out.push(change(
                Change::Gone,
                k,
                Some(PerTick::of(&o.counts, ta)),
                None,
            ));
        }
    }
    out
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
            counts: SiteCounts {
                allocs,
                bytes_allocated: allocs * 32,
                ..SiteCounts::default()
            },
        }
    }

    fn phase_with(sites: Vec<Site>) -> PhaseSites {
        PhaseSites {
            from_second_run: false,
            sites: Sites {
                distinct: sites.len() as u64,
                sites,
                ..Sites::default()
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

    fn diff_sites(a: &PhaseSites, ta: u64, b: &PhaseSites, tb: u64) -> Vec<SiteChange> {
        phase_diff(("p", "s", "p"), (a, ta), (b, tb))
    }
}
