//! The lean storage: structure of arrays, a free list of slots, an integer
//! grid rebuilt in place by counting sort, preallocated instance buffers and
//! a fixed ring of events. Everything is allocated in `new`; no step touches
//! the heap.

use super::{
    closer, enemy_hash, land_hit, walk, Event, EventSink, Spawn, Store, AREA_RADIUS, PLAYER,
    TEMPLATES,
};

/// Grid cell size, px.
const CELL: f32 = 32.0;
/// Cells per side: the grid covers the player ± 256 px, more than any query
/// reaches (the widest is the area ability's 150 px).
const SIDE: usize = 16;
const HALF: f32 = CELL * SIDE as f32 / 2.0;

pub(super) struct LeanStore {
    ids: Vec<u64>,
    xs: Vec<f32>,
    ys: Vec<f32>,
    hps: Vec<f32>,
    speeds: Vec<f32>,
    templates: Vec<u8>,
    /// One bit per slot: alive.
    alive_bits: Vec<u64>,
    /// Living slots, densely packed, and each slot's place in it.
    dense: Vec<u32>,
    place: Vec<u32>,
    free: Vec<u32>,
    /// Counting-sort grid: `cell_start[c]..cell_start[c + 1]` in `cell_items`.
    cell_start: Vec<u32>,
    cell_items: Vec<u32>,
    cell_of: Vec<u16>,
    buffers: [Vec<[f32; 2]>; 4],
}

const OUTSIDE: u16 = u16::MAX;

impl LeanStore {
    pub(super) fn new(cap: usize) -> Self {
        LeanStore {
            ids: Vec::with_capacity(cap),
            xs: Vec::with_capacity(cap),
            ys: Vec::with_capacity(cap),
            hps: Vec::with_capacity(cap),
            speeds: Vec::with_capacity(cap),
            templates: Vec::with_capacity(cap),
            alive_bits: vec![0; cap.div_ceil(64)],
            dense: Vec::with_capacity(cap),
            place: Vec::with_capacity(cap),
            free: Vec::with_capacity(cap),
            cell_start: vec![0; SIDE * SIDE + 1],
            cell_items: vec![0; cap],
            cell_of: Vec::with_capacity(cap),
            buffers: std::array::from_fn(|_| Vec::with_capacity(cap)),
        }
    }

    #[inline]
    fn is_alive(&self, slot: usize) -> bool {
        self.alive_bits[slot / 64] & (1 << (slot % 64)) != 0
    }

    fn kill(&mut self, slot: usize) {
        self.alive_bits[slot / 64] &= !(1 << (slot % 64));
        let at = self.place[slot] as usize;
        let last = *self
            .dense
            .last()
            .expect("a living enemy is in the dense list");
        self.dense.swap_remove(at);
        if last as usize != slot {
            self.place[last as usize] = at as u32;
        }
        self.free.push(slot as u32);
    }

    fn cell(x: f32, y: f32) -> u16 {
        let gx = ((x - PLAYER.0 + HALF) / CELL).floor();
        let gy = ((y - PLAYER.1 + HALF) / CELL).floor();
        if gx < 0.0 || gy < 0.0 || gx >= SIDE as f32 || gy >= SIDE as f32 {
            OUTSIDE
        } else {
            (gy as usize * SIDE + gx as usize) as u16
        }
    }
}

impl Store for LeanStore {
    fn alive(&self) -> usize {
        self.dense.len()
    }

    fn spawn(&mut self, s: Spawn) {
        let slot = match self.free.pop() {
            Some(slot) => slot as usize,
            None => {
                self.ids.push(0);
                self.xs.push(0.0);
                self.ys.push(0.0);
                self.hps.push(0.0);
                self.speeds.push(0.0);
                self.templates.push(0);
                self.place.push(0);
                self.cell_of.push(OUTSIDE);
                self.ids.len() - 1
            }
        };
        self.ids[slot] = s.id;
        self.xs[slot] = s.x;
        self.ys[slot] = s.y;
        self.hps[slot] = s.hp;
        self.speeds[slot] = s.speed;
        self.templates[slot] = s.template;
        self.alive_bits[slot / 64] |= 1 << (slot % 64);
        self.place[slot] = self.dense.len() as u32;
        self.dense.push(slot as u32);
    }

    fn clear(&mut self) -> u64 {
        let n = self.dense.len() as u64;
        while let Some(&slot) = self.dense.last() {
            self.kill(slot as usize);
        }
        n
    }

