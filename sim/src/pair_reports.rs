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

use std::fmt::Write as _;

use crate::catalogue::Catalogue;
use crate::combat::data::{AttackType, LIMITS, UPGRADES};
use crate::combat::Attack;
use crate::shards::PairRecord;

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

use crate::pairs::{PROFILES, STAGE2_SCENARIOS};

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

fn stage2(r: &Input<'_>) -> String {
    let mut s = String::from("# Simulation V3 - Stage 2: Attack Pairing Results\n\n## Summary\n\n");
    let _ = writeln!(
        s,
        "- **Total pairs tested**: {} (the kept top of {} read)",
        thousands(r.top.len() as u64),
        thousands(r.records)
    );
    let _ = writeln!(s, "- **Simulation runs per pair**: {}", r.runs);
    let _ = writeln!(
        s,
        "- **Test configurations**: 2 profiles × 1 buffs × 4 scenarios\n"
    );
    s.push_str("## Top 50 Attack Pairs\n\n");
    for (rank, p) in r.top.iter().take(50).enumerate() {
        let kinds = |i: u32| {
            r.attack(i)
                .map_or(format!("#{i}"), |a| a.kind.name().to_string())
        };
        let _ = writeln!(
            s,
            "### Rank {}: {} + {}\n",
            rank + 1,
            kinds(p.attacks[0]),
            kinds(p.attacks[1])
        );
        let _ = writeln!(s, "**Overall Performance:** {:.2} avg turns", p.overall_avg);
        let _ = writeln!(s, "**Synergy Score:** {:+.1}%\n", p.synergy);
        let _ = writeln!(s, "**Attack 1:** {}", r.attack_line(p.attacks[0]));
        let _ = writeln!(s, "**Attack 2:** {}\n", r.attack_line(p.attacks[1]));
        s.push_str("**Usage Split:**\n\n| Context | Attack 1 | Attack 2 |\n|---------|----------|----------|\n");
        for (profile, &u) in PROFILES.iter().zip(&p.usage_by_profile) {
            let u = pct(u);
            let _ = writeln!(s, "| vs {} | {:.0}% | {:.0}% |", profile.name, u[0], u[1]);
        }
        for (scenario, &u) in STAGE2_SCENARIOS.iter().zip(&p.usage_by_scenario) {
            let u = pct(u);
            let _ = writeln!(s, "| {} | {:.0}% | {:.0}% |", scenario.name, u[0], u[1]);
        }
        s.push_str(
            "\n**Performance by Profile:**\n\n| Profile | Avg Turns |\n|---------|----------|\n",
        );
        for (profile, avg) in PROFILES.iter().zip(p.profile_avg) {
            let _ = writeln!(s, "| {} | {avg:.2} |", profile.name);
        }
        s.push_str("\n---\n\n");
    }
    s
}

fn top1000(r: &Input<'_>) -> String {
    let top = &r.top[..r.top.len().min(1_000)];
    let mut s = String::from("# Simulation V3 - Top 1000 Pairs List\n\n## Summary\n\n");
    let _ = writeln!(
        s,
        "- **Total pairs ranked**: {}",
        thousands(top.len() as u64)
    );
    if let (Some(best), Some(worst)) = (top.first(), top.last()) {
        let _ = writeln!(s, "- **Best avg turns**: {:.2}", best.overall_avg);
        let _ = writeln!(s, "- **Worst in top 1000**: {:.2}", worst.overall_avg);
    }
    s.push_str(
        "\n## Methodology\n\nPairs ranked by average turns to defeat the enemies (lower is better) \
         over every profile, scenario and run. Attacks are abbreviated as \
         `type+upgrade+upgrade [limit]` (three upgrades and one limit at most, `...` for more); \
         costs are in points, doubled for area attacks.\n\n## Top 1000 Pairs\n\n\
         | Rank | Attack 1 | Cost1 | Attack 2 | Cost2 | Total | Avg Turns | Synergy |\n\
         |------|----------|-------|----------|-------|-------|-----------|--------|\n",
    );
    for (rank, p) in top.iter().enumerate() {
        let (c1, c2) = (r.cost(p.attacks[0]), r.cost(p.attacks[1]));
        let _ = writeln!(
            s,
            "| {} | {} | {c1}p | {} | {c2}p | {}p | {:.2} | {:+.1}% |",
            rank + 1,
            r.abbreviation(p.attacks[0], 3, false),
            r.abbreviation(p.attacks[1], 3, false),
            c1 + c2,
            p.overall_avg,
            p.synergy
        );
    }
    s.push_str(
        "\n## Notes\n\n- Synergy compares the pair with the mean of its two attacks alone.\n\
         - Positive synergy: the pair wins faster than its attacks would alone.\n",
    );
    s
}

