//! The lean storage: structure of arrays indexed by pool slot, an integer
//! grid rebuilt in place by counting sort, preallocated instance buffers, a
//! fixed ring of damage requests, and nothing per boss scene (they stand out
//! of reach, so nothing about one but its being alive and its place in the
//! clear order matters, which the world's tracker keeps). Everything is
//! allocated in `new`; no step touches the heap.

use super::rules::{DamageQueue, Slots, Store};
use super::{enemy_hash, in_melee, walk, Enemy, Request, Target, MELEE_RANGE, TEMPLATES};

/// Grid cell size, px.
const CELL: f32 = 32.0;
/// Cells per side: the grid covers the player ± 256 px, more than the
/// melee's reach.
const SIDE: usize = 16;
const HALF: f32 = CELL * SIDE as f32 / 2.0;
const OUTSIDE: u16 = u16::MAX;

pub(super) struct LeanStore {
    player: (f32, f32),
    xs: Vec<f32>,
    ys: Vec<f32>,
    hps: Vec<f32>,
    speeds: Vec<f32>,
    templates: Vec<u8>,
    born: Vec<u64>,
    /// Counting-sort grid: `cell_start[c]..cell_start[c + 1]` in `cell_items`.
    cell_start: Vec<u32>,
    cell_items: Vec<u32>,
    cell_of: Vec<u16>,
    buffers: [Vec<[f32; 2]>; 4],
}

impl LeanStore {
    pub(super) fn new(cap: usize, player: (f32, f32)) -> Self {
        LeanStore {
            player,
            xs: vec![0.0; cap],
            ys: vec![0.0; cap],
            hps: vec![0.0; cap],
            speeds: vec![0.0; cap],
            templates: vec![0; cap],
            born: vec![0; cap],
            cell_start: vec![0; SIDE * SIDE + 1],
            cell_items: vec![0; cap],
            cell_of: vec![OUTSIDE; cap],
            buffers: std::array::from_fn(|_| Vec::with_capacity(cap)),
        }
    }

    fn cell(&self, x: f32, y: f32) -> u16 {
        let gx = ((x - self.player.0 + HALF) / CELL).floor();
        let gy = ((y - self.player.1 + HALF) / CELL).floor();
        if gx < 0.0 || gy < 0.0 || gx >= SIDE as f32 || gy >= SIDE as f32 {
            OUTSIDE
        } else {
            (gy as usize * SIDE + gx as usize) as u16
        }
    }

    /// Sorts the living slots near the player into grid cells.
    fn index(&mut self, slots: &Slots) {
        self.cell_start.iter_mut().for_each(|c| *c = 0);
        for s in slots.iter() {
            let c = self.cell(self.xs[s], self.ys[s]);
            self.cell_of[s] = c;
            if c != OUTSIDE {
                self.cell_start[c as usize + 1] += 1;
            }
        }
        for i in 1..self.cell_start.len() {
            self.cell_start[i] += self.cell_start[i - 1];
        }
        // Fill, using each cell's start as a cursor, then shift back.
        for s in slots.iter() {
            let c = self.cell_of[s];
            if c != OUTSIDE {
                let at = &mut self.cell_start[c as usize];
                self.cell_items[*at as usize] = s as u32;
                *at += 1;
            }
        }
        for c in (1..self.cell_start.len()).rev() {
            self.cell_start[c] = self.cell_start[c - 1];
        }
        self.cell_start[0] = 0;
    }
}

impl Store for LeanStore {
    fn spawn(&mut self, slot: usize, e: Enemy) {
        self.xs[slot] = e.x;
        self.ys[slot] = e.y;
        self.hps[slot] = e.hp;
        self.speeds[slot] = e.speed;
        self.templates[slot] = e.template;
        self.born[slot] = e.born;
    }

    fn remove(&mut self, _slot: usize) {}

    fn hp(&mut self, slot: usize) -> &mut f32 {
        &mut self.hps[slot]
    }

    fn move_all(&mut self, slots: &Slots, target: (f32, f32), dt: f32, frame: u64) {
        for s in slots.iter() {
            if self.born[s] < frame {
                (self.xs[s], self.ys[s]) = walk(self.xs[s], self.ys[s], self.speeds[s], dt, target);
            }
        }
    }

    fn cone(&mut self, slots: &Slots, player: (f32, f32), facing: (f32, f32), hits: &mut Vec<u32>) {
        self.index(slots);
        // Every cell the melee can reach.
        let lo = ((HALF - MELEE_RANGE) / CELL).floor() as usize;
        let hi = (((HALF + MELEE_RANGE) / CELL).floor() as usize).min(SIDE - 1);
        for gy in lo..=hi {
            for gx in lo..=hi {
                let c = gy * SIDE + gx;
                for k in self.cell_start[c]..self.cell_start[c + 1] {
                    let s = self.cell_items[k as usize] as usize;
                    if in_melee(self.xs[s], self.ys[s], player, facing) {
                        hits.push(s as u32);
                    }
                }
            }
        }
    }

    fn render(&mut self, slots: &Slots) {
        for b in &mut self.buffers {
            b.clear();
        }
        for s in slots.iter() {
            let tier = TEMPLATES[self.templates[s] as usize].tier as usize;
            self.buffers[tier].push([self.xs[s], self.ys[s]]);
        }
    }

    fn rendered(&self) -> [usize; 4] {
        std::array::from_fn(|i| self.buffers[i].len())
    }

    fn spawn_boss(&mut self, _serial: u64, _template: u8, _hp: f32, _x: f32, _y: f32) {}

    fn kill_boss(&mut self, _serial: u64) {}

    fn state_hash(&self, slots: &Slots) -> u64 {
        slots.iter().fold(0u64, |h, s| {
            h.wrapping_add(enemy_hash(s as u64, self.xs[s], self.ys[s], self.hps[s]))
        })
    }
}

/// A ring of requests: fixed capacity, the oldest overwritten (and counted)
/// when full.
pub(super) struct Ring {
    slots: Box<[Request]>,
    head: usize,
    len: usize,
}

impl Ring {
    pub(super) fn new(capacity: usize) -> Self {
        let empty = Request {
            target: Target::Boss(0),
            amount: 0.0,
            clear: false,
        };
        Ring {
            slots: vec![empty; capacity].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }
}

impl DamageQueue for Ring {
    fn push(&mut self, r: Request) -> bool {
        let cap = self.slots.len();
        let dropped = self.len == cap;
        if dropped {
            self.head = (self.head + 1) % cap;
            self.len -= 1;
        }
        self.slots[(self.head + self.len) % cap] = r;
        self.len += 1;
        dropped
    }

    fn pop(&mut self) -> Option<Request> {
        if self.len == 0 {
            return None;
        }
        let r = self.slots[self.head];
        self.head = (self.head + 1) % self.slots.len();
        self.len -= 1;
        Some(r)
    }
}
