//! One attack (`combat.py` `make_attack`, `make_aoe_attack`): limit checks,
//! accuracy, damage, durability and the upgrade effects, with every quirk
//! of the original's state handling kept (see the module docs of
//! [`crate::combat`]).

use super::arena::{ChargeView, CombatState, Cooldowns, Count, Flag, HitList};
use super::attack::{Attack, Character, Conds, Strike};
use super::data::{lim, up, LIMITS};
use super::log::{clog, Log};
use crate::rng::Rng;

/// A d20.
#[inline]
pub fn d20(rng: &mut Rng) -> i32 {
    1 + rng.below(20) as i32
}

/// 3d6 where each die showing `explode_from` or more rolls again and adds.
pub fn roll_3d6_exploding(rng: &mut Rng, explode_from: i32) -> i32 {
    let mut total = 0;
    for _ in 0..3 {
        loop {
            let die = 1 + rng.below(6) as i32;
            total += die;
            if die < explode_from {
                break;
            }
        }
    }
    total
}

/// The moment an attack is made in: the turn, the charge history and the
/// attacker's HP (what the limits read besides the combat state).
#[derive(Clone, Copy, Debug)]
pub struct Moment {
    /// Turn number, from 1.
    pub turn: i32,
    /// The last two charge-history entries.
    pub charge: ChargeView,
    /// The attacker's current HP.
    pub attacker_hp: i32,
    /// The attacker's maximum HP.
    pub attacker_max_hp: i32,
}

/// `make_attack`'s keyword arguments.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    /// Double tap, extra attack, barrage, explosive critical and ricochet
    /// may trigger (false for the follow-up attacks themselves).
    pub allow_multi: bool,
    /// An area attack's shared damage roll.
    pub aoe_roll: Option<i32>,
    /// The target's max HP for slayers; the defender's when `None`.
    pub enemy_max_hp: Option<i32>,
    /// A dual-natured fallback's accuracy and damage bonus.
    pub tier_bonus: i32,
    /// Area targets after the first share the first one's charge use.
    pub skip_consumption: bool,
}

impl Opts {
    /// The defaults of `make_attack`.
    pub const DEFAULT: Opts = Opts {
        allow_multi: true,
        aoe_roll: None,
        enemy_max_hp: None,
        tier_bonus: 0,
        skip_consumption: false,
    };
}

