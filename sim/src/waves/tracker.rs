//! The entity tracker's order: who a clear reaches, and in which order.
//!
//! The original's clear (`DebugManager.clear_all_entities`) walks
//! `EntityTracker`'s dictionary, which keeps insertion order. Pooled enemies
//! and boss scenes register when they spawn (a boss in its scene's `_ready`,
//! inside `add_child`), so they interleave by spawn time; a pooled enemy is
//! unregistered when it dies, and its slot's next enemy registers anew, at
//! the end; boss ids are never reused. The order is therefore the living
//! entities by spawn, and a full damage queue, which drops its oldest
//! requests, leaves the first of them alive, pooled or boss.
//!
//! Kept without a heap operation after [`Tracker::new`]: the pool's enemies
//! in a doubly linked list by slot (a spawn links at the tail, a death
//! unlinks), each with the number of bosses spawned before it, and the
//! living bosses as a few runs of consecutive serials. Only clears kill
//! bosses (they stand beyond the melee's reach), and a clear kills a suffix
//! of the order, so each clear adds at most two runs; [`BOSS_RUNS`] is far
//! more than a run of the test needs, and outgrowing it is a bug the debug
//! build reports.

use super::rules::Target;

/// Runs of living bosses kept without reallocating.
pub(super) const BOSS_RUNS: usize = 64;

const NIL: u32 = u32::MAX;

/// The registration order of the living entities.
pub(super) struct Tracker {
    next: Vec<u32>,
    prev: Vec<u32>,
    head: u32,
    tail: u32,
    /// Per slot: bosses spawned before its enemy registered. Boss `s` came
    /// before the enemy exactly when `s < bosses_before[slot]`.
    bosses_before: Vec<u64>,
    /// Living bosses: disjoint runs `[lo, hi)` of serials, ascending.
    boss_runs: Vec<(u64, u64)>,
}

impl Tracker {
    /// Empty, for a pool of `cap` slots.
    pub(super) fn new(cap: usize) -> Tracker {
        Tracker {
            next: vec![NIL; cap],
            prev: vec![NIL; cap],
            head: NIL,
            tail: NIL,
            bosses_before: vec![0; cap],
            boss_runs: Vec::with_capacity(BOSS_RUNS),
        }
    }

    /// The enemy now in `slot` registered, after `bosses` boss spawns.
    pub(super) fn register_slot(&mut self, slot: usize, bosses: u64) {
        let s = slot as u32;
        self.bosses_before[slot] = bosses;
        self.next[slot] = NIL;
        self.prev[slot] = self.tail;
        if self.tail == NIL {
            self.head = s;
        } else {
            self.next[self.tail as usize] = s;
        }
        self.tail = s;
    }

    /// The enemy in `slot` died.
    pub(super) fn unregister_slot(&mut self, slot: usize) {
        let (p, n) = (self.prev[slot], self.next[slot]);
        if p == NIL {
            self.head = n;
        } else {
            self.next[p as usize] = n;
        }
        if n == NIL {
            self.tail = p;
        } else {
            self.prev[n as usize] = p;
        }
        self.prev[slot] = NIL;
        self.next[slot] = NIL;
    }

    /// Boss `serial` spawned (serials come in increasing order).
    pub(super) fn register_boss(&mut self, serial: u64) {
        match self.boss_runs.last_mut() {
            Some((_, hi)) if *hi == serial => *hi += 1,
            _ => {
                debug_assert!(self.boss_runs.len() < BOSS_RUNS, "boss runs outgrown");
                self.boss_runs.push((serial, serial + 1));
            }
        }
    }

    /// Whether boss `serial` is alive.
    pub(super) fn boss_alive(&self, serial: u64) -> bool {
        self.boss_runs
            .iter()
            .any(|&(lo, hi)| lo <= serial && serial < hi)
    }

    /// Boss `serial` died; false if it was not alive.
    pub(super) fn unregister_boss(&mut self, serial: u64) -> bool {
        let Some(i) = self
            .boss_runs
            .iter()
            .position(|&(lo, hi)| lo <= serial && serial < hi)
        else {
            return false;
        };
        let (lo, hi) = self.boss_runs[i];
        if hi - lo == 1 {
            self.boss_runs.remove(i);
        } else if serial == lo {
            self.boss_runs[i].0 += 1;
        } else if serial == hi - 1 {
            self.boss_runs[i].1 -= 1;
        } else {
            debug_assert!(self.boss_runs.len() < BOSS_RUNS, "boss runs outgrown");
            self.boss_runs[i].1 = serial;
            self.boss_runs.insert(i + 1, (serial + 1, hi));
        }
        true
    }

    /// Calls `visit` for every living entity in registration order.
    pub(super) fn for_each(&self, mut visit: impl FnMut(Target)) {
        let mut runs = self.boss_runs.iter().copied();
        let mut run = runs.next();
        let mut slot = self.head;
        loop {
            let limit = if slot == NIL {
                u64::MAX
            } else {
                self.bosses_before[slot as usize]
            };
            // The bosses that registered before this slot's enemy.
            while let Some((lo, hi)) = run {
                if lo >= limit {
                    break;
                }
                let end = hi.min(limit);
                for s in lo..end {
                    visit(Target::Boss(s));
                }
                run = if end == hi {
                    runs.next()
                } else {
                    Some((end, hi))
                };
            }
            if slot == NIL {
                return;
            }
            visit(Target::Slot(slot));
            slot = self.next[slot as usize];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(t: &Tracker) -> Vec<Target> {
        let mut v = Vec::new();
        t.for_each(|x| v.push(x));
        v
    }

    #[test]
    fn spawns_interleave_and_a_respawned_slot_goes_last() {
        let mut t = Tracker::new(3);
        let mut bosses = 0;
        // P B P B P: slot 0, boss 0, slot 1, boss 1, slot 2.
        for step in 0..5 {
            if step % 2 == 0 {
                t.register_slot(step / 2, bosses);
            } else {
                t.register_boss(bosses);
                bosses += 1;
            }
        }
        use Target::{Boss, Slot};
        assert_eq!(order(&t), [Slot(0), Boss(0), Slot(1), Boss(1), Slot(2)]);
        t.unregister_slot(0);
        t.register_boss(2);
        t.register_slot(0, 3);
        t.register_boss(3);
        assert_eq!(
            order(&t),
            [
                Boss(0),
                Slot(1),
                Boss(1),
                Slot(2),
                Boss(2),
                Slot(0),
                Boss(3)
            ]
        );
        // A boss from the middle of a run splits it; the order stays.
        assert!(t.unregister_boss(2));
        assert!(!t.unregister_boss(2), "once");
        assert!(!t.boss_alive(2) && t.boss_alive(1) && t.boss_alive(3));
        assert_eq!(
            order(&t),
            [Boss(0), Slot(1), Boss(1), Slot(2), Slot(0), Boss(3)]
        );
        for s in [0, 1, 3] {
            assert!(t.unregister_boss(s));
        }
        for s in [1, 2, 0] {
            t.unregister_slot(s);
        }
        assert_eq!(order(&t), []);
        t.register_slot(2, 4);
        assert_eq!(order(&t), [Slot(2)]);
    }
}
