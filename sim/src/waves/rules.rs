//! The game's rules shared by both variants: what a phase counts, an
//! enemy, a damage request, movement and the melee cone, seeded stats, the
//! slot pool, and the two storage traits each variant implements.

use super::config::*;
use crate::rng::Rng;

/// Counters of one phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PhaseStats {
    /// Frames run.
    pub steps: u64,
    /// Combat steps emitted (30 Hz, the test's own, and forced ones).
    pub combat_steps: u64,
    /// Pooled enemies at the end, as the test counts them.
    pub enemies_final: u64,
    /// Most pooled enemies counted at once.
    pub enemies_peak: u64,
    /// Pooled enemies spawned.
    pub spawned: u64,
    /// Spawns skipped because the pool was full.
    pub pool_full: u64,
    /// Boss scenes spawned (outside the pool).
    pub bosses_spawned: u64,
    /// Boss scenes alive at the end.
    pub bosses_alive: u64,
    /// Boss scenes killed (by clears: bosses stand out of the melee's reach).
    pub bosses_killed: u64,
    /// `_force_spawn_enemies` calls (each sets the stuck interval).
    pub force_spawns: u64,
    /// Kills: pooled enemies and bosses, by any damage.
    pub kills: u64,
    /// Of those, kills by a clear's damage.
    pub kills_by_clear: u64,
    /// XP granted (1 per enemy, 50 per boss).
    pub xp: u64,
    /// Damage requests dropped by the full queue.
    pub events_dropped: u64,
    /// Melee damage landed (crits included).
    pub damage: u64,
    /// Melee attacks made.
    pub attacks: u64,
    /// Abilities the test simulated (a printed line each, no damage).
    pub abilities: u64,
}

/// The result of a run (the metrics SIM_SPEC.md lists, per phase).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WavesResult {
    /// Pool size.
    pub max_enemies: u64,
    /// Per phase, in order.
    pub phases: Vec<(String, PhaseStats)>,
    /// Hash of the final state (enemies, counters); equal for both variants.
    pub state_hash: u64,
}

/// A pooled enemy's stats and place when it spawns.
#[derive(Clone, Copy, Debug)]
pub struct Enemy {
    /// Template index.
    pub template: u8,
    /// Position.
    pub x: f32,
    /// Position.
    pub y: f32,
    /// Hit points.
    pub hp: f32,
    /// Speed, px/s.
    pub speed: f32,
    /// The frame it spawned in (it moves from the next frame on).
    pub born: u64,
}

/// Who a damage request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The pooled enemy in this slot (whoever holds it when the request lands).
    Slot(u32),
    /// The boss scene of this serial (the `n`th boss spawned).
    Boss(u64),
}

/// A queued damage request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    /// Who.
    pub target: Target,
    /// Damage before the crit roll.
    pub amount: f32,
    /// From a clear (not the melee).
    pub clear: bool,
}

/// A running `_force_spawn_enemies` coroutine.
#[derive(Clone, Copy, Debug)]
pub(super) struct ForceLoop {
    pub(super) target: usize,
    pub(super) emitted: usize,
    pub(super) total: usize,
}

/// Moves one enemy towards `target` at `speed` for `dt` (no stopping
/// distance: it overshoots and comes back, as the original's enemies do).
#[inline]
pub fn walk(x: f32, y: f32, speed: f32, dt: f32, target: (f32, f32)) -> (f32, f32) {
    let (dx, dy) = (target.0 - x, target.1 - y);
    let dist = (dx * dx + dy * dy).sqrt();
    if dist > AGGRO_RANGE || dist == 0.0 {
        return (x, y);
    }
    (x + dx / dist * speed * dt, y + dy / dist * speed * dt)
}

/// The cosine the melee's cone test compares with: `cos(180° / 2)`, a hair
/// above zero, as the original computes it.
pub fn cone_cosine() -> f32 {
    (std::f64::consts::PI / 2.0).cos() as f32
}

/// `v` scaled to length 1, or the zero vector (as Godot's `normalized`).
#[inline]
pub fn normalized(v: (f32, f32)) -> (f32, f32) {
    let len = (v.0 * v.0 + v.1 * v.1).sqrt();
    if len == 0.0 {
        (0.0, 0.0)
    } else {
        (v.0 / len, v.1 / len)
    }
}

/// Whether an enemy at (x, y) is in the melee's cone: within reach, and at
/// an angle of at most 90° from `facing` (a unit vector, or zero: then
/// nothing is).
#[inline]
pub fn in_melee(x: f32, y: f32, player: (f32, f32), facing: (f32, f32)) -> bool {
    let d = (x - player.0, y - player.1);
    if d.0 * d.0 + d.1 * d.1 > MELEE_RANGE * MELEE_RANGE {
        return false;
    }
    let n = normalized(d);
    n.0 * facing.0 + n.1 * facing.1 >= cone_cosine()
}

