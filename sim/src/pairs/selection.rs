//! Stage 2's *intelligent selection*: what the score needs of an attack
//! ([`Traits`]), a pair played turn by turn choosing between its two
//! attacks, and a pair against every profile, scenario and run.

use super::config::{Config, STAGE2_SCENARIOS};
use super::shards::PairRecord;
use super::stage1::Solo;
use crate::combat::arena::{Arena, ChargeView, HitList, Targets};
use crate::combat::batch::combat_seed;
use crate::combat::data::{lim, up};
use crate::combat::log::Log;
use crate::combat::strike::{make_aoe_attack, make_attack, Moment, Opts};
use crate::combat::{Attack, Character};
use crate::rng::Rng;

/// What the selection score needs of an attack
/// (`precompute_attack_characteristics`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Traits {
    aoe: bool,
    evasive: f64,
    tanky: f64,
    culling: bool,
    finishing: bool,
    channeled: bool,
    splinter_ricochet: bool,
    overhit: bool,
    explosive: bool,
    charge: bool,
    hp_limit: bool,
}

impl Traits {
    /// The traits of `a`.
    pub fn of(a: &Attack) -> Traits {
        let has = |u| if a.has(u) { 1.0 } else { 0.0 };
        Traits {
            aoe: a.is_area(),
            evasive: 30.0 * has(up::ACCURATE_ATTACK) + 40.0 * has(up::RELIABLE_ACCURACY)
                - 20.0 * has(up::POWER_ATTACK)
                - 15.0 * has(up::CRITICAL_EFFECT),
            tanky: 50.0 * has(up::ARMOR_PIERCING)
                + 30.0 * has(up::POWER_ATTACK)
                + 25.0 * has(up::BRUTAL)
                + 20.0 * has(up::HIGH_IMPACT)
                - 15.0 * has(up::ACCURATE_ATTACK),
            culling: a.has(up::CULLING_STRIKE),
            finishing: a.has(up::FINISHING_BLOW_1),
            channeled: a.has(up::CHANNELED),
            splinter_ricochet: a.has(up::SPLINTER) || a.has(up::RICOCHET),
            overhit: a.has(up::OVERHIT),
            explosive: a.has(up::EXPLOSIVE_CRITICAL),
            charge: a.charges_up(),
            hp_limit: a.has_limit(lim::NEAR_DEATH) || a.has_limit(lim::BLOODIED),
        }
    }

    /// `score_attack_for_situation` against `profile` (0 evasive, 1 tanky)
    /// with no buffs.
    pub fn score(&self, num_alive: i32, avg_hp: f64, wounded: i32, profile: usize) -> f64 {
        let mut s = match num_alive {
            n if n >= 5 => {
                if self.aoe {
                    100.0
                } else {
                    -50.0
                }
            }
            n if n >= 3 => {
                if self.aoe {
                    50.0
                } else {
                    0.0
                }
            }
            1 => {
                if self.aoe {
                    -30.0
                } else {
                    50.0
                }
            }
            _ => {
                if self.aoe {
                    10.0
                } else {
                    20.0
                }
            }
        };
        s += if profile == 0 {
            self.evasive
        } else {
            self.tanky
        };
        if self.culling {
            s += if num_alive >= 3 && avg_hp < 40.0 {
                30.0
            } else if num_alive >= 2 {
                15.0
            } else {
                0.0
            };
        }
        if self.finishing {
            s += if wounded >= 2 {
                25.0
            } else if wounded >= 1 {
                15.0
            } else {
                0.0
            };
        }
        if self.channeled {
            s += if num_alive == 1 {
                25.0
            } else if num_alive <= 2 {
                10.0
            } else {
                -15.0
            };
        }
        if self.splinter_ricochet {
            s += if num_alive >= 3 {
                20.0
            } else if num_alive >= 2 {
                10.0
            } else {
                0.0
            };
        }
        if self.overhit && num_alive >= 3 {
            s += 15.0;
        }
        if self.explosive && num_alive >= 3 {
            s += 20.0;
        }
        if self.charge {
            s -= if num_alive >= 4 {
                20.0
            } else if num_alive >= 2 {
                10.0
            } else {
                0.0
            };
        }
        if self.hp_limit {
            s -= 5.0;
        }
        s
    }
}

