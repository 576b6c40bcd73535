//! A small, separate model of the original stress test's logic, counts only,
//! at any frame time: the force-spawn coroutines, `RunManager`'s accumulator,
//! the damage tick, the test's timer (reset to 0, so one test step a frame at
//! most) and the phases' setups, with the same random streams as `sim`. At an
//! ideal 30 Hz it must give `sim waves`'s per-phase counts exactly; at the
//! seed's slow frames it shows what slow frames do to them. The melee is left
//! out: in the headless test it faces the zero vector and hits nothing (the
//! simulation's tests check that).
//!
//! The table in `sim/README.md` is these counts: a test checks it row by row
//! (`cargo test -p allocguard-sim --test waves_model -- --nocapture` prints
//! the rows).

use std::collections::VecDeque;

use allocguard_sim::waves::{
    self, pick_pool, Tier, WavePhase, World, DAMAGE_PER_TICK, DAMAGE_QUEUE, FORCED_STEPS_MAX,
    FORCED_STEP_DT, STUCK_INTERVAL, TEMPLATES,
};
use allocguard_sim::{rng::Rng, Variant};

/// Per phase: final and peak counted enemies, kills (pool and bosses),
/// pooled spawns, boss spawns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    fin: u64,
    peak: u64,
    kills: u64,
    spawned: u64,
    bosses: u64,
}

/// An entity the tracker holds: a pooled enemy's slot, or a boss's serial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ent {
    Slot(usize),
    Boss(usize),
}

struct Model {
    cap: usize,
    combat_dt: f64,
    waves: Rng,
    ai: Rng,
    pool: Vec<u8>,
    alive: Vec<bool>,
    count: usize,
    next_free: usize,
    /// The entity tracker's order: living pooled enemies and bosses, by
    /// spawn (a respawned slot goes last).
    order: Vec<Ent>,
    /// Per boss serial: alive.
    boss_alive: Vec<bool>,
    interval: f64,
    timer: f64,
    /// (target, emitted, total) of each running coroutine.
    loops: Vec<(usize, usize, usize)>,
    /// Queued clear requests.
    queue: VecDeque<Ent>,
    counted: usize,
    run_manager: f64,
    test_timer: f64,
    now: Counts,
}

impl Model {
    fn new(cap: usize, seed: u64) -> Self {
        Model {
            cap,
            combat_dt: 1.0 / 30.0,
            waves: waves::stream(seed, "waves"),
            ai: waves::stream(seed, "ai"),
            pool: pick_pool(),
            alive: vec![false; cap],
            count: 0,
            next_free: 0,
            order: Vec::new(),
            boss_alive: Vec::new(),
            interval: 10.0,
            timer: 0.0,
            loops: Vec::new(),
            queue: VecDeque::new(),
            counted: 0,
            run_manager: 0.0,
            test_timer: 0.0,
            now: Counts::default(),
        }
    }

    fn combat_step(&mut self, dt: f64) {
        self.timer += dt;
        if self.timer < self.interval {
            return;
        }
        self.timer = 0.0;
        for _ in 0..self.waves.range_inclusive(3, 8) {
            let _angle = self.waves.uniform(0.0, std::f64::consts::TAU);
            let t = self.pool[self.ai.below(self.pool.len() as u64) as usize];
            if TEMPLATES[t as usize].tier == Tier::Boss {
                self.order.push(Ent::Boss(self.boss_alive.len()));
                self.boss_alive.push(true);
                self.now.bosses += 1;
            } else if self.count < self.cap {
                let mut slot = self.next_free;
                while self.alive[slot] {
                    slot = (slot + 1) % self.cap;
                }
                self.alive[slot] = true;
                self.order.push(Ent::Slot(slot));
                self.next_free = (slot + 1) % self.cap;
                self.count += 1;
                self.now.spawned += 1;
            }
        }
    }

    fn force_spawn(&mut self, count: usize) {
        self.interval = STUCK_INTERVAL;
        self.timer = 0.0;
        let target = count.min(self.cap);
        let needed = target.saturating_sub(self.counted);
        if needed > 0 {
            self.combat_step(FORCED_STEP_DT);
            self.loops.push((target, 1, needed.min(FORCED_STEPS_MAX)));
        }
    }

    /// A clear: one request per entity, in the tracker's order, into a
    /// queue that drops its oldest request when full.
    fn clear(&mut self) {
        for &e in &self.order {
            if self.queue.len() == DAMAGE_QUEUE {
                self.queue.pop_front();
            }
            self.queue.push_back(e);
        }
    }

    fn setup(&mut self, phase: WavePhase) {
        match phase {
            WavePhase::GradualScaling => {
                self.clear();
                self.interval = 1.0;
            }
            WavePhase::BurstSpawn | WavePhase::MixedTier => {
                self.clear();
                self.force_spawn(self.cap);
            }
            WavePhase::CombatStress if self.counted < self.cap * 4 / 5 => {
                self.force_spawn(self.cap)
            }
            WavePhase::CombatStress => {}
        }
    }

