//! The enhancement ranking and saturation reports, one of each per tier.

use std::fmt::Write as _;

use super::*;
use crate::combat::data::{AttackType, LIMITS, UPGRADES};
use crate::combat::Attack;
use crate::pairs::shards::PairRecord;

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

pub(super) fn ranking(r: &Input<'_>, tier: &[PairRecord], title: &str) -> String {
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
    let _ = writeln!(
        s,
        "## Methodology\n\nHow each enhancement does in the {title} of the ranked pairs \
         (the best pairs of the kept top, cut at a count).\n\n**Key Metrics**:\n\
         1. **Appearance Rate**: appearances per pair of the tier (each slot holding it counts)\n\
         2. **Avg Turns**: the mean of those pairs' average turns\n\
         3. **vs Median**: that mean less the tier's median (negative: better)\n\
         4. **Efficiency**: vs Median per point of the enhancement's cost\n\
         5. **Slot1/Slot2**: the share of its appearances on attack 1 and on attack 2\n\
         6. **Used1/Used2**: the mean share of turns each attack of those pairs was chosen\n\
         7. **Attack Type Columns**: the mean average turns when the attack holding it is of \
         that type (0: never)\n\
         8. **Profile Columns**: the mean average turns against each defensive profile\n"
    );
    s.push_str(
        "## Enhancement Rankings\n\nSorted by efficiency (lower = better).\n\n\
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
        "\n## Column Definitions\n\n- **Apps**: appearances, one per slot holding it\n\
         - **App%**: appearances per pair of the tier (over 100% when both attacks hold it)\n\
         - **Avg Turns**: the mean average turns of the pairs holding it\n\
         - **vs Med**: Avg Turns less the tier's median (negative: better)\n\
         - **Eff**: vs Med per point of cost (more negative: better value)\n\
         - **Slot1/Slot2**: the share of appearances on attack 1 and on attack 2\n\
         - **Used1/Used2**: the mean share of turns each attack was chosen\n\
         - **Attack Type Columns**: mean average turns by the type of the attack holding it\n\
         - **Profile Columns**: mean average turns against Evasive and Tanky\n",
    );
    s
}

pub(super) fn saturation(r: &Input<'_>, tier: &[PairRecord], title: &str) -> String {
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
    let _ = writeln!(
        s,
        "## Methodology\n\nHow often each enhancement appears in the {title} of the ranked \
         pairs.\n\n**Key Metrics**:\n\
         1. **Saturation Rate**: the share of the tier's pairs holding it, once per pair\n\
         2. **Appearances**: how many pairs hold it\n\
         3. **Type**: upgrade or limit\n\
         4. **Cost**: its points\n\n**Interpretation**:\n\
         - **High saturation (>60%)**: part of nearly every strong pair at this tier\n\
         - **Medium saturation (30-60%)**: common, not essential\n\
         - **Low saturation (<30%)**: situational or niche\n"
    );
    s.push_str(
        "## Enhancement Saturation Rankings\n\nSorted by saturation rate (descending).\n\n\
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
        "\n## Notes\n\n- **Saturation Rate**: pairs holding it / pairs of the tier × 100\n\
         - **Each enhancement counted once per pair**: even when both attacks hold it\n\
         - **High saturation marks what the strongest pairs share**\n\
         - **Low saturation is not weakness**: the enhancement may be situational\n",
    );
    s
}
