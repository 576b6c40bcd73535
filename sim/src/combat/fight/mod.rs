//! One combat (`simulation.py` `simulate_combat_verbose`): bleed, the
//! archetype's attack choice, the attack and its after-damage effects, the
//! charge history, the enemies' attacks back and the flags limits read
//! next turn.

use super::arena::{Arena, ChargeView, CombatState, Count, Flag, HitList, Targets};
use super::attack::{Attack, Character, Conds};
use super::data::{up, AttackType};
use super::log::{clog, Log};
use super::strike::{make_aoe_attack, make_attack, Moment, Opts};
use crate::rng::Rng;

mod turn;

use turn::{after_damage, choose, explode, fallback_action, splinter};

/// What a character fights with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loadout {
    /// One attack, every turn.
    Focused(Attack),
    /// A primary attack and a basic fallback with a flat bonus.
    Dual {
        /// The primary attack.
        primary: Attack,
        /// The fallback: a basic attack.
        fallback: Attack,
        /// The fallback's accuracy and damage bonus.
        tier_bonus: i32,
        /// Precomputed expected damage of primary and fallback.
        expected: [f64; 2],
    },
    /// Three attacks ranked by situation every turn.
    Versatile([Attack; 3]),
}

impl Loadout {
    /// A dual-natured loadout. Both expected damages include `tier_bonus`,
    /// as `calculate_all_expected_damages` computes them.
    pub fn dual(
        primary: Attack,
        fallback: AttackType,
        tier_bonus: i32,
        attacker: &Character,
        defender: &Character,
    ) -> Loadout {
        let fallback = Attack::basic(fallback);
        Loadout::Dual {
            primary,
            fallback,
            tier_bonus,
            expected: [
                expected_damage(attacker, &primary, defender, tier_bonus),
                expected_damage(attacker, &fallback, defender, tier_bonus),
            ],
        }
    }

    /// Its attacks.
    pub fn attacks(&self) -> &[Attack] {
        match self {
            Loadout::Focused(a) => std::slice::from_ref(a),
            Loadout::Dual { primary, .. } => std::slice::from_ref(primary),
            Loadout::Versatile(a) => a,
        }
    }

    /// `melee_dg + bleed | charges_1`, with ` / fallback ranged+1` or the
    /// three attacks joined by ` ; `.
    pub fn label(&self) -> String {
        match self {
            Loadout::Focused(a) => a.label(),
            Loadout::Dual {
                primary,
                fallback,
                tier_bonus,
                ..
            } => format!(
                "{} / fallback {}+{tier_bonus}",
                primary.label(),
                fallback.kind.name()
            ),
            Loadout::Versatile(a) => a.iter().map(Attack::label).collect::<Vec<_>>().join(" ; "),
        }
    }

    /// Total point cost.
    pub fn cost(&self) -> u32 {
        match self {
            Loadout::Dual { primary, .. } => primary.cost(),
            other => other.attacks().iter().map(Attack::cost).sum(),
        }
    }
}

/// `calculate_expected_damage`: average dice, a clamped hit chance,
/// ×1.2 per upgrade.
pub fn expected_damage(
    attacker: &Character,
    a: &Attack,
    defender: &Character,
    tier_bonus: i32,
) -> f64 {
    use super::data::{LIMITS, UPGRADE_MODS};
    let tier = attacker.tier;
    let limit_bonus: i32 = a
        .limits()
        .iter()
        .map(|&l| LIMITS[l as usize].bonus as i32 * tier)
        .sum();
    let (mut acc_mod, mut dmg_mod) = match a.kind {
        AttackType::Area => (-1, -1),
        AttackType::DirectDamage => (0, -1),
        AttackType::DirectAreaDamage => (0, -2),
        _ => (0, 0),
    };
    for u in a.upgrades() {
        let m = UPGRADE_MODS[u as usize];
        acc_mod += m.accuracy - m.accuracy_penalty;
        dmg_mod += m.damage - m.damage_penalty;
    }
    let accuracy = f64::from(10 + tier + attacker.focus + acc_mod + tier_bonus + limit_bonus);
    let damage = 10.5 + f64::from(tier + attacker.power + dmg_mod + tier_bonus + limit_bonus);
    let hit = ((21.0 - (f64::from(defender.avoidance()) - accuracy)) / 20.0).clamp(0.05, 0.95);
    let soaked = (damage - f64::from(defender.durability())).max(0.0);
    hit * soaked * 1.2f64.powi(a.upgrade_count() as i32)
}

