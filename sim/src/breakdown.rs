//! What the reducer folds for the two reports that need the attack
//! catalogue (`enhancement_ranking_report.py`, `pair_cost_analysis_report.py`):
//! counts per enhancement, slot and pair cost, by average-turns step. Its
//! size is fixed when the reduction starts, so it costs the lean reducer no
//! heap operation per record and no memory per record.
//!
//! Averages are binned to 1/16 of a turn. A pair's average is a multiple of
//! 1/16 (16 combats of whole turns), so for the pairing's own results the
//! bins are exact; synthetic results are rounded. A top-X% tier is cut at a
//! whole step, so pairs tied at the cut are all in it (the original cuts at
//! a count, splitting ties by sort order).

use crate::catalogue::Catalogue;
use crate::combat::data::{LIMITS, UPGRADES};
use crate::shards::PairRecord;

/// Bins per turn.
pub const STEPS_PER_TURN: f64 = 16.0;
/// Bins: averages 0 to 100 turns.
const BINS: usize = 100 * 16 + 1;
/// Upgrades then limits.
const ENHANCEMENTS: usize = UPGRADES.len() + LIMITS.len();
/// Pair costs 0 to 24.
const COSTS: usize = 25;
/// The tiers of the enhancement ranking, percent.
pub const TIERS: [f64; 5] = [50.0, 20.0, 5.0, 1.0, 0.1];

/// Counts by average-turns bin.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Breakdown {
    #[serde(skip)]
    catalogue: Catalogue,
    /// Per attack: its enhancement indices (upgrades, then 23 + limit) and cost.
    #[serde(skip)]
    keys: Vec<([u8; 5], u8, u8)>,
    bins: Vec<u64>,
    /// `[bin][enhancement][slot]` flattened.
    enhancements: Vec<u64>,
    /// `[bin][pair cost]` flattened.
    costs: Vec<u64>,
    /// Records whose attack index is not in the catalogue.
    pub unknown: u64,
}

fn bin(avg: f32) -> usize {
    ((f64::from(avg) * STEPS_PER_TURN).round().max(0.0) as usize).min(BINS - 1)
}

fn value(bin: usize) -> f64 {
    bin as f64 / STEPS_PER_TURN
}

impl Breakdown {
    /// Empty counts for the attacks of `catalogue`.
    pub fn new(catalogue: Catalogue) -> Breakdown {
        let keys = catalogue
            .entries
            .iter()
            .map(|e| {
                let mut k = [0u8; 5];
                let mut n = 0;
                for u in e.attack.upgrades() {
                    k[n] = u;
                    n += 1;
                }
                for &l in e.attack.limits() {
                    k[n] = UPGRADES.len() as u8 + l;
                    n += 1;
                }
                (k, n as u8, e.attack.cost() as u8)
            })
            .collect();
        Breakdown {
            catalogue,
            keys,
            bins: vec![0; BINS],
            enhancements: vec![0; BINS * ENHANCEMENTS * 2],
            costs: vec![0; BINS * COSTS],
            unknown: 0,
        }
    }

    /// The catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Counts one record.
    pub fn add(&mut self, r: &PairRecord) {
        let (Some(a), Some(b)) = (
            self.keys.get(r.attacks[0] as usize),
            self.keys.get(r.attacks[1] as usize),
        ) else {
            self.unknown += 1;
            return;
        };
        let k = bin(r.overall_avg);
        self.bins[k] += 1;
        for (slot, (keys, n, _)) in [a, b].into_iter().enumerate() {
            for &e in &keys[..*n as usize] {
                self.enhancements[(k * ENHANCEMENTS + e as usize) * 2 + slot] += 1;
            }
        }
        let cost = (a.2 + b.2) as usize;
        self.costs[k * COSTS + cost.min(COSTS - 1)] += 1;
    }

    fn total(&self) -> u64 {
        self.bins.iter().sum()
    }

    /// The last bin of the best `percent` of the pairs, and the pairs up to it.
    fn cut(&self, percent: f64) -> (usize, u64) {
        let want = ((self.total() as f64 * percent / 100.0).ceil() as u64).max(1);
        let mut seen = 0;
        for (k, &n) in self.bins.iter().enumerate() {
            seen += n;
            if seen >= want {
                return (k, seen);
            }
        }
        (BINS - 1, seen)
    }

    /// The median average over bins `..=last`.
    fn median(&self, last: usize, count: u64) -> f64 {
        let half = count.div_ceil(2).max(1);
        let mut seen = 0;
        for (k, &n) in self.bins[..=last].iter().enumerate() {
            seen += n;
            if seen >= half {
                return value(k);
            }
        }
        value(last)
    }

