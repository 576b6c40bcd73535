//! The stage-2 reports as `simulation_v3`'s report scripts built them
//! (`stage2_pairing.py`, `top_1000_pairs_report.py`,
//! `enhancement_ranking_report.py`, `enhancement_saturation_report.py`,
//! `synergy_analysis_report.py`, `pair_cost_analysis_report.py`), from the
//! kept top N (5,000 by default), best first: every tier, bucket, median and
//! cost group is over those N, as the original's were.
//!
//! Tiers are cut at a count of pairs, `max(1, ⌊N × p⌋)` of the sorted list
//! (Top 50 % of 5,000 is 2,500 pairs, whatever ties straddle the cut).
//! Medians are `statistics.median`'s (the mean of the two middle values of an
//! even count); the standard deviation is the sample one.
//!
//! Usage shares come from the turns each attack was chosen, per profile and
//! per scenario, pooled over runs as the original pooled them. Deviations:
//! the original's `Generated:` timestamp lines are left out, so a report is
//! the same from one run to the next; ties in the saturation ranking keep the
//! order enhancements were first met (the original's followed Python's
//! per-process set order); a report's methodology and notes paragraphs are
//! `sim`'s own words.

use crate::combat::Attack;
use crate::pairs::catalogue::Catalogue;
use crate::pairs::shards::PairRecord;

pub mod combat_logs;
mod enhancements;
mod pairing;
mod stage1;
mod synergy_and_costs;
#[cfg(test)]
mod tests;

use enhancements::{ranking, saturation};
use pairing::{stage2, top1000};
pub use stage1::{stage1_reports, FILES as STAGE1_FILES};
use synergy_and_costs::{costs, synergy};
/// The tiers of the enhancement reports: share, title, file suffix.
pub const TIERS: [(f64, &str, &str); 5] = [
    (0.50, "Top 50%", "50"),
    (0.20, "Top 20%", "20"),
    (0.05, "Top 5%", "5"),
    (0.01, "Top 1%", "1"),
    (0.001, "Top 0.1%", "0.1"),
];

/// The synergy buckets, in the original's order and words.
pub const SYNERGY_BUCKETS: [&str; 7] = [
    "Strong Positive (>30%)",
    "Moderate Positive (15-30%)",
    "Slight Positive (5-15%)",
    "Neutral (-5 to 5%)",
    "Slight Negative (-15 to -5%)",
    "Moderate Negative (-30 to -15%)",
    "Strong Negative (<-30%)",
];

/// Every file name [`reports`] may write.
pub fn file_names() -> Vec<String> {
    let mut v: Vec<String> = [
        "stage2_pairing_report.md",
        "top_1000_pairs.md",
        "synergy_analysis.md",
        "pair_cost_analysis.md",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (_, _, suffix) in TIERS {
        v.push(format!("enhancement_ranking_top_{suffix}.md"));
        v.push(format!("enhancement_saturation_top_{suffix}.md"));
    }
    v
}

/// The size of a tier of `len` pairs: `max(1, ⌊len × share⌋)`.
pub fn tier_count(len: usize, share: f64) -> usize {
    ((len as f64 * share) as usize).max(1).min(len)
}

/// `statistics.median`: the middle value, or the mean of the two middle
/// values of an even count (0 for none).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The synergy bucket of a score (index into [`SYNERGY_BUCKETS`]).
pub fn synergy_bucket(s: f64) -> usize {
    if s > 30.0 {
        0
    } else if s > 15.0 {
        1
    } else if s > 5.0 {
        2
    } else if s >= -5.0 {
        3
    } else if s >= -15.0 {
        4
    } else if s >= -30.0 {
        5
    } else {
        6
    }
}

/// What the reports know: the kept pairs (best first), how many were read,
/// the runs per combat setting, and the attacks when a catalogue is at hand.
pub struct Input<'a> {
    /// The kept top N, best first.
    pub top: &'a [PairRecord],
    /// Records read.
    pub records: u64,
    /// Runs per profile × scenario (the original: 2).
    pub runs: u32,
    /// The attacks, by index.
    pub catalogue: Option<&'a Catalogue>,
}

