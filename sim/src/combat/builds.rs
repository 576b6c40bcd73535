//! Builds (an attack type, up to three upgrades, up to two limits), their
//! costs and rule checks, and the enumeration of `build_generator.py`.

use super::data::{AttackType, LIMITS, MUTUAL_EXCLUSIONS, UPGRADES};

/// One attack build. Upgrades and limits are indices into
/// [`UPGRADES`] and [`LIMITS`], in increasing order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Build {
    /// The attack type.
    pub attack: AttackType,
    /// Upgrade indices, increasing.
    pub upgrades: Vec<u8>,
    /// Limit indices, increasing.
    pub limits: Vec<u8>,
}

impl Build {
    /// Total point cost: upgrades and limits, doubled on area attacks
    /// (attack types themselves cost 0).
    pub fn cost(&self) -> u32 {
        let raw: u32 = self
            .upgrades
            .iter()
            .map(|&u| UPGRADES[u as usize].cost)
            .sum::<u32>()
            + self
                .limits
                .iter()
                .map(|&l| LIMITS[l as usize].cost)
                .sum::<u32>();
        if self.attack.is_area() {
            2 * raw
        } else {
            raw
        }
    }

    /// Names of its upgrades and limits together.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.upgrades
            .iter()
            .map(|&u| UPGRADES[u as usize].name)
            .chain(self.limits.iter().map(|&l| LIMITS[l as usize].name))
    }

    /// Whether the build follows every rule: mutual exclusions over upgrades
    /// and limits together, attack-type restrictions and the area
    /// restrictions on its upgrades (the original checks restrictions on
    /// upgrades only, so a restriction listed for a limit never applies).
    pub fn follows_rules(&self) -> bool {
        rules_ok(self.attack, &self.upgrades, &self.limits)
    }

    /// Within `max_points` and following every rule (`AttackBuild.is_valid`).
    pub fn is_valid(&self, max_points: u32) -> bool {
        self.cost() <= max_points && self.follows_rules()
    }

    /// `melee_dg + power_attack, brutal | charges_1`.
    pub fn label(&self) -> String {
        let mut s = self.attack.name().to_string();
        if !self.upgrades.is_empty() {
            s.push_str(" + ");
            s.push_str(
                &self
                    .upgrades
                    .iter()
                    .map(|&u| UPGRADES[u as usize].name)
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if !self.limits.is_empty() {
            s.push_str(" | ");
            s.push_str(
                &self
                    .limits
                    .iter()
                    .map(|&l| LIMITS[l as usize].name)
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        s
    }
}

fn rules_ok(attack: AttackType, upgrades: &[u8], limits: &[u8]) -> bool {
    for &u in upgrades {
        let up = &UPGRADES[u as usize];
        if up.allowed.is_some_and(|types| !types.contains(&attack)) {
            return false;
        }
        if up.not_on_area && attack.is_area() {
            return false;
        }
    }
    let names: Vec<&str> = upgrades
        .iter()
        .map(|&u| UPGRADES[u as usize].name)
        .chain(limits.iter().map(|&l| LIMITS[l as usize].name))
        .collect();
    MUTUAL_EXCLUSIONS
        .iter()
        .all(|group| names.iter().filter(|n| group.contains(n)).count() <= 1)
}

/// Every `k`-combination of `0..n`, in `itertools.combinations` order.
fn combinations(n: usize, k: usize) -> Vec<Vec<u8>> {
    fn rec(start: usize, n: usize, k: usize, cur: &mut Vec<u8>, out: &mut Vec<Vec<u8>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i as u8);
            rec(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    rec(0, n, k, &mut Vec::with_capacity(k), &mut out);
    out
}

/// The builds `BuildGenerator.generate_builds_chunked` yields for
/// `max_points`, in its order: per attack type, per upgrade count 0-3, every
/// rule-abiding upgrade combination whose (undoubled) cost fits; for each,
/// no limit, every single limit that fits the remaining points, and every
/// pair not in one exclusion group that fits; kept if the whole build
/// (doubled on area attacks) fits and follows the rules.
pub fn enumerate(max_points: u32, attack_types: &[AttackType]) -> Vec<Build> {
    let mut out = Vec::new();
    visit(max_points, attack_types, |attack, upgrades, limits| {
        out.push(Build {
            attack,
            upgrades: upgrades.to_vec(),
            limits: limits.to_vec(),
        })
    });
    out
}

/// Bit `g` set when a name is in exclusion group `g`.
fn groups_of(name: &str) -> u32 {
    MUTUAL_EXCLUSIONS
        .iter()
        .enumerate()
        .filter(|(_, g)| g.contains(&name))
        .fold(0, |m, (g, _)| m | 1 << g)
}

/// Calls `f(attack, upgrades, limits)` for each build [`enumerate`] yields,
/// in the same order, without collecting them. The rules are the same as
/// [`Build::follows_rules`], checked with precomputed exclusion-group masks.
pub fn visit(
    max_points: u32,
    attack_types: &[AttackType],
    mut f: impl FnMut(AttackType, &[u8], &[u8]),
) {
    let up_groups: Vec<u32> = UPGRADES.iter().map(|u| groups_of(u.name)).collect();
    let lim_groups: Vec<u32> = LIMITS.iter().map(|l| groups_of(l.name)).collect();
    // Disjoint masks: no two in one group. Limit pairs in itertools order.
    let limit_pairs: Vec<[u8; 2]> = combinations(LIMITS.len(), 2)
        .into_iter()
        .filter(|p| lim_groups[p[0] as usize] & lim_groups[p[1] as usize] == 0)
        .map(|p| [p[0], p[1]])
        .collect();
    let upgrade_sets: Vec<Vec<Vec<u8>>> =
        (0..=3).map(|k| combinations(UPGRADES.len(), k)).collect();
    for &attack in attack_types {
        for sets in &upgrade_sets {
            'upgrades: for upgrades in sets {
                let mut mask = 0u32;
                for &u in upgrades {
                    let up = &UPGRADES[u as usize];
                    if up.allowed.is_some_and(|types| !types.contains(&attack))
                        || (up.not_on_area && attack.is_area())
                        || mask & up_groups[u as usize] != 0
                    {
                        continue 'upgrades;
                    }
                    mask |= up_groups[u as usize];
                }
                let upgrade_cost: u32 = upgrades.iter().map(|&u| UPGRADES[u as usize].cost).sum();
                if upgrade_cost > max_points {
                    continue;
                }
                let remaining = max_points - upgrade_cost;
                let fits = |limits: &[u8]| {
                    let raw =
                        upgrade_cost + limits.iter().map(|&l| LIMITS[l as usize].cost).sum::<u32>();
                    let cost = if attack.is_area() { 2 * raw } else { raw };
                    let mut m = mask;
                    for &l in limits {
                        if m & lim_groups[l as usize] != 0 {
                            return false;
                        }
                        m |= lim_groups[l as usize];
                    }
                    cost <= max_points
                };
                if fits(&[]) {
                    f(attack, upgrades, &[]);
                }
                for (i, l) in LIMITS.iter().enumerate() {
                    let one = [i as u8];
                    if l.cost <= remaining && fits(&one) {
                        f(attack, upgrades, &one);
                    }
                }
                for pair in &limit_pairs {
                    let (a, b) = (&LIMITS[pair[0] as usize], &LIMITS[pair[1] as usize]);
                    if a.cost + b.cost <= remaining && fits(pair) {
                        f(attack, upgrades, pair);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn count(max: u32) -> usize {
        enumerate(max, &AttackType::ALL).len()
    }

    #[test]
    fn a_zero_budget_allows_only_the_bare_attacks() {
        // Every upgrade and limit costs at least 1: one build per type.
        assert_eq!(count(0), 6);
    }

    #[test]
    fn a_budget_of_one_counted_by_hand() {
        // Cost-1 upgrades: power_attack, accurate_attack, explosive_critical
        // (3), all allowed on melee and ranged, none on direct_damage.
        // Cost-1 limits: cooldown, charges_1, charges_2, near_death, timid,
        // untouchable, unbreakable, passive, careful (9), on every type.
        // Area types pay double, so nothing fits but the bare attack.
        let per_rolled = 1 + 3 + 9;
        let direct = 1 + 9;
        assert_eq!(count(1), 3 * per_rolled + direct + 1 + 1);
        assert_eq!(enumerate(1, &[AttackType::DirectDamage]).len(), 10);
    }

    #[test]
    fn the_counts_equal_the_original_generators_for_every_archetype_budget() {
        // `len(BuildGenerator(m).generate_all_valid_builds())` of the
        // original (simulation_v2 at commit 64dbf9b), run once with python3
        // on that repository: 0 → 6 and 1 → 51 agree with the hand counts
        // above. Budgets 2 to 10 are every tier × archetype budget.
        for (budget, builds) in [
            (0, 6),
            (1, 51),
            (2, 340),
            (4, 5_793),
            (6, 53_255),
            (8, 282_440),
            (10, 782_048),
        ] {
            assert_eq!(count(budget), builds, "{budget} points");
        }
    }

    #[test]
    fn every_build_is_valid_distinct_and_within_three_upgrades_two_limits() {
        let builds = enumerate(8, &AttackType::ALL);
        let set: HashSet<&Build> = builds.iter().collect();
        assert_eq!(set.len(), builds.len(), "no duplicates");
        for b in &builds {
            assert!(
                b.is_valid(8) && b.upgrades.len() <= 3 && b.limits.len() <= 2,
                "{}",
                b.label()
            );
        }
    }

    /// An independent enumerator: every set of up to three upgrades and up to
    /// two limits, kept if valid. The generator's staged pruning must give
    /// exactly this set.
    fn brute_force(max: u32, attack: AttackType) -> HashSet<Build> {
        let mut out = HashSet::new();
        let n_up = UPGRADES.len() as u8;
        let n_lim = LIMITS.len() as u8;
        let mut up_sets: Vec<Vec<u8>> = vec![vec![]];
        for a in 0..n_up {
            up_sets.push(vec![a]);
            for b in a + 1..n_up {
                up_sets.push(vec![a, b]);
                for c in b + 1..n_up {
                    up_sets.push(vec![a, b, c]);
                }
            }
        }
        let mut lim_sets: Vec<Vec<u8>> = vec![vec![]];
        for a in 0..n_lim {
            lim_sets.push(vec![a]);
            for b in a + 1..n_lim {
                lim_sets.push(vec![a, b]);
            }
        }
        for u in &up_sets {
            for l in &lim_sets {
                let b = Build {
                    attack,
                    upgrades: u.clone(),
                    limits: l.clone(),
                };
                if b.is_valid(max) {
                    out.insert(b);
                }
            }
        }
        out
    }

    #[test]
    fn the_generator_yields_exactly_every_valid_build_for_each_archetype_budget() {
        for max in [2, 4, 6] {
            for attack in AttackType::ALL {
                let generated: HashSet<Build> = enumerate(max, &[attack]).into_iter().collect();
                assert_eq!(
                    generated,
                    brute_force(max, attack),
                    "{} at {max} points",
                    attack.name()
                );
            }
        }
    }

    #[test]
    fn area_builds_pay_double() {
        // power_attack (1) and unreliable_2 (3).
        let b = Build {
            attack: AttackType::Area,
            upgrades: vec![0],
            limits: vec![1],
        };
        assert_eq!(b.cost(), 2 * (1 + 3));
        let m = Build {
            attack: AttackType::MeleeAc,
            ..b.clone()
        };
        assert_eq!(m.cost(), 4);
        assert_eq!(m.label(), "melee_ac + power_attack | unreliable_2");
    }

    #[test]
    fn exclusions_span_upgrades_and_limits() {
        // channeled (upgrade) excludes charges_1 (limit).
        let b = Build {
            attack: AttackType::MeleeDg,
            upgrades: vec![22],
            limits: vec![9],
        };
        assert!(!b.follows_rules());
        // culling_strike is not allowed on area attacks.
        assert!(!Build {
            attack: AttackType::Area,
            upgrades: vec![19],
            limits: vec![]
        }
        .follows_rules());
        // double_tap is not allowed on area attacks, nor on direct ones.
        assert!(!Build {
            attack: AttackType::DirectDamage,
            upgrades: vec![7],
            limits: vec![]
        }
        .follows_rules());
    }
}
