//! Stage 1's reports, as `stage1_pruning.py` (`generate_stage1_report`),
//! `enhancement_report.py` and `cost_analysis_report.py` write them into
//! the stage's folder, and its cache of pruned attacks
//! (`save_pruned_attacks`).
//!
//! Kept as the original has them: headings, table columns and number
//! formats; the Top 50 table's header of four profile columns over rows
//! that carry two (its rows are one value per configured profile, so the
//! Evasive value sits under "vs Balanced"); the buff table's median over
//! every tested attack, not only the kept; the saturation report over the
//! best 20 % of the kept attacks, every upgrade and limit listed; limits by
//! cost in descending order. Deviations: no `Generated:` line (a report is
//! the same from one run to the next, as the stage-2 reports); the profile
//! descriptions give the avoidance and durability of the profile's actual
//! stats (the original's hard-coded text says 18/11 and 16/13, where its
//! own stats give 18/9 and 14/13); the cache is written beside the reports
//! (`stage1/pruned_attacks.json`), not into the program's own folder.

use std::fmt::Write as _;

use super::{median, thousands};
use crate::combat::data::{LIMITS, UPGRADES};
use crate::combat::Attack;
use crate::pairs::{Config, Pruned, Solo, PROFILES, STAGE2_SCENARIOS};

/// Stage 1's report files, in the order they are written.
pub const FILES: [&str; 4] = [
    "pruned_attacks.json",
    "stage1_pruning_report.md",
    "enhancement_saturation_report.md",
    "cost_analysis_report.md",
];

/// The saturation report's scope: the best 20 % of the kept attacks
/// (config.json's `top_percent`).
const TOP_PERCENT: f64 = 0.2;

/// Every stage-1 file: name and contents, in [`FILES`] order.
pub fn stage1_reports(p: &Pruned, cfg: &Config) -> Vec<(String, String)> {
    vec![
        (FILES[0].to_string(), pruned_json(p)),
        (FILES[1].to_string(), pruning(p, cfg)),
        (FILES[2].to_string(), saturation(p)),
        (FILES[3].to_string(), costs(p)),
    ]
}

/// An enhancement's name and raw (undoubled) cost: upgrades, then limits.
fn enhancement(e: usize) -> (&'static str, u32) {
    if e < UPGRADES.len() {
        (UPGRADES[e].name, UPGRADES[e].cost)
    } else {
        let l = &LIMITS[e - UPGRADES.len()];
        (l.name, l.cost)
    }
}

fn has(a: &Attack, e: usize) -> bool {
    if e < UPGRADES.len() {
        a.has(e as u8)
    } else {
        a.has_limit((e - UPGRADES.len()) as u8)
    }
}

/// `type + up1, up2...` and ` [limit]`, as the Top 50 table writes an attack.
fn desc50(a: &Attack) -> String {
    let ups: Vec<&str> = a.upgrade_names().collect();
    let mut s = a.kind.name().to_string();
    if !ups.is_empty() {
        s.push_str(" + ");
        s.push_str(&ups[..ups.len().min(2)].join(", "));
        if ups.len() > 2 {
            s.push_str("...");
        }
    }
    if let Some(l) = a.limit_names().next() {
        let _ = write!(s, " [{l}]");
    }
    s
}

/// `type + up1, up2`, as the per-profile and per-buff tables write it.
fn desc20(a: &Attack) -> String {
    let ups: Vec<&str> = a.upgrade_names().collect();
    let mut s = a.kind.name().to_string();
    if !ups.is_empty() {
        s.push_str(" + ");
        s.push_str(&ups[..ups.len().min(2)].join(", "));
    }
    s
}

/// The sample variance of the two profile averages, as
/// `statistics.variance`.
fn specialization_variance(s: &Solo) -> f64 {
    (s.profile[0] - s.profile[1]).powi(2) / 2.0
}

/// The avoidance and durability of a profile's stats.
fn profile_line(stats: [i32; 5], kind: &str) -> String {
    let [_, _, mobility, endurance, tier] = stats;
    format!(
        "*High {kind} enemy (Avoidance: {}, Durability: {})*",
        10 + tier + mobility,
        5 + tier + endurance
    )
}