    fn frame(&mut self, frame_dt: f64, phase: WavePhase, elapsed: f64) {
        self.counted = self.count;
        let counted = self.counted;
        let mut resumed = Vec::new();
        for (target, emitted, total) in std::mem::take(&mut self.loops) {
            if counted < target && emitted < total {
                resumed.push((target, emitted + 1, total));
                self.combat_step(FORCED_STEP_DT);
            }
        }
        self.loops = resumed;
        self.run_manager += frame_dt;
        while self.run_manager >= self.combat_dt {
            self.run_manager -= self.combat_dt;
            self.combat_step(self.combat_dt);
        }
        for _ in 0..DAMAGE_PER_TICK {
            match self.queue.pop_front() {
                None => break,
                Some(Ent::Slot(slot)) if self.alive[slot] => {
                    self.alive[slot] = false;
                    self.count -= 1;
                    self.now.kills += 1;
                    self.order.retain(|&e| e != Ent::Slot(slot));
                }
                Some(Ent::Boss(b)) if self.boss_alive[b] => {
                    self.boss_alive[b] = false;
                    self.now.kills += 1;
                    self.order.retain(|&e| e != Ent::Boss(b));
                }
                Some(_) => {}
            }
        }
        self.test_timer += frame_dt;
        if self.test_timer >= self.combat_dt {
            self.test_timer = 0.0;
            self.combat_step(self.combat_dt);
            if phase == WavePhase::GradualScaling {
                let progress = elapsed / 8.0;
                let target = (self.cap as f64 / 5.0 + 4.0 * self.cap as f64 / 5.0 * progress)
                    .min(self.cap as f64) as usize;
                if counted < target {
                    self.force_spawn(target);
                }
            }
        }
        self.now.peak = self.now.peak.max(counted as u64);
    }

    /// The four phases at `frame_dt` seconds a frame.
    fn run(cap: usize, seed: u64, frame_dt: f64) -> Vec<Counts> {
        let mut m = Model::new(cap, seed);
        let mut out = Vec::new();
        for phase in WavePhase::ALL {
            m.now = Counts::default();
            m.setup(phase);
            let frames = (phase.seconds() / frame_dt - 1e-9).ceil() as u64;
            for k in 0..frames {
                m.frame(frame_dt, phase, (k + 1) as f64 * frame_dt);
            }
            m.now.fin = m.counted as u64;
            out.push(m.now);
        }
        out
    }
}

/// The simulation's per-phase counts for `config`.
fn simulated(config: waves::Config, variant: Variant) -> Vec<Counts> {
    World::run(config, variant)
        .phases
        .iter()
        .map(|(_, s)| Counts {
            fin: s.enemies_final,
            peak: s.enemies_peak,
            kills: s.kills,
            spawned: s.spawned,
            bosses: s.bosses_spawned,
        })
        .collect()
}

#[test]
fn the_simulation_gives_the_models_counts_at_an_ideal_30_hz() {
    for seed in [12345, 7] {
        let mut config = waves::Config::stress(500);
        config.seed = seed;
        let sim = simulated(config, Variant::Naive);
        assert_eq!(sim, Model::run(500, seed, 1.0 / 30.0), "seed {seed}");
    }
    let lean = simulated(waves::Config::stress(500), Variant::Lean);
    assert_eq!(lean, Model::run(500, 12345, 1.0 / 30.0));
}

#[test]
fn slow_frames_fill_the_pool_later_and_the_table_in_the_readme() {
    let ideal = Model::run(500, 12345, 1.0 / 30.0);
    // The seed's run: 134.7 ms frames at its 95th percentile.
    let slow = Model::run(500, 12345, 0.1347);
    // At 30 Hz the stuck interval fills the pool within gradual_scaling, and
    // combat_stress (no clear) stays full.
    assert_eq!((ideal[0].fin, ideal[2].fin), (500, 500), "{ideal:?}");
    // burst_spawn's clear kills every enemy and boss gradual_scaling left
    // (nothing died before it): 2,855 requests fit the queue of 4,096.
    assert_eq!(ideal[0].kills, 0);
    assert_eq!(ideal[1].kills, ideal[0].fin + ideal[0].bosses);
    // mixed_tier's clear finds more than 4,096 to kill: the queue keeps the
    // last 4,096 requests in registration order, and the first registered
    // (pooled or boss) survive it. Bosses then: those of burst_spawn and
    // combat_stress (the clear took gradual_scaling's).
    let bosses_left = ideal[1].bosses + ideal[2].bosses;
    assert!(500 + bosses_left > DAMAGE_QUEUE as u64);
    assert_eq!(ideal[3].kills, DAMAGE_QUEUE as u64);
    // Fewer frames a second: fewer forced steps and test steps, so fewer
    // spawns in the same seconds.
    let spawns = |v: &[Counts]| v.iter().map(|c| c.spawned + c.bosses).sum::<u64>();
    assert!(spawns(&slow) < spawns(&ideal), "{slow:?}");
    let sim = simulated(waves::Config::stress(500), Variant::Lean);
    // The README's table, as these runs give it: every row's first four
    // columns (the fifth is the seed's own run, which no model gives).
    let readme = include_str!("../README.md");
    let t = |n: u64| waves::report::thousands(n);
    let cell = |c: &Counts| {
        format!(
            "{} / {} / {} / {} (+{})",
            t(c.fin),
            t(c.peak),
            t(c.kills),
            t(c.spawned),
            t(c.bosses)
        )
    };
    for (i, phase) in WavePhase::ALL.iter().enumerate() {
        let model = if ideal[i] == sim[i] {
            "the same".to_string()
        } else {
            cell(&ideal[i])
        };
        let row = format!(
            "| {} | {} | {model} | {} | ",
            phase.name(),
            cell(&sim[i]),
            cell(&slow[i])
        );
        println!("{row}");
        assert!(
            readme.lines().any(|l| l.starts_with(&row)),
            "sim/README.md's table lacks this row (update the table):\n{row}"
        );
    }
}
