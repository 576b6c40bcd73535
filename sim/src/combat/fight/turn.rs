//! One turn's parts: which attack the attacker chooses, the fallback when
//! a limit fails, and what a hit sets off (extra hits, explosions,
//! splinters, the after-damage effects).

use super::*;
use crate::combat::arena::{Arena, CombatState, Count, MAX_ENEMIES};
use crate::combat::attack::{Attack, Conds, Strike};
use crate::combat::data::lim;
use crate::combat::log::{clog, Log};
use crate::combat::strike::{make_attack, Moment, Opts};
use crate::rng::Rng;

/// Which attack this turn, and its tier bonus.
pub(super) fn choose<A: Arena>(
    arena: &mut A,
    rng: &mut Rng,
    log: &mut Log,
    mt: &Match,
    loadout: &Loadout,
    m: &Moment,
    usage: &mut [u32; 3],
) -> (Attack, i32) {
    let (me, foe) = (mt.attacker, mt.defender);
    let test_opts = Opts {
        allow_multi: false,
        ..Opts::DEFAULT
    };
    match loadout {
        Loadout::Focused(a) => (*a, 0),
        Loadout::Dual {
            primary,
            fallback,
            tier_bonus,
            expected,
        } => {
            // A real test attack on a copy of the state; the cooldown
            // history is shared, as in the original.
            let mut test_state = arena.state().clone();
            let (_, cd) = arena.parts();
            let test = make_attack(
                rng,
                &mut Log::off(),
                &me,
                &foe,
                primary,
                m,
                test_opts,
                cd,
                &mut test_state,
            );
            let num_alive = f64::from(alive(arena));
            let use_primary = if test.damage == 0 && test.conds.has(Conds::CHARGE) {
                true
            } else if test.damage > 0 || !test.conds.is_empty() {
                let scale = |a: &Attack| if a.is_area() { num_alive } else { 1.0 };
                expected[0] * scale(primary) >= expected[1] * scale(fallback)
            } else {
                false
            };
            if use_primary {
                usage[0] += 1;
                clog!(log, "  Using primary attack");
                (*primary, 0)
            } else {
                usage[1] += 1;
                clog!(log, "  Using fallback attack");
                (*fallback, *tier_bonus)
            }
        }
        Loadout::Versatile(attacks) => {
            let n = arena.enemy_count();
            let num_alive = alive(arena);
            let total: i32 = (0..n).map(|i| arena.enemy(i).hp).filter(|&h| h > 0).sum();
            let avg = if num_alive > 0 {
                f64::from(total) / f64::from(num_alive)
            } else {
                0.0
            };
            let mut chosen = 0;
            for idx in rank(attacks, num_alive, avg) {
                // The test attack uses the real state: it spends charges
                // and cooldowns, as the original's does.
                let (st, cd) = arena.parts();
                let t = make_attack(
                    rng,
                    &mut Log::off(),
                    &me,
                    &foe,
                    &attacks[idx],
                    m,
                    test_opts,
                    cd,
                    st,
                );
                if t.damage > 0 || t.conds.has(Conds::CHARGE) {
                    chosen = idx;
                    break;
                }
            }
            usage[chosen] += 1;
            clog!(log, "  Using attack {}", chosen + 1);
            (attacks[chosen], 0)
        }
    }
}

/// After a failed limit: focused builds do nothing, passive builds empower
/// (+tier to the next damage roll), others make a basic attack.
pub(super) fn fallback_action<A: Arena>(
    arena: &mut A,
    log: &mut Log,
    mt: &Match,
    active: &Attack,
) -> Option<Attack> {
    if mt.focused {
        clog!(log, "  Limit failed - focused archetype takes no action");
        None
    } else if active.has_limit(lim::PASSIVE) {
        let (st, _) = arena.parts();
        let bonus = st.count(Count::EmpowerBonus) + mt.attacker.tier;
        st.set_count(Count::EmpowerBonus, bonus);
        clog!(log, "  Limit failed (passive) - EMPOWER");
        None
    } else {
        clog!(log, "  Limit failed - BASIC ATTACK");
        Some(Attack::basic(active.kind))
    }
}