/// Type columns of the ranking: the five the original prints.
const TYPE_COLUMNS: [AttackType; 5] = [
    AttackType::MeleeAc,
    AttackType::MeleeDg,
    AttackType::Ranged,
    AttackType::Area,
    AttackType::DirectDamage,
];

/// One enhancement's appearances in a tier.
#[derive(Default)]
struct Tally {
    apps: [u32; 2],
    turns: f64,
    used: [f64; 2],
    by_type: [(f64, u32); 6],
    by_profile: [f64; 2],
}

/// Enhancement names and costs: upgrades, then limits.
fn enhancement(e: usize) -> (&'static str, &'static str, u32) {
    if e < UPGRADES.len() {
        (UPGRADES[e].name, "upgrade", UPGRADES[e].cost)
    } else {
        let l = &LIMITS[e - UPGRADES.len()];
        (l.name, "limit", l.cost)
    }
}

/// An attack's enhancements: upgrades then limits (as indices into
/// [`enhancement`]).
fn enhancements_of(a: &Attack) -> impl Iterator<Item = usize> + '_ {
    a.upgrades()
        .map(usize::from)
        .chain(a.limits().iter().map(|&l| UPGRADES.len() + usize::from(l)))
}

fn ranking(r: &Input<'_>, tier: &[PairRecord], title: &str) -> String {
    let avgs: Vec<f64> = tier.iter().map(|p| f64::from(p.overall_avg)).collect();
    let med = median(&avgs);
    let mut order: Vec<usize> = Vec::new();
    let mut tallies: Vec<Tally> = (0..UPGRADES.len() + LIMITS.len())
        .map(|_| Tally::default())
        .collect();
    for p in tier {
        let u = mean_profile_usage(p);
        for (slot, (&i, &used)) in p.attacks.iter().zip(&u).enumerate() {
            let Some(a) = r.attack(i) else {
                continue;
            };
            for e in enhancements_of(a) {
                let t = &mut tallies[e];
                if t.apps == [0, 0] {
                    order.push(e);
                }
                t.apps[slot] += 1;
                t.turns += f64::from(p.overall_avg);
                t.used[slot] += used;
                let k = AttackType::ALL
                    .iter()
                    .position(|&x| x == a.kind)
                    .unwrap_or(0);
                t.by_type[k].0 += f64::from(p.overall_avg);
                t.by_type[k].1 += 1;
                for (b, v) in t.by_profile.iter_mut().zip(p.profile_avg) {
                    *b += f64::from(v);
                }
            }
        }
    }
    let eff = |e: usize| {
        let t = &tallies[e];
        let apps = f64::from(t.apps[0] + t.apps[1]);
        let cost = enhancement(e).2;
        if cost == 0 {
            0.0
        } else {
            (t.turns / apps - med) / f64::from(cost)
        }
    };
    order.sort_by(|&a, &b| eff(a).total_cmp(&eff(b)));
    let mut s = format!("# Simulation V3 - Enhancement Ranking Report ({title})\n\n## Summary\n\n");
    let _ = writeln!(
        s,
        "- **Tier**: {title} of all pairs ({} pairs)",
        thousands(tier.len() as u64)
    );
    let _ = writeln!(s, "- **Tier median turns**: {med:.2}");
    let _ = writeln!(s, "- **Unique enhancements found**: {}\n", order.len());
    s.push_str(
        "## Methodology\n\n1. The tier is the best pairs of the kept top, cut at a count.\n\
         2. Every upgrade and limit on attack 1 and on attack 2 counts once per slot.\n\
         3. Avg Turns is the mean of the pairs' average turns over its appearances.\n\
         4. vs Med compares that with the tier's median; Eff divides it by the enhancement's cost.\n\n\
         ## Enhancement Rankings\n\nSorted by efficiency (lower = better).\n\n\
         | Rank | Enhancement | Type | Cost | Apps | App% | Avg Turns | vs Med | Eff | Slot1 | Slot2 | Used1 | Used2 | Melee_AC | Melee_DG | Ranged | Area | Direct | Evasive | Tanky | \n",
    );
    s.push('|');
    s.push_str(&"---|".repeat(20));
    s.push('\n');
    for (rank, &e) in order.iter().enumerate() {
        let t = &tallies[e];
        let (name, kind, cost) = enhancement(e);
        let apps = t.apps[0] + t.apps[1];
        let appsf = f64::from(apps);
        let avg = t.turns / appsf;
        let slot = |i: usize| f64::from(t.apps[i]) * 100.0 / appsf;
        let used = |i: usize| {
            if t.apps[i] == 0 {
                0.0
            } else {
                t.used[i] / f64::from(t.apps[i])
            }
        };
        let _ = write!(
            s,
            "| {} | {name} | {kind} | {cost}p | {apps} | {:.1}% | {avg:.2} | {:+.2} | {:.3} | {:.0}% | {:.0}% | {:.0}% | {:.0}% | ",
            rank + 1,
            appsf * 100.0 / tier.len() as f64,
            avg - med,
            eff(e),
            slot(0),
            slot(1),
            used(0),
            used(1),
        );
        for ty in TYPE_COLUMNS {
            let k = AttackType::ALL.iter().position(|&x| x == ty).unwrap_or(0);
            let (sum, n) = t.by_type[k];
            let _ = write!(s, "{:.2} | ", if n == 0 { 0.0 } else { sum / f64::from(n) });
        }
        for b in t.by_profile {
            let _ = write!(s, "{:.2} | ", b / appsf);
        }
        s.push('\n');
    }
    s.push_str(
        "\n## Column Definitions\n\n- **Apps**: appearances, one per slot holding it.\n\
         - **App%**: appearances per pair of the tier (over 100% when both attacks hold it).\n\
         - **Slot1 / Slot2**: share of appearances on attack 1 / attack 2.\n\
         - **Used1 / Used2**: mean share of turns the attack holding it was used.\n\
         - **Melee_AC … Direct**: mean average turns when the attack holding it is of that type.\n\
         - **Evasive / Tanky**: mean average turns against that profile.\n",
    );
    s
}