fn pruning(p: &Pruned, cfg: &Config) -> String {
    let mut s = String::from("# Simulation V3 - Stage 1: Attack Pruning Results\n\n## Summary\n\n");
    let kept = p.attacks.len();
    let _ = writeln!(
        s,
        "- **Total attacks tested**: {}",
        thousands(p.tested as u64)
    );
    let _ = writeln!(
        s,
        "- **Attacks kept**: {} ({:.1}%)",
        thousands(kept as u64),
        kept as f64 * 100.0 / p.tested.max(1) as f64
    );
    s.push_str("- **Pruning strategy**: enhancement_based\n- **Test configuration**:\n");
    let _ = writeln!(s, "  - Defensive profiles: {}", PROFILES.len());
    s.push_str("  - Buff configurations: 1\n");
    let _ = writeln!(s, "  - Scenarios: {}", STAGE2_SCENARIOS.len());
    let _ = writeln!(s, "  - Tests per attack: {}", 2 * STAGE2_SCENARIOS.len());
    let _ = writeln!(s, "  - Simulation runs: {}\n", cfg.stage1_runs);
    s.push_str("### Enhancement-Based Pruning\n\n");
    let _ = writeln!(s, "- **Total enhancements analyzed**: {}", p.cuts.len());
    let _ = writeln!(
        s,
        "- **Top {:.0}% kept per enhancement**\n",
        cfg.enhancement_percent * 100.0
    );
    s.push_str("**Top 10 most represented enhancements:**\n\n");
    let mut cuts = p.cuts.clone();
    // Stable: ties keep the order the enhancements were met.
    cuts.sort_by_key(|c| std::cmp::Reverse(c.total));
    for c in cuts.iter().take(10) {
        let _ = writeln!(
            s,
            "- `{}`: {} total attacks, {} kept (cutoff: ≤{:.2} turns)",
            enhancement(c.enhancement).0,
            c.total,
            c.kept,
            c.cutoff
        );
    }
    s.push_str(
        "\n## Top 50 Attacks Overall\n\n\
         | Rank | Attack | Cost | Avg Turns | vs Balanced | vs Evasive | vs Tanky | vs Elite | Specialization |\n\
         |------|--------|------|-----------|-------------|------------|----------|----------|----------------|\n",
    );
    for (i, (a, solo)) in p.attacks.iter().zip(&p.solos).take(50).enumerate() {
        let v = specialization_variance(solo);
        let spec = if v < 0.5 {
            "Generalist"
        } else if v < 2.0 {
            "Balanced"
        } else {
            "Specialist"
        };
        let _ = writeln!(
            s,
            "| {} | {} | {}p | {:.2} | {:.2} | {:.2} | {spec} |",
            i + 1,
            desc50(a),
            a.cost(),
            solo.overall,
            solo.profile[0],
            solo.profile[1]
        );
    }
    s.push_str("\n## Performance by Defensive Profile\n\n");
    for (k, (profile, kind)) in PROFILES.iter().zip(["mobility", "endurance"]).enumerate() {
        let _ = writeln!(s, "### vs {} Enemies\n", profile.name);
        let _ = writeln!(s, "{}\n", profile_line(cfg.profiles[k], kind));
        s.push_str(
            "| Rank | Attack | Cost | Avg Turns | Overall Avg | Δ |\n\
             |------|--------|------|-----------|-------------|---|\n",
        );
        let mut order: Vec<usize> = (0..p.attacks.len()).collect();
        order.sort_by(|&x, &y| p.solos[x].profile[k].total_cmp(&p.solos[y].profile[k]));
        for (rank, &i) in order.iter().take(20).enumerate() {
            let solo = &p.solos[i];
            let _ = writeln!(
                s,
                "| {} | {} | {}p | {:.2} | {:.2} | {:+.2} |",
                rank + 1,
                desc20(&p.attacks[i]),
                p.attacks[i].cost(),
                solo.profile[k],
                solo.overall,
                solo.overall - solo.profile[k]
            );
        }
        s.push('\n');
    }
    s.push_str(
        "## Performance by Buff Configuration\n\n### No Buffs\n\n*Baseline - no passive effects*\n\n\
         | Rank | Attack | Cost | Avg Turns | vs Median | Overall Avg |\n\
         |------|--------|------|-----------|-----------|-------------|\n",
    );
    // With one buff configuration, its average is the overall one; the
    // median is over every attack tested.
    let median_buff = median(&p.tested_overall);
    for (rank, (a, solo)) in p.attacks.iter().zip(&p.solos).take(15).enumerate() {
        let _ = writeln!(
            s,
            "| {} | {} | {}p | {:.2} | {:+.2} | {:.2} |",
            rank + 1,
            desc20(a),
            a.cost(),
            solo.overall,
            solo.overall - median_buff,
            solo.overall
        );
    }
    s.push('\n');
    s
}