/// The limit checks, in build order. `Some` when the attack does not
/// happen: a failed limit (basic attack), a failed unreliable check, or an
/// unmet charge-up (charging).
fn check_limits<S: CombatState, C: Cooldowns>(
    rng: &mut Rng,
    log: &mut Log,
    a: &Attack,
    m: &Moment,
    o: &Opts,
    cooldown: &mut C,
    state: &mut S,
) -> Option<Strike> {
    let charging = m.charge.len > 0
        && if a.has_limit(lim::CHARGE_UP_2) {
            m.charge.len >= 2 && m.charge.last && m.charge.prev
        } else {
            a.has_limit(lim::CHARGE_UP) && m.charge.last
        };
    for &l in a.limits() {
        if l == lim::CHARGE_UP || l == lim::CHARGE_UP_2 {
            continue;
        }
        if charging && matches!(l, lim::SLAUGHTER | lim::RELENTLESS | lim::COMBO_MOVE) {
            continue;
        }
        let flag = |f| state.flag(f);
        let fails = match l {
            lim::NEAR_DEATH => m.attacker_hp > 25,
            lim::BLOODIED => m.attacker_hp > 50,
            lim::TIMID => m.attacker_hp < m.attacker_max_hp,
            lim::SLAUGHTER => !flag(Flag::DefeatedEnemyLastTurn),
            lim::RELENTLESS => !flag(Flag::DealtDamageLastTurn),
            lim::COMBO_MOVE => !flag(Flag::HitSameTargetLastTurn),
            lim::REVENGE => !flag(Flag::WasDamagedLastTurn),
            lim::VENGEFUL => !flag(Flag::WasHitLastTurn),
            lim::UNTOUCHABLE => !flag(Flag::AllAttacksMissedLastTurn),
            lim::UNBREAKABLE => !flag(Flag::WasHitNoDamageLastTurn),
            lim::PASSIVE => flag(Flag::DealtDamageLastTurn),
            lim::CAREFUL => flag(Flag::WasDamagedLastTurn),
            lim::QUICKDRAW => m.turn > 2,
            lim::PATIENT => m.turn < 4,
            lim::FINALE => m.turn < 7,
            lim::CHARGES_1 | lim::CHARGES_2 => {
                let (max, c) = if l == lim::CHARGES_1 {
                    (1, Count::Charges1Used)
                } else {
                    (2, Count::Charges2Used)
                };
                let used = state.count(c);
                let effective = if o.skip_consumption { used - 1 } else { used };
                if effective >= max {
                    true
                } else {
                    if !o.skip_consumption {
                        state.set_count(c, used + 1);
                    }
                    false
                }
            }
            lim::COOLDOWN => {
                let last = cooldown.last_used().unwrap_or(-999);
                if m.turn - last <= 3 {
                    true
                } else {
                    cooldown.mark(m.turn);
                    false
                }
            }
            _ => false,
        };
        if fails {
            clog!(
                log,
                "      {} failed - using basic attack",
                LIMITS[l as usize].name
            );
            return Some(Strike::BASIC);
        }
        let dc = LIMITS[l as usize].dc as i32;
        if dc > 0 {
            let roll = d20(rng);
            clog!(
                log,
                "      {} check: rolled {roll} vs DC {dc}",
                LIMITS[l as usize].name
            );
            if roll < dc {
                clog!(
                    log,
                    "      Attack failed due to {}!",
                    LIMITS[l as usize].name
                );
                return Some(Strike::NONE);
            }
        }
    }
    let need = if a.has_limit(lim::CHARGE_UP_2) {
        2
    } else if a.has_limit(lim::CHARGE_UP) {
        1
    } else {
        0
    };
    let charged = match need {
        0 => true,
        1 => m.charge.len >= 1 && m.charge.last,
        _ => m.charge.len >= 2 && m.charge.last && m.charge.prev,
    };
    if !charged {
        clog!(log, "      charge-up unmet: charging instead");
        return Some(Strike::CHARGE);
    }
    None
}

/// +tier to accuracy and damage when a slayer matches the target's max HP.
fn slayer_bonus(a: &Attack, target_max_hp: i32, tier: i32) -> i32 {
    let matches = (a.has(up::MINION_SLAYER) && target_max_hp == 10)
        || (a.has(up::CAPTAIN_SLAYER) && target_max_hp == 25)
        || (a.has(up::ELITE_SLAYER) && target_max_hp == 50)
        || (a.has(up::BOSS_SLAYER) && target_max_hp == 100);
    if matches {
        tier
    } else {
        0
    }
}

