use super::rules::*;
use super::*;
use crate::Variant;

fn short(cap: usize) -> Config {
    Config {
        time_scale: 0.25,
        ..Config::stress(cap)
    }
}

/// The player where the test put it, so that the melee (facing the origin)
/// has a direction.
fn facing_origin(cap: usize) -> Config {
    Config {
        player: (400.0, 300.0),
        ..short(cap)
    }
}

/// Spawn attempts so far in the phase: pooled, bosses and those the full
/// pool turned away.
fn attempts(s: &PhaseStats) -> u64 {
    s.spawned + s.bosses_spawned + s.pool_full
}

#[test]
fn naive_and_lean_give_the_same_results() {
    for config in [short(50), short(500), short(2_000), facing_origin(500)] {
        let lean = World::run(config, Variant::Lean);
        let naive = World::run(config, Variant::Naive);
        assert_eq!(lean, naive, "{config:?}");
    }
    let melee = World::run(facing_origin(500), Variant::Lean);
    assert!(
        melee.phases.iter().any(|(_, s)| s.damage > 0),
        "the melee landed: {melee:?}"
    );
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let a = World::run(short(500), Variant::Lean);
    assert_eq!(a, World::run(short(500), Variant::Lean));
    let other = World::run(
        Config {
            seed: 54321,
            ..short(500)
        },
        Variant::Lean,
    );
    assert_ne!(a.state_hash, other.state_hash);
}

#[test]
fn the_interval_is_one_second_until_the_first_forced_spawn_then_stuck() {
    let mut w = World::new(Config::stress(500), Variant::Lean);
    assert_eq!(w.spawn_interval(), 10.0, "the test's own setting");
    w.begin_phase(WavePhase::GradualScaling);
    assert_eq!(w.spawn_interval(), 1.0, "gradual_scaling's setup");
    assert_eq!(w.current().force_spawns, 0);
    // The first frame counts 0 enemies, below the target of 100: forced.
    w.step();
    assert_eq!(w.current().force_spawns, 1);
    assert_eq!(w.spawn_interval(), STUCK_INTERVAL);
    // Nothing sets it back, in this phase or any later one.
    for phase in WavePhase::ALL {
        w.begin_phase(phase);
        for _ in 0..10 {
            w.step();
            assert_eq!(w.spawn_interval(), STUCK_INTERVAL, "{phase:?}");
        }
    }
}

#[test]
fn under_the_stuck_interval_every_combat_step_spawns_three_to_eight() {
    let mut w = World::new(Config::stress(100_000), Variant::Lean);
    w.begin_phase(WavePhase::GradualScaling);
    w.step();
    // From here on, with a pool too big to fill, every combat step's 3-8
    // spawns all happen.
    for _ in 0..100 {
        let before = w.current();
        w.step();
        let after = w.current();
        let steps = after.combat_steps - before.combat_steps;
        let spawns = attempts(&after) - attempts(&before);
        assert!(steps >= 2, "the 30 Hz step and the test's: {steps}");
        assert!(
            (3 * steps..=8 * steps).contains(&spawns),
            "{spawns} spawns in {steps} combat steps"
        );
    }
}

#[test]
fn a_forced_spawn_emits_its_first_step_at_once_and_at_most_fifty() {
    let mut w = World::new(Config::stress(500), Variant::Lean);
    w.begin_phase(WavePhase::BurstSpawn);
    // Nothing alive: needed 500, so min(500, 50) steps, the first one now.
    assert_eq!(w.force_loops(), 1);
    assert_eq!(w.current().combat_steps, 1);
    let mut forced = 1;
    for _ in 0..60 {
        let before = w.current().combat_steps;
        let loops = w.force_loops();
        w.step();
        // Two 30 Hz steps a frame, plus one per coroutine that went on.
        forced += w.current().combat_steps - before - 2;
        assert!(w.force_loops() <= loops);
    }
    assert_eq!(w.force_loops(), 0);
    assert!(forced <= FORCED_STEPS_MAX as u64, "{forced}");
}

#[test]
fn bosses_are_picked_by_weight_and_live_outside_the_pool() {
    let mut w = World::new(Config::stress(500), Variant::Lean);
    let mut peak_counted = 0;
    for phase in [WavePhase::GradualScaling, WavePhase::BurstSpawn] {
        w.begin_phase(phase);
        for _ in 0..150 {
            w.step();
            assert!(w.alive() <= 500, "the pool holds at most 500");
            peak_counted = peak_counted.max(w.current().enemies_peak);
        }
    }
    let s = w.current();
    assert!(w.bosses_alive() > 500, "bosses are not capped: {s:?}");
    assert!(peak_counted <= 500, "and not counted");
    // 300 of the pool's 390 entries are bosses.
    let picks = s.spawned + s.bosses_spawned + s.pool_full;
    let share = s.bosses_spawned as f64 / picks as f64;
    assert!((share - 300.0 / 390.0).abs() < 0.03, "{share} of {picks}");
    assert_eq!(pick_pool().len(), 390);
}

