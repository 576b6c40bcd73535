//! The 500-enemy wave stress test of a Godot arena game (seed 002), as the
//! original test (AgentService/vibe at ca9299d,
//! `tests/test_performance_500_enemies.gd`) drives the game, one frame per
//! [`World::step`] at an ideal 30 frames a second.
//!
//! # One frame
//!
//! In the order the original's engine runs them:
//!
//! 1. The test's `_force_spawn_enemies` coroutines resume, in the order they
//!    were started: each ends once the enemy count reaches its target or it
//!    has made its `min(needed, 50)` steps, and otherwise emits one more
//!    *combat step* of dt 0.001 s.
//! 2. `RunManager` emits its 30 Hz combat step (dt 1/30).
//! 3. The damage service's 30 Hz timer processes up to 2,048 queued damage
//!    requests: a crit roll per request (10 %, ×2), `hp = max(0, hp − dmg)`,
//!    a kill at 0 (the slot freed, 1 XP; 50 for a boss).
//! 4. The test's own combat step (dt 1/30), then its phase logic:
//!    `gradual_scaling` force-spawns towards `100 + 400·t/8` when below it,
//!    `combat_stress` draws its simulated ability (which deals no damage: at
//!    ca9299d the EventBus has no `ability_triggered` signal, the test only
//!    prints a line), and the phase's peak takes the frame's count.
//! 5. The arena's `handle_auto_attack`: when the melee is off cooldown and
//!    a pooled enemy is alive, one attack (555 damage, 120 px, a 180° cone)
//!    queues a damage request for every enemy in the cone.
//!
//! Each combat step, from any of the three sources: the MultiMesh instance
//! buffers are written (one per tier), the wave director adds the step's dt to
//! its spawn timer and, when the timer reaches `spawn_interval`, resets it and
//! spawns 3-8 enemies (each at 200 px from the player in a random direction,
//! its template a weighted pick from a pool of 390 entries), then moves every
//! pooled enemy within 2,800 px towards the player at its speed, and the
//! melee cooldown runs down by dt.
//!
//! # The original's quirks, kept
//!
//! - `_force_spawn_enemies` sets `spawn_interval = 0.001` and nothing ever
//!   sets it back (only `gradual_scaling`'s setup sets 1.0, before the first
//!   forced spawn), so from the first forced spawn on, **every** combat step
//!   spawns 3-8 enemies until the pool is full. The test never awaits its
//!   coroutines: several run at once, and they outlive their phase.
//! - 300 of the pool's 390 entries are boss templates (`ancient_lich`,
//!   `banana_lord`, `dragon_lord`, 100 each after the cap of 100 copies). A
//!   boss is a scene instance outside the 500-slot pool: no cap, not counted
//!   by the test's `_count_alive_enemies`, so not in any final or peak.
//! - The enemy list is cached once per frame: every count in a frame (the
//!   coroutines' checks, the test's peak, the spawn index that seeds each
//!   enemy's stats) is the count at the frame's start. Enemies of one
//!   template spawned in one frame therefore get identical stats.
//! - The melee faces `auto_attack_target`, which only mouse motion sets: (0, 0)
//!   in the headless test, not the nearest enemy. The player's position is
//!   the arena's spawn point, which `PlayerState` copies every step over the
//!   test's (400, 300); in the stored `Arena.tscn` the spawn point has no
//!   position, i.e. the origin. Player and target then coincide, the facing is
//!   the zero vector, every cone test fails, and the melee hits nothing: the
//!   seed's run ended every phase with final = peak. [`Config::player`] and
//!   [`Config::attack_target`] change both (the tests use (400, 300)).
//! - Clearing (`_clear_all_enemies`) is 999,999 damage per living enemy and
//!   boss through the same queue: the clear lands at the next damage tick (so
//!   the setup's force-spawn right after it still sees the old count, and
//!   usually spawns nothing), a full queue drops the oldest requests, and the
//!   cleared enemies are kills (XP, the kill counter) as any other.
//! - `combat_stress` force-spawns once, at its start, and only below 400.
//!   `mixed_tier` is `burst_spawn` again: the same weighted pick.
//!
//! # Deviations, and choices where the original is silent
//!
//! - Where SIM_SPEC.md says the player stands at (400, 300) and that spawning
//!   was 3-8 a second, the original's code says otherwise (above): the code
//!   wins.
//! - The test scene's second `WaveDirector` (spawn radius 0, interval 1.0,
//!   its own pool) is left out: its enemies stand on the player, are never hit
//!   and never counted; it only adds draws to the random streams.
//! - Bosses stand where they spawn (the original's walk to 60 px after a
//!   wake-up animation, at the physics rate, is not modelled): at 200 px they
//!   are out of the melee's reach, so only clears remove them, and a clear's
//!   request kills whichever boss it reaches (999,999 exceeds every boss's hp).
//! - The gradual target scales with the cap (`cap/5 + 4·cap/5 · t/8`; for 500
//!   that is `100 + 400·t/8`), as do the force-spawn target and the
//!   `combat_stress` threshold (`4·cap/5`, 400 for 500); the queue stays at
//!   the original's 4,096.
//! - Clearing queues the pool's enemies in slot order, then the bosses (the
//!   original walks its entity tracker in registration order); the two orders
//!   differ only in which requests a full queue drops.
//! - A freed slot is found by scanning the pool's bits from just after the
//!   last slot used, wrapping around, as the original's `_find_free_enemy`.
//! - The random streams are the original's by name (`waves`, `ai`, `crit`,
//!   `test`), each seeded from the run's seed, and each enemy's stats come
//!   from a fresh generator seeded by (seed, spawn index, template), as
//!   `EnemyFactory` seeds one; the original's draws themselves (Godot's PCG)
//!   are not reproduced, and its run was not reproducible (its streams were
//!   seeded from the clock).
//!
//! # Variants
//!
//! Two variants, same results for the same seed:
//!
//! - [`Variant::Naive`] is the original before its fixes: an entity map
//!   keyed by `"enemy_N"` strings rebuilt every step, a spatial grid keyed by
//!   formatted `"x,y"` strings, a fresh vector of living enemies every step,
//!   boxed damage requests, fresh instance buffers, a registry whose entries
//!   are never reused (it grows with every spawn: the original's leak), and
//!   boss scenes kept after they die.
//! - [`Variant::Lean`] keeps structure-of-arrays storage indexed by slot, an
//!   integer grid rebuilt in place, preallocated instance buffers, a fixed
//!   ring of requests and a count of bosses: no heap operation in any step,
//!   at any enemy count.

