//! The 500-enemy wave stress test of a Godot arena game (seed 002), at a fixed
//! 30 Hz step.
//!
//! Rules (SIM_SPEC.md, "waves"): the player stands at (400, 300). Every second
//! 3-8 enemies spawn 200 px from the player in a random direction, from a
//! weighted pool of six templates; each step every living enemy within 2,800
//! px walks towards the player; twice a second the player's melee attack
//! (555 damage, 10 % crits for double) hits every enemy within 120 px in the
//! half-plane facing the nearest enemy. Damage and kill events pass through
//! one event queue (a ring of 4,096; the oldest is dropped when full, and
//! counted), processed once per step; each processed kill grants 1 XP. Every
//! step writes each living enemy's position into its tier's instance buffer,
//! as a MultiMesh would receive it.
//!
//! The test has four phases, run in this order: `gradual_scaling` (8 s,
//! filling towards 100 + 400·t/8, capped), `burst_spawn` (5 s: clear, fill to
//! the cap), `combat_stress` (10 s: refill to the cap below 80 %, and a 30 %
//! chance each step of an area ability at the player) and `mixed_tier` (7 s:
//! clear, fill to the cap cycling through every template).
//!
//! Two variants, same results for the same seed:
//!
//! - [`Variant::Naive`] is the original before its fixes: an entity map keyed
//!   by `"enemy_N"` strings rebuilt every step, a spatial grid keyed by
//!   formatted `"x,y"` strings, a fresh vector of living enemies every step,
//!   boxed event payloads, fresh instance buffers, and a registry whose slots
//!   are never reused (it grows with every spawn: the original's leak).
//! - [`Variant::Lean`] keeps structure-of-arrays storage with a free list, an
//!   integer grid rebuilt in place, preallocated instance buffers and the
//!   ring buffer: no heap operation in any step, at any enemy count.
//!
//! Deviations from the original, and choices where it is silent:
//!
//! - The cap scales the gradual target: `cap/5 + 4·cap/5 · t/8` (for a cap of
//!   500 that is the original's `100 + 400·t/8`).
//! - The area ability (whose numbers the test document does not give) deals
//!   30 damage within 150 px of the player.
//! - "Mixed tiers" cycles through the six templates in order.
//! - Clearing the field at a phase start despawns enemies without kills, so
//!   the invariant is `kills + despawned + alive = spawned`.
//! - Kills free the slot when the damage lands; XP is granted when the kill
//!   event is processed, so a dropped kill event loses its XP (as a dropped
//!   signal would have).
//! - Bosses are off, as in the original's stress test.

mod lean;
mod naive;

use crate::rng::Rng;
use crate::Variant;

/// The player's position.
pub const PLAYER: (f32, f32) = (400.0, 300.0);
/// Distance from the player at which enemies spawn.
pub const SPAWN_RADIUS: f32 = 200.0;
/// Enemies farther than this do not move.
pub const AGGRO_RANGE: f32 = 2_800.0;
/// Melee damage per hit.
pub const MELEE_DAMAGE: u32 = 555;
/// Melee reach.
pub const MELEE_RANGE: f32 = 120.0;
/// Melee attacks per second.
pub const MELEE_RATE: f64 = 2.0;
/// Chance of a critical hit (double damage), rolled once per attack.
pub const CRIT_CHANCE: f64 = 0.10;
/// Area ability: damage and radius.
pub const AREA_DAMAGE: u32 = 30;
/// Area ability radius.
pub const AREA_RADIUS: f32 = 150.0;
/// Capacity of the event ring.
pub const EVENT_RING: usize = 4_096;

/// Rendering tier of an enemy (one instance buffer each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Tier {
    /// Swarm.
    Swarm = 0,
    /// Regular.
    Regular = 1,
    /// Elite.
    Elite = 2,
    /// Boss (off in the stress test).
    Boss = 3,
}

/// An enemy template: name, tier, pick weight and stat ranges.
#[derive(Clone, Copy, Debug)]
pub struct Template {
    /// Name, as in the original's `.tres` files.
    pub name: &'static str,
    /// Rendering tier.
    pub tier: Tier,
    /// Relative pick weight.
    pub weight: f64,
    /// Hit points, inclusive range.
    pub hp: (i64, i64),
    /// Speed in px/s, inclusive range.
    pub speed: (i64, i64),
}