    fn walk_all(&mut self, dt: f32) {
        for &slot in &self.dense {
            let s = slot as usize;
            let (x, y) = walk(self.xs[s], self.ys[s], self.speeds[s], dt);
            self.xs[s] = x;
            self.ys[s] = y;
        }
    }

    fn index(&mut self) {
        let counts = &mut self.cell_start;
        counts.iter_mut().for_each(|c| *c = 0);
        for &slot in &self.dense {
            let s = slot as usize;
            let c = Self::cell(self.xs[s], self.ys[s]);
            self.cell_of[s] = c;
            if c != OUTSIDE {
                counts[c as usize + 1] += 1;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        // Fill, using each cell's start as a cursor, then shift back.
        for &slot in &self.dense {
            let c = self.cell_of[slot as usize];
            if c != OUTSIDE {
                let at = &mut self.cell_start[c as usize];
                self.cell_items[*at as usize] = slot;
                *at += 1;
            }
        }
        for c in (1..self.cell_start.len()).rev() {
            self.cell_start[c] = self.cell_start[c - 1];
        }
        self.cell_start[0] = 0;
    }

    fn nearest(&self) -> Option<(f32, u64, f32, f32)> {
        let mut best: Option<(f32, u64, f32, f32)> = None;
        for &slot in &self.dense {
            let s = slot as usize;
            let (dx, dy) = (self.xs[s] - PLAYER.0, self.ys[s] - PLAYER.1);
            let d2 = dx * dx + dy * dy;
            if closer(best, d2, self.ids[s]) {
                best = Some((d2, self.ids[s], dx, dy));
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
        // Every cell the widest query can reach.
        let lo = ((HALF - AREA_RADIUS) / CELL).floor() as usize;
        let hi = (((HALF + AREA_RADIUS) / CELL).floor() as usize).min(SIDE - 1);
        let mut killed = 0;
        for gy in lo..=hi {
            for gx in lo..=hi {
                let c = gy * SIDE + gx;
                for k in self.cell_start[c]..self.cell_start[c + 1] {
                    let s = self.cell_items[k as usize] as usize;
                    if !self.is_alive(s) || !hit(self.xs[s], self.ys[s]) {
                        continue;
                    }
                    if land_hit(&mut self.hps[s], self.ids[s], amount, events) {
                        self.kill(s);
                        killed += 1;
                    }
                }
            }
        }
        killed
    }

    fn render(&mut self) {
        for b in &mut self.buffers {
            b.clear();
        }
        for &slot in &self.dense {
            let s = slot as usize;
            let tier = TEMPLATES[self.templates[s] as usize].tier as usize;
            self.buffers[tier].push([self.xs[s], self.ys[s]]);
        }
    }

    fn state_hash(&self) -> u64 {
        self.dense.iter().fold(0u64, |h, &slot| {
            let s = slot as usize;
            h.wrapping_add(enemy_hash(self.ids[s], self.xs[s], self.ys[s], self.hps[s]))
        })
    }

    fn rendered(&self) -> [usize; 4] {
        std::array::from_fn(|i| self.buffers[i].len())
    }
}

/// A ring of events: fixed capacity, the oldest overwritten (and counted)
/// when full.
pub(super) struct Ring {
    slots: Box<[Event]>,
    head: usize,
    len: usize,
    dropped: u64,
}

impl Ring {
    pub(super) fn new(capacity: usize) -> Self {
        Ring {
            slots: vec![Event::Kill { id: 0 }; capacity].into_boxed_slice(),
            head: 0,
            len: 0,
            dropped: 0,
        }
    }
}

impl EventSink for Ring {
    fn push(&mut self, e: Event) {
        let cap = self.slots.len();
        if self.len == cap {
            self.head = (self.head + 1) % cap;
            self.len -= 1;
            self.dropped += 1;
        }
        self.slots[(self.head + self.len) % cap] = e;
        self.len += 1;
    }

    fn drain(&mut self) -> (u64, u64) {
        let (mut xp, mut damage) = (0, 0);
        let cap = self.slots.len();
        for i in 0..self.len {
            match self.slots[(self.head + i) % cap] {
                Event::Damage { amount, .. } => damage += u64::from(amount),
                Event::Kill { .. } => xp += 1,
            }
        }
        self.head = 0;
        self.len = 0;
        (xp, damage)
    }

    fn dropped(&self) -> u64 {
        self.dropped
    }
}