/// `rank_attacks_by_scenario`: the versatile master's order of preference
/// (stable: equal scores keep their order).
fn rank(attacks: &[Attack; 3], num_alive: i32, avg_hp: f64) -> [usize; 3] {
    let score = |a: &Attack| {
        let aoe = a.is_area();
        let mut s = match num_alive {
            n if n >= 5 => {
                if aoe {
                    100
                } else {
                    -50
                }
            }
            n if n >= 3 => {
                if aoe {
                    50
                } else {
                    0
                }
            }
            1 => {
                if aoe {
                    -30
                } else {
                    50
                }
            }
            _ => {
                if aoe {
                    10
                } else {
                    20
                }
            }
        };
        if a.has(up::BOSS_SLAYER) {
            s += if num_alive == 1 && avg_hp > 50.0 {
                40
            } else if num_alive <= 2 {
                20
            } else {
                -10
            };
        }
        if a.has(up::CULLING_STRIKE) {
            s += if num_alive >= 3 && avg_hp < 40.0 {
                30
            } else if num_alive >= 2 {
                15
            } else {
                0
            };
        }
        if a.has(up::CHANNELED) {
            s += if num_alive == 1 {
                25
            } else if num_alive <= 2 {
                10
            } else {
                -15
            };
        }
        if a.has(up::POWERFUL_CRITICAL) {
            s += 10;
        }
        s - 5 * a.limits().len() as i32
    };
    let scores = [score(&attacks[0]), score(&attacks[1]), score(&attacks[2])];
    let mut order = [0, 1, 2];
    // Insertion sort, descending and stable.
    for i in 1..3 {
        let mut j = i;
        while j > 0 && scores[order[j - 1]] < scores[order[j]] {
            order.swap(j - 1, j);
            j -= 1;
        }
    }
    order
}

/// Who fights, and how a failed limit is handled.
#[derive(Clone, Copy, Debug)]
pub struct Match {
    /// The attacker.
    pub attacker: Character,
    /// The enemies' stats (each enemy has its own HP).
    pub defender: Character,
    /// Turn limit (100 in the build tester).
    pub max_turns: i32,
    /// Focused builds take no action when a limit fails, instead of a basic
    /// attack.
    pub focused: bool,
}

/// How one combat ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Turns played (the turn limit on a timeout).
    pub turns: i32,
    /// Every enemy at 0 HP.
    pub win: bool,
    /// Turns each of the loadout's attacks was chosen (multi-attack only).
    pub usage: [u32; 3],
}

const ENEMY_ATTACK: Attack = Attack::basic(AttackType::Ranged);

fn alive<A: Arena>(arena: &A) -> i32 {
    (0..arena.enemy_count())
        .filter(|&i| arena.enemy(i).hp > 0)
        .count() as i32
}

