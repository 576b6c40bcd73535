//! Invariants of the combat and the batch.

use std::sync::atomic::AtomicU64;

use super::arena::{Arena, LeanArena, NaiveArena};
use super::attack::{Attack, Character};
use super::batch::{self, combat_seed, Batch, Config, SCENARIOS};
use super::data::{lim, up, AttackType};
use super::fight::{fight, Loadout, Match};
use super::log::Log;
use super::Archetype;
use crate::rng::Rng;
use crate::Variant;

const STATS: Character = Character::new([2, 2, 2, 2, 4]);

fn matchup(focused: bool, max_turns: i32) -> Match {
    Match {
        attacker: STATS,
        defender: STATS,
        max_turns,
        focused,
    }
}

fn play(a: Attack, hps: &[i32], focused: bool, max_turns: i32, seed: u64) -> (i32, bool, Vec<i32>) {
    let mut arena = LeanArena::default();
    let o = fight(
        &mut arena,
        &mut Rng::new(seed),
        &mut Log::off(),
        &matchup(focused, max_turns),
        &Loadout::Focused(a),
        hps,
    );
    let left = (0..arena.enemy_count())
        .map(|i| arena.enemy(i).hp)
        .collect();
    (o.turns, o.win, left)
}

#[test]
fn a_direct_attack_needs_the_turns_its_fixed_damage_says() {
    // direct_damage deals 15 − 4 + 4 + 2 − 11 = 6 a turn: 100 HP in 17 turns.
    let (turns, win, left) = play(
        Attack::basic(AttackType::DirectDamage),
        &[100],
        true,
        100,
        1,
    );
    assert_eq!((turns, win, left), (17, true, vec![0]));
    // direct_area_damage deals 2 to every enemy: the 25s need 13 turns.
    let (turns, win, _) = play(
        Attack::basic(AttackType::DirectAreaDamage),
        SCENARIOS[2].hps,
        true,
        100,
        1,
    );
    assert_eq!((turns, win), (13, true));
}

#[test]
fn a_failed_limit_idles_a_focused_build_and_makes_others_attack_basic() {
    // finale gates turns 1-6; the basic direct attack deals 6.
    let a = Attack::new(AttackType::DirectDamage, &[], &[lim::FINALE]);
    assert_eq!(play(a, &[100], true, 6, 1).2, vec![100]);
    assert_eq!(play(a, &[100], false, 6, 1).2, vec![100 - 6 * 6]);
    // From turn 7 finale adds 2×tier = 8: 14 a turn.
    assert_eq!(play(a, &[100], true, 7, 1).2, vec![100 - 14]);
}

#[test]
fn bleed_deals_the_hit_minus_tier_once_more_then_expires() {
    // direct_damage + bleed: 15 − 4 + 4 + 2 − 4 (bleed's penalty) − 11 = 2
    // a hit, and a bleed stack of max(0, 2 − 4) = 0. With power it shows:
    // use a lone 100 HP enemy and compare with and without bleed.
    let plain = Attack::basic(AttackType::DirectDamage);
    let bleed = Attack::new(AttackType::DirectDamage, &[up::BLEED], &[]);
    // One turn: no bleed tick yet.
    assert_eq!(play(bleed, &[100], true, 1, 1).2, vec![98]);
    // Two turns: the first turn's stack (0 damage) ticks, then a new hit.
    assert_eq!(play(bleed, &[100], true, 2, 1).2, vec![96]);
    assert_eq!(play(plain, &[100], true, 2, 1).2, vec![88]);
}

#[test]
fn charge_up_alternates_charging_and_attacking() {
    // Charging turns deal nothing; attacks deal 6 + 3×4 = 18.
    let a = Attack::new(AttackType::DirectDamage, &[], &[lim::CHARGE_UP]);
    let hp = |turns| play(a, &[100], true, turns, 1).2[0];
    assert_eq!([hp(1), hp(2), hp(3), hp(4)], [100, 82, 82, 64]);
}

#[test]
fn every_combat_ends_within_the_limit_and_a_win_means_every_enemy_at_zero() {
    let cfg = Config::new(4, Archetype::Focused);
    let attacks = match batch::Catalog::new(&cfg) {
        batch::Catalog::Focused(a) => a,
        _ => unreachable!(),
    };
    let mut rng = Rng::new(99);
    for _ in 0..400 {
        let a = attacks[rng.below(attacks.len() as u64) as usize];
        let g = SCENARIOS[rng.below(4) as usize];
        let seed = rng.next_u64();
        for limit in [100, 12] {
            let (turns, win, left) = play(a, g.hps, true, limit, seed);
            assert!(turns <= limit, "{} took {turns} > {limit}", a.label());
            assert_eq!(
                win,
                left.iter().all(|&hp| hp == 0),
                "{}: {left:?}",
                a.label()
            );
            assert!(left.iter().all(|&hp| hp >= 0));
            if !win {
                assert_eq!(turns, limit, "{} stopped early without winning", a.label());
            }
        }
    }
}

fn same_outcomes_in_both_arenas(cfg: &Config) {
    let catalog = batch::Catalog::new(cfg);
    let mt = cfg.matchup();
    let (mut lean, mut naive) = (LeanArena::default(), NaiveArena::default());
    let step = (catalog.len() / 150).max(1);
    for i in (0..catalog.len()).step_by(step) {
        let l = catalog.get(i);
        for (s, g) in SCENARIOS.iter().enumerate() {
            let seed = combat_seed(5, i as u64, s, 0);
            let a = fight(
                &mut lean,
                &mut Rng::new(seed),
                &mut Log::off(),
                &mt,
                &l,
                g.hps,
            );
            let b = fight(
                &mut naive,
                &mut Rng::new(seed),
                &mut Log::off(),
                &mt,
                &l,
                g.hps,
            );
            assert_eq!(a, b, "{} in {}", l.label(), g.name);
        }
    }
}