fn saturation(r: &Input<'_>, tier: &[PairRecord], title: &str) -> String {
    let mut order: Vec<usize> = Vec::new();
    let mut count = vec![0u32; UPGRADES.len() + LIMITS.len()];
    for p in tier {
        let mut seen = [false; UPGRADES.len() + LIMITS.len()];
        for i in p.attacks {
            if let Some(a) = r.attack(i) {
                for e in enhancements_of(a) {
                    seen[e] = true;
                }
            }
        }
        for (e, &on) in seen.iter().enumerate() {
            if on {
                if count[e] == 0 {
                    order.push(e);
                }
                count[e] += 1;
            }
        }
    }
    let rate = |e: usize| f64::from(count[e]) * 100.0 / tier.len() as f64;
    order.sort_by(|&a, &b| rate(b).total_cmp(&rate(a)));
    let rates: Vec<f64> = order.iter().map(|&e| rate(e)).collect();
    let mean = if rates.is_empty() {
        0.0
    } else {
        rates.iter().sum::<f64>() / rates.len() as f64
    };
    let mut s =
        format!("# Simulation V3 - Enhancement Saturation Report ({title})\n\n## Summary\n\n");
    let _ = writeln!(
        s,
        "- **Tier**: {title} of all pairs ({} pairs)",
        thousands(tier.len() as u64)
    );
    let _ = writeln!(s, "- **Unique enhancements found**: {}", order.len());
    let _ = writeln!(s, "- **Average saturation rate**: {mean:.1}%");
    let _ = writeln!(s, "- **Median saturation rate**: {:.1}%\n", median(&rates));
    s.push_str(
        "## Methodology\n\n**Key Metrics**: the saturation rate of an enhancement is the share of \
         the tier's pairs with it on either attack (once per pair).\n\n**Interpretation**: above \
         60% it is near-essential at this tier; 30-60% common; below 30% situational.\n\n\
         ## Enhancement Saturation Rankings\n\nSorted by saturation rate (descending).\n\n\
         | Rank | Enhancement | Type | Cost | Appearances | Saturation Rate |\n\
         |------|-------------|------|------|-------------|----------------|\n",
    );
    for (rank, &e) in order.iter().enumerate() {
        let (name, kind, cost) = enhancement(e);
        let _ = writeln!(
            s,
            "| {} | {name} | {kind} | {cost}p | {} | {:.1}% |",
            rank + 1,
            thousands(u64::from(count[e])),
            rate(e)
        );
    }
    let levels = [
        ("High (>60%)", rates.iter().filter(|&&x| x > 60.0).count()),
        (
            "Medium (30-60%)",
            rates
                .iter()
                .filter(|&&x| (30.0..=60.0).contains(&x))
                .count(),
        ),
        ("Low (<30%)", rates.iter().filter(|&&x| x < 30.0).count()),
    ];
    s.push_str(
        "\n## Saturation Distribution\n\n| Saturation Level | Count | % of Enhancements |\n\
         |-----------------|-------|------------------|\n",
    );
    for (name, n) in levels {
        let _ = writeln!(
            s,
            "| {name} | {n} | {:.1}% |",
            n as f64 * 100.0 / rates.len().max(1) as f64
        );
    }
    let row = |s: &mut String, e: usize| {
        let (name, kind, cost) = enhancement(e);
        let _ = writeln!(s, "| {name} | {kind} | {cost}p | {:.1}% |", rate(e));
    };
    s.push_str(
        "\n## Top 10 Most Saturated Enhancements\n\n| Enhancement | Type | Cost | Saturation Rate |\n\
         |-------------|------|------|----------------|\n",
    );
    for &e in order.iter().take(10) {
        row(&mut s, e);
    }
    if order.len() > 10 {
        s.push_str(
            "\n## Bottom 10 Least Saturated Enhancements\n\n| Enhancement | Type | Cost | Saturation Rate |\n\
             |-------------|------|------|----------------|\n",
        );
        for &e in &order[order.len() - 10..] {
            row(&mut s, e);
        }
    }
    s.push_str(
        "\n## Notes\n\n- A pair counts an enhancement once, whichever attack holds it.\n\
         - Tiers are the best pairs of the kept top, cut at a count.\n",
    );
    s
}

