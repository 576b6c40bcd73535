//! The test's settings and the game's data: distances, damage and
//! timers, the enemy templates, the phases and how long each runs.

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

    pub(super) fn dt64(&self) -> f64 {
        1.0 / f64::from(self.steps_per_second)
    }
}