/// `simulate_pair_with_intelligent_selection`: turns played and how often
/// each attack was chosen. `profile` (0 evasive, 1 tanky) picks the scoring;
/// `sides` are the attacker and the enemies' stats.
#[allow(clippy::too_many_arguments)]
pub fn play_pair<A: Arena>(
    arena: &mut A,
    rng: &mut Rng,
    sides: [&Character; 2],
    profile: usize,
    attacks: [&Attack; 2],
    traits: [&Traits; 2],
    hps: &[i32],
    max_turns: i32,
) -> (i32, [u32; 2]) {
    let [attacker, defender] = sides;
    let defender = *defender;
    arena.reset(hps);
    let n = arena.enemy_count();
    let mut usage = [0u32; 2];
    let mut turns = 0;
    let mut charge = ChargeView::default();
    let alive = |arena: &A| (0..n).filter(|&i| arena.enemy(i).hp > 0).count() as i32;
    while alive(arena) > 0 && turns < max_turns {
        turns += 1;
        for i in 0..n {
            let e = arena.enemy(i);
            if e.hp > 0 && arena.has_bleed(i) {
                let d = arena.tick_bleed(i);
                arena.set_hp(i, (e.hp - d).max(0));
            }
        }
        let num_alive = alive(arena);
        if num_alive == 0 {
            break;
        }
        let (mut total, mut wounded) = (0, 0);
        for i in 0..n {
            let e = arena.enemy(i);
            if e.hp > 0 {
                total += e.hp;
                wounded += i32::from(f64::from(e.hp) < f64::from(e.max_hp) * 0.5);
            }
        }
        let avg = f64::from(total) / f64::from(num_alive);
        let s0 = traits[0].score(num_alive, avg, wounded, profile);
        let s1 = traits[1].score(num_alive, avg, wounded, profile);
        let pick = usize::from(s0 < s1);
        usage[pick] += 1;
        let a = attacks[pick];
        let m = Moment {
            turn: turns,
            charge,
            attacker_hp: attacker.max_hp,
            attacker_max_hp: attacker.max_hp,
        };
        if a.is_area() {
            let targets = Targets::living(arena);
            let (st, cd) = arena.parts();
            let (hits, _): (A::Hits, i32) = make_aoe_attack(
                rng,
                &mut Log::off(),
                attacker,
                &defender,
                a,
                &m,
                targets.as_slice(),
                0,
                cd,
                st,
            );
            for k in 0..hits.len() {
                let (i, s) = hits.get(k);
                arena.set_hp(i, (arena.enemy(i).hp - s.damage).max(0));
                if s.conds.has(crate::combat::attack::Conds::BLEED) {
                    arena.set_bleed(i, (s.damage - attacker.tier).max(0), 2);
                }
            }
        } else if let Some(t) = (0..n).find(|&i| arena.enemy(i).hp > 0) {
            let o = Opts {
                enemy_max_hp: Some(arena.enemy(t).max_hp),
                ..Opts::DEFAULT
            };
            let (st, cd) = arena.parts();
            let s = make_attack(rng, &mut Log::off(), attacker, &defender, a, &m, o, cd, st);
            arena.set_hp(t, (arena.enemy(t).hp - s.damage).max(0));
            if s.conds.has(crate::combat::attack::Conds::BLEED) {
                arena.set_bleed(t, (s.damage - attacker.tier).max(0), 2);
            }
        }
        // Stage 2 records every turn as not charged.
        charge = ChargeView {
            len: (charge.len + 1).min(2),
            last: false,
            prev: false,
        };
    }
    (turns, usage)
}

/// One pair against every profile, scenario and run (`test_pair_across_profiles`).
pub fn evaluate_pair<A: Arena>(
    arena: &mut A,
    cfg: &Config,
    pair_id: u64,
    attacks: [&Attack; 2],
    solos: [&Solo; 2],
) -> PairRecord {
    let attacker = Character::new(cfg.attacker);
    let traits = [Traits::of(attacks[0]), Traits::of(attacks[1])];
    let mut profile_avg = [0.0f64; 2];
    let mut scenario_avg = [0.0f64; 4];
    let mut by_profile = [[0u32; 2]; 2];
    let mut by_scenario = [[0u32; 2]; 4];
    let runs = f64::from(cfg.stage2_runs);
    for (p, profile_total) in profile_avg.iter_mut().enumerate() {
        let defender = Character::new(cfg.profiles[p]);
        for (g, group) in STAGE2_SCENARIOS.iter().enumerate() {
            for run in 0..cfg.stage2_runs {
                let mut rng = Rng::new(combat_seed(cfg.seed, pair_id, p * 4 + g, run));
                let (turns, used) = play_pair(
                    arena,
                    &mut rng,
                    [&attacker, &defender],
                    p,
                    attacks,
                    [&traits[0], &traits[1]],
                    group.hps,
                    cfg.max_turns,
                );
                *profile_total += f64::from(turns) / (4.0 * runs);
                scenario_avg[g] += f64::from(turns) / (2.0 * runs);
                for k in 0..2 {
                    by_profile[p][k] += used[k];
                    by_scenario[g][k] += used[k];
                }
            }
        }
    }
    let overall = (profile_avg[0] + profile_avg[1]) / 2.0;
    let individual = (solos[0].overall + solos[1].overall) / 2.0;
    let synergy = if individual > 0.0 {
        (individual - overall) / individual * 100.0
    } else {
        0.0
    };
    PairRecord {
        pair_id,
        attacks: [0, 0],
        overall_avg: overall as f32,
        profile_avg: profile_avg.map(|v| v as f32),
        scenario_avg: scenario_avg.map(|v| v as f32),
        usage_by_profile: by_profile,
        usage_by_scenario: by_scenario,
        synergy: synergy as f32,
    }
}