#[test]
fn combat_stress_refills_once_and_only_below_four_fifths() {
    // Entered empty: one forced spawn, at the start.
    let mut w = World::new(Config::stress(500), Variant::Lean);
    w.begin_phase(WavePhase::CombatStress);
    assert_eq!(w.current().force_spawns, 1);
    for _ in 0..300 {
        w.step();
    }
    assert_eq!(w.current().force_spawns, 1, "never again in the phase");
    // Entered with 400 or more: none.
    assert!(w.alive() >= 400, "{}", w.alive());
    w.begin_phase(WavePhase::CombatStress);
    assert_eq!(w.current().force_spawns, 0);
}

#[test]
fn simulated_abilities_deal_no_damage() {
    let mut w = World::new(Config::stress(500), Variant::Lean);
    w.begin_phase(WavePhase::CombatStress);
    for _ in 0..300 {
        w.step();
    }
    let s = w.current();
    assert!(s.abilities > 50, "about 30 % of 300 frames: {s:?}");
    // The default facing is the zero vector: no melee damage either, so
    // nothing at all died in the phase.
    assert_eq!((s.damage, s.kills), (0, 0), "{s:?}");
}

#[test]
fn the_melee_faces_the_attack_target_not_the_nearest_enemy() {
    let player = (400.0, 300.0);
    let towards_origin = normalized((-400.0, -300.0));
    // 50 px towards the origin: hit. 10 px the other way (the nearest
    // enemy): not hit. Perpendicular: not hit (the cosine is a hair above 0).
    assert!(in_melee(360.0, 270.0, player, towards_origin));
    assert!(!in_melee(408.0, 306.0, player, towards_origin));
    assert!(!in_melee(
        400.0 - 60.0,
        300.0 + 80.0,
        player,
        towards_origin
    ));
    assert!(
        !in_melee(360.0 - 100.0, 270.0 - 75.0, player, towards_origin),
        "out of reach"
    );
    // Player on the target (the headless test): nothing, even point blank.
    assert!(!in_melee(1.0, 0.0, (0.0, 0.0), normalized((0.0, 0.0))));
    // In a run: kills only when the facing has a direction.
    let kills = |config| -> u64 {
        let r = World::run(config, Variant::Lean);
        r.phases
            .iter()
            .map(|(_, s)| s.kills - s.kills_by_clear)
            .sum()
    };
    assert_eq!(kills(short(500)), 0);
    assert!(kills(facing_origin(500)) > 0);
}

#[test]
fn every_request_rolls_its_own_crit() {
    let mut w = World::new(facing_origin(500), Variant::Lean);
    w.begin_phase(WavePhase::BurstSpawn);
    for _ in 0..5 {
        w.step();
    }
    // Queue one melee hit for each of ten living enemies and land them.
    let slots: Vec<u32> = w.slots.iter().take(10).map(|s| s as u32).collect();
    assert_eq!(slots.len(), 10);
    let mut fresh = w.crit_rng.clone();
    for &slot in &slots {
        w.queue.push(Request {
            target: Target::Slot(slot),
            amount: MELEE_DAMAGE,
            clear: false,
        });
    }
    let damage_before = w.current().damage;
    w.process_damage();
    let expected: u64 = (0..10)
        .map(|_| {
            if fresh.chance(CRIT_CHANCE) {
                1_110
            } else {
                555
            }
        })
        .sum();
    assert_eq!(w.current().damage - damage_before, expected);
    assert_eq!(
        w.crit_rng.next_u64(),
        fresh.next_u64(),
        "ten draws, no more"
    );
}

#[test]
fn a_clear_lands_at_the_next_damage_tick_and_its_kills_count() {
    let mut w = World::new(Config::stress(500), Variant::Lean);
    w.begin_phase(WavePhase::GradualScaling);
    for _ in 0..60 {
        w.step();
    }
    let (alive, bosses) = (w.alive() as u64, w.bosses_alive());
    assert!(alive > 0 && bosses > 0);
    w.begin_phase(WavePhase::BurstSpawn);
    // Nobody died yet: the clear is only queued (the forced step may have
    // spawned into free slots).
    assert!(w.alive() as u64 >= alive);
    w.step();
    let s = w.current();
    assert_eq!(s.kills_by_clear, alive + bosses, "{alive} {bosses} {s:?}");
    assert_eq!(s.xp, alive + BOSS_XP * bosses);
    assert_eq!(s.bosses_killed, bosses);
    // With the pool full, the setup's force-spawn sees the old count of 500
    // and needs nothing: the refill comes from the stuck interval alone.
    let mut w = World::new(Config::stress(500), Variant::Lean);
    w.begin_phase(WavePhase::GradualScaling);
    for _ in 0..240 {
        w.step();
    }
    assert_eq!(w.alive(), 500);
    w.begin_phase(WavePhase::BurstSpawn);
    assert_eq!((w.current().force_spawns, w.force_loops()), (1, 0));
}