/// Finishing blow, culling strike and bleed on enemy `i` after `damage`.
pub(super) fn after_damage<A: Arena>(
    arena: &mut A,
    log: &mut Log,
    i: usize,
    conds: Conds,
    damage: i32,
    tier: i32,
) {
    let e = arena.enemy(i);
    if conds.has(Conds::FINISHING) && e.hp > 0 && e.hp <= 5 {
        clog!(log, "     FINISHING BLOW! Enemy {} defeated", i + 1);
        arena.set_hp(i, 0);
    }
    let e = arena.enemy(i);
    if conds.has(Conds::CULLING) && e.hp > 0 && e.hp <= e.max_hp / 5 {
        clog!(log, "     CULLING STRIKE! Enemy {} defeated", i + 1);
        arena.set_hp(i, 0);
    }
    if conds.has(Conds::BLEED) {
        let bleed = (damage - tier).max(0);
        clog!(log, "     BLEED on Enemy {}: {bleed} for 1 turn", i + 1);
        arena.set_bleed(i, bleed, 1);
    }
}

/// A follow-up attack on enemy `i` (a splash or a splinter): its damage and
/// its bleed; returns the strike and the HP left.
#[allow(clippy::too_many_arguments)]
pub(super) fn extra_hit<A: Arena>(
    arena: &mut A,
    rng: &mut Rng,
    log: &mut Log,
    mt: &Match,
    active: &Attack,
    m: &Moment,
    o: Opts,
    i: usize,
) -> (Strike, i32) {
    let (st, cd) = arena.parts();
    let s = make_attack(rng, log, &mt.attacker, &mt.defender, active, m, o, cd, st);
    let left = (arena.enemy(i).hp - s.damage).max(0);
    arena.set_hp(i, left);
    if s.conds.has(Conds::BLEED) {
        arena.set_bleed(i, (s.damage - mt.attacker.tier).max(0), 1);
    }
    (s, left)
}

/// Explosive critical: the same attack on every other living enemy.
#[allow(clippy::too_many_arguments)]
pub(super) fn explode<A: Arena>(
    arena: &mut A,
    rng: &mut Rng,
    log: &mut Log,
    mt: &Match,
    active: &Attack,
    m: &Moment,
    target: usize,
    tier_bonus: i32,
) -> i32 {
    let n = arena.enemy_count();
    let mut others = [0usize; MAX_ENEMIES];
    let mut k = 0;
    for i in 0..n {
        if i != target && arena.enemy(i).hp > 0 {
            others[k] = i;
            k += 1;
        }
    }
    let mut total = 0;
    for &i in &others[..k] {
        let e = arena.enemy(i);
        let o = Opts {
            enemy_max_hp: Some(e.max_hp),
            tier_bonus,
            ..Opts::DEFAULT
        };
        let (s, left) = extra_hit(arena, rng, log, mt, active, m, o, i);
        total += s.damage;
        clog!(
            log,
            "     EXPLOSIVE splash on Enemy {}: {}",
            i + 1,
            s.damage
        );
        if s.conds.has(Conds::CULLING) && left > 0 && left <= e.max_hp / 5 {
            arena.set_hp(i, 0);
        }
    }
    total
}

/// Splinter: after a kill, attack the next living enemy, up to ⌈tier/2⌉
/// times while each attack kills.
pub(super) fn splinter<A: Arena>(
    arena: &mut A,
    rng: &mut Rng,
    log: &mut Log,
    mt: &Match,
    active: &Attack,
    m: &Moment,
    tier_bonus: i32,
) -> i32 {
    let max = (mt.attacker.tier + 1) / 2;
    let mut total = 0;
    for k in 1..=max {
        let Some(next) = (0..arena.enemy_count()).find(|&i| arena.enemy(i).hp > 0) else {
            break;
        };
        let o = Opts {
            tier_bonus,
            ..Opts::DEFAULT
        };
        let (s, left) = extra_hit(arena, rng, log, mt, active, m, o, next);
        total += s.damage;
        clog!(
            log,
            "     SPLINTER {k}/{max} on Enemy {}: {}",
            next + 1,
            s.damage
        );
        if left > 0 {
            break;
        }
    }
    total
}