/// The six templates of the stress test.
pub const TEMPLATES: [Template; 6] = [
    Template {
        name: "goblin",
        tier: Tier::Swarm,
        weight: 3.0,
        hp: (12, 20),
        speed: (70, 90),
    },
    Template {
        name: "orc_warrior",
        tier: Tier::Regular,
        weight: 2.0,
        hp: (20, 30),
        speed: (55, 75),
    },
    Template {
        name: "archer",
        tier: Tier::Regular,
        weight: 1.5,
        hp: (8, 15),
        speed: (45, 65),
    },
    Template {
        name: "melee_base",
        tier: Tier::Regular,
        weight: 1.0,
        hp: (15, 25),
        speed: (60, 80),
    },
    Template {
        name: "ranged_base",
        tier: Tier::Regular,
        weight: 1.0,
        hp: (10, 18),
        speed: (40, 60),
    },
    Template {
        name: "elite_knight",
        tier: Tier::Elite,
        weight: 0.5,
        hp: (40, 60),
        speed: (50, 70),
    },
];

/// The pick pool: each template `weight × 10` times, in template order.
pub fn pick_pool() -> Vec<u8> {
    let mut pool = Vec::new();
    for (i, t) in TEMPLATES.iter().enumerate() {
        pool.extend(std::iter::repeat_n(
            i as u8,
            (t.weight * 10.0).round() as usize,
        ));
    }
    pool
}

/// One of the four phases of the stress test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum WavePhase {
    /// Spawn towards a rising target.
    GradualScaling,
    /// Clear, then fill to the cap at once.
    BurstSpawn,
    /// Refill below 80 % of the cap; random area abilities.
    CombatStress,
    /// Clear, then fill to the cap with every template in turn.
    MixedTier,
}

impl WavePhase {
    /// All four, in order.
    pub const ALL: [WavePhase; 4] = [
        WavePhase::GradualScaling,
        WavePhase::BurstSpawn,
        WavePhase::CombatStress,
        WavePhase::MixedTier,
    ];

    /// The name the original test prints.
    pub fn name(self) -> &'static str {
        match self {
            WavePhase::GradualScaling => "gradual_scaling",
            WavePhase::BurstSpawn => "burst_spawn",
            WavePhase::CombatStress => "combat_stress",
            WavePhase::MixedTier => "mixed_tier",
        }
    }

    /// Length in simulated seconds in the original test.
    pub fn seconds(self) -> f64 {
        match self {
            WavePhase::GradualScaling => 8.0,
            WavePhase::BurstSpawn => 5.0,
            WavePhase::CombatStress => 10.0,
            WavePhase::MixedTier => 7.0,
        }
    }
}

/// How a run is set up.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Config {
    /// Most enemies alive at once.
    pub max_enemies: usize,
    /// Seed of the random stream (the original: 12345).
    pub seed: u64,
    /// Steps per simulated second (the original: 30).
    pub steps_per_second: u32,
    /// Multiplier on every phase's length (1.0: the original's 30 s run).
    pub time_scale: f64,
}

impl Config {
    /// The original test with `max_enemies` enemies at most.
    pub fn stress(max_enemies: usize) -> Self {
        Config {
            max_enemies,
            seed: 12345,
            steps_per_second: 30,
            time_scale: 1.0,
        }
    }

    /// Steps in `phase`.
    pub fn steps(&self, phase: WavePhase) -> u64 {
        (phase.seconds() * self.time_scale * f64::from(self.steps_per_second)).round() as u64
    }

    /// The fixed step, seconds.
    pub fn dt(&self) -> f32 {
        1.0 / self.steps_per_second as f32
    }
}

/// Counters of one phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PhaseStats {
    /// Steps run.
    pub steps: u64,
    /// Enemies alive at the end.
    pub enemies_final: u64,
    /// Most enemies alive at once.
    pub enemies_peak: u64,
    /// Enemies spawned.
    pub spawned: u64,
    /// Enemies killed.
    pub kills: u64,
    /// Enemies removed by a clear at the phase start.
    pub despawned: u64,
    /// XP granted (one per processed kill event).
    pub xp: u64,
    /// Events dropped by the full ring.
    pub events_dropped: u64,
    /// Damage dealt, summed from processed damage events.
    pub damage: u64,
    /// Melee attacks made.
    pub attacks: u64,
    /// Area abilities cast.
    pub area_casts: u64,
}