#[test]
fn a_full_queue_drops_the_oldest_requests_and_both_variants_agree() {
    // A clear of more than 4,096 enemies: the first ones' requests are
    // dropped, and those enemies survive it.
    let config = Config {
        time_scale: 0.2,
        ..Config::stress(6_000)
    };
    let lean = World::run(config, Variant::Lean);
    let naive = World::run(config, Variant::Naive);
    assert_eq!(lean, naive);
    let dropped: u64 = lean.phases.iter().map(|(_, s)| s.events_dropped).sum();
    assert!(dropped > 0, "{lean:?}");
    let mut ring = lean::Ring::new(4);
    for slot in 0..6 {
        let r = Request {
            target: Target::Slot(slot),
            amount: 1.0,
            clear: true,
        };
        assert_eq!(ring.push(r), slot >= 4, "slot {slot}");
    }
    let kept: Vec<_> = std::iter::from_fn(|| ring.pop())
        .map(|r| r.target)
        .collect();
    assert_eq!(kept, (2..6).map(Target::Slot).collect::<Vec<_>>());
}

#[test]
fn every_spawn_is_accounted_for_and_the_pool_holds() {
    for variant in [Variant::Lean, Variant::Naive] {
        let config = facing_origin(300);
        let mut w = World::new(config, variant);
        for phase in WavePhase::ALL {
            w.begin_phase(phase);
            for _ in 0..config.steps(phase) {
                w.step();
                assert!(w.alive() <= 300, "{variant:?} {phase:?}");
            }
        }
        let (alive, bosses_alive) = (w.alive() as u64, w.bosses_alive());
        let r = w.finish();
        let sum = |f: fn(&PhaseStats) -> u64| r.phases.iter().map(|(_, s)| f(s)).sum::<u64>();
        let pooled_kills = sum(|s| s.kills) - sum(|s| s.bosses_killed);
        assert_eq!(sum(|s| s.spawned) - pooled_kills, alive, "{variant:?}");
        assert_eq!(
            sum(|s| s.bosses_spawned) - sum(|s| s.bosses_killed),
            bosses_alive
        );
        assert!(pooled_kills > sum(|s| s.kills_by_clear) - sum(|s| s.bosses_killed));
    }
}

#[test]
fn gradual_targets_follow_the_original_formula() {
    let w = World::new(Config::stress(500), Variant::Lean);
    // 100 + 400·t/8, capped at 500.
    for (t, expected) in [
        (0.0, 100),
        (1.0, 150),
        (4.0, 300),
        (7.9, 495),
        (8.0, 500),
        (9.0, 500),
    ] {
        assert_eq!(w.gradual_target(t), expected, "t = {t}");
    }
}

#[test]
fn enemies_walk_towards_the_player_and_overshoot() {
    let p = (400.0, 300.0);
    let (x, y) = walk(600.0, 300.0, 60.0, 1.0 / 30.0, p);
    assert!((x - 598.0).abs() < 1e-4 && (y - 300.0).abs() < 1e-6);
    // No stopping distance: 1.5 px away at 60 px/s for 1 s ends 58.5 px past.
    let (x, _) = walk(401.5, 300.0, 60.0, 1.0, p);
    assert!((x - 341.5).abs() < 1e-4, "{x}");
    assert_eq!(walk(400.0, 300.0, 60.0, 1.0, p), p, "on the player: still");
    assert_eq!(
        walk(3_500.0, 300.0, 60.0, 1.0, p),
        (3_500.0, 300.0),
        "too far"
    );
}

#[test]
fn one_frames_spawns_of_a_template_share_their_stats() {
    let a = enemy_stats(12345, 17, 7);
    assert_eq!(a, enemy_stats(12345, 17, 7));
    assert_ne!(a, enemy_stats(12345, 18, 7));
    let goblin = &TEMPLATES[7];
    assert_eq!(goblin.name, "goblin");
    assert!((goblin.hp.0..goblin.hp.1).contains(&a.0));
    assert!((goblin.speed.0..goblin.speed.1).contains(&a.1));
}

#[test]
fn rendering_fills_the_pool_tiers_and_never_the_boss_buffer() {
    let mut w = World::new(Config::stress(500), Variant::Lean);
    w.begin_phase(WavePhase::MixedTier);
    for _ in 0..60 {
        w.step();
    }
    let r = w.rendered();
    assert!(w.bosses_alive() > 0);
    assert_eq!(r[Tier::Boss as usize], 0, "bosses are scenes");
    assert!(
        r[Tier::Swarm as usize] > 0 && r[Tier::Regular as usize] > 0 && r[Tier::Elite as usize] > 0,
        "{r:?}"
    );
}
