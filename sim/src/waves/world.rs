//! The world a frame at a time: forced spawns, combat steps, damage,
//! the test's phase logic, clears, and the phase counters.

use super::config::*;
use super::rules::*;
use super::tracker::Tracker;
use super::{lean, naive};
use crate::rng::Rng;
use crate::Variant;

/// The arena.
pub struct World {
    pub(super) config: Config,
    pub(super) variant: Variant,
    pub(super) waves_rng: Rng,
    pub(super) ai_rng: Rng,
    pub(super) crit_rng: Rng,
    pub(super) test_rng: Rng,
    pub(super) pool: Vec<u8>,
    pub(super) slots: Slots,
    pub(super) store: Box<dyn Store>,
    pub(super) queue: Box<dyn DamageQueue>,
    /// Who a clear reaches, in the entity tracker's order.
    pub(super) tracker: Tracker,
    pub(super) bosses_alive: u64,
    pub(super) boss_serial: u64,
    pub(super) spawn_interval: f64,
    pub(super) spawn_timer: f64,
    pub(super) melee_cooldown: f64,
    pub(super) loops: Vec<ForceLoop>,
    pub(super) hits: Vec<u32>,
    pub(super) frame: u64,
    /// `get_alive_enemies()`'s size, cached for the frame.
    pub(super) counted: usize,
    pub(super) phase: WavePhase,
    pub(super) step_in_phase: u64,
    pub(super) current: PhaseStats,
    pub(super) finished: Vec<(WavePhase, PhaseStats)>,
}

impl World {
    /// A world for `config`, storing enemies as `variant` does. Allocates
    /// everything the lean variant will ever need.
    pub fn new(config: Config, variant: Variant) -> World {
        World::with_queue(config, variant, DAMAGE_QUEUE)
    }

    /// [`World::new`] with a damage queue of `capacity` requests.
    pub(super) fn with_queue(config: Config, variant: Variant, capacity: usize) -> World {
        let cap = config.max_enemies;
        let (store, queue): (Box<dyn Store>, Box<dyn DamageQueue>) = match variant {
            Variant::Lean => (
                Box::new(lean::LeanStore::new(cap, config.player)),
                Box::new(lean::Ring::new(capacity)),
            ),
            Variant::Naive => (
                Box::new(naive::NaiveStore::new()),
                Box::new(naive::BoxedQueue::new(capacity)),
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
            tracker: Tracker::new(cap),
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

    /// `_clear_all_enemies`: 999,999 damage queued for everyone alive, in
    /// the entity tracker's order (see [`super::tracker`]).
    pub(super) fn clear_all(&mut self) {
        let World { tracker, queue, .. } = self;
        let mut dropped = 0;
        tracker.for_each(|target| {
            let r = Request {
                target,
                amount: CLEAR_DAMAGE,
                clear: true,
            };
            dropped += u64::from(queue.push(r));
        });
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
        self.spawn_template(template, x, y);
    }

    /// Everything a spawn does after its template and place are drawn.
    pub(super) fn spawn_template(&mut self, template: u8, x: f32, y: f32) {
        let (hp, speed) = enemy_stats(self.config.seed, self.counted, template);
        if TEMPLATES[template as usize].tier == Tier::Boss {
            self.store.spawn_boss(self.boss_serial, template, hp, x, y);
            self.tracker.register_boss(self.boss_serial);
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
                self.tracker.register_slot(slot, self.boss_serial);
                self.current.spawned += 1;
            }
        }
    }

    /// The damage service's tick.
    pub(super) fn process_damage(&mut self) {
        for _ in 0..DAMAGE_PER_TICK {
            let Some(r) = self.queue.pop() else {
                break;
            };
            let alive = match r.target {
                Target::Slot(slot) => self.slots.is_alive(slot as usize),
                Target::Boss(serial) => self.tracker.boss_alive(serial),
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
                    self.tracker.unregister_slot(slot as usize);
                    1
                }
                Target::Boss(serial) => {
                    self.tracker.unregister_boss(serial);
                    self.bosses_alive -= 1;
                    self.current.bosses_killed += 1;
                    self.store.kill_boss(serial);
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