/// The result of a run (the metrics SIM_SPEC.md lists, per phase).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WavesResult {
    /// Enemies cap.
    pub max_enemies: u64,
    /// Per phase, in order.
    pub phases: Vec<(String, PhaseStats)>,
    /// Hash of the final state (enemies, counters); equal for both variants.
    pub state_hash: u64,
}

/// An event in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `amount` damage landed on enemy `id`.
    Damage { id: u64, amount: u32 },
    /// Enemy `id` died.
    Kill { id: u64 },
}

/// A fresh enemy's stats, drawn from the random stream.
#[derive(Clone, Copy, Debug)]
pub struct Spawn {
    /// Spawn order, from 0: the enemy's id.
    pub id: u64,
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
}

/// Draws the next enemy. Both variants call this in the same order, so they
/// see the same enemies.
fn draw_spawn(rng: &mut Rng, pool: &[u8], id: u64, forced: Option<u8>) -> Spawn {
    let angle = rng.uniform(0.0, std::f64::consts::TAU);
    let picked = pool[rng.below(pool.len() as u64) as usize];
    let template = forced.unwrap_or(picked);
    let t = &TEMPLATES[template as usize];
    let hp = rng.range_inclusive(t.hp.0, t.hp.1) as f32;
    let speed = rng.range_inclusive(t.speed.0, t.speed.1) as f32;
    Spawn {
        id,
        template,
        x: PLAYER.0 + SPAWN_RADIUS * angle.cos() as f32,
        y: PLAYER.1 + SPAWN_RADIUS * angle.sin() as f32,
        hp,
        speed,
    }
}

/// Moves one enemy towards the player; the same arithmetic in both variants.
#[inline]
pub fn walk(x: f32, y: f32, speed: f32, dt: f32) -> (f32, f32) {
    let (dx, dy) = (PLAYER.0 - x, PLAYER.1 - y);
    let dist = (dx * dx + dy * dy).sqrt();
    if dist > AGGRO_RANGE || dist <= 1.0 {
        return (x, y);
    }
    let step = (speed * dt).min(dist - 1.0);
    (x + dx / dist * step, y + dy / dist * step)
}

/// Whether an enemy at (x, y) is hit by a melee attack facing `facing`.
#[inline]
pub fn in_melee(x: f32, y: f32, facing: (f32, f32)) -> bool {
    let (dx, dy) = (x - PLAYER.0, y - PLAYER.1);
    dx * dx + dy * dy <= MELEE_RANGE * MELEE_RANGE && dx * facing.0 + dy * facing.1 >= 0.0
}

/// Whether an enemy at (x, y) is hit by the area ability.
#[inline]
pub fn in_area(x: f32, y: f32) -> bool {
    let (dx, dy) = (x - PLAYER.0, y - PLAYER.1);
    dx * dx + dy * dy <= AREA_RADIUS * AREA_RADIUS
}

/// Lands `amount` damage on an enemy: `hp = max(0, hp − amount)`, a damage
/// event, and a kill event when it reaches 0. True when the enemy died. The
/// one rule both variants apply, so their results cannot drift apart.
#[inline]
fn land_hit(hp: &mut f32, id: u64, amount: u32, events: &mut dyn EventSink) -> bool {
    *hp = (*hp - amount as f32).max(0.0);
    events.push(Event::Damage { id, amount });
    let dead = *hp == 0.0;
    if dead {
        events.push(Event::Kill { id });
    }
    dead
}

/// The nearest enemy found so far: (distance², id, dx, dy).
pub(crate) type Nearest = Option<(f32, u64, f32, f32)>;

