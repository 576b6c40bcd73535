//! The naive storage: the original's allocation pattern before its fixes.
//! Every combat step rebuilds a string-keyed entity map, a string-keyed
//! spatial grid and a vector of living enemies, and allocates fresh instance
//! buffers; every damage request is boxed; the registry never reuses an
//! entry, so it grows with every spawn for as long as the game runs; and boss
//! scenes stay in their list after they die.

use std::collections::{HashMap, VecDeque};

use super::rules::{DamageQueue, Slots, Store};
use super::{enemy_hash, in_melee, walk, Enemy, Request, MELEE_RANGE, TEMPLATES};

/// Grid cell size, px (the original used 64 px cells).
const CELL: f32 = 64.0;

struct Entity {
    template: u8,
    x: f32,
    y: f32,
    hp: f32,
    speed: f32,
    born: u64,
}

/// A boss scene instance, named as the original registers it.
#[allow(dead_code)] // what the scene held; read by nobody
struct BossScene {
    name: String,
    template: u8,
    hp: f32,
    x: f32,
    y: f32,
    alive: bool,
}

pub(super) struct NaiveStore {
    registry: Vec<Entity>,
    /// The entity tracker: `"enemy_<slot>"` to its registry entry.
    tracker: HashMap<String, usize>,
    entity_map: HashMap<String, usize>,
    grid: HashMap<String, Vec<String>>,
    living: Vec<usize>,
    buffers: [Vec<[f32; 2]>; 4],
    #[allow(clippy::vec_box)] // one allocation per scene is the point
    bosses: Vec<Box<BossScene>>,
}

fn entity_key(slot: usize) -> String {
    format!("enemy_{slot}")
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
            tracker: HashMap::new(),
            entity_map: HashMap::new(),
            grid: HashMap::new(),
            living: Vec::new(),
            buffers: Default::default(),
            bosses: Vec::new(),
        }
    }

    fn entity(&mut self, slot: usize) -> &mut Entity {
        let i = self.tracker[&entity_key(slot)];
        &mut self.registry[i]
    }

    /// The per-update rebuild: living list, entity map, string grid.
    fn rebuild(&mut self, slots: &Slots) {
        self.living = slots.iter().collect();
        self.entity_map = HashMap::new();
        self.grid = HashMap::new();
        for &slot in &self.living {
            let key = entity_key(slot);
            let i = self.tracker[&key];
            let e = &self.registry[i];
            self.entity_map.insert(key.clone(), i);
            self.grid.entry(cell_key(e.x, e.y)).or_default().push(key);
        }
    }
}

impl Store for NaiveStore {
    fn spawn(&mut self, slot: usize, e: Enemy) {
        self.registry.push(Entity {
            template: e.template,
            x: e.x,
            y: e.y,
            hp: e.hp,
            speed: e.speed,
            born: e.born,
        });
        self.tracker
            .insert(entity_key(slot), self.registry.len() - 1);
    }

    fn remove(&mut self, slot: usize) {
        self.tracker.remove(&entity_key(slot));
    }

    fn hp(&mut self, slot: usize) -> &mut f32 {
        &mut self.entity(slot).hp
    }

    fn move_all(&mut self, slots: &Slots, target: (f32, f32), dt: f32, frame: u64) {
        self.rebuild(slots);
        for i in self.living.clone() {
            let key = entity_key(i);
            let e = &mut self.registry[self.entity_map[&key]];
            if e.born < frame {
                (e.x, e.y) = walk(e.x, e.y, e.speed, dt, target);
            }
        }
    }

    fn cone(&mut self, slots: &Slots, player: (f32, f32), facing: (f32, f32), hits: &mut Vec<u32>) {
        self.rebuild(slots);
        let lo_x = ((player.0 - MELEE_RANGE) / CELL).floor() as i32;
        let hi_x = ((player.0 + MELEE_RANGE) / CELL).floor() as i32;
        let lo_y = ((player.1 - MELEE_RANGE) / CELL).floor() as i32;
        let hi_y = ((player.1 + MELEE_RANGE) / CELL).floor() as i32;
        for cx in lo_x..=hi_x {
            for cy in lo_y..=hi_y {
                let Some(keys) = self.grid.get(&format!("{cx},{cy}")) else {
                    continue;
                };
                for key in keys {
                    let e = &self.registry[self.entity_map[key]];
                    if in_melee(e.x, e.y, player, facing) {
                        let slot = key["enemy_".len()..].parse().expect("a slot number");
                        hits.push(slot);
                    }
                }
            }
        }
    }

    fn render(&mut self, slots: &Slots) {
        let mut buffers: [Vec<[f32; 2]>; 4] = Default::default();
        for slot in slots.iter() {
            let e = &self.registry[self.tracker[&entity_key(slot)]];
            buffers[TEMPLATES[e.template as usize].tier as usize].push([e.x, e.y]);
        }
        self.buffers = buffers;
    }

    fn rendered(&self) -> [usize; 4] {
        std::array::from_fn(|i| self.buffers[i].len())
    }

    fn spawn_boss(&mut self, serial: u64, template: u8, hp: f32, x: f32, y: f32) {
        self.bosses.push(Box::new(BossScene {
            name: format!("boss_{serial}"),
            template,
            hp,
            x,
            y,
            alive: true,
        }));
    }

    fn kill_boss(&mut self, serial: u64) {
        // Scenes are pushed in serial order and never removed.
        self.bosses[serial as usize].alive = false;
    }

    fn state_hash(&self, slots: &Slots) -> u64 {
        slots.iter().fold(0u64, |h, slot| {
            let e = &self.registry[self.tracker[&entity_key(slot)]];
            h.wrapping_add(enemy_hash(slot as u64, e.x, e.y, e.hp))
        })
    }
}

/// Boxed requests in a deque; the oldest removed from the front when full.
/// The boxes are the point: one allocation per request, as the original's
/// signal payloads.
#[allow(clippy::vec_box)]
pub(super) struct BoxedQueue {
    requests: VecDeque<Box<Request>>,
    capacity: usize,
}

impl BoxedQueue {
    pub(super) fn new(capacity: usize) -> Self {
        BoxedQueue {
            requests: VecDeque::new(),
            capacity,
        }
    }
}

impl DamageQueue for BoxedQueue {
    fn push(&mut self, r: Request) -> bool {
        let dropped = self.requests.len() == self.capacity;
        if dropped {
            self.requests.pop_front();
        }
        self.requests.push_back(Box::new(r));
        dropped
    }

    fn pop(&mut self) -> Option<Request> {
        self.requests.pop_front().map(|b| *b)
    }
}