/// One enhancement's share of the saturation report's builds.
struct Share {
    name: &'static str,
    cost: u32,
    count: usize,
    saturation: f64,
}

fn shares(top: &[Attack], range: std::ops::Range<usize>) -> Vec<Share> {
    let mut v: Vec<Share> = range
        .map(|e| {
            let (name, cost) = enhancement(e);
            let count = top.iter().filter(|a| has(a, e)).count();
            Share {
                name,
                cost,
                count,
                saturation: count as f64 * 100.0 / top.len().max(1) as f64,
            }
        })
        .collect();
    v.sort_by(|a, b| b.saturation.total_cmp(&a.saturation));
    v
}

/// Costs in `shares`, ascending or descending.
fn costs_of(shares: &[Share], descending: bool) -> Vec<u32> {
    let mut c: Vec<u32> = shares.iter().map(|s| s.cost).collect();
    c.sort_unstable();
    c.dedup();
    if descending {
        c.reverse();
    }
    c
}

fn saturation(p: &Pruned) -> String {
    let cutoff = ((p.attacks.len() as f64 * TOP_PERCENT) as usize)
        .max(1)
        .min(p.attacks.len());
    let top = &p.attacks[..cutoff];
    let upgrades = shares(top, 0..UPGRADES.len());
    let limits = shares(top, UPGRADES.len()..UPGRADES.len() + LIMITS.len());
    let mut s = String::from("# Enhancement Saturation Report\n\n## Summary\n\n");
    let _ = writeln!(
        s,
        "- **Analysis scope**: Top {:.0}% of builds",
        TOP_PERCENT * 100.0
    );
    let _ = writeln!(
        s,
        "- **Total builds analyzed**: {}",
        thousands(cutoff as u64)
    );
    let _ = writeln!(s, "- **Total upgrades tracked**: {}", UPGRADES.len());
    let _ = writeln!(s, "- **Total limits tracked**: {}\n", LIMITS.len());
    for (title, column, list) in [
        ("Upgrade", "Upgrade", &upgrades),
        ("Limit", "Limit", &limits),
    ] {
        let _ = writeln!(
            s,
            "## {title} Saturation\n\nShows how often each {} appears in the best builds.\n",
            title.to_lowercase()
        );
        let _ = writeln!(
            s,
            "| Rank | {column} | Cost | Count | Saturation | Bar |\n|------|{}|------|-------|------------|-----|",
            "-".repeat(column.len() + 2)
        );
        for (i, e) in list.iter().enumerate() {
            let bar = "█".repeat((e.saturation / 5.0) as usize);
            let _ = writeln!(
                s,
                "| {} | {} | {}p | {} | {:.1}% | {bar} |",
                i + 1,
                e.name,
                e.cost,
                e.count,
                e.saturation
            );
        }
        s.push('\n');
    }
    s.push_str("## Cost Efficiency Analysis\n\n### Upgrades by Cost\n\n");
    let group = |s: &mut String, list: &[Share], cost: u32, heading: &str, column: &str| {
        let members: Vec<&Share> = list.iter().filter(|e| e.cost == cost).collect();
        let avg = members.iter().map(|e| e.saturation).sum::<f64>() / members.len() as f64;
        let _ = writeln!(s, "#### {heading} (Avg: {avg:.1}% saturation)\n");
        let _ = writeln!(
            s,
            "| {column} | Saturation | Count |\n|{}|------------|-------|",
            "-".repeat(column.len() + 2)
        );
        for e in members {
            let _ = writeln!(s, "| {} | {:.1}% | {} |", e.name, e.saturation, e.count);
        }
        s.push('\n');
    };
    for cost in costs_of(&upgrades, false) {
        group(
            &mut s,
            &upgrades,
            cost,
            &format!("{cost}-Point Upgrades"),
            "Upgrade",
        );
    }
    s.push_str("### Limits by Cost Value\n\n");
    for cost in costs_of(&limits, true) {
        group(
            &mut s,
            &limits,
            cost,
            &format!("{cost}-Point Cost Limits"),
            "Limit",
        );
    }
    s.push_str("## Key Insights\n\n### Most Popular Upgrades (Top 5)\n\n");
    for (i, e) in upgrades.iter().take(5).enumerate() {
        let _ = writeln!(
            s,
            "{}. **{}** ({}p) - {:.1}% saturation ({} builds)",
            i + 1,
            e.name,
            e.cost,
            e.saturation,
            e.count
        );
    }
    s.push_str("\n### Most Popular Limits (Top 5)\n\n");
    for (i, e) in limits.iter().take(5).enumerate() {
        let _ = writeln!(
            s,
            "{}. **{}** ({}p cost) - {:.1}% saturation ({} builds)",
            i + 1,
            e.name,
            e.cost,
            e.saturation,
            e.count
        );
    }
    s.push_str("\n### Underutilized Enhancements (<5% saturation)\n");
    let rare_upgrades: Vec<&Share> = upgrades.iter().filter(|e| e.saturation < 5.0).collect();
    if !rare_upgrades.is_empty() {
        s.push_str("\n**Upgrades:**\n");
        for e in rare_upgrades {
            let _ = writeln!(s, "- {} ({}p): {:.1}%", e.name, e.cost, e.saturation);
        }
    }
    let rare_limits: Vec<&Share> = limits.iter().filter(|e| e.saturation < 5.0).collect();
    if !rare_limits.is_empty() {
        s.push_str("\n**Limits:**\n");
        for e in rare_limits {
            let _ = writeln!(s, "- {} ({}p cost): {:.1}%", e.name, e.cost, e.saturation);
        }
    }
    s
}

