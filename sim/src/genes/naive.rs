//! The original's objects: a `Gene { name: String, level }` per gene per
//! individual, a fresh matrix of the old levels every generation (and the
//! network's tf computed even when a plain model ignores it), and temporary
//! vectors per individual.

use super::model::{fitness_of, summarise, Config, Csr, SelectionData};
use crate::rng::Rng;

pub(super) struct Gene {
    #[allow(dead_code)] // the original's per-gene name, kept for its memory
    name: String,
    level: f64,
}

pub(super) struct Individual {
    genes: Vec<Gene>,
    fitness: f64,
}

/// The population as the original keeps it.
pub(super) struct NaivePopulation {
    individuals: Vec<Individual>,
}

impl NaivePopulation {
    /// `g` genes per individual, from `initial` (row-major), each gene named.
    pub(super) fn new(initial: &[f64], g: usize) -> Self {
        Self {
            individuals: initial
                .chunks(g)
                .map(|row| Individual {
                    genes: row
                        .iter()
                        .enumerate()
                        .map(|(j, &level)| Gene {
                            name: format!("gene_{j}"),
                            level,
                        })
                        .collect(),
                    fitness: 0.0,
                })
                .collect(),
        }
    }

    /// Level of gene `j` of individual `i`.
    pub(super) fn level(&self, i: usize, j: usize) -> f64 {
        self.individuals[i].genes[j].level
    }

    /// One generation, as the original runs it. Returns the mean and best
    /// fitness and the mutations made.
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
        let individuals = &mut self.individuals;
        // (1) expression, through a fresh matrix of the old levels
        let matrix: Vec<Vec<f64>> = individuals
            .iter()
            .map(|ind| ind.genes.iter().map(|gene| gene.level).collect())
            .collect();
        let base = c.base();
        for (ind, row) in individuals.iter_mut().zip(&matrix) {
            let new_levels: Vec<f64> = if c.regulated {
                // The original computes every tf, then a plain
                // model ignores them.
                let tf: Vec<f64> = (0..g).map(|j| a.row_dot(j, row)).collect();
                tf.into_iter()
                    .map(|t| c.regulation.apply(base, t))
                    .collect()
            } else {
                vec![base.max(0.0); g]
            };
            for (gene, level) in ind.genes.iter_mut().zip(new_levels) {
                gene.level = level;
            }
        }
        // (2) fitness, through a temporary vector per individual
        for ind in individuals.iter_mut() {
            let row: Vec<f64> = ind.genes.iter().map(|gene| gene.level).collect();
            ind.fitness = fitness_of(c.selection, data, &row);
        }
        // (3) mutation
        for ind in individuals.iter_mut() {
            for gene in ind.genes.iter_mut() {
                if rng.hit(mutate) {
                    gene.level = (gene.level + rng.normal(c.mutation_sigma)).max(0.0);
                    mutations += 1;
                }
            }
        }
        let (mean, best) = summarise(individuals.iter().map(|i| i.fitness));
        (mean, best, mutations)
    }
}
