use super::*;

fn short(cap: usize) -> Config {
    Config {
        time_scale: 0.25,
        ..Config::stress(cap)
    }
}

#[test]
fn naive_and_lean_give_the_same_results() {
    for cap in [50, 500, 2_000] {
        let lean = World::run(short(cap), Variant::Lean);
        let naive = World::run(short(cap), Variant::Naive);
        assert_eq!(lean, naive, "cap {cap}");
        assert!(
            lean.phases.iter().map(|(_, s)| s.kills).sum::<u64>() > 0,
            "something died"
        );
    }
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
fn the_cap_holds_and_every_spawn_is_accounted_for() {
    for variant in [Variant::Lean, Variant::Naive] {
        let config = short(300);
        let mut w = World::new(config, variant);
        let (mut spawned, mut gone) = (0, 0);
        for phase in WavePhase::ALL {
            w.begin_phase(phase);
            gone += w.current().despawned;
            for _ in 0..config.steps(phase) {
                let before = w.current();
                w.step();
                let after = w.current();
                assert!(
                    w.alive() <= 300,
                    "{variant:?} {phase:?}: {} alive",
                    w.alive()
                );
                spawned += after.spawned - before.spawned;
                gone += after.kills - before.kills;
                assert_eq!(
                    spawned,
                    gone + w.alive() as u64,
                    "kills + despawned + alive = spawned"
                );
            }
        }
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
    // Each gradual step fills to its target before combat.
    let config = Config::stress(500);
    let mut w = World::new(config, Variant::Lean);
    w.begin_phase(WavePhase::GradualScaling);
    for i in 0..config.steps(WavePhase::GradualScaling) {
        let kills_before = w.current().kills;
        w.step();
        let target = w.gradual_target(i as f64 / 30.0);
        let kills_now = w.current().kills - kills_before;
        assert!(
            w.alive() + kills_now as usize >= target,
            "step {i}: {} alive, target {target}",
            w.alive()
        );
    }
}

#[test]
fn the_template_pool_is_weight_times_ten() {
    let pool = pick_pool();
    let count = |i: u8| pool.iter().filter(|&&t| t == i).count();
    assert_eq!(pool.len(), 30 + 20 + 15 + 10 + 10 + 5);
    assert_eq!((count(0), count(2), count(5)), (30, 15, 5));
}

#[test]
fn the_ring_drops_the_oldest_and_counts_them() {
    let mut ring = lean::Ring::new(4);
    for id in 0..6 {
        ring.push(Event::Kill { id });
    }
    ring.push(Event::Damage { id: 9, amount: 7 });
    assert_eq!(ring.dropped(), 3);
    // Kept: kills 3, 4, 5 and the damage.
    assert_eq!(ring.drain(), (3, 7));
    assert_eq!(ring.drain(), (0, 0));
    let mut boxed = naive::BoxedQueue::new(4);
    for id in 0..6 {
        boxed.push(Event::Kill { id });
    }
    boxed.push(Event::Damage { id: 9, amount: 7 });
    assert_eq!((boxed.dropped(), boxed.drain()), (3, (3, 7)));
}

#[test]
fn melee_hits_within_range_facing_the_target_only() {
    let east = (1.0, 0.0);
    assert!(in_melee(PLAYER.0 + 100.0, PLAYER.1, east));
    assert!(
        in_melee(PLAYER.0, PLAYER.1 + 119.0, east),
        "the edge of the half-plane counts"
    );
    assert!(!in_melee(PLAYER.0 - 10.0, PLAYER.1, east), "behind");
    assert!(!in_melee(PLAYER.0 + 121.0, PLAYER.1, east), "out of reach");
    assert!(in_area(PLAYER.0 - 150.0, PLAYER.1) && !in_area(PLAYER.0 + 151.0, PLAYER.1));
}

#[test]
fn enemies_walk_towards_the_player_and_stop_there() {
    let (x, y) = walk(PLAYER.0 + 200.0, PLAYER.1, 60.0, 1.0 / 30.0);
    assert!((x - (PLAYER.0 + 198.0)).abs() < 1e-4 && (y - PLAYER.1).abs() < 1e-6);
    let (x, _) = walk(PLAYER.0 + 1.5, PLAYER.1, 60.0, 1.0);
    assert!((x - (PLAYER.0 + 1.0)).abs() < 1e-6, "stops 1 px short");
    assert_eq!(
        walk(PLAYER.0 + 3_000.0, PLAYER.1, 60.0, 1.0),
        (PLAYER.0 + 3_000.0, PLAYER.1)
    );
}

#[test]
fn a_crowd_overflows_the_ring_and_both_variants_drop_the_same() {
    // 6,000 enemies bunched on the player: one attack makes more than 4,096 events.
    let config = Config {
        time_scale: 0.2,
        ..Config::stress(6_000)
    };
    let lean = World::run(config, Variant::Lean);
    let naive = World::run(config, Variant::Naive);
    assert_eq!(lean, naive);
    let dropped: u64 = lean.phases.iter().map(|(_, s)| s.events_dropped).sum();
    assert!(dropped > 0, "{lean:?}");
}

#[test]
fn rendering_fills_each_tier_buffer() {
    let mut w = World::new(Config::stress(500), Variant::Lean);
    w.begin_phase(WavePhase::MixedTier);
    w.step();
    let r = w.rendered();
    assert_eq!(r.iter().sum::<usize>(), w.alive());
    assert_eq!(r[Tier::Boss as usize], 0, "bosses are off");
    assert!(
        r[Tier::Swarm as usize] > 0 && r[Tier::Elite as usize] > 0,
        "{r:?}"
    );
}