/// The cost report's percentiles: share of the kept attacks and label.
const PERCENTILES: [(f64, u32); 5] = [(0.01, 1), (0.05, 5), (0.10, 10), (0.20, 20), (0.50, 50)];

/// One enhancement's line of the cost report.
struct Value {
    name: &'static str,
    cost: u32,
    avg: f64,
    vs_median: f64,
    efficiency: f64,
    count: usize,
    top20_avg: f64,
    top20_vs_median: f64,
    top20_efficiency: f64,
    top20_count: usize,
}

fn costs(p: &Pruned) -> String {
    let n = p.attacks.len();
    let overall: Vec<f64> = p.solos.iter().map(|s| s.overall).collect();
    let overall_median = median(&overall);
    let band = |share: f64| ((n as f64 * share) as usize).max(1).min(n);
    let top20 = band(0.20);
    let top20_median = median(&overall[..top20]);
    let per_cost = |d: f64, cost: u32| if cost == 0 { 0.0 } else { d / f64::from(cost) };
    let values: Vec<Value> = (0..UPGRADES.len() + LIMITS.len())
        .filter_map(|e| {
            let (name, cost) = enhancement(e);
            let with: Vec<f64> = (0..n)
                .filter(|&i| has(&p.attacks[i], e))
                .map(|i| overall[i])
                .collect();
            if with.is_empty() {
                return None;
            }
            let avg = with.iter().sum::<f64>() / with.len() as f64;
            let top: Vec<f64> = (0..top20)
                .filter(|&i| has(&p.attacks[i], e))
                .map(|i| overall[i])
                .collect();
            let (top20_avg, top20_vs_median) = if top.is_empty() {
                (0.0, 0.0)
            } else {
                let t = top.iter().sum::<f64>() / top.len() as f64;
                (t, t - top20_median)
            };
            Some(Value {
                name,
                cost,
                avg,
                vs_median: avg - overall_median,
                efficiency: per_cost(avg - overall_median, cost),
                count: with.len(),
                top20_avg,
                top20_vs_median,
                top20_efficiency: if top.is_empty() {
                    0.0
                } else {
                    per_cost(top20_vs_median, cost)
                },
                top20_count: top.len(),
            })
        })
        .collect();
    let upgrades: Vec<&Value> = values
        .iter()
        .filter(|v| UPGRADES.iter().any(|u| u.name == v.name))
        .collect();
    let limits: Vec<&Value> = values
        .iter()
        .filter(|v| LIMITS.iter().any(|l| l.name == v.name))
        .collect();
    let mut s = String::from("# Cost Analysis Report\n\n## Summary\n\n");
    let _ = writeln!(s, "- **Total builds analyzed**: {}", thousands(n as u64));
    let _ = writeln!(s, "- **Overall median turns**: {overall_median:.2}\n");
    s.push_str("**Percentile Medians:**\n");
    for (share, label) in PERCENTILES {
        let c = band(share);
        let _ = writeln!(
            s,
            "- Top {label}% ({c} builds): {:.2} avg turns",
            median(&overall[..c])
        );
    }
    s.push_str(
        "\n## Methodology\n\nEnhancements grouped by point cost, to find the best value at each \
         cost.\n\n**Key Metrics:**\n\
         - **Avg Turns**: the mean over every kept attack with the enhancement\n\
         - **vs Median**: that mean less the median of every kept attack (negative: better)\n\
         - **Efficiency**: vs Median per point of cost (more negative: better value)\n\
         - **TopX% Metrics**: the same over the best X% of the kept attacks only\n\n\
         ## Upgrades by Cost\n\n",
    );
    let header = |column: &str| {
        format!(
            "| {column} | Avg Turns | vs Median | Efficiency | Top20% | Top20% vs Med | Top20% Eff | Count | Top20% Count |\n\
             |{}|-----------|-----------|------------|--------|---------------|------------|-------|-------------|\n",
            "-".repeat(column.len() + 2)
        )
    };
    fn groups<'v>(list: &[&'v Value], descending: bool) -> Vec<(u32, Vec<&'v Value>)> {
        let mut costs: Vec<u32> = list.iter().map(|v| v.cost).collect();
        costs.sort_unstable();
        costs.dedup();
        if descending {
            costs.reverse();
        }
        costs
            .into_iter()
            .map(|c| {
                let mut members: Vec<&Value> =
                    list.iter().copied().filter(|v| v.cost == c).collect();
                members.sort_by(|a, b| a.efficiency.total_cmp(&b.efficiency));
                (c, members)
            })
            .collect()
    }
    let table = |s: &mut String, heading: String, column: &str, members: &[&Value]| {
        let avg = members.iter().map(|v| v.efficiency).sum::<f64>() / members.len() as f64;
        let _ = writeln!(s, "### {heading}\n");
        let _ = writeln!(s, "**Average Efficiency at this cost tier**: {avg:.3}\n");
        s.push_str(&header(column));
        for v in members {
            let _ = writeln!(
                s,
                "| {} | {:.2} | {:+.2} | {:.3} | {:.2} | {:+.2} | {:.3} | {} | {} |",
                v.name,
                v.avg,
                v.vs_median,
                v.efficiency,
                v.top20_avg,
                v.top20_vs_median,
                v.top20_efficiency,
                v.count,
                v.top20_count
            );
        }
        s.push('\n');
    };
    let upgrade_groups = groups(&upgrades, false);
    for (c, members) in &upgrade_groups {
        table(&mut s, format!("{c}-Point Upgrades"), "Upgrade", members);
    }
    s.push_str("## Limits by Cost Value\n\n");
    let limit_groups = groups(&limits, true);
    for (c, members) in &limit_groups {
        table(&mut s, format!("{c}-Point Cost Limits"), "Limit", members);
    }
    s.push_str("## Best Value By Cost Tier\n\n### Most Efficient Upgrades Per Cost\n\n");
    for (c, members) in &upgrade_groups {
        let v = members[0];
        let _ = writeln!(
            s,
            "- **{c}p**: `{}` (Efficiency: {:.3}, Top20%: {:.3})",
            v.name, v.efficiency, v.top20_efficiency
        );
    }
    s.push_str("\n### Most Efficient Limits Per Cost Value\n\n");
    for (c, members) in &limit_groups {
        let v = members[0];
        let _ = writeln!(
            s,
            "- **{c}p cost**: `{}` (Efficiency: {:.3}, Top20%: {:.3})",
            v.name, v.efficiency, v.top20_efficiency
        );
    }
    s
}

