//! Clears against the original's rule: `DebugManager.clear_all_entities`
//! walks the entity tracker in registration order and queues one request
//! per living entity into a queue that drops its oldest request when full,
//! so the entities a full queue leaves alive are the first registered,
//! pooled or boss.

use super::config::*;
use super::rules::*;
use super::world::World;
use crate::rng::Rng;
use crate::Variant;

const GOBLIN: u8 = 7;
const LICH: u8 = 2;

/// An entity in registration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Pooled,
    Boss,
}

/// The original's rule: a clear queues one request per entity of `order`
/// into a queue of `capacity` that drops its oldest request when full. The
/// requests already queued are older, so they go first; of the clear's own,
/// the first `max(0, |order| − capacity)` go, and those entities are not
/// cleared. Returns how many of them are pooled and how many bosses.
fn uncleared(order: &[Kind], capacity: usize) -> (usize, usize) {
    let n = order.len().saturating_sub(capacity);
    let pooled = order[..n].iter().filter(|&&k| k == Kind::Pooled).count();
    (pooled, n - pooled)
}

fn spawn(w: &mut World, template: u8) {
    w.spawn_template(template, SPAWN_RADIUS, 0.0);
}

fn kill_slot(w: &mut World, slot: u32) {
    w.queue.push(Request {
        target: Target::Slot(slot),
        amount: CLEAR_DAMAGE,
        clear: false,
    });
    w.process_damage();
}

#[test]
fn a_full_queue_leaves_the_first_registered_alive_pooled_or_boss() {
    use Kind::{Boss, Pooled};
    let mut outcomes = Vec::new();
    for variant in [Variant::Lean, Variant::Naive] {
        let mut w = World::with_queue(Config::stress(3), variant, 4);
        // P B P B P, then slot 0 dies and B P B: the respawned slot 0 goes
        // last. Order: B0 s1 B1 s2 B2 s0 B3.
        for t in [GOBLIN, LICH, GOBLIN, LICH, GOBLIN] {
            spawn(&mut w, t);
        }
        kill_slot(&mut w, 0);
        for t in [LICH, GOBLIN, LICH] {
            spawn(&mut w, t);
        }
        let order = [Boss, Pooled, Boss, Pooled, Boss, Pooled, Boss];
        assert_eq!(uncleared(&order, 4), (1, 2));
        let before = w.current();
        w.clear_all();
        w.process_damage();
        let after = w.current();
        // B0, s1 and B1 are dropped: slot 1 and two bosses live on (slots
        // first would leave three pooled, a respawn in its old place two
        // pooled and a boss).
        assert_eq!((w.alive(), w.bosses_alive()), (1, 2), "{variant:?}");
        assert!(w.slots.is_alive(1));
        assert_eq!(after.events_dropped - before.events_dropped, 3);
        assert_eq!(after.kills_by_clear - before.kills_by_clear, 4);
        assert_eq!(after.bosses_killed - before.bosses_killed, 2);
        assert_eq!(after.xp - before.xp, 2 + 2 * BOSS_XP);
        // Survivors keep their place at the front; the older melee request
        // is dropped first, then B0's. Order: B0 s1 B1 s2 B4.
        spawn(&mut w, GOBLIN);
        spawn(&mut w, LICH);
        w.queue.push(Request {
            target: Target::Slot(1),
            amount: MELEE_DAMAGE,
            clear: false,
        });
        assert_eq!(uncleared(&[Boss, Pooled, Boss, Pooled, Boss], 4), (0, 1));
        let before = w.current();
        w.clear_all();
        w.process_damage();
        let after = w.current();
        assert_eq!((w.alive(), w.bosses_alive()), (0, 1), "{variant:?}");
        assert_eq!(after.events_dropped - before.events_dropped, 2);
        assert_eq!(
            after.damage - before.damage,
            0,
            "the melee request was dropped"
        );
        assert_eq!(after.kills_by_clear - before.kills_by_clear, 4);
        outcomes.push((w.alive(), w.bosses_alive(), w.current()));
    }
    assert_eq!(outcomes[0], outcomes[1]);
}

/// Random spawns, deaths and clears against a plain list of who registered
/// when: after every clear, both variants leave alive exactly whom the
/// rule says, through slot reuse, split runs of bosses and survivors of
/// earlier clears.
#[test]
fn random_spawns_deaths_and_clears_follow_the_rule() {
    const CAP: usize = 5;
    const QUEUE: usize = 6;
    for seed in 0..30 {
        for variant in [Variant::Lean, Variant::Naive] {
            let mut w = World::with_queue(Config::stress(CAP), variant, QUEUE);
            let mut rng = Rng::new(seed);
            // The model: (kind, slot or serial), in registration order.
            let mut order: Vec<(Kind, u64)> = Vec::new();
            let mut serial = 0;
            for step in 0..200 {
                match rng.below(6) {
                    0 | 1 => {
                        let free = (0..CAP).find(|&s| !w.slots.is_alive(s));
                        spawn(&mut w, GOBLIN);
                        if free.is_some() {
                            let slot = (0..CAP)
                                .find(|&s| {
                                    w.slots.is_alive(s)
                                        && !order.contains(&(Kind::Pooled, s as u64))
                                })
                                .expect("the new enemy's slot");
                            order.push((Kind::Pooled, slot as u64));
                        }
                    }
                    2 => {
                        spawn(&mut w, LICH);
                        order.push((Kind::Boss, serial));
                        serial += 1;
                    }
                    3 => {
                        let living: Vec<u64> = order
                            .iter()
                            .filter(|e| e.0 == Kind::Pooled)
                            .map(|e| e.1)
                            .collect();
                        if let Some(&slot) =
                            living.get(rng.below(living.len().max(1) as u64) as usize)
                        {
                            kill_slot(&mut w, slot as u32);
                            order.retain(|&e| e != (Kind::Pooled, slot));
                        }
                    }
                    _ => {
                        let kinds: Vec<Kind> = order.iter().map(|e| e.0).collect();
                        let (pooled, bosses) = uncleared(&kinds, QUEUE);
                        w.clear_all();
                        w.process_damage();
                        order.truncate(pooled + bosses);
                        assert_eq!(
                            (w.alive(), w.bosses_alive() as usize),
                            (pooled, bosses),
                            "seed {seed}, step {step}, {variant:?}"
                        );
                    }
                }
                let living: Vec<usize> = (0..CAP).filter(|&s| w.slots.is_alive(s)).collect();
                let mut expected: Vec<usize> = order
                    .iter()
                    .filter(|e| e.0 == Kind::Pooled)
                    .map(|e| e.1 as usize)
                    .collect();
                expected.sort_unstable();
                assert_eq!(living, expected, "seed {seed}, step {step}, {variant:?}");
            }
        }
    }
}