mod lean;
mod naive;
pub mod report;

use crate::rng::Rng;
use crate::Variant;

/// Distance from the player at which enemies spawn (`ArenaSystem`'s default).
pub const SPAWN_RADIUS: f32 = 200.0;
/// Enemies farther than this from the player do not move.
pub const AGGRO_RANGE: f32 = 2_800.0;
/// Melee damage per hit (`melee.tres`).
pub const MELEE_DAMAGE: f32 = 555.0;
/// Melee reach.
pub const MELEE_RANGE: f32 = 120.0;
/// Seconds between melee attacks (`attack_speed` 2).
pub const MELEE_COOLDOWN: f64 = 0.5;
/// Chance of a critical hit, rolled per request by the damage service.
pub const CRIT_CHANCE: f64 = 0.10;
/// A critical hit's damage multiplier.
pub const CRIT_MULTIPLIER: f32 = 2.0;
/// The damage a clear deals to each living enemy and boss.
pub const CLEAR_DAMAGE: f32 = 999_999.0;
/// Capacity of the damage queue (the oldest request is dropped when full).
pub const DAMAGE_QUEUE: usize = 4_096;
/// Damage requests processed per damage tick.
pub const DAMAGE_PER_TICK: usize = 2_048;
/// The spawn interval `_force_spawn_enemies` sets and nothing resets.
pub const STUCK_INTERVAL: f64 = 0.001;
/// The dt of a forced combat step.
pub const FORCED_STEP_DT: f64 = 0.001;
/// Most combat steps one `_force_spawn_enemies` call makes.
pub const FORCED_STEPS_MAX: usize = 50;
/// XP granted for a boss kill (1 for any other enemy).
pub const BOSS_XP: u64 = 50;