fn synergy(r: &Input<'_>) -> String {
    let scores: Vec<f64> = r.top.iter().map(|p| f64::from(p.synergy)).collect();
    let n = scores.len();
    let mean = if n == 0 {
        0.0
    } else {
        scores.iter().sum::<f64>() / n as f64
    };
    let sd = if n > 1 {
        (scores.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let mut positive: Vec<&PairRecord> = r.top.iter().filter(|p| p.synergy > 15.0).collect();
    positive.sort_by(|a, b| b.synergy.total_cmp(&a.synergy));
    let mut negative: Vec<&PairRecord> = r.top.iter().filter(|p| p.synergy < -15.0).collect();
    negative.sort_by(|a, b| a.synergy.total_cmp(&b.synergy));
    let mut buckets = [0usize; 7];
    for &x in &scores {
        buckets[synergy_bucket(x)] += 1;
    }
    let mut s = String::from("# Simulation V3 - Synergy Deep Dive Report\n\n## Summary\n\n");
    let _ = writeln!(s, "- **Total pairs analyzed**: {}", thousands(n as u64));
    let _ = writeln!(
        s,
        "- **Pairs with strong positive synergy (>15%)**: {}",
        positive.len()
    );
    let _ = writeln!(
        s,
        "- **Pairs with strong negative synergy (<-15%)**: {}",
        negative.len()
    );
    let _ = writeln!(s, "- **Synergy score median**: {:+.1}%", median(&scores));
    let _ = writeln!(s, "- **Synergy score mean**: {mean:+.1}%");
    let _ = writeln!(s, "- **Synergy score std dev**: {sd:.1}%\n");
    s.push_str(
        "## Methodology\n\n```\nsynergy = (mean of the two attacks' solo turns - pair turns) \
         / mean of the solo turns × 100\n```\n\n- Positive: the pair wins faster than its attacks \
         alone would.\n- Negative: slower.\n\n## Synergy Distribution\n\n\
         | Synergy Range | Count | % of Pairs |\n|--------------|-------|------------|\n",
    );
    for (label, count) in SYNERGY_BUCKETS.iter().zip(buckets) {
        let _ = writeln!(
            s,
            "| {label} | {count} | {:.1}% |",
            count as f64 * 100.0 / n.max(1) as f64
        );
    }
    let entry = |s: &mut String, rank: usize, p: &PairRecord, good: bool| {
        let _ = writeln!(s, "### Rank {rank}: {:+.1}% Synergy\n", p.synergy);
        let _ = writeln!(s, "**Performance:** {:.2} avg turns", p.overall_avg);
        let _ = writeln!(s, "**Attack 1:** {}", r.attack_line(p.attacks[0]));
        let _ = writeln!(s, "**Attack 2:** {}\n", r.attack_line(p.attacks[1]));
        let _ = writeln!(s, "**Why it {}:**", if good { "works" } else { "fails" });
        for reason in reasons(r, p, good) {
            let _ = writeln!(s, "{reason}");
        }
        s.push_str("\n---\n\n");
    };
    s.push_str(
        "\n## Top 50 Positive Synergy Pairs (Complementary)\n\nThese pairs perform significantly \
         better together than individually.\n\n",
    );
    for (i, p) in positive.iter().take(50).enumerate() {
        entry(&mut s, i + 1, p, true);
    }
    s.push_str(
        "\n\n## Top 50 Negative Synergy Pairs (Anti-Synergy)\n\nThese pairs perform worse together \
         than individually - avoid these combinations.\n\n",
    );
    for (i, p) in negative.iter().take(50).enumerate() {
        entry(&mut s, i + 1, p, false);
    }
    s
}

/// The original's reasons, in its order: at most three why a pair works,
/// every one that applies why it fails.
fn reasons(r: &Input<'_>, p: &PairRecord, good: bool) -> Vec<String> {
    let (a, b) = (r.attack(p.attacks[0]), r.attack(p.attacks[1]));
    let mut out = Vec::new();
    if good {
        if let (Some(a), Some(b)) = (a, b) {
            if a.kind != b.kind && (a.kind.is_area() != b.kind.is_area()) {
                out.push("- **Attack type diversity**: One AOE, one single-target (scenario adaptability)".into());
            }
        }
        for (profile, &u) in PROFILES.iter().zip(&p.usage_by_profile) {
            let u = pct(u);
            if u[0] > 70.0 || u[1] > 70.0 {
                out.push(format!(
                    "- **Specialization vs {}**: Clear role differentiation",
                    profile.name
                ));
            }
        }
        for (scenario, &u) in STAGE2_SCENARIOS.iter().zip(&p.usage_by_scenario) {
            let u = pct(u);
            if u[0] > 70.0 || u[1] > 70.0 {
                out.push(format!(
                    "- **Scenario specialization ({})**: One attack dominates",
                    scenario.name
                ));
            }
        }
        if out.is_empty() {
            out.push(
                "- **Complementary enhancements**: Attacks cover different combat needs".into(),
            );
        }
        out.truncate(3);
    } else {
        if let (Some(a), Some(b)) = (a, b) {
            if a.kind == b.kind {
                out.push(format!(
                    "- **Redundant attack types**: Both are `{}`",
                    a.kind.name()
                ));
            }
            let even = p
                .usage_by_profile
                .iter()
                .all(|&u| (40.0..=60.0).contains(&pct(u)[0]));
            if even {
                out.push("- **No clear role differentiation**: Both attacks used equally across all contexts".into());
            }
            if a.upgrades().filter(|&x| b.has(x)).count() > 2 {
                out.push("- **Overlapping upgrades**: Shared enhancements = redundancy".into());
            }
        }
        if out.is_empty() {
            out.push(
                "- **Poor complementarity**: Attacks don't cover each other's weaknesses".into(),
            );
        }
    }
    out
}

fn costs(r: &Input<'_>) -> String {
    let avgs: Vec<f64> = r.top.iter().map(|p| f64::from(p.overall_avg)).collect();
    let overall = median(&avgs);
    let mut groups: std::collections::BTreeMap<u32, Vec<&PairRecord>> = Default::default();
    for p in r.top {
        groups
            .entry(r.cost(p.attacks[0]) + r.cost(p.attacks[1]))
            .or_default()
            .push(p);
    }
    let pair = |p: &PairRecord| {
        format!(
            "{} + {}",
            r.abbreviation(p.attacks[0], 2, true),
            r.abbreviation(p.attacks[1], 2, true)
        )
    };
    let mut s = String::from("# Simulation V3 - Pair Cost Analysis Report\n\n## Summary\n\n");
    let _ = writeln!(
        s,
        "- **Total pairs analyzed**: {}",
        thousands(r.top.len() as u64)
    );
    let _ = writeln!(s, "- **Cost tiers found**: {}", groups.len());
    let _ = writeln!(s, "- **Overall median turns**: {overall:.2}");
    if let (Some(lo), Some(hi)) = (groups.keys().next(), groups.keys().last()) {
        let _ = writeln!(s, "- **Cheapest total cost**: {lo}p");
        let _ = writeln!(s, "- **Most expensive total cost**: {hi}p");
    }
    s.push_str(
        "\n## Methodology\n\nPairs grouped by their total cost (both attacks, area costs \
         doubled). Efficiency is the group's median minus the overall median, per point.\n\n\
         ## Cost Tier Summary\n\n| Cost | Pairs | Best | Median | vs Overall | Efficiency | Top 3 |\n\
         |------|-------|------|--------|-----------|------------|-------|\n",
    );
    let med = |g: &[&PairRecord]| {
        median(
            &g.iter()
                .map(|p| f64::from(p.overall_avg))
                .collect::<Vec<_>>(),
        )
    };
    let per_point = |x: f64, cost: u32| if cost == 0 { 0.0 } else { x / f64::from(cost) };
    for (&cost, g) in &groups {
        let m = med(g);
        let top3: Vec<String> = g
            .iter()
            .take(3)
            .enumerate()
            .map(|(i, p)| format!("{}. {}", i + 1, pair(p)))
            .collect();
        let _ = writeln!(
            s,
            "| {cost}p | {} | {:.2} | {m:.2} | {:+.2} | {:.3} | {} |",
            g.len(),
            g[0].overall_avg,
            m - overall,
            per_point(m - overall, cost),
            top3.join("<br>")
        );
    }
    s.push_str("\n## Detailed Breakdown by Cost Tier\n\n");
    for (&cost, g) in &groups {
        let _ = writeln!(s, "### {cost} Points\n");
        let _ = writeln!(
            s,
            "**Pairs at this cost**: {}\n**Median performance**: {:.2} avg turns\n",
            g.len(),
            med(g)
        );
        s.push_str(
            "**Top 10 pairs at this cost:**\n\n| Rank | Attack 1 | Attack 2 | Avg Turns | Synergy |\n\
             |------|----------|----------|-----------|--------|\n",
        );
        for (i, p) in g.iter().take(10).enumerate() {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.2} | {:+.1}% |",
                i + 1,
                r.abbreviation(p.attacks[0], 2, true),
                r.abbreviation(p.attacks[1], 2, true),
                p.overall_avg,
                p.synergy
            );
        }
        s.push('\n');
    }
    s.push_str(
        "## Value Analysis\n\nBest efficiency (performance per point spent) at each cost tier:\n\n\
         | Cost | Best Pair | Avg Turns | Efficiency |\n|------|-----------|-----------|------------|\n",
    );
    for (&cost, g) in &groups {
        let best = f64::from(g[0].overall_avg);
        let _ = writeln!(
            s,
            "| {cost}p | {} | {best:.2} | {:.3} |",
            pair(g[0]),
            per_point(best - overall, cost)
        );
    }
    s.push_str(
        "\n## Notes\n\n- Costs are in points; area attacks cost double.\n\
         - All figures are over the kept top pairs.\n",
    );
    s
}

