//! The stage-2 report and the top 1,000 pairs.

use std::fmt::Write as _;

use super::*;
use crate::pairs::{PROFILES, STAGE2_SCENARIOS};

pub(super) fn stage2(r: &Input<'_>) -> String {
    let mut s = String::from("# Simulation V3 - Stage 2: Attack Pairing Results\n\n## Summary\n\n");
    let _ = writeln!(s, "- **Total pairs tested**: {}", thousands(r.records));
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
        // Each bold line is a paragraph of its own, as the original's.
        let _ = writeln!(
            s,
            "**Overall Performance:** {:.2} avg turns\n",
            p.overall_avg
        );
        let _ = writeln!(s, "**Synergy Score:** {:+.1}%\n", p.synergy);
        let _ = writeln!(s, "**Attack 1:** {}\n", r.attack_line(p.attacks[0]));
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

pub(super) fn top1000(r: &Input<'_>) -> String {
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
        "\n## Methodology\n\nThe best 1,000 attack pairs by average turns to defeat the enemies.\n\
         Fewer turns is better.\n\n**Key Columns**:\n\
         1. **Rank**: the place in the top 1,000\n\
         2. **Attack 1**: the first attack, abbreviated (type and upgrades)\n\
         3. **Cost1**: its points (area attacks cost double)\n\
         4. **Attack 2**: the second attack, abbreviated\n\
         5. **Cost2**: its points\n\
         6. **Total Cost**: both together\n\
         7. **Avg Turns**: the mean over every profile, scenario and run\n\
         8. **Synergy**: the synergy score (positive: the attacks complement each other)\n\n\
         ## Top 1000 Pairs\n\n\
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
        "\n## Notes\n\n- **Avg Turns**: fewer is better\n\
         - **Synergy positive**: the pair wins faster than its two attacks alone, on average\n\
         - **Synergy negative**: the attacks overlap (or get in each other's way)\n\
         - **Attack abbreviations**: the first three upgrades, `...` for more\n\
         - **Limits shown in brackets**: [limit_name]\n",
    );
    s
}
