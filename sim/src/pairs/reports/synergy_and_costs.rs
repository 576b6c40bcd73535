//! The synergy analysis (with the reasons a pair works or does not) and
//! the cost analysis.

use std::fmt::Write as _;

use super::*;
use crate::pairs::shards::PairRecord;
use crate::pairs::{PROFILES, STAGE2_SCENARIOS};

pub(super) fn synergy(r: &Input<'_>) -> String {
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
        "## Methodology\n\n**Synergy Score Calculation:**\n```\nsynergy_score = (avg_individual - \
         paired_performance) / avg_individual × 100\n```\n\nWhere `avg_individual` is the mean of \
         the two attacks' average turns alone (stage 1).\n\n**Interpretation:**\n\
         - **Positive synergy (>0%)**: together the attacks win in fewer turns than alone.\n\
         - **Negative synergy (<0%)**: together they win in more turns: they overlap.\n\
         - **Strong positive (>15%)**: a pair worth building.\n\
         - **Strong negative (<-15%)**: a pair to avoid.\n\n## Synergy Distribution\n\n\
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
        // Each bold line is a paragraph of its own, as the original's.
        let _ = writeln!(s, "**Performance:** {:.2} avg turns\n", p.overall_avg);
        let _ = writeln!(s, "**Attack 1:** {}\n", r.attack_line(p.attacks[0]));
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
        "\n## Top 50 Negative Synergy Pairs (Anti-Synergy)\n\nThese pairs perform worse together \
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

pub(super) fn costs(r: &Input<'_>) -> String {
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
        "\n## Methodology\n\nPairs grouped by their total cost (both attacks, area costs doubled), \
         to find the best value at each budget.\n\n**Key Metrics**:\n\
         1. **Total Cost**: the points of both attacks\n\
         2. **Best Avg Turns**: the best pair at that cost\n\
         3. **Median Avg Turns**: the middle pair at that cost\n\
         4. **vs Overall Median**: that median less the median of every ranked pair\n\
         5. **Efficiency**: vs Overall Median per point (lower: better value)\n\
         6. **Pairs in Tier**: how many ranked pairs cost that much\n\n\
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
        "\n## Notes\n\n- **Lower avg turns = better performance**\n\
         - **Efficiency = (median - overall_median) / cost**: lower is better\n\
         - **Best value tiers**: the most negative efficiency with a good median\n\
         - **Synergy scores**: positive for attacks that complement each other, negative for \
         overlap\n",
    );
    s
}