#[test]
fn naive_and_lean_play_identical_combats_in_every_archetype() {
    same_outcomes_in_both_arenas(&Config::new(4, Archetype::Focused));
    same_outcomes_in_both_arenas(&Config::new(4, Archetype::DualNatured));
    let mut v = Config::new(3, Archetype::VersatileMaster);
    v.per_type = 3;
    same_outcomes_in_both_arenas(&v);
}

fn ranked(variant: Variant, threads: usize) -> Vec<batch::BuildScore> {
    let mut cfg = Config::new(4, Archetype::Focused);
    cfg.stride = 400;
    cfg.variant = variant;
    cfg.threads = threads;
    batch::run(cfg, &AtomicU64::new(0)).top
}

#[test]
fn the_same_seed_gives_the_same_top_50_for_both_variants_and_thread_counts() {
    let lean1 = ranked(Variant::Lean, 1);
    assert_eq!(lean1.len(), 50);
    assert!(lean1
        .windows(2)
        .all(|w| (w[0].total(), w[0].index) < (w[1].total(), w[1].index)));
    assert_eq!(lean1, ranked(Variant::Lean, 2));
    assert_eq!(lean1, ranked(Variant::Naive, 1));
    assert_eq!(lean1, ranked(Variant::Naive, 2));
}

#[test]
fn stepping_a_batch_equals_running_it_and_the_tally_counts_every_combat() {
    let mut cfg = Config::new(4, Archetype::Focused);
    cfg.stride = 1000;
    let mut b = Batch::new(cfg.clone());
    let planned = b.planned();
    while b.step(7) > 0 {}
    assert_eq!(b.done(), planned);
    let stepped = b.finish();
    let ran = batch::run(cfg, &AtomicU64::new(0));
    assert_eq!(stepped.top, ran.top);
    assert_eq!(stepped.tally, ran.tally);
    assert_eq!(ran.tally.builds, planned as u64);
    assert_eq!(ran.tally.combats, planned as u64 * 20);
    assert_eq!(ran.tally.histogram.iter().sum::<u64>(), planned as u64);
}

#[test]
fn replayed_combat_logs_end_as_the_batch_scored_them() {
    let mut cfg = Config::new(4, Archetype::DualNatured);
    cfg.stride = 2000;
    cfg.top = 3;
    let r = batch::run(cfg, &AtomicU64::new(0));
    let mut out = Vec::new();
    super::report::write_combat_logs(&r, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    // Each top build's first run of each scenario is replayed.
    let ends: Vec<&str> = text.lines().filter(|l| l.starts_with("Combat ")).collect();
    assert_eq!(ends.len(), 3 * 4);
    let mt = r.cfg.matchup();
    let mut arena = LeanArena::default();
    for (k, b) in r.top.iter().enumerate() {
        for (s, g) in SCENARIOS.iter().enumerate() {
            let l = r.catalog.get(b.index as usize);
            let seed = combat_seed(r.cfg.seed, u64::from(b.index), s, 0);
            let o = fight(
                &mut arena,
                &mut Rng::new(seed),
                &mut Log::off(),
                &mt,
                &l,
                g.hps,
            );
            let line = ends[k * 4 + s];
            assert!(
                line.contains(&format!("after {} turns", o.turns)),
                "{line} vs {o:?}"
            );
        }
    }
    let md = super::report::ranking_markdown(&r);
    assert!(md.contains("| 1 | `"), "{md}");
}

#[test]
fn area_builds_pay_double() {
    let ranged = Attack::new(AttackType::Ranged, &[up::POWER_ATTACK], &[lim::CHARGES_1]);
    let area = Attack::new(AttackType::Area, &[up::POWER_ATTACK], &[lim::CHARGES_1]);
    let direct_area = Attack::new(AttackType::DirectAreaDamage, &[up::BLEED], &[]);
    assert_eq!((ranged.cost(), area.cost(), direct_area.cost()), (2, 4, 6));
}

#[test]
fn dual_natured_prefers_the_primary_on_equal_expected_damage() {
    // A basic ranged primary and a basic ranged fallback: with the bonus on
    // both (the original's quirk), their expected damages are equal.
    let l = Loadout::dual(
        Attack::basic(AttackType::Ranged),
        AttackType::Ranged,
        1,
        &STATS,
        &STATS,
    );
    let Loadout::Dual { expected, .. } = l else {
        unreachable!()
    };
    assert_eq!(expected[0], expected[1]);
    let mut arena = LeanArena::default();
    let mut used = [0u32; 3];
    for seed in 0..50 {
        let o = fight(
            &mut arena,
            &mut Rng::new(seed),
            &mut Log::off(),
            &matchup(false, 100),
            &l,
            &[100],
        );
        for (total, u) in used.iter_mut().zip(o.usage) {
            *total += u;
        }
    }
    // A miss in the test attack picks the fallback; a hit, the primary.
    assert!(used[0] > 0 && used[1] > 0, "{used:?}");
    assert_eq!(used[2], 0);
}

#[test]
fn the_build_order_is_a_permutation() {
    for n in [1, 2, 10, 282_440, 282_440usize.div_ceil(400)] {
        let o = batch::Order::new(n);
        let mut seen = vec![false; n];
        for k in 0..n {
            let b = o.build(k);
            assert!(!seen[b], "{b} twice for n = {n}");
            seen[b] = true;
        }
    }
}