fn thousands(n: u64) -> String {
    crate::waves::report::thousands(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Entry;
    use crate::combat::data::{lim, up};

    fn rec(id: u64, attacks: [u32; 2], avg: f32, synergy: f32) -> PairRecord {
        PairRecord {
            pair_id: id,
            attacks,
            overall_avg: avg,
            profile_avg: [avg - 1.0, avg + 1.0],
            scenario_avg: [avg; 4],
            usage_by_profile: [[15, 5], [12, 8]],
            usage_by_scenario: [[8, 2], [7, 3], [6, 4], [6, 4]],
            synergy,
        }
    }

    fn catalogue() -> Catalogue {
        let entries = vec![
            Attack::new(AttackType::MeleeAc, &[up::POWER_ATTACK, up::BRUTAL], &[]),
            Attack::new(AttackType::Area, &[up::BLEED], &[lim::CHARGES_1]),
            Attack::basic(AttackType::Ranged),
        ]
        .into_iter()
        .map(|attack| Entry {
            attack,
            solo_avg: 10.0,
        })
        .collect();
        Catalogue { entries }
    }

    #[test]
    fn tiers_hold_their_count_of_pairs_even_when_most_tie_at_the_cap() {
        // 5,000 kept pairs, 3,000 of them tied at the 25-turn cap.
        let top: Vec<PairRecord> = (0..5_000u64)
            .map(|i| {
                rec(
                    i,
                    [0, 1],
                    if i < 2_000 {
                        10.0 + i as f32 / 1_000.0
                    } else {
                        25.0
                    },
                    0.0,
                )
            })
            .collect();
        let counts: Vec<usize> = TIERS
            .iter()
            .map(|&(p, _, _)| tier_count(top.len(), p))
            .collect();
        assert_eq!(counts, [2_500, 1_000, 250, 50, 5]);
        let cat = catalogue();
        let input = Input {
            top: &top,
            records: 1_000_000,
            runs: 2,
            catalogue: Some(&cat),
        };
        let files = reports(&input);
        let get = |name: &str| &files.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(get("enhancement_ranking_top_50.md")
            .contains("- **Tier**: Top 50% of all pairs (2,500 pairs)"));
        assert!(get("enhancement_saturation_top_0.1.md").contains("(5 pairs)"));
        // Every pair holds power_attack, brutal, bleed and charges_1: each in
        // all 2,500 pairs of the top 50 %, first met first.
        let cost = UPGRADES[up::POWER_ATTACK as usize].cost;
        let row = format!("| 1 | power_attack | upgrade | {cost}p | 2,500 | 100.0% |");
        assert!(
            get("enhancement_saturation_top_50.md").contains(&row),
            "{row}"
        );
        assert!(get("enhancement_saturation_top_50.md").contains("| High (>60%) | 4 | 100.0% |"));
    }

    #[test]
    fn every_file_has_the_originals_sections_and_columns() {
        let top: Vec<PairRecord> = (0..200u64)
            .map(|i| {
                rec(
                    i,
                    [(i % 3) as u32, ((i + 1) % 3) as u32],
                    8.0 + i as f32 / 50.0,
                    40.0 - i as f32 / 2.5,
                )
            })
            .collect();
        let cat = catalogue();
        let input = Input {
            top: &top,
            records: 200,
            runs: 2,
            catalogue: Some(&cat),
        };
        let files = reports(&input);
        let mut names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        let mut expected = file_names();
        expected.sort();
        assert_eq!(names, expected);
        let get = |name: &str| &files.iter().find(|(n, _)| n == name).unwrap().1;
        for (file, needles) in [
            ("stage2_pairing_report.md", vec!["# Simulation V3 - Stage 2: Attack Pairing Results", "## Top 50 Attack Pairs", "**Usage Split:**", "| Context | Attack 1 | Attack 2 |", "| vs Evasive | 75% | 25% |", "| vs Tanky | 60% | 40% |", "| Swarm 2 | 60% | 40% |", "**Performance by Profile:**", "| Evasive | 7.00 |"]),
            ("top_1000_pairs.md", vec!["# Simulation V3 - Top 1000 Pairs List", "| Rank | Attack 1 | Cost1 | Attack 2 | Cost2 | Total | Avg Turns | Synergy |", "| 1 | melee_ac+power_attack+brutal | 3p | area+bleed [charges_1] |"]),
            ("enhancement_ranking_top_20.md", vec!["| Rank | Enhancement | Type | Cost | Apps | App% | Avg Turns | vs Med | Eff | Slot1 | Slot2 | Used1 | Used2 | Melee_AC | Melee_DG | Ranged | Area | Direct | Evasive | Tanky | ", "## Column Definitions"]),
            ("enhancement_saturation_top_5.md", vec!["## Saturation Distribution", "## Top 10 Most Saturated Enhancements", "| High (>60%) |"]),
            ("synergy_analysis.md", vec!["- **Synergy score median**: ", "- **Synergy score std dev**: ", "| Strong Positive (>30%) |", "| Strong Negative (<-30%) |", "## Top 50 Positive Synergy Pairs (Complementary)", "## Top 50 Negative Synergy Pairs (Anti-Synergy)", "**Why it works:**", "**Why it fails:**"]),
            ("pair_cost_analysis.md", vec!["## Cost Tier Summary", "| Cost | Pairs | Best | Median | vs Overall | Efficiency | Top 3 |", "## Detailed Breakdown by Cost Tier", "## Value Analysis"]),
        ] {
            for needle in needles {
                assert!(get(file).contains(needle), "{file}: no `{needle}`\n{}", get(file));
            }
        }
        // Seven buckets, in order, adding up to every pair.
        let syn = get("synergy_analysis.md");
        let counted: usize = SYNERGY_BUCKETS
            .iter()
            .map(|b| {
                let line = syn
                    .lines()
                    .find(|l| l.starts_with(&format!("| {b} |")))
                    .unwrap();
                line.split('|')
                    .nth(2)
                    .unwrap()
                    .trim()
                    .parse::<usize>()
                    .unwrap()
            })
            .collect::<Vec<_>>()
            .iter()
            .sum();
        assert_eq!(counted, 200);
    }

    #[test]
    fn medians_and_buckets_are_the_originals() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let b: Vec<usize> = [
            31.0, 30.0, 15.0, 5.0, -5.0, -5.1, -15.0, -15.1, -30.0, -30.1,
        ]
        .iter()
        .map(|&s| synergy_bucket(s))
        .collect();
        assert_eq!(b, [0, 1, 2, 3, 3, 4, 4, 5, 5, 6]);
        assert_eq!(tier_count(3, 0.001), 1, "at least one pair");
    }
}