/// One attack of the cache, with the original's keys in its order.
#[derive(serde::Serialize)]
struct Cached<'a> {
    attack_type: &'static str,
    upgrades: Vec<&'static str>,
    limits: Vec<&'static str>,
    cost: u32,
    overall_avg: f64,
    profile_avgs: std::collections::BTreeMap<&'a str, f64>,
    buff_avgs: std::collections::BTreeMap<&'a str, f64>,
    scenario_avgs: std::collections::BTreeMap<&'a str, f64>,
    specialization_variance: f64,
}

/// `pruned_attacks.json`: the kept attacks, best first, as stage 2 of the
/// original reads them back.
fn pruned_json(p: &Pruned) -> String {
    let list: Vec<Cached<'_>> = p
        .attacks
        .iter()
        .zip(&p.solos)
        .map(|(a, solo)| Cached {
            attack_type: a.kind.name(),
            upgrades: a.upgrade_names().collect(),
            limits: a.limit_names().collect(),
            cost: a.cost(),
            overall_avg: solo.overall,
            profile_avgs: PROFILES
                .iter()
                .map(|pr| pr.name)
                .zip(solo.profile)
                .collect(),
            buff_avgs: [("No Buffs", solo.overall)].into_iter().collect(),
            scenario_avgs: STAGE2_SCENARIOS
                .iter()
                .map(|g| g.name)
                .zip(solo.scenario)
                .collect(),
            specialization_variance: specialization_variance(solo),
        })
        .collect();
    serde_json::to_string_pretty(&list).expect("plain data serialises")
}