/// One attack by `attacker` on `defender` (`make_attack`).
#[allow(clippy::too_many_arguments)]
pub fn make_attack<S: CombatState, C: Cooldowns>(
    rng: &mut Rng,
    log: &mut Log,
    attacker: &Character,
    defender: &Character,
    a: &Attack,
    m: &Moment,
    o: Opts,
    cooldown: &mut C,
    state: &mut S,
) -> Strike {
    if let Some(early) = check_limits(rng, log, a, m, &o, cooldown, state) {
        return early;
    }
    let tier = attacker.tier;
    let direct = a.kind.is_direct();
    let target_max_hp = o.enemy_max_hp.unwrap_or(defender.max_hp);
    let slayer = slayer_bonus(a, target_max_hp, tier);
    let channeled = if a.has(up::CHANNELED) {
        (state.count(Count::ChanneledTurns) - 3).min(5) * tier
    } else {
        0
    };
    let accuracy =
        tier + attacker.focus + a.static_accuracy(tier) + slayer + channeled + o.tier_bonus;
    let avoidance = defender.avoidance();

    let mut roll = 0;
    let mut critical = false;
    if !direct {
        roll = if a.has(up::RELIABLE_ACCURACY) {
            d20(rng).max(d20(rng))
        } else {
            d20(rng)
        };
        critical = (a.crits_on_15() && roll >= 15) || roll == 20;
        clog!(
            log,
            "      Accuracy: {roll} [Roll] + {accuracy} = {} vs {avoidance}{}",
            roll + accuracy,
            if critical { " CRITICAL HIT!" } else { "" }
        );
        if roll + accuracy < avoidance {
            clog!(log, "      Miss!");
            return Strike::NONE;
        }
    }

    let mut overhit = 0;
    if !direct && a.has(up::OVERHIT) && roll + accuracy >= avoidance + 3 * tier {
        overhit = (roll + accuracy - avoidance) / 2;
    }
    let base = if direct {
        15 + if a.kind.is_area() { -2 * tier } else { -tier }
    } else if let Some(shared) = o.aoe_roll {
        shared
    } else if a.has(up::HIGH_IMPACT) {
        15
    } else if a.has(up::CRITICAL_EFFECT) {
        roll_3d6_exploding(rng, 5)
    } else {
        roll_3d6_exploding(rng, 6)
    };
    let crit_bonus = if !direct && critical {
        tier + if a.has(up::POWERFUL_CRITICAL) {
            tier
        } else {
            0
        }
    } else {
        0
    };
    let empower = state.count(Count::EmpowerBonus);
    let damage = base
        + a.static_damage(attacker)
        + channeled
        + slayer
        + crit_bonus
        + overhit
        + o.tier_bonus
        + empower;
    if empower > 0 {
        state.set_count(Count::EmpowerBonus, 0);
    }
    let durability = if a.has(up::ARMOR_PIERCING) {
        defender.tier
    } else {
        defender.durability()
    };
    let mut dealt = (damage - durability).max(0);
    if !direct && a.has(up::BRUTAL) && damage > durability + 5 * tier {
        dealt += (damage - durability - 5 * tier) / 2;
    }
    clog!(
        log,
        "      Damage: {base} [{}] + bonuses = {damage} - durability {durability} = {dealt}",
        if direct { "direct" } else { "dice" }
    );

    let mut conds = Conds::default();
    if a.has(up::BLEED) {
        conds.add(Conds::BLEED);
    }
    if a.has(up::FINISHING_BLOW_1) {
        conds.add(Conds::FINISHING);
    }
    if a.has(up::CULLING_STRIKE) {
        conds.add(Conds::CULLING);
    }
    if a.has(up::SPLINTER) {
        conds.add(Conds::SPLINTER);
    }
    let multi = o.allow_multi;
    if multi && a.has(up::EXPLOSIVE_CRITICAL) && roll >= 15 {
        conds.add(Conds::EXPLOSIVE);
    }
    let follow_up = |rng: &mut Rng, log: &mut Log, cooldown: &mut C, state: &mut S| {
        let o = Opts {
            allow_multi: false,
            ..Opts::DEFAULT
        };
        make_attack(rng, log, attacker, defender, a, m, o, cooldown, state).damage
    };
    if multi && a.has(up::DOUBLE_TAP) && roll >= 15 {
        clog!(log, "      Double-Tap triggered!");
        dealt += follow_up(rng, log, cooldown, state);
    }
    if multi && a.has(up::RICOCHET) && roll >= 15 {
        conds.add(Conds::RICOCHET);
    }
    if multi && a.has(up::EXTRA_ATTACK) && dealt > 0 && !conds.is_empty() {
        clog!(log, "      Extra Attack triggered!");
        dealt += follow_up(rng, log, cooldown, state);
    }
    if multi && a.has(up::BARRAGE) && dealt > 0 && !conds.is_empty() {
        clog!(log, "      Barrage: second attack");
        let second = follow_up(rng, log, cooldown, state);
        dealt += second;
        if second > 0 {
            clog!(log, "      Barrage: third attack");
            dealt += follow_up(rng, log, cooldown, state);
        }
    }
    Strike {
        damage: dealt,
        conds,
        hit: true,
    }
}

