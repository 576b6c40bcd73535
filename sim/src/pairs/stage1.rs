//! Stage 1 (`stage1_pruning.py`): every attack of the budget tested
//! alone, then pruned to the best of each enhancement.

use super::catalogue::{Catalogue, Entry};
use super::config::{Config, STAGE2_SCENARIOS};
use crate::combat::arena::{Arena, LeanArena};
use crate::combat::batch::combat_seed;
use crate::combat::builds::visit;
use crate::combat::data::AttackType;
use crate::combat::log::Log;
use crate::combat::{fight, Attack, Character, Loadout, Match};
use crate::rng::Rng;

/// One attack's stage-1 result.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Solo {
    /// Mean over every profile and scenario.
    pub overall: f64,
    /// Per profile.
    pub profile: [f64; 2],
    /// Per scenario.
    pub scenario: [f64; 4],
}

/// Stage 1: each attack alone (the build tester's combat, 100 turns,
/// enemies strike back, a failed limit makes a basic attack) against each
/// profile and scenario.
pub fn solo<A: Arena>(arena: &mut A, cfg: &Config, attack: &Attack, index: usize) -> Solo {
    let mut s = Solo::default();
    for (p, stats) in cfg.profiles.iter().enumerate() {
        let mt = Match {
            attacker: Character::new(cfg.attacker),
            defender: Character::new(*stats),
            max_turns: 100,
            focused: false,
        };
        for (g, group) in STAGE2_SCENARIOS.iter().enumerate() {
            let mut turns = 0;
            for run in 0..cfg.stage1_runs {
                let seed = combat_seed(cfg.seed ^ 0x5354_4731, index as u64, p * 4 + g, run);
                turns += fight(
                    &mut *arena,
                    &mut Rng::new(seed),
                    &mut Log::off(),
                    &mt,
                    &Loadout::Focused(*attack),
                    group.hps,
                )
                .turns;
            }
            let avg = f64::from(turns) / f64::from(cfg.stage1_runs);
            s.profile[p] += avg / 4.0;
            s.scenario[g] += avg / 2.0;
            s.overall += avg / 8.0;
        }
    }
    s
}

/// `prune_attacks` with the `enhancement_based` strategy: for every
/// upgrade and limit, the best `percent` of the attacks that have it.
/// Returns indices into `solos`, best first.
pub fn prune(attacks: &[Attack], solos: &[Solo], percent: f64) -> Vec<usize> {
    let by_score = |a: &usize, b: &usize| {
        solos[*a]
            .overall
            .total_cmp(&solos[*b].overall)
            .then(a.cmp(b))
    };
    let mut keep = vec![false; attacks.len()];
    let groups = (0..23u8)
        .map(|u| (true, u))
        .chain((0..23u8).map(|l| (false, l)));
    for (is_upgrade, e) in groups {
        let mut members: Vec<usize> = (0..attacks.len())
            .filter(|&i| {
                if is_upgrade {
                    attacks[i].has(e)
                } else {
                    attacks[i].has_limit(e)
                }
            })
            .collect();
        if members.is_empty() {
            continue;
        }
        members.sort_by(by_score);
        let n = ((members.len() as f64 * percent) as usize).max(1);
        for &i in &members[..n] {
            keep[i] = true;
        }
    }
    let mut kept: Vec<usize> = (0..attacks.len()).filter(|&i| keep[i]).collect();
    kept.sort_by(by_score);
    kept
}

/// One enhancement's cut in `enhancement_based` pruning, as the original's
/// `enhancement_stats` holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EnhancementCut {
    /// Index into the upgrades, then the limits (23 + limit).
    pub enhancement: usize,
    /// Tested attacks that have it.
    pub total: usize,
    /// How many of them its cut kept: `max(1, ⌊total × percent⌋)`.
    pub kept: usize,
    /// The overall average of the last attack its cut kept.
    pub cutoff: f64,
}