/// One enemy's contribution to the state hash (summed, so order-free).
#[inline]
pub fn enemy_hash(id: u64, x: f32, y: f32, hp: f32) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for v in [
        id,
        u64::from(x.to_bits()),
        u64::from(y.to_bits()),
        u64::from(hp.to_bits()),
    ] {
        h = (h ^ v).wrapping_mul(0x0100_0000_01b3);
        h ^= h >> 29;
    }
    h
}

/// A named random stream of the run (the original's `RNG` streams `waves`,
/// `ai`, `crit` and `test`).
pub fn stream(seed: u64, name: &str) -> Rng {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Rng::new(seed ^ h)
}

/// An enemy's hp and speed: `EnemyFactory` seeds a fresh generator from the
/// run seed, the spawn index (the frame's cached count) and the template,
/// then draws health, damage (unused by pooled enemies) and speed.
pub fn enemy_stats(seed: u64, spawn_index: usize, template: u8) -> (f32, f32) {
    let mut h = seed;
    for v in [spawn_index as u64, u64::from(template)] {
        h = (h ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 31;
    }
    let mut rng = Rng::new(h);
    let t = &TEMPLATES[template as usize];
    let hp = rng.uniform(f64::from(t.hp.0), f64::from(t.hp.1)) as f32;
    let _damage = rng.unit();
    let speed = rng.uniform(f64::from(t.speed.0), f64::from(t.speed.1)) as f32;
    (hp, speed)
}

/// Which pool slots hold a living enemy.
pub(crate) struct Slots {
    pub(super) bits: Vec<u64>,
    pub(super) cap: usize,
    pub(super) alive: usize,
    /// Where the next free-slot scan starts.
    pub(super) next: usize,
}

impl Slots {
    pub(super) fn new(cap: usize) -> Self {
        Slots {
            bits: vec![0; cap.div_ceil(64)],
            cap,
            alive: 0,
            next: 0,
        }
    }

    #[inline]
    pub(crate) fn is_alive(&self, slot: usize) -> bool {
        self.bits[slot / 64] & (1 << (slot % 64)) != 0
    }

    /// Takes the first free slot from the scan position on, wrapping.
    pub(super) fn take(&mut self) -> Option<usize> {
        if self.alive == self.cap {
            return None;
        }
        let mut slot = self.next;
        while self.is_alive(slot) {
            slot = (slot + 1) % self.cap;
        }
        self.bits[slot / 64] |= 1 << (slot % 64);
        self.alive += 1;
        self.next = (slot + 1) % self.cap;
        Some(slot)
    }

    pub(super) fn free(&mut self, slot: usize) {
        self.bits[slot / 64] &= !(1 << (slot % 64));
        self.alive -= 1;
    }

    /// Living slots, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some(w * 64 + b)
            })
        })
    }
}

/// What differs between the variants: how enemies, bosses and requests are
/// stored. The rules live in [`World`]; a store only keeps what it is told.
pub(super) trait Store {
    /// An enemy takes `slot`.
    fn spawn(&mut self, slot: usize, e: Enemy);
    /// The enemy in `slot` is gone.
    fn remove(&mut self, slot: usize);
    /// The hit points of the enemy in `slot`.
    fn hp(&mut self, slot: usize) -> &mut f32;
    /// Moves every living enemy born before `frame` (one combat step).
    fn move_all(&mut self, slots: &Slots, target: (f32, f32), dt: f32, frame: u64);
    /// Appends to `hits` every living slot in the melee's cone, any order.
    fn cone(&mut self, slots: &Slots, player: (f32, f32), facing: (f32, f32), hits: &mut Vec<u32>);
    /// Writes the instance buffers.
    fn render(&mut self, slots: &Slots);
    /// Instances in each tier's buffer.
    fn rendered(&self) -> [usize; 4];
    /// A boss scene spawned.
    fn spawn_boss(&mut self, serial: u64, template: u8, hp: f32, x: f32, y: f32);
    /// The boss scene of `serial` died.
    fn kill_boss(&mut self, serial: u64);
    /// Order-free hash of the living enemies.
    fn state_hash(&self, slots: &Slots) -> u64;
}

/// The damage queue: drops the oldest request when full.
pub(super) trait DamageQueue {
    /// Queues `r`; true when the oldest request was dropped for it.
    fn push(&mut self, r: Request) -> bool;
    /// The oldest request.
    fn pop(&mut self) -> Option<Request>;
}