    /// `enhancement_ranking.md`: per tier, each enhancement's appearances,
    /// average turns, difference from the tier median and efficiency
    /// (difference / cost), sorted by efficiency (lower is better).
    pub fn enhancement_ranking(&self) -> String {
        let mut s = format!(
            "# Enhancement ranking\n\n{} pairs ranked by average turns. Each pair counts once per slot an enhancement appears in. \
             **vs median**: the enhancement's average minus the tier's median (negative is better); **efficiency**: that / cost (lower is better).\n",
            self.total()
        );
        for pct in TIERS {
            let (last, count) = self.cut(pct);
            let median = self.median(last, count);
            s.push_str(&format!(
                "\n## Top {pct}% ({count} pairs, ≤ {:.2} turns, median {median:.2})\n\n\
                 | # | enhancement | type | cost | appearances | rate | avg turns | vs median | efficiency | slot 1 / 2 |\n\
                 | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
                value(last)
            ));
            let mut rows = Vec::new();
            for e in 0..ENHANCEMENTS {
                let (mut n, mut slot1, mut turns) = (0u64, 0u64, 0.0f64);
                for k in 0..=last {
                    let c = &self.enhancements[(k * ENHANCEMENTS + e) * 2..][..2];
                    n += c[0] + c[1];
                    slot1 += c[0];
                    turns += (c[0] + c[1]) as f64 * value(k);
                }
                if n == 0 {
                    continue;
                }
                let (name, kind, cost) = if e < UPGRADES.len() {
                    (UPGRADES[e].name, "upgrade", UPGRADES[e].cost)
                } else {
                    let l = &LIMITS[e - UPGRADES.len()];
                    (l.name, "limit", l.cost)
                };
                let avg = turns / n as f64;
                let vs = avg - median;
                rows.push((vs / f64::from(cost), name, kind, cost, n, slot1, avg, vs));
            }
            rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
            for (rank, (eff, name, kind, cost, n, slot1, avg, vs)) in rows.iter().enumerate() {
                s.push_str(&format!(
                    "| {} | {name} | {kind} | {cost}p | {n} | {:.1}% | {avg:.2} | {vs:+.2} | {eff:.3} | {:.0}% / {:.0}% |\n",
                    rank + 1,
                    *n as f64 * 100.0 / count as f64,
                    *slot1 as f64 * 100.0 / *n as f64,
                    (*n - *slot1) as f64 * 100.0 / *n as f64,
                ));
            }
        }
        s
    }

    /// `pair_cost_analysis.md`: per total pair cost, pairs, mean and best
    /// average turns, and the share in the top 1% and 5%.
    pub fn pair_costs(&self) -> String {
        let (top1, _) = self.cut(1.0);
        let (top5, _) = self.cut(5.0);
        let mut s = format!(
            "# Pair cost analysis\n\n{} pairs by the points of both attacks together (area attacks' doubled costs included).\n\n\
             | cost | pairs | mean turns | best turns | in top 1% | in top 5% |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n",
            self.total()
        );
        for cost in 0..COSTS {
            let (mut n, mut turns, mut best, mut in1, mut in5) = (0u64, 0.0f64, None, 0u64, 0u64);
            for k in 0..BINS {
                let c = self.costs[k * COSTS + cost];
                if c == 0 {
                    continue;
                }
                n += c;
                turns += c as f64 * value(k);
                best.get_or_insert(k);
                if k <= top1 {
                    in1 += c;
                }
                if k <= top5 {
                    in5 += c;
                }
            }
            if n == 0 {
                continue;
            }
            s.push_str(&format!(
                "| {cost}p | {n} | {:.2} | {:.2} | {:.1}% | {:.1}% |\n",
                turns / n as f64,
                value(best.unwrap_or(0)),
                in1 as f64 * 100.0 / n as f64,
                in5 as f64 * 100.0 / n as f64,
            ));
        }
        if self.unknown > 0 {
            s.push_str(&format!(
                "\n{} records name attacks missing from the catalogue and are not counted.\n",
                self.unknown
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Entry;
    use crate::combat::data::{lim, up, AttackType};
    use crate::combat::Attack;

    fn rec(id: u64, attacks: [u32; 2], avg: f32) -> PairRecord {
        PairRecord {
            pair_id: id,
            attacks,
            overall_avg: avg,
            profile_avg: [avg; 2],
            scenario_avg: [avg; 4],
            usage: [1, 1],
            synergy: 0.0,
        }
    }

    #[test]
    fn counts_by_slot_tier_and_cost() {
        let cat = Catalogue {
            entries: vec![
                Entry {
                    attack: Attack::new(AttackType::Ranged, &[up::POWER_ATTACK], &[]),
                    solo_avg: 5.0,
                },
                Entry {
                    attack: Attack::new(AttackType::Ranged, &[up::BRUTAL], &[lim::CHARGES_1]),
                    solo_avg: 5.0,
                },
            ],
        };
        let mut b = Breakdown::new(cat);
        // Ten pairs at 2.0, 2.5, … 6.5 turns; pair 0+1 costs 1 + 3 = 4.
        for i in 0..10 {
            b.add(&rec(i, [0, 1], 2.0 + 0.5 * i as f32));
        }
        b.add(&rec(10, [0, 7], 3.0));
        assert_eq!(b.unknown, 1);
        // Top 20%: the two best pairs (2.0 and 2.5), median 2.0.
        assert_eq!(b.cut(20.0), (bin(2.5), 2));
        assert_eq!(b.median(bin(2.5), 2), 2.0);
        let report = b.enhancement_ranking();
        // power_attack in slot 1 of both: average 2.25, +0.25 over the
        // median, cost 1 → efficiency 0.250.
        assert!(
            report.contains(
                "| power_attack | upgrade | 1p | 2 | 100.0% | 2.25 | +0.25 | 0.250 | 100% / 0% |"
            ),
            "{report}"
        );
        let costs = b.pair_costs();
        assert!(
            costs.contains("| 4p | 10 | 4.25 | 2.00 | 10.0% | 10.0% |"),
            "{costs}"
        );
    }
}