/// Every enhancement's cut, in the order the original's `defaultdict` met
/// them: over the tested attacks in generation order, each attack's
/// upgrades, then its limits.
pub fn enhancement_cuts(attacks: &[Attack], solos: &[Solo], percent: f64) -> Vec<EnhancementCut> {
    let upgrades = crate::combat::data::UPGRADES.len();
    let mut order: Vec<usize> = Vec::new();
    let mut members: Vec<Vec<f64>> = vec![Vec::new(); upgrades + crate::combat::data::LIMITS.len()];
    for (a, s) in attacks.iter().zip(solos) {
        let es = a
            .upgrades()
            .map(usize::from)
            .chain(a.limits().iter().map(|&l| upgrades + usize::from(l)));
        for e in es {
            if members[e].is_empty() {
                order.push(e);
            }
            members[e].push(s.overall);
        }
    }
    order
        .into_iter()
        .map(|e| {
            let m = &mut members[e];
            m.sort_by(f64::total_cmp);
            let kept = ((m.len() as f64 * percent) as usize).max(1);
            EnhancementCut {
                enhancement: e,
                total: m.len(),
                kept,
                cutoff: m[kept - 1],
            }
        })
        .collect()
}

/// The attack list stage 2 pairs from: every attack of the budget (every
/// `stride`-th), tested alone and pruned.
#[derive(Clone, Debug)]
pub struct Pruned {
    /// The kept attacks, best first.
    pub attacks: Vec<Attack>,
    /// Their stage-1 results.
    pub solos: Vec<Solo>,
    /// Attacks tested in stage 1.
    pub tested: usize,
    /// The overall average of every tested attack, in generation order
    /// (the stage-1 report's medians are over all of them).
    pub tested_overall: Vec<f64>,
    /// Every enhancement's cut, in the order the original met them.
    pub cuts: Vec<EnhancementCut>,
}

/// Stage 1 over `threads` threads (split by index; results in index order).
pub fn stage1(cfg: &Config, threads: usize) -> Pruned {
    stage1_counted(cfg, threads, &std::sync::atomic::AtomicU64::new(0), |_| {})
}

/// [`stage1`], adding each attack tested to `done` and calling `planned`
/// with the number of attacks to test once it is known (for a progress bar).
pub fn stage1_counted(
    cfg: &Config,
    threads: usize,
    done: &std::sync::atomic::AtomicU64,
    planned: impl FnOnce(usize),
) -> Pruned {
    let mut all = Vec::new();
    visit(cfg.points, &AttackType::ALL, |kind, ups, lims| {
        all.push(Attack::new(kind, ups, lims))
    });
    let attacks: Vec<Attack> = all.into_iter().step_by(cfg.stride.max(1)).collect();
    planned(attacks.len());
    let threads = threads.max(1);
    let per = attacks.len().div_ceil(threads).max(1);
    let solos: Vec<Solo> = std::thread::scope(|scope| {
        let handles: Vec<_> = attacks
            .chunks(per)
            .enumerate()
            .map(|(c, chunk)| {
                scope.spawn(move || {
                    let mut arena = LeanArena::default();
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(k, a)| {
                            let s = solo(&mut arena, cfg, a, c * per + k);
                            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            s
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a stage-1 worker panicked"))
            .collect()
    });
    let kept = prune(&attacks, &solos, cfg.enhancement_percent);
    Pruned {
        attacks: kept.iter().map(|&i| attacks[i]).collect(),
        solos: kept.iter().map(|&i| solos[i]).collect(),
        tested: attacks.len(),
        tested_overall: solos.iter().map(|s| s.overall).collect(),
        cuts: enhancement_cuts(&attacks, &solos, cfg.enhancement_percent),
    }
}

/// The pruned attacks as the shards' catalogue ([`crate::pairs::catalogue`](mod@crate::pairs::catalogue)).
pub fn catalogue(p: &Pruned) -> Catalogue {
    Catalogue {
        entries: p
            .attacks
            .iter()
            .zip(&p.solos)
            .map(|(a, s)| Entry {
                attack: *a,
                solo_avg: s.overall,
            })
            .collect(),
    }
}
