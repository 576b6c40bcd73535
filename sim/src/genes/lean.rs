//! The fix: two preallocated matrices of levels swapped each generation,
//! the regulation in CSR form and a preallocated fitness vector. No heap
//! operation per generation.

use super::model::{fitness_of, summarise, Config, Csr, SelectionData};
use crate::rng::Rng;

/// Every individual's levels in one row-major matrix.
pub(super) struct LeanPopulation {
    levels: Vec<f64>,
    next: Vec<f64>,
    fitness: Vec<f64>,
}

impl LeanPopulation {
    /// `n` individuals of `g` genes, from `initial` (row-major).
    pub(super) fn new(initial: Vec<f64>, n: usize, g: usize) -> Self {
        Self {
            next: vec![0.0; n * g],
            levels: initial,
            fitness: vec![0.0; n],
        }
    }

    /// Level of gene `j` of individual `i` (of `g` genes).
    pub(super) fn level(&self, i: usize, j: usize, g: usize) -> f64 {
        self.levels[i * g + j]
    }

    /// One generation: expression, fitness, mutation. Returns the mean and
    /// best fitness and the mutations made.
    pub(super) fn step(
        &mut self,
        c: &Config,
        a: &Csr,
        data: &SelectionData,
        rng: &mut Rng,
    ) -> (f64, f64, u64) {
        let g = c.genes;
        let mutate = Rng::threshold(c.mutation_rate);
        let mut mutations = 0;
        let Self {
            levels,
            next,
            fitness,
        } = self;
        // (1) expression (a plain model ignores the network, so the
        // fix skips computing its tf)
        let base = c.base();
        if c.network_acts() {
            for (row, out) in levels.chunks(g).zip(next.chunks_mut(g)) {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = c.regulation.apply(base, a.row_dot(j, row));
                }
            }
        } else {
            next.fill(base.max(0.0));
        }
        std::mem::swap(levels, next);
        // (2) fitness
        for (f, row) in fitness.iter_mut().zip(levels.chunks(g)) {
            *f = fitness_of(c.selection, data, row);
        }
        // (3) mutation
        for x in levels.iter_mut() {
            if rng.hit(mutate) {
                *x = (*x + rng.normal(c.mutation_sigma)).max(0.0);
                mutations += 1;
            }
        }
        let (mean, best) = summarise(fitness.iter().copied());
        (mean, best, mutations)
    }
}