/// Rendering tier of an enemy (one instance buffer each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Tier {
    /// Swarm.
    Swarm = 0,
    /// Regular.
    Regular = 1,
    /// Elite.
    Elite = 2,
    /// Boss: a scene of its own, outside the pool and the instance buffers.
    Boss = 3,
}

/// An enemy template: name, tier, copies in the pick pool, stat ranges.
#[derive(Clone, Copy, Debug)]
pub struct Template {
    /// Name, as in the original's `.tres` files.
    pub name: &'static str,
    /// Rendering tier.
    pub tier: Tier,
    /// Entries in the pick pool: `min(int(weight × 10), 100)`.
    pub copies: u32,
    /// Hit points, drawn uniformly in this range.
    pub hp: (f32, f32),
    /// Speed in px/s, drawn uniformly in this range.
    pub speed: (f32, f32),
}

const fn template(
    name: &'static str,
    tier: Tier,
    copies: u32,
    hp: (f32, f32),
    speed: (f32, f32),
) -> Template {
    Template {
        name,
        tier,
        copies,
        hp,
        speed,
    }
}

/// The templates `EnemyFactory` loads at ca9299d, in its load order
/// (`boss_base` fails its own validation and is dropped).
pub const TEMPLATES: [Template; 9] = [
    template("melee_base", Tier::Regular, 10, (15.0, 25.0), (60.0, 80.0)),
    template("ranged_base", Tier::Regular, 10, (10.0, 18.0), (40.0, 60.0)),
    template(
        "ancient_lich",
        Tier::Boss,
        100,
        (150.0, 200.0),
        (25.0, 40.0),
    ),
    template("archer", Tier::Regular, 15, (8.0, 15.0), (45.0, 65.0)),
    template(
        "banana_lord",
        Tier::Boss,
        100,
        (5_000.0, 6_000.0),
        (200.0, 300.0),
    ),
    template("dragon_lord", Tier::Boss, 100, (180.0, 220.0), (70.0, 90.0)),
    template("elite_knight", Tier::Elite, 5, (40.0, 60.0), (50.0, 70.0)),
    template("goblin", Tier::Swarm, 30, (12.0, 20.0), (70.0, 90.0)),
    template("orc_warrior", Tier::Regular, 20, (20.0, 30.0), (55.0, 75.0)),
];

/// The pick pool: each template `copies` times, in template order (390).
pub fn pick_pool() -> Vec<u8> {
    let mut pool = Vec::new();
    for (i, t) in TEMPLATES.iter().enumerate() {
        pool.extend(std::iter::repeat_n(i as u8, t.copies as usize));
    }
    pool
}

/// One of the four phases of the stress test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum WavePhase {
    /// Force-spawn towards a rising target.
    GradualScaling,
    /// Clear, then force-spawn to the cap.
    BurstSpawn,
    /// Force-spawn once if below 80 % of the cap; simulated abilities.
    CombatStress,
    /// Clear, then force-spawn to the cap (the same pick as burst).
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

    /// Length in seconds in the original test.
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
    /// Pool size: most pooled enemies alive at once (the original: 500).
    pub max_enemies: usize,
    /// Seed of the random streams (the original's test asked for 12345).
    pub seed: u64,
    /// Frames per second (30: the ideal frame rate the test targets).
    pub steps_per_second: u32,
    /// Multiplier on every phase's length (1.0: the original's 30 s run).
    pub time_scale: f64,
    /// Where the player stands (the arena's spawn point: the origin).
    pub player: (f32, f32),
    /// Where the melee faces (`auto_attack_target`: (0, 0) without a mouse).
    pub attack_target: (f32, f32),
}

impl Config {
    /// The original test with a pool of `max_enemies`.
    pub fn stress(max_enemies: usize) -> Self {
        Config {
            max_enemies,
            seed: 12345,
            steps_per_second: 30,
            time_scale: 1.0,
            player: (0.0, 0.0),
            attack_target: (0.0, 0.0),
        }
    }

    /// Frames in `phase`.
    pub fn steps(&self, phase: WavePhase) -> u64 {
        (phase.seconds() * self.time_scale * f64::from(self.steps_per_second)).round() as u64
    }