impl Input<'_> {
    fn attack(&self, i: u32) -> Option<&Attack> {
        self.catalogue?.entries.get(i as usize).map(|e| &e.attack)
    }

    /// `` `type` + `up, up` [Limits: `lim`] (Cost: Np) ``, or `#i`.
    fn attack_line(&self, i: u32) -> String {
        let Some(a) = self.attack(i) else {
            return format!("#{i}");
        };
        let mut s = format!("`{}`", a.kind.name());
        let ups: Vec<&str> = a.upgrade_names().collect();
        if !ups.is_empty() {
            s.push_str(&format!(" + `{}`", ups.join(", ")));
        }
        let lims: Vec<&str> = a.limit_names().collect();
        if !lims.is_empty() {
            s.push_str(&format!(" [Limits: `{}`]", lims.join(", ")));
        }
        s.push_str(&format!(" (Cost: {}p)", a.cost()));
        s
    }

    /// `type+up+up+up... [lim...]` (top-1000's), or with `max_ups` 2 and a
    /// bare `[lim]` (the cost report's).
    fn abbreviation(&self, i: u32, max_ups: usize, cost_style: bool) -> String {
        let Some(a) = self.attack(i) else {
            return format!("#{i}");
        };
        let mut s = a.kind.name().to_string();
        let ups: Vec<&str> = a.upgrade_names().collect();
        if !ups.is_empty() {
            s.push('+');
            s.push_str(&ups[..ups.len().min(max_ups)].join("+"));
            if ups.len() > max_ups {
                s.push_str("...");
            }
        }
        let mut lims = a.limit_names();
        if let Some(first) = lims.next() {
            if cost_style {
                s.push_str(&format!("[{first}]"));
            } else {
                s.push_str(&format!(" [{first}]"));
                if lims.next().is_some() {
                    s.push_str("...");
                }
            }
        }
        s
    }

    fn cost(&self, i: u32) -> u32 {
        self.attack(i).map_or(0, Attack::cost)
    }
}

/// Share of turns each attack was used, percent.
fn pct(u: [u32; 2]) -> [f64; 2] {
    let total = f64::from(u[0] + u[1]);
    if total == 0.0 {
        return [0.0, 0.0];
    }
    [
        f64::from(u[0]) * 100.0 / total,
        f64::from(u[1]) * 100.0 / total,
    ]
}

/// The original's `avg_attack1_usage` / `avg_attack2_usage`: each attack's
/// share, averaged over the profiles.
fn mean_profile_usage(p: &PairRecord) -> [f64; 2] {
    let shares: Vec<[f64; 2]> = p.usage_by_profile.iter().map(|&u| pct(u)).collect();
    let n = shares.len() as f64;
    [
        shares.iter().map(|s| s[0]).sum::<f64>() / n,
        shares.iter().map(|s| s[1]).sum::<f64>() / n,
    ]
}

/// Every report: file name and contents. The enhancement reports and the
/// cost analysis need the catalogue and are left out without it.
pub fn reports(r: &Input<'_>) -> Vec<(String, String)> {
    let mut v = vec![
        ("stage2_pairing_report.md".to_string(), stage2(r)),
        ("top_1000_pairs.md".to_string(), top1000(r)),
        ("synergy_analysis.md".to_string(), synergy(r)),
    ];
    if r.catalogue.is_some() {
        for (share, title, suffix) in TIERS {
            let n = tier_count(r.top.len(), share);
            let tier = &r.top[..n];
            v.push((
                format!("enhancement_ranking_top_{suffix}.md"),
                ranking(r, tier, title),
            ));
            v.push((
                format!("enhancement_saturation_top_{suffix}.md"),
                saturation(r, tier, title),
            ));
        }
        v.push(("pair_cost_analysis.md".to_string(), costs(r)));
    }
    v
}

pub(super) fn thousands(n: u64) -> String {
    crate::waves::report::thousands(n)
}
