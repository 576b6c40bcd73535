//! The naive storage: the original's allocation pattern before its fixes.
//! Every step rebuilds a string-keyed entity map, a string-keyed spatial grid
//! and a vector of living enemies, boxes every event, and allocates fresh
//! instance buffers; the registry never reuses a slot, so it grows with
//! every spawn for as long as the game runs.

use std::collections::HashMap;

use super::{
    closer, enemy_hash, land_hit, walk, Event, EventSink, Spawn, Store, AREA_RADIUS, PLAYER,
    TEMPLATES,
};

/// Grid cell size, px (the original used 64 px cells).
const CELL: f32 = 64.0;

struct Entity {
    id: u64,
    template: u8,
    x: f32,
    y: f32,
    hp: f32,
    speed: f32,
    alive: bool,
}

pub(super) struct NaiveStore {
    registry: Vec<Entity>,
    entity_map: HashMap<String, usize>,
    grid: HashMap<String, Vec<String>>,
    living: Vec<usize>,
    buffers: [Vec<[f32; 2]>; 4],
    alive: usize,
}

fn entity_key(id: u64) -> String {
    format!("enemy_{id}")
}

fn cell_key(x: f32, y: f32) -> String {
    format!(
        "{},{}",
        (x / CELL).floor() as i32,
        (y / CELL).floor() as i32
    )
}

impl NaiveStore {
    pub(super) fn new() -> Self {
        NaiveStore {
            registry: Vec::new(),
            entity_map: HashMap::new(),
            grid: HashMap::new(),
            living: Vec::new(),
            buffers: Default::default(),
            alive: 0,
        }
    }
}

impl Store for NaiveStore {
    fn alive(&self) -> usize {
        self.alive
    }

    fn spawn(&mut self, s: Spawn) {
        self.registry.push(Entity {
            id: s.id,
            template: s.template,
            x: s.x,
            y: s.y,
            hp: s.hp,
            speed: s.speed,
            alive: true,
        });
        self.alive += 1;
    }

    fn clear(&mut self) -> u64 {
        let mut n = 0;
        for e in self.registry.iter_mut().filter(|e| e.alive) {
            e.alive = false;
            n += 1;
        }
        self.alive = 0;
        n
    }

    fn walk_all(&mut self, dt: f32) {
        for e in self.registry.iter_mut().filter(|e| e.alive) {
            (e.x, e.y) = walk(e.x, e.y, e.speed, dt);
        }
    }

    fn index(&mut self) {
        self.living = self
            .registry
            .iter()
            .enumerate()
            .filter(|(_, e)| e.alive)
            .map(|(i, _)| i)
            .collect();
        self.entity_map = HashMap::new();
        self.grid = HashMap::new();
        for &i in &self.living {
            let e = &self.registry[i];
            self.entity_map.insert(entity_key(e.id), i);
            self.grid
                .entry(cell_key(e.x, e.y))
                .or_default()
                .push(entity_key(e.id));
        }
    }

    fn nearest(&self) -> Option<(f32, u64, f32, f32)> {
        let mut best: Option<(f32, u64, f32, f32)> = None;
        for &i in &self.living {
            let e = &self.registry[i];
            if !e.alive {
                continue;
            }
            let (dx, dy) = (e.x - PLAYER.0, e.y - PLAYER.1);
            let d2 = dx * dx + dy * dy;
            if closer(best, d2, e.id) {
                best = Some((d2, e.id, dx, dy));
            }
        }
        best
    }

    fn damage(
        &mut self,
        hit: &dyn Fn(f32, f32) -> bool,
        amount: u32,
        events: &mut dyn EventSink,
    ) -> u64 {
        let lo_x = ((PLAYER.0 - AREA_RADIUS) / CELL).floor() as i32;
        let hi_x = ((PLAYER.0 + AREA_RADIUS) / CELL).floor() as i32;
        let lo_y = ((PLAYER.1 - AREA_RADIUS) / CELL).floor() as i32;
        let hi_y = ((PLAYER.1 + AREA_RADIUS) / CELL).floor() as i32;
        let mut killed = 0;
        for cx in lo_x..=hi_x {
            for cy in lo_y..=hi_y {
                let Some(keys) = self.grid.get(&format!("{cx},{cy}")) else {
                    continue;
                };
                for key in keys.clone() {
                    let i = self.entity_map[&key];
                    let e = &mut self.registry[i];
                    if !e.alive || !hit(e.x, e.y) {
                        continue;
                    }
                    if land_hit(&mut e.hp, e.id, amount, events) {
                        e.alive = false;
                        self.alive -= 1;
                        killed += 1;
                    }
                }
            }
        }
        killed
    }

    fn render(&mut self) {
        let mut buffers: [Vec<[f32; 2]>; 4] = Default::default();
        for e in self.registry.iter().filter(|e| e.alive) {
            buffers[TEMPLATES[e.template as usize].tier as usize].push([e.x, e.y]);
        }
        self.buffers = buffers;
    }

    fn state_hash(&self) -> u64 {
        self.registry.iter().filter(|e| e.alive).fold(0u64, |h, e| {
            h.wrapping_add(enemy_hash(e.id, e.x, e.y, e.hp))
        })
    }

    fn rendered(&self) -> [usize; 4] {
        std::array::from_fn(|i| self.buffers[i].len())
    }
}

/// Boxed event payloads in a vector; the oldest removed from the front when
/// full. The boxes are the point: one allocation per event, as the original's
/// signal payloads.
#[allow(clippy::vec_box)]
pub(super) struct BoxedQueue {
    events: Vec<Box<Event>>,
    capacity: usize,
    dropped: u64,
}

impl BoxedQueue {
    pub(super) fn new(capacity: usize) -> Self {
        BoxedQueue {
            events: Vec::new(),
            capacity,
            dropped: 0,
        }
    }
}

impl EventSink for BoxedQueue {
    fn push(&mut self, e: Event) {
        if self.events.len() == self.capacity {
            self.events.remove(0);
            self.dropped += 1;
        }
        self.events.push(Box::new(e));
    }

    fn drain(&mut self) -> (u64, u64) {
        let (mut xp, mut damage) = (0, 0);
        for e in self.events.drain(..) {
            match *e {
                Event::Damage { amount, .. } => damage += u64::from(amount),
                Event::Kill { .. } => xp += 1,
            }
        }
        (xp, damage)
    }

    fn dropped(&self) -> u64 {
        self.dropped
    }
}
