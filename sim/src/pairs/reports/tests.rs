use super::*;
use crate::combat::data::{lim, up};
use crate::combat::data::{AttackType, UPGRADES};
use crate::pairs::catalogue::Entry;

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
