//! The builds of a batch: every loadout of the archetype's budget, in
//! the build tester's enumeration order, curated as it curates them.

use crate::combat::arena::LeanArena;
use crate::combat::attack::Attack;
use crate::combat::builds::visit;
use crate::combat::data::{budget, AttackType};
use crate::combat::fight::{fight, Loadout, Match};
use crate::combat::log::Log;
use crate::combat::Archetype;
use crate::rng::Rng;

use super::{combat_seed, Config, SCENARIOS};

/// Every loadout an archetype tests, addressed by index.
#[derive(Clone, Debug)]
pub enum Catalog {
    /// One attack each.
    Focused(Vec<Attack>),
    /// Each primary with each fallback type (index = primary × fallbacks + fallback).
    Dual {
        /// The primaries.
        primaries: Vec<Attack>,
        /// The fallback types.
        fallbacks: Vec<AttackType>,
        /// Their bonus.
        bonus: i32,
        /// For expected damages.
        matchup: Match,
    },
    /// Every multiset of three from the curated attacks.
    Versatile {
        /// The curated attacks.
        attacks: Vec<Attack>,
        /// Indices into `attacks`, `combinations_with_replacement` order.
        combos: Vec<[u16; 3]>,
    },
}

impl Catalog {
    /// Enumerates the archetype's builds (`generate_archetype_builds_chunked`).
    /// Versatile masters first prune the single attacks by a one-run test
    /// and keep the best `per_type` of each type, as the original does with
    /// pruning on.
    pub fn new(cfg: &Config) -> Catalog {
        let max = budget(cfg.tier, cfg.archetype);
        let mut attacks = Vec::new();
        visit(max, &AttackType::ALL, |kind, ups, lims| {
            attacks.push(Attack::new(kind, ups, lims))
        });
        match cfg.archetype {
            Archetype::Focused => Catalog::Focused(attacks),
            Archetype::DualNatured => Catalog::Dual {
                primaries: attacks,
                fallbacks: cfg.fallbacks.clone(),
                bonus: cfg.fallback_bonus,
                matchup: cfg.matchup(),
            },
            Archetype::VersatileMaster => {
                let attacks = curate(cfg, attacks);
                let n = attacks.len() as u16;
                let mut combos = Vec::new();
                for a in 0..n {
                    for b in a..n {
                        for c in b..n {
                            combos.push([a, b, c]);
                        }
                    }
                }
                Catalog::Versatile { attacks, combos }
            }
        }
    }

    /// How many loadouts.
    pub fn len(&self) -> usize {
        match self {
            Catalog::Focused(a) => a.len(),
            Catalog::Dual {
                primaries,
                fallbacks,
                ..
            } => primaries.len() * fallbacks.len(),
            Catalog::Versatile { combos, .. } => combos.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Loadout `i`.
    pub fn get(&self, i: usize) -> Loadout {
        match self {
            Catalog::Focused(a) => Loadout::Focused(a[i]),
            Catalog::Dual {
                primaries,
                fallbacks,
                bonus,
                matchup,
            } => {
                let f = fallbacks.len();
                Loadout::dual(
                    primaries[i / f],
                    fallbacks[i % f],
                    *bonus,
                    &matchup.attacker,
                    &matchup.defender,
                )
            }
            Catalog::Versatile { attacks, combos } => {
                let [a, b, c] = combos[i];
                Loadout::Versatile([
                    attacks[a as usize],
                    attacks[b as usize],
                    attacks[c as usize],
                ])
            }
        }
    }
}

/// `_prune_builds_by_performance` (top 10% by one run per scenario, with
/// basic-attack fallback) then `_apply_stratified_sampling` (the first
/// `per_type` of each type in ranked order; every build has its own
/// upgrade and limit signature, so the signature step keeps them all).
fn curate(cfg: &Config, attacks: Vec<Attack>) -> Vec<Attack> {
    let mt = Match {
        focused: false,
        ..cfg.matchup()
    };
    let mut arena = LeanArena::default();
    let mut scored: Vec<(u32, usize)> = attacks
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let total = SCENARIOS
                .iter()
                .enumerate()
                .map(|(s, g)| {
                    let mut rng = Rng::new(combat_seed(cfg.seed ^ 0x5052_554e, i as u64, s, 0));
                    fight(
                        &mut arena,
                        &mut rng,
                        &mut Log::off(),
                        &mt,
                        &Loadout::Focused(*a),
                        g.hps,
                    )
                    .turns as u32
                })
                .sum::<u32>();
            (total, i)
        })
        .collect();
    scored.sort();
    let keep = (scored.len() / 10).max(1);
    let mut per_type = [0usize; 6];
    let mut order: Vec<AttackType> = Vec::new();
    let mut kept: Vec<Vec<Attack>> = vec![Vec::new(); 6];
    for &(_, i) in &scored[..keep] {
        let a = attacks[i];
        let t = AttackType::ALL
            .iter()
            .position(|&k| k == a.kind)
            .expect("a type");
        if !order.contains(&a.kind) {
            order.push(a.kind);
        }
        if per_type[t] < cfg.per_type {
            per_type[t] += 1;
            kept[t].push(a);
        }
    }
    order
        .iter()
        .flat_map(|k| kept[AttackType::ALL.iter().position(|x| x == k).unwrap()].clone())
        .collect()
}