    /// The frame time, and the dt of the 30 Hz combat steps, in seconds.
    pub fn dt(&self) -> f32 {
        1.0 / self.steps_per_second as f32
    }

    fn dt64(&self) -> f64 {
        1.0 / f64::from(self.steps_per_second)
    }
}

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
    /// A boss scene.
    Boss,
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
struct ForceLoop {
    target: usize,
    emitted: usize,
    total: usize,
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
    bits: Vec<u64>,
    cap: usize,
    alive: usize,
    /// Where the next free-slot scan starts.
    next: usize,
}

impl Slots {
    fn new(cap: usize) -> Self {
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
    fn take(&mut self) -> Option<usize> {
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

    fn free(&mut self, slot: usize) {
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
trait Store {
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
    /// A boss scene died.
    fn kill_boss(&mut self);
    /// Order-free hash of the living enemies.
    fn state_hash(&self, slots: &Slots) -> u64;
}

/// The damage queue: drops the oldest request when full.
trait DamageQueue {
    /// Queues `r`; true when the oldest request was dropped for it.
    fn push(&mut self, r: Request) -> bool;
    /// The oldest request.
    fn pop(&mut self) -> Option<Request>;
}

/// The arena.
pub struct World {
    config: Config,
    variant: Variant,
    waves_rng: Rng,
    ai_rng: Rng,
    crit_rng: Rng,
    test_rng: Rng,
    pool: Vec<u8>,
    slots: Slots,
    store: Box<dyn Store>,
    queue: Box<dyn DamageQueue>,
    bosses_alive: u64,
    boss_serial: u64,
    spawn_interval: f64,
    spawn_timer: f64,
    melee_cooldown: f64,
    loops: Vec<ForceLoop>,
    hits: Vec<u32>,
    frame: u64,
    /// `get_alive_enemies()`'s size, cached for the frame.
    counted: usize,
    phase: WavePhase,
    step_in_phase: u64,
    current: PhaseStats,
    finished: Vec<(WavePhase, PhaseStats)>,
}

impl World {
    /// A world for `config`, storing enemies as `variant` does. Allocates
    /// everything the lean variant will ever need.
    pub fn new(config: Config, variant: Variant) -> World {
        let cap = config.max_enemies;
        let (store, queue): (Box<dyn Store>, Box<dyn DamageQueue>) = match variant {
            Variant::Lean => (
                Box::new(lean::LeanStore::new(cap, config.player)),
                Box::new(lean::Ring::new(DAMAGE_QUEUE)),
            ),
            Variant::Naive => (
                Box::new(naive::NaiveStore::new()),
                Box::new(naive::BoxedQueue::new(DAMAGE_QUEUE)),
            ),
        };
        let seed = config.seed;
        World {
            config,
            variant,
            waves_rng: stream(seed, "waves"),
            ai_rng: stream(seed, "ai"),
            crit_rng: stream(seed, "crit"),
            test_rng: stream(seed, "test"),
            pool: pick_pool(),
            slots: Slots::new(cap),
            store,
            queue,
            bosses_alive: 0,
            boss_serial: 0,
            spawn_interval: 10.0,
            spawn_timer: 0.0,
            melee_cooldown: 0.0,
            // A coroutine lives at most 51 frames and at most one starts a
            // frame (plus a phase's setup): 64 is never outgrown.
            loops: Vec::with_capacity(64),
            hits: Vec::with_capacity(cap),
            frame: 0,
            counted: 0,
            phase: WavePhase::GradualScaling,
            step_in_phase: 0,
            current: PhaseStats::default(),
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

    /// The spawn interval the wave director uses now (stuck at 0.001 from
    /// the first forced spawn on).
    pub fn spawn_interval(&self) -> f64 {
        self.spawn_interval
    }

    /// `_force_spawn_enemies` coroutines still running.
    pub fn force_loops(&self) -> usize {
        self.loops.len()
    }

    /// Boss scenes alive (outside the pool, not counted by the test).
    pub fn bosses_alive(&self) -> u64 {
        self.bosses_alive
    }

    /// Ends the current phase (if any frames ran) and starts `phase` with
    /// the original's setup for it.
    pub fn begin_phase(&mut self, phase: WavePhase) {
        if self.current.steps > 0 {
            self.finish_phase();
        }
        self.phase = phase;
        self.step_in_phase = 0;
        let cap = self.config.max_enemies;
        match phase {
            WavePhase::GradualScaling => {
                self.clear_all();
                self.spawn_interval = 1.0;
            }
            WavePhase::BurstSpawn | WavePhase::MixedTier => {
                self.clear_all();
                self.force_spawn(cap);
            }
            WavePhase::CombatStress => {
                if self.counted < cap * 4 / 5 {
                    self.force_spawn(cap);
                }
            }
        }
    }

    fn finish_phase(&mut self) {
        self.current.enemies_final = self.counted as u64;
        self.current.bosses_alive = self.bosses_alive;
        self.finished.push((self.phase, self.current));
        self.current = PhaseStats::default();
    }

    /// `_force_spawn_enemies(count)`: the stuck interval, then, if the count
    /// is below the target, a coroutine whose first step is emitted now.
    fn force_spawn(&mut self, count: usize) {
        self.current.force_spawns += 1;
        self.spawn_interval = STUCK_INTERVAL;
        self.spawn_timer = 0.0;
        let target = count.min(self.config.max_enemies);
        let needed = target.saturating_sub(self.counted);
        if needed > 0 {
            self.combat_step(FORCED_STEP_DT);
            self.loops.push(ForceLoop {
                target,
                emitted: 1,
                total: needed.min(FORCED_STEPS_MAX),
            });
        }
    }

    /// `_clear_all_enemies`: 999,999 damage queued for everyone alive.
    fn clear_all(&mut self) {
        let World { slots, queue, .. } = self;
        let mut dropped = 0;
        for slot in slots.iter() {
            let r = Request {
                target: Target::Slot(slot as u32),
                amount: CLEAR_DAMAGE,
                clear: true,
            };
            dropped += u64::from(queue.push(r));
        }
        for _ in 0..self.bosses_alive {
            let r = Request {
                target: Target::Boss,
                amount: CLEAR_DAMAGE,
                clear: true,
            };
            dropped += u64::from(self.queue.push(r));
        }
        self.current.events_dropped += dropped;
    }

    /// One combat step of `dt` seconds, from whichever source.
    fn combat_step(&mut self, dt: f64) {
        self.current.combat_steps += 1;
        self.store.render(&self.slots);
        self.spawn_timer += dt;
        if self.spawn_timer >= self.spawn_interval {
            self.spawn_timer = 0.0;
            let n = self.waves_rng.range_inclusive(3, 8);
            for _ in 0..n {
                self.spawn_one();
            }
        }
        self.store
            .move_all(&self.slots, self.config.player, dt as f32, self.frame);
        self.melee_cooldown -= dt;
    }

    fn spawn_one(&mut self) {
        let angle = self.waves_rng.uniform(0.0, std::f64::consts::TAU);
        let (px, py) = self.config.player;
        let x = px + SPAWN_RADIUS * angle.cos() as f32;
        let y = py + SPAWN_RADIUS * angle.sin() as f32;
        let template = self.pool[self.ai_rng.below(self.pool.len() as u64) as usize];
        let (hp, speed) = enemy_stats(self.config.seed, self.counted, template);
        if TEMPLATES[template as usize].tier == Tier::Boss {
            self.store.spawn_boss(self.boss_serial, template, hp, x, y);
            self.boss_serial += 1;
            self.bosses_alive += 1;
            self.current.bosses_spawned += 1;
            return;
        }
        match self.slots.take() {
            None => self.current.pool_full += 1,
            Some(slot) => {
                let e = Enemy {
                    template,
                    x,
                    y,
                    hp,
                    speed,
                    born: self.frame,
                };
                self.store.spawn(slot, e);
                self.current.spawned += 1;
            }
        }
    }

    /// The damage service's tick.
    fn process_damage(&mut self) {
        for _ in 0..DAMAGE_PER_TICK {
            let Some(r) = self.queue.pop() else {
                break;
            };
            let alive = match r.target {
                Target::Slot(slot) => self.slots.is_alive(slot as usize),
                Target::Boss => self.bosses_alive > 0,
            };
            if !alive {
                continue;
            }
            let crit = self.crit_rng.chance(CRIT_CHANCE);
            let amount = if crit {
                r.amount * CRIT_MULTIPLIER
            } else {
                r.amount
            };
            if !r.clear {
                self.current.damage += amount as u64;
            }
            let xp = match r.target {
                Target::Slot(slot) => {
                    let hp = self.store.hp(slot as usize);
                    *hp = (*hp - amount).max(0.0);
                    if *hp > 0.0 {
                        continue;
                    }
                    self.slots.free(slot as usize);
                    self.store.remove(slot as usize);
                    1
                }
                Target::Boss => {
                    self.bosses_alive -= 1;
                    self.current.bosses_killed += 1;
                    self.store.kill_boss();
                    BOSS_XP
                }
            };
            self.current.kills += 1;
            self.current.kills_by_clear += u64::from(r.clear);
            self.current.xp += xp;
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

    /// The arena's `handle_auto_attack`.
    fn auto_attack(&mut self) {
        if self.counted == 0 || self.melee_cooldown > 0.0 {
            return;
        }
        self.melee_cooldown = MELEE_COOLDOWN;
        self.current.attacks += 1;
        let (p, t) = (self.config.player, self.config.attack_target);
        let facing = normalized((t.0 - p.0, t.1 - p.1));
        self.hits.clear();
        self.store.cone(&self.slots, p, facing, &mut self.hits);
        self.hits.sort_unstable();
        let mut dropped = 0;
        for &slot in &self.hits {
            let r = Request {
                target: Target::Slot(slot),
                amount: MELEE_DAMAGE,
                clear: false,
            };
            dropped += u64::from(self.queue.push(r));
        }
        self.current.events_dropped += dropped;
    }

    /// One frame of the current phase.
    pub fn step(&mut self) {
        let dt = self.config.dt64();
        self.frame += 1;
        self.counted = self.slots.alive;
        // 1. The force-spawn coroutines resume.
        let mut i = 0;
        while i < self.loops.len() {
            let l = self.loops[i];
            if self.counted >= l.target || l.emitted >= l.total {
                self.loops.remove(i);
                continue;
            }
            self.loops[i].emitted += 1;
            self.combat_step(FORCED_STEP_DT);
            i += 1;
        }
        // 2. RunManager's 30 Hz step; 3. the damage tick.
        self.combat_step(dt);
        self.process_damage();
        // 4. The test's own step and its phase logic.
        self.combat_step(dt);
        let elapsed = (self.step_in_phase + 1) as f64 * dt;
        match self.phase {
            WavePhase::GradualScaling => {
                let target = self.gradual_target(elapsed);
                if self.counted < target {
                    self.force_spawn(target);
                }
            }
            WavePhase::CombatStress => {
                let chance = self.test_rng.unit();
                let _ability = self.test_rng.below(3);
                if chance < 0.3 {
                    self.current.abilities += 1;
                }
            }
            WavePhase::BurstSpawn | WavePhase::MixedTier => {}
        }
        self.current.enemies_peak = self.current.enemies_peak.max(self.counted as u64);
        // 5. The arena's auto attack.
        self.auto_attack();
        self.current.steps += 1;
        self.step_in_phase += 1;
    }

    /// Pooled enemies alive now.
    pub fn alive(&self) -> usize {
        self.slots.alive
    }

    /// The counters of the phase in progress.
    pub fn current(&self) -> PhaseStats {
        PhaseStats {
            enemies_final: self.counted as u64,
            bosses_alive: self.bosses_alive,
            ..self.current
        }
    }

    /// Instances written to each tier's buffer by the last combat step.
    pub fn rendered(&self) -> [usize; 4] {
        self.store.rendered()
    }

    /// Ends the run and returns the result.
    pub fn finish(mut self) -> WavesResult {
        if self.current.steps > 0 {
            self.finish_phase();
        }
        let mut hash = self.store.state_hash(&self.slots);
        for (_, s) in &self.finished {
            hash = hash.wrapping_add(enemy_hash(
                s.kills,
                s.xp as f32,
                s.spawned as f32,
                (s.events_dropped + s.bosses_spawned * 7) as f32,
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