/// Plays one combat of `loadout` against enemies with HPs `hps`.
pub fn fight<A: Arena>(
    arena: &mut A,
    rng: &mut Rng,
    log: &mut Log,
    mt: &Match,
    loadout: &Loadout,
    hps: &[i32],
) -> Outcome {
    arena.reset(hps);
    let (me, foe) = (mt.attacker, mt.defender);
    let tier = me.tier;
    let n = arena.enemy_count();
    let mut hp = me.max_hp;
    let mut out = Outcome::default();
    clog!(log, "COMBAT: {} vs enemies {:?}", loadout.label(), hps);
    while alive(arena) > 0 && out.turns < mt.max_turns {
        out.turns += 1;
        let turn = out.turns;
        clog!(log, "\nTURN {turn} - attacker HP {hp}/{}", me.max_hp);
        for i in 0..n {
            let e = arena.enemy(i);
            if e.hp > 0 && arena.has_bleed(i) {
                let d = arena.tick_bleed(i);
                arena.set_hp(i, (e.hp - d).max(0));
                if d > 0 {
                    clog!(
                        log,
                        "  Enemy {} bleeds {d}: {} -> {}",
                        i + 1,
                        e.hp,
                        (e.hp - d).max(0)
                    );
                }
            }
        }
        if alive(arena) == 0 {
            break;
        }
        let m = Moment {
            turn,
            charge: arena.charge_view(),
            attacker_hp: hp,
            attacker_max_hp: me.max_hp,
        };
        let (active, tier_bonus) = choose(arena, rng, log, mt, loadout, &m, &mut out.usage);
        let mut charged = false;
        let mut dealt_total = 0;
        let mut made_channeled = false;
        let mut target = None;

        if active.is_area() {
            let targets = Targets::living(arena);
            let (st, cd) = arena.parts();
            let (hits, total): (A::Hits, i32) = make_aoe_attack(
                rng,
                log,
                &me,
                &foe,
                &active,
                &m,
                targets.as_slice(),
                tier_bonus,
                cd,
                st,
            );
            dealt_total = total;
            let first = hits.get(0).1;
            if first.damage == 0 && first.conds.has(Conds::CHARGE) {
                charged = true;
                dealt_total = 0;
                clog!(log, "  CHARGING UP instead of attacking!");
            } else if first.damage == 0 && first.conds.has(Conds::BASIC) {
                dealt_total = 0;
                if let Some(basic) = fallback_action(arena, log, mt, &active) {
                    let (st, cd) = arena.parts();
                    let (hits, total): (A::Hits, i32) = make_aoe_attack(
                        rng,
                        log,
                        &me,
                        &foe,
                        &basic,
                        &m,
                        targets.as_slice(),
                        tier_bonus,
                        cd,
                        st,
                    );
                    dealt_total = total;
                    for k in 0..hits.len() {
                        let (i, s) = hits.get(k);
                        if s.damage > 0 {
                            let left = (arena.enemy(i).hp - s.damage).max(0);
                            arena.set_hp(i, left);
                            if left <= 0 {
                                arena.mark_defeated(i);
                            }
                        }
                    }
                }
            } else {
                made_channeled = active.has(up::CHANNELED);
                for k in 0..hits.len() {
                    let (i, s) = hits.get(k);
                    let left = (arena.enemy(i).hp - s.damage).max(0);
                    arena.set_hp(i, left);
                    after_damage(arena, log, i, s.conds, s.damage, tier);
                }
                // Splinter is never on an area attack (a rule of the tables),
                // so the original's area splinter branch never runs.
            }
        } else {
            let t = (0..n)
                .find(|&i| arena.enemy(i).hp > 0)
                .expect("an enemy is alive");
            target = Some(t);
            let e = arena.enemy(t);
            clog!(log, "  Single target attack on Enemy {}", t + 1);
            let o = Opts {
                enemy_max_hp: Some(e.max_hp),
                tier_bonus,
                ..Opts::DEFAULT
            };
            let (st, cd) = arena.parts();
            let s = make_attack(rng, log, &me, &foe, &active, &m, o, cd, st);
            if s.damage == 0 && s.conds.has(Conds::CHARGE) {
                charged = true;
                clog!(log, "  CHARGING UP instead of attacking!");
            } else if s.damage == 0 && s.conds.is_empty() {
                clog!(log, "  No damage dealt");
            } else if s.damage == 0 && s.conds.has(Conds::BASIC) {
                let mut d = 0;
                if let Some(basic) = fallback_action(arena, log, mt, &active) {
                    let (st, cd) = arena.parts();
                    d = make_attack(rng, log, &me, &foe, &basic, &m, o, cd, st).damage;
                }
                let left = (arena.enemy(t).hp - d).max(0);
                arena.set_hp(t, left);
                dealt_total = d;
                if left <= 0 {
                    arena.mark_defeated(t);
                }
            } else {
                made_channeled = active.has(up::CHANNELED);
                let left = (e.hp - s.damage).max(0);
                arena.set_hp(t, left);
                dealt_total = s.damage;
                clog!(log, "  Enemy {}: {} -> {left} HP", t + 1, e.hp);
                after_damage(arena, log, t, s.conds, s.damage, tier);
                if s.conds.has(Conds::EXPLOSIVE) {
                    dealt_total += explode(arena, rng, log, mt, &active, &m, t, tier_bonus);
                }
                if s.conds.has(Conds::SPLINTER) && arena.enemy(t).hp <= 0 {
                    dealt_total += splinter(arena, rng, log, mt, &active, &m, tier_bonus);
                }
            }
        }
        arena.push_charge(charged);

        // The enemies strike back: 1 alive → 1 attack, 2 → 2, 3+ → 3.
        let alive_now = alive(arena);
        let (mut attacks, mut hits, mut taken) = (0, 0, 0);
        if alive_now > 0 {
            let max_attacks = alive_now.min(3);
            for i in 0..n {
                let e = arena.enemy(i);
                if e.hp <= 0 {
                    continue;
                }
                if attacks >= max_attacks {
                    break;
                }
                let enemy = Character {
                    max_hp: e.max_hp,
                    ..foe
                };
                let em = Moment {
                    turn,
                    charge: ChargeView::default(),
                    attacker_hp: hp,
                    attacker_max_hp: me.max_hp,
                };
                let o = Opts {
                    enemy_max_hp: Some(me.max_hp),
                    ..Opts::DEFAULT
                };
                let (st, _) = arena.parts();
                let s = make_attack(rng, log, &enemy, &me, &ENEMY_ATTACK, &em, o, &mut None, st);
                hp -= s.damage;
                taken += s.damage;
                hits += i32::from(s.hit);
                attacks += 1;
                clog!(
                    log,
                    "  Enemy {} attacks: {} damage, attacker HP {hp}",
                    i + 1,
                    s.damage
                );
            }
        }

        let defeated_last = (0..n).any(|i| arena.enemy(i).hp <= 0 && arena.marked_defeated(i));
        let (st, _) = arena.parts();
        st.set_flag(Flag::DefeatedEnemyLastTurn, defeated_last);
        st.set_flag(Flag::DealtDamageLastTurn, dealt_total > 0 && !charged);
        st.set_count(Count::EmpowerBonus, 0);
        let current = target.map_or(-1, |t| t as i32);
        let last = st.count(Count::LastTargetHit);
        st.set_flag(Flag::HitSameTargetLastTurn, current >= 0 && current == last);
        st.set_count(Count::LastTargetHit, current);
        let (hit, damaged, missed_all, no_damage) = if attacks > 0 {
            if hits > 0 {
                (true, taken > 0, false, taken <= 0)
            } else {
                (false, false, true, false)
            }
        } else {
            (false, false, false, false)
        };
        st.set_flag(Flag::WasHitLastTurn, hit);
        st.set_flag(Flag::WasDamagedLastTurn, damaged);
        st.set_flag(Flag::AllAttacksMissedLastTurn, missed_all);
        st.set_flag(Flag::WasHitNoDamageLastTurn, no_damage);
        let channeled = if made_channeled {
            st.count(Count::ChanneledTurns) + 1
        } else {
            0
        };
        st.set_count(Count::ChanneledTurns, channeled);
        clog!(
            log,
            "  Turn {turn}: attack damage {dealt_total}, enemies left {}",
            alive(arena)
        );
    }
    out.win = alive(arena) == 0;
    clog!(
        log,
        "\nCombat {} after {} turns (attacker HP {hp})\n",
        if out.win { "won" } else { "timed out" },
        out.turns
    );
    out
}