/// Whether an enemy at distance² `d2` with `id` beats `best`: closer, or as
/// close with a smaller id (so storage order never decides).
#[inline]
pub(crate) fn closer(best: Nearest, d2: f32, id: u64) -> bool {
    match best {
        None => true,
        Some((bd, bid, _, _)) => d2 < bd || (d2 == bd && id < bid),
    }
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

/// What differs between the variants: how enemies are stored and found.
trait Store {
    fn alive(&self) -> usize;
    fn spawn(&mut self, s: Spawn);
    fn clear(&mut self) -> u64;
    fn walk_all(&mut self, dt: f32);
    /// Rebuilds whatever index the store keeps for spatial queries.
    fn index(&mut self);
    /// Nearest living enemy to the player: (distance², id, dx, dy).
    fn nearest(&self) -> Option<(f32, u64, f32, f32)>;
    /// Applies `amount` to every enemy for which `hit(x, y)`; pushes events.
    fn damage(
        &mut self,
        hit: &dyn Fn(f32, f32) -> bool,
        amount: u32,
        events: &mut dyn EventSink,
    ) -> u64;
    fn render(&mut self);
    fn state_hash(&self) -> u64;
    fn rendered(&self) -> [usize; 4];
}

/// Where events go: a ring that drops the oldest when full.
trait EventSink {
    fn push(&mut self, e: Event);
    /// Processes every queued event; returns (xp, damage) and empties it.
    fn drain(&mut self) -> (u64, u64);
    fn dropped(&self) -> u64;
}

/// The arena.
pub struct World {
    config: Config,
    variant: Variant,
    rng: Rng,
    pool: Vec<u8>,
    store: Box<dyn Store>,
    events: Box<dyn EventSink>,
    phase: WavePhase,
    step_in_phase: u64,
    next_id: u64,
    spawn_clock: f64,
    attack_clock: f64,
    mixed_cursor: u8,
    current: PhaseStats,
    dropped_at_phase_start: u64,
    finished: Vec<(WavePhase, PhaseStats)>,
}

impl World {
    /// A world for `config`, storing enemies as `variant` does. Allocates
    /// everything the lean variant will ever need.
    pub fn new(config: Config, variant: Variant) -> World {
        let (store, events): (Box<dyn Store>, Box<dyn EventSink>) = match variant {
            Variant::Lean => (
                Box::new(lean::LeanStore::new(config.max_enemies)),
                Box::new(lean::Ring::new(EVENT_RING)),
            ),
            Variant::Naive => (
                Box::new(naive::NaiveStore::new()),
                Box::new(naive::BoxedQueue::new(EVENT_RING)),
            ),
        };
        World {
            config,
            variant,
            rng: Rng::new(config.seed),
            pool: pick_pool(),
            store,
            events,
            phase: WavePhase::GradualScaling,
            step_in_phase: 0,
            next_id: 0,
            spawn_clock: 0.0,
            attack_clock: 0.0,
            mixed_cursor: 0,
            current: PhaseStats::default(),
            dropped_at_phase_start: 0,
            finished: Vec::with_capacity(WavePhase::ALL.len()),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The variant.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// Ends the current phase (if any steps ran) and starts `phase`,
    /// clearing the field where the phase says so.
    pub fn begin_phase(&mut self, phase: WavePhase) {
        if self.current.steps > 0 {
            self.finish_phase();
        }
        self.phase = phase;
        self.step_in_phase = 0;
        self.dropped_at_phase_start = self.events.dropped();
        if matches!(phase, WavePhase::BurstSpawn | WavePhase::MixedTier) {
            self.current.despawned += self.store.clear();
        }
        self.mixed_cursor = 0;
    }

    fn finish_phase(&mut self) {
        self.current.enemies_final = self.store.alive() as u64;
        self.finished.push((self.phase, self.current));
        self.current = PhaseStats::default();
    }

    fn spawn_one(&mut self, forced: Option<u8>) {
        let s = draw_spawn(&mut self.rng, &self.pool, self.next_id, forced);
        self.next_id += 1;
        self.store.spawn(s);
        self.current.spawned += 1;
    }

    fn fill_to(&mut self, target: usize, mixed: bool) {
        let target = target.min(self.config.max_enemies);
        while self.store.alive() < target {
            let forced = mixed.then(|| {
                let t = self.mixed_cursor;
                self.mixed_cursor = (self.mixed_cursor + 1) % TEMPLATES.len() as u8;
                t
            });
            self.spawn_one(forced);
        }
    }

    /// The gradual phase's target after `elapsed` seconds of it.
    pub fn gradual_target(&self, elapsed: f64) -> usize {
        let cap = self.config.max_enemies as f64;
        let duration = WavePhase::GradualScaling.seconds() * self.config.time_scale;
        (cap / 5.0 + 4.0 * cap / 5.0 * (elapsed / duration))
            .min(cap)
            .floor() as usize
    }

    /// One fixed step of the current phase.
    pub fn step(&mut self) {
        let dt = self.config.dt();
        let elapsed = self.step_in_phase as f64 * f64::from(dt);
        let cap = self.config.max_enemies;

        // Spawning: the wave director's timer, then the phase's own rule.
        self.spawn_clock += f64::from(dt);
        if self.spawn_clock >= 1.0 {
            self.spawn_clock -= 1.0;
            let n = self.rng.range_inclusive(3, 8) as usize;
            for _ in 0..n {
                if self.store.alive() < cap {
                    self.spawn_one(None);
                }
            }
        }
        match self.phase {
            WavePhase::GradualScaling => self.fill_to(self.gradual_target(elapsed), false),
            WavePhase::BurstSpawn if self.step_in_phase == 0 => self.fill_to(cap, false),
            WavePhase::CombatStress if self.store.alive() < cap * 4 / 5 => self.fill_to(cap, false),
            WavePhase::MixedTier if self.step_in_phase == 0 => self.fill_to(cap, true),
            _ => {}
        }

        self.store.walk_all(dt);
        self.store.index();

        // The player's melee attack, twice a second.
        self.attack_clock += f64::from(dt);
        if self.attack_clock >= 1.0 / MELEE_RATE {
            self.attack_clock -= 1.0 / MELEE_RATE;
            if let Some((_, _, fx, fy)) = self.store.nearest() {
                let crit = self.rng.chance(CRIT_CHANCE);
                let dmg = if crit { 2 * MELEE_DAMAGE } else { MELEE_DAMAGE };
                let facing = (fx, fy);
                let hit = move |x: f32, y: f32| in_melee(x, y, facing);
                self.current.kills += self.store.damage(&hit, dmg, self.events.as_mut());
                self.current.attacks += 1;
            }
        }
        if self.phase == WavePhase::CombatStress && self.rng.chance(0.30) {
            self.current.kills += self
                .store
                .damage(&in_area, AREA_DAMAGE, self.events.as_mut());
            self.current.area_casts += 1;
        }

        let (xp, damage) = self.events.drain();
        self.current.xp += xp;
        self.current.damage += damage;
        self.current.events_dropped = self.events.dropped() - self.dropped_at_phase_start;
        self.store.render();

        self.current.steps += 1;
        self.current.enemies_peak = self.current.enemies_peak.max(self.store.alive() as u64);
        self.step_in_phase += 1;
    }

    /// Living enemies.
    pub fn alive(&self) -> usize {
        self.store.alive()
    }

    /// The counters of the phase in progress.
    pub fn current(&self) -> PhaseStats {
        PhaseStats {
            enemies_final: self.store.alive() as u64,
            ..self.current
        }
    }

    /// Instances written to each tier's buffer by the last step.
    pub fn rendered(&self) -> [usize; 4] {
        self.store.rendered()
    }

    /// Ends the run and returns the result.
    pub fn finish(mut self) -> WavesResult {
        if self.current.steps > 0 {
            self.finish_phase();
        }
        let mut hash = self.store.state_hash();
        for (_, s) in &self.finished {
            hash = hash.wrapping_add(enemy_hash(
                s.kills,
                s.xp as f32,
                s.spawned as f32,
                s.events_dropped as f32,
            ));
        }
        WavesResult {
            max_enemies: self.config.max_enemies as u64,
            phases: self
                .finished
                .iter()
                .map(|(p, s)| (p.name().to_string(), *s))
                .collect(),
            state_hash: hash,
        }
    }

    /// Runs all four phases.
    pub fn run(config: Config, variant: Variant) -> WavesResult {
        let mut w = World::new(config, variant);
        for phase in WavePhase::ALL {
            w.begin_phase(phase);
            for _ in 0..config.steps(phase) {
                w.step();
            }
        }
        w.finish()
    }
}

#[cfg(test)]
mod tests;
