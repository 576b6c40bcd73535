//! Judging a profile: violations, growth, and what the scenario expected.

use super::profile::{PhaseProfile, PhaseSites, Profile};
use super::runner::{run, RunOptions};
use super::scale::Scale;
use super::scenario::{Scenario, SitesMode};
use crate::sites::table::LARGE_SITE_SLOTS;

/// Why a scenario failed, with the profile when the run got that far.
#[derive(Debug)]
pub struct Failure {
    /// A readable explanation: which phase, which tick, what was found.
    pub message: String,
    /// The profile of the run, unless it panicked.
    pub profile: Option<Box<Profile>>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// `Ok` when the profile meets the scenario's expectations; otherwise every
/// problem, one paragraph each.
pub(crate) fn judge(profile: &Profile) -> Result<(), String> {
    let mut problems = Vec::new();
    let violating: Vec<&PhaseProfile> = profile.violating_phases().collect();
    if profile.expect.violation {
        if violating.is_empty() {
            let armed: u64 = profile.phases.iter().map(|p| p.hot_ticks).sum();
            problems.push(format!(
                "expected allocguard to catch a heap operation in a hot tick \
                 (expect_violation), but all {armed} armed ticks were clean"
            ));
        }
    } else {
        problems.extend(violating.iter().map(|p| describe_violation(p)));
    }

    if profile.expect.growth {
        if profile.growing_phases().next().is_none() {
            let fits: Vec<String> = profile
                .phases
                .iter()
                .map(|p| {
                    format!(
                        "`{}` kept {:.2} B a tick late in the phase",
                        p.name, p.growth_check.retained_bytes_per_tick
                    )
                })
                .collect();
            problems.push(format!(
                "expected the growth check to flag steady growth (expect_growth), but no \
                 phase grew steadily: {}",
                fits.join(", ")
            ));
        }
    } else {
        problems.extend(
            profile
                .phases
                .iter()
                .filter(|p| p.bounded && p.growth_check.steady_growth)
                .map(describe_growth),
        );
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "scenario `{}` failed ({} build, {} scale):\n\n{}",
            profile.scenario,
            profile.build_profile,
            profile.scale,
            problems.join("\n\n")
        ))
    }
}

/// The phases the judgement complains about: violations not expected, and
/// steady growth in a bounded phase not expected.
pub(crate) fn failing_phases(profile: &Profile) -> Vec<usize> {
    profile
        .phases
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            (!profile.expect.violation && p.hot_ops > 0)
                || (!profile.expect.growth && p.bounded && p.growth_check.steady_growth)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Whether a phase's sites overflowed a table smaller than the largest:
/// a second run with the largest can tell more of its stacks apart.
fn overflowed(sites: &PhaseSites) -> bool {
    sites.sites.overflow.ops() > 0 && (sites.sites.table_slots as usize) < LARGE_SITE_SLOTS
}

/// Sites listed in a failure message.
const LISTED_SITES: usize = 10;

/// `sites …` and where they come from.
fn sites_heading(what: &str, sites: &PhaseSites) -> String {
    if sites.from_second_run {
        format!("{what} (from a second run with sites on):")
    } else {
        format!("{what}:")
    }
}

fn describe_violation(p: &PhaseProfile) -> String {
    let mut s = String::new();
    if let Some(first) = &p.first_violation {
        s.push_str(&format!(
            "phase `{}`, tick {}: {}",
            p.name, first.tick, first.violation
        ));
    }
    s.push_str(&format!(
        "\nin all: {} in {} of {} armed ticks of phase `{}`",
        plural(p.hot_ops, "heap operation"),
        thousands(p.violating_ticks as i64),
        thousands(p.hot_ticks as i64),
        p.name
    ));
    if let Some(sites) = &p.sites {
        s.push_str(&format!(
            "\n{}{}",
            sites_heading("every site that used the heap in them", sites),
            sites.sites.describe(LISTED_SITES, p.hot_ticks)
        ));
    }
    s
}

fn describe_growth(p: &PhaseProfile) -> String {
    let g = &p.growth_check;
    let since = g
        .since_tick
        .map(|t| format!(" since tick {t}"))
        .unwrap_or_default();
    let mut text = format!(
        "phase `{}` is bounded, but it keeps memory: {:.1} bytes a tick{since} (its floor \
         rose {} bytes from the second quarter of its {} ticks after warm-up to the last; {} \
         bytes in all).\nfind what only grows (a Vec or a map that is never cleared, a \
         history, a cache without a cap) and bound it, or declare the phase `.grows()` if \
         keeping memory is its job",
        p.name,
        g.retained_bytes_per_tick,
        thousands(g.retained_bytes),
        thousands(g.ticks as i64),
        thousands(p.after_warmup.growth)
    );
    if let Some(sites) = &p.sites {
        let holding = sites.sites.holding();
        text.push_str(&format!(
            "\n{}",
            sites_heading("what holds the memory at the phase's end", sites)
        ));
        if holding.is_empty() {
            text.push_str("\n  no site allocated in the phase holds memory at its end");
        }
        for site in holding.iter().take(LISTED_SITES) {
            text.push_str(&format!(
                "\n  {}: {} B still held ({})",
                site.place(),
                thousands(site.counts.live_bytes),
                site.counts
            ));
        }
    }
    text
}

/// `1 heap operation`, `2 heap operations`, `12,345 heap operations`.
fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{} {what}s", thousands(n as i64))
    }
}

/// `1,234,567`, `-5,824`: a count as the tables show it.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

impl<S: 'static> Scenario<S> {
    /// Runs the scenario and judges the profile against its expectations
    /// (no snapshot; the [`Harness`](super::Harness) adds that).
    ///
    /// When it fails in phases that did not record their sites, or whose
    /// sites overflowed their table (more distinct stacks than it holds), it
    /// runs a second time with sites on in those phases, in tables eight
    /// times larger (unless `ALLOCGUARD_SITES=off`), and the failure lists
    /// them.
    pub fn run_and_check(&mut self, scale: Scale) -> Result<Profile, Failure> {
        let mut profile = self.run(scale).map_err(|msg| Failure {
            message: format!("scenario `{}` panicked: {msg}", self.name),
            profile: None,
        })?;
        let Err(message) = judge(&profile) else {
            return Ok(profile);
        };
        let missing: Vec<usize> = failing_phases(&profile)
            .into_iter()
            .filter(|&i| profile.phases[i].sites.as_ref().is_none_or(overflowed))
            .collect();
        if missing.is_empty() || SitesMode::from_env() == SitesMode::Off {
            return Err(Failure {
                message,
                profile: Some(Box::new(profile)),
            });
        }
        let options = RunOptions {
            sites: (0..self.phases.len())
                .map(|i| missing.contains(&i))
                .collect(),
            site_slots: LARGE_SITE_SLOTS,
            dhat: false,
        };
        if let Ok(second) = run(self, scale, &options) {
            for i in missing {
                if let (Some(p), Some(q)) = (profile.phases.get_mut(i), second.phases.get(i)) {
                    // The first run's sites, when the second overflowed as much.
                    let better = match (&p.sites, &q.sites) {
                        (Some(a), Some(b)) => b.sites.overflow.ops() < a.sites.overflow.ops(),
                        (None, b) => b.is_some(),
                        (_, None) => false,
                    };
                    if !better {
                        continue;
                    }
                    p.sites = q.sites.clone().map(|mut s| {
                        s.from_second_run = true;
                        s
                    });
                }
            }
        }
        let message = judge(&profile).err().unwrap_or(message);
        Err(Failure {
            message,
            profile: Some(Box::new(profile)),
        })
    }
}