/// An area attack on `targets` (index and max HP of each living enemy):
/// a test attack on a copy of the state (sharing the cooldown history, as
/// the original does), one shared damage roll, then an attack per target.
#[allow(clippy::too_many_arguments)]
pub fn make_aoe_attack<S: CombatState, C: Cooldowns, H: HitList>(
    rng: &mut Rng,
    log: &mut Log,
    attacker: &Character,
    defender: &Character,
    a: &Attack,
    m: &Moment,
    targets: &[(usize, i32)],
    tier_bonus: i32,
    cooldown: &mut C,
    state: &mut S,
) -> (H, i32) {
    let mut results = H::default();
    clog!(log, "  AOE Attack targeting {} enemies", targets.len());
    let mut test_state = state.clone();
    let test = make_attack(
        rng,
        &mut Log::off(),
        attacker,
        defender,
        a,
        m,
        Opts {
            tier_bonus,
            ..Opts::DEFAULT
        },
        cooldown,
        &mut test_state,
    );
    if test.damage == 0 && test.conds.has(Conds::CHARGE) {
        for &(i, _) in targets {
            results.push(i, Strike::CHARGE);
        }
        return (results, 0);
    }
    let shared = if a.kind.is_direct() {
        None
    } else if a.has(up::HIGH_IMPACT) {
        Some(15)
    } else if a.has(up::CRITICAL_EFFECT) {
        Some(roll_3d6_exploding(rng, 5))
    } else {
        Some(roll_3d6_exploding(rng, 6))
    };
    if let Some(r) = shared {
        clog!(log, "  Shared damage roll: {r}");
    }
    let mut total = 0;
    for (k, &(i, max_hp)) in targets.iter().enumerate() {
        clog!(log, "  --- Targeting Enemy {} ---", i + 1);
        let o = Opts {
            allow_multi: true,
            aoe_roll: shared,
            enemy_max_hp: Some(max_hp),
            tier_bonus,
            skip_consumption: k > 0,
        };
        let s = make_attack(rng, log, attacker, defender, a, m, o, cooldown, state);
        results.push(i, s);
        total += s.damage;
    }
    (results, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combat::arena::LeanState;
    use crate::combat::data::AttackType;

    const ME: Character = Character::new([2, 2, 2, 2, 4]);

    fn moment(turn: i32) -> Moment {
        Moment {
            turn,
            charge: ChargeView::default(),
            attacker_hp: 100,
            attacker_max_hp: 100,
        }
    }

    fn strike(a: &Attack, m: &Moment, state: &mut LeanState, cd: &mut Option<i32>) -> Strike {
        let mut rng = Rng::new(7);
        make_attack(
            &mut rng,
            &mut Log::off(),
            &ME,
            &ME,
            a,
            m,
            Opts::DEFAULT,
            cd,
            state,
        )
    }

    #[test]
    fn a_direct_attack_always_hits_for_its_base_minus_durability() {
        // direct_damage: 15 − tier + tier + power = 17, − durability 11 = 6.
        let a = Attack::basic(AttackType::DirectDamage);
        let s = strike(&a, &moment(1), &mut LeanState::default(), &mut None);
        assert_eq!((s.damage, s.hit), (6, true));
        // direct_area_damage: 15 − 2×tier + tier + power = 13 → 2.
        let a = Attack::basic(AttackType::DirectAreaDamage);
        let s = strike(&a, &moment(1), &mut LeanState::default(), &mut None);
        assert_eq!(s.damage, 2);
    }

    #[test]
    fn turn_limits_gate_by_turn_number() {
        let gated = |l: u8, turn: i32| {
            let a = Attack::new(AttackType::DirectDamage, &[], &[l]);
            strike(&a, &moment(turn), &mut LeanState::default(), &mut None) == Strike::BASIC
        };
        assert!(!gated(lim::QUICKDRAW, 1) && !gated(lim::QUICKDRAW, 2) && gated(lim::QUICKDRAW, 3));
        assert!(gated(lim::PATIENT, 3) && !gated(lim::PATIENT, 4));
        assert!(gated(lim::FINALE, 6) && !gated(lim::FINALE, 7));
    }

    #[test]
    fn hp_limits_gate_by_the_attackers_hp() {
        let gated = |l: u8, hp: i32| {
            let a = Attack::new(AttackType::DirectDamage, &[], &[l]);
            let m = Moment {
                attacker_hp: hp,
                ..moment(1)
            };
            strike(&a, &m, &mut LeanState::default(), &mut None) == Strike::BASIC
        };
        assert!(gated(lim::NEAR_DEATH, 26) && !gated(lim::NEAR_DEATH, 25));
        assert!(gated(lim::BLOODIED, 51) && !gated(lim::BLOODIED, 50));
        assert!(gated(lim::TIMID, 99) && !gated(lim::TIMID, 100));
    }

    #[test]
    fn state_limits_read_last_turns_flags() {
        let cases = [
            (lim::SLAUGHTER, Flag::DefeatedEnemyLastTurn, true),
            (lim::RELENTLESS, Flag::DealtDamageLastTurn, true),
            (lim::COMBO_MOVE, Flag::HitSameTargetLastTurn, true),
            (lim::REVENGE, Flag::WasDamagedLastTurn, true),
            (lim::VENGEFUL, Flag::WasHitLastTurn, true),
            (lim::UNTOUCHABLE, Flag::AllAttacksMissedLastTurn, true),
            (lim::UNBREAKABLE, Flag::WasHitNoDamageLastTurn, true),
            (lim::PASSIVE, Flag::DealtDamageLastTurn, false),
            (lim::CAREFUL, Flag::WasDamagedLastTurn, false),
        ];
        for (l, f, needs) in cases {
            let a = Attack::new(AttackType::DirectDamage, &[], &[l]);
            for on in [false, true] {
                let mut st = LeanState::default();
                st.set_flag(f, on);
                let gated = strike(&a, &moment(1), &mut st, &mut None) == Strike::BASIC;
                assert_eq!(
                    gated,
                    on != needs,
                    "{} with {f:?}={on}",
                    LIMITS[l as usize].name
                );
            }
        }
    }

    #[test]
    fn charges_run_out_and_cooldown_waits_three_turns() {
        let a = Attack::new(AttackType::DirectDamage, &[], &[lim::CHARGES_2]);
        let mut st = LeanState::default();
        let uses: Vec<bool> = (1..=3)
            .map(|t| strike(&a, &moment(t), &mut st, &mut None) != Strike::BASIC)
            .collect();
        assert_eq!(uses, [true, true, false]);

        let a = Attack::new(AttackType::DirectDamage, &[], &[lim::COOLDOWN]);
        let mut cd = None;
        let uses: Vec<bool> = (1..=9)
            .map(|t| strike(&a, &moment(t), &mut LeanState::default(), &mut cd) != Strike::BASIC)
            .collect();
        assert_eq!(
            uses,
            [true, false, false, false, true, false, false, false, true]
        );
    }

    #[test]
    fn charge_up_charges_until_the_history_says_charged() {
        let a = Attack::new(AttackType::DirectDamage, &[], &[lim::CHARGE_UP]);
        let s = strike(&a, &moment(1), &mut LeanState::default(), &mut None);
        assert_eq!(s, Strike::CHARGE);
        let m = Moment {
            charge: ChargeView {
                len: 1,
                last: true,
                prev: false,
            },
            ..moment(2)
        };
        assert!(strike(&a, &m, &mut LeanState::default(), &mut None).hit);
        let a2 = Attack::new(AttackType::DirectDamage, &[], &[lim::CHARGE_UP_2]);
        assert_eq!(
            strike(&a2, &m, &mut LeanState::default(), &mut None),
            Strike::CHARGE
        );
    }

    #[test]
    fn unreliable_fails_about_as_often_as_its_dc_says() {
        // DC 15: a d20 below 15 fails, 14 in 20.
        let a = Attack::new(AttackType::DirectDamage, &[], &[lim::UNRELIABLE_3]);
        let mut rng = Rng::new(3);
        let n = 20_000;
        let fails = (0..n)
            .filter(|_| {
                let s = make_attack(
                    &mut rng,
                    &mut Log::off(),
                    &ME,
                    &ME,
                    &a,
                    &moment(1),
                    Opts::DEFAULT,
                    &mut None,
                    &mut LeanState::default(),
                );
                s == Strike::NONE
            })
            .count();
        let p = fails as f64 / n as f64;
        // σ = sqrt(0.7·0.3/20000) ≈ 0.0032; four sigma.
        assert!((p - 0.7).abs() < 0.013, "{p}");
    }

    #[test]
    fn exploding_dice_average_what_the_series_says() {
        // A die exploding on 6: 3.5 × 6/5 = 4.2; on 5-6: 3.5 × 6/4 = 5.25.
        let mut rng = Rng::new(11);
        let n = 100_000;
        let mean6 = (0..n).map(|_| roll_3d6_exploding(&mut rng, 6)).sum::<i32>() as f64 / n as f64;
        let mean5 = (0..n).map(|_| roll_3d6_exploding(&mut rng, 5)).sum::<i32>() as f64 / n as f64;
        assert!((mean6 - 12.6).abs() < 0.1, "{mean6}");
        assert!((mean5 - 15.75).abs() < 0.12, "{mean5}");
    }
}
