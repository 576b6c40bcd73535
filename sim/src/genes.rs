//! The gene network of happygene (seed 004): a population of individuals,
//! each with an expression level per gene, evolving by expression, selection
//! and point mutation.
//!
//! Each generation: (1) expression: without regulation every cell takes the
//! expression model's value at the default conditions (tf = 0), which
//! overwrites last generation's mutations (the original's *quirk*, kept); with
//! regulation each individual's `tf = A · levels` (A sparse, row = target
//! gene, density 0.05, weights uniform(−0.5, 0.5), no self loops) and each
//! gene becomes `max(0, model(tf))`; (2) fitness per individual from the
//! selection model; (3) point mutation: for every gene a uniform draw below
//! the rate (compared as raw bits: `Rng::hit`) adds normal(0, σ) noise,
//! clamped at 0; (4) the generation count
//! rises.
//!
//! - [`Variant::Naive`] keeps the original's objects: a `Gene { name: String,
//!   level }` per gene per individual, a fresh matrix every step and
//!   temporary vectors per individual.
//! - [`Variant::Lean`] keeps two preallocated matrices swapped each step, the
//!   regulation in CSR form and a preallocated fitness vector: no heap
//!   operation per step.
//!
//! Both draw random numbers in the same order (individual by individual,
//! gene by gene: one uniform, then a normal when it mutates) and sum in the
//! same order, so their results are equal to the bit. Deviations: random
//! draws are not bulk-drawn into a buffer (that would change the order
//! between variants for no gain here); the lean step runs on one thread.

use crate::rng::Rng;
use crate::Variant;

/// How a gene's level follows its input.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub enum ExpressionModel {
    /// `max(0, slope·tf + intercept)`.
    Linear {
        /// Slope.
        slope: f64,
        /// Intercept (basal expression).
        intercept: f64,
    },
    /// `v_max·tfⁿ/(kⁿ + tfⁿ)`, zero for tf ≤ 0.
    Hill {
        /// Maximum rate.
        v_max: f64,
        /// Half-saturation constant.
        k: f64,
        /// Hill coefficient.
        n: f64,
    },
    /// A fixed level.
    Constant {
        /// The level.
        level: f64,
    },
}

impl ExpressionModel {
    /// The level for input `tf`.
    #[inline]
    pub fn compute(&self, tf: f64) -> f64 {
        match *self {
            ExpressionModel::Linear { slope, intercept } => (slope * tf + intercept).max(0.0),
            ExpressionModel::Hill { v_max, k, n } => {
                if tf <= 0.0 {
                    0.0
                } else {
                    let t = tf.powf(n);
                    v_max * t / (k.powf(n) + t)
                }
            }
            ExpressionModel::Constant { level } => level,
        }
    }
}

/// A regulatory layer over the base model (happygene's composite models):
/// the base is computed at the default conditions, then modulated by tf.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub enum Regulation {
    /// `max(0, model(tf))`: the model takes tf directly (SIM_SPEC's rule).
    Direct,
    /// `max(0, base + w·tf)`.
    Additive(f64),
    /// `max(0, base·(1 + w·tf))`.
    Multiplicative(f64),
}

impl Regulation {
    #[inline]
    fn apply(&self, model: &ExpressionModel, tf: f64) -> f64 {
        match *self {
            Regulation::Direct => model.compute(tf).max(0.0),
            Regulation::Additive(w) => (model.compute(0.0) + w * tf).max(0.0),
            Regulation::Multiplicative(w) => (model.compute(0.0) * (1.0 + w * tf)).max(0.0),
        }
    }
}

/// How fitness is read from an individual's levels.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub enum Selection {
    /// The mean level.
    Proportional,
    /// 1 when the mean level reaches θ, else 0.
    Threshold(f64),
    /// The mean plus `xᵀMx/n` with M the interaction matrix (sparse, like A).
    Epistatic,
    /// A weighted mean: weights cycle 1, 0.5, 0.25.
    MultiObjective,
}

/// How a run is set up.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Config {
    /// Individuals.
    pub individuals: usize,
    /// Genes per individual.
    pub genes: usize,
    /// Generations to run.
    pub generations: u64,
    /// Seed (the original: 42).
    pub seed: u64,
    /// Whether genes regulate each other through A.
    pub regulated: bool,
    /// Chance per gene per generation of a mutation.
    pub mutation_rate: f64,
    /// Standard deviation of a mutation.
    pub mutation_sigma: f64,
    /// Share of nonzero entries of A.
    pub density: f64,
    /// The expression model.
    pub model: ExpressionModel,
    /// How regulation combines with it.
    pub regulation: Regulation,
    /// The selection model.
    pub selection: Selection,
}

impl Config {
    /// The seed document's setting: linear (1.0, 0.1), proportional
    /// selection, rate 0.1, σ 0.05, density 0.05, seed 42.
    pub fn new(individuals: usize, genes: usize, generations: u64, regulated: bool) -> Self {
        Config {
            individuals,
            genes,
            generations,
            seed: 42,
            regulated,
            mutation_rate: 0.1,
            mutation_sigma: 0.05,
            density: 0.05,
            model: ExpressionModel::Linear {
                slope: 1.0,
                intercept: 0.1,
            },
            regulation: Regulation::Direct,
            selection: Selection::Proportional,
        }
    }
}

/// A sparse matrix in compressed rows: row `r` is `indices/weights[ptr[r]..ptr[r+1]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Csr {
    /// Row starts.
    pub ptr: Vec<usize>,
    /// Column of each entry, increasing within a row.
    pub indices: Vec<usize>,
    /// Value of each entry.
    pub weights: Vec<f64>,
}

impl Csr {
    /// A random g×g matrix: each off-diagonal entry present with probability
    /// `density`, weight uniform(−0.5, 0.5).
    pub fn random(g: usize, density: f64, rng: &mut Rng) -> Csr {
        let (mut ptr, mut indices, mut weights) = (vec![0], Vec::new(), Vec::new());
        for r in 0..g {
            for c in 0..g {
                if r != c && rng.chance(density) {
                    indices.push(c);
                    weights.push(rng.uniform(-0.5, 0.5));
                }
            }
            ptr.push(indices.len());
        }
        Csr {
            ptr,
            indices,
            weights,
        }
    }

    /// Row `r` times `x`, summed in column order.
    #[inline]
    pub fn row_dot(&self, r: usize, x: &[f64]) -> f64 {
        let (a, b) = (self.ptr[r], self.ptr[r + 1]);
        let mut s = 0.0;
        for (&i, &w) in self.indices[a..b].iter().zip(&self.weights[a..b]) {
            s += w * x[i];
        }
        s
    }
}

/// One generation's fitness summary.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Generation {
    /// Mean fitness.
    pub mean_fitness: f64,
    /// Best fitness.
    pub best_fitness: f64,
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GenesResult {
    /// Fitness per generation.
    pub generations: Vec<Generation>,
    /// Mutations applied.
    pub mutations: u64,
    /// Hash of the final levels (bits of every level, in order).
    pub state_hash: u64,
}

struct Gene {
    #[allow(dead_code)] // the original's per-gene name, kept for its memory
    name: String,
    level: f64,
}

struct Individual {
    genes: Vec<Gene>,
    fitness: f64,
}

enum Population {
    Lean {
        levels: Vec<f64>,
        next: Vec<f64>,
        fitness: Vec<f64>,
    },
    Naive {
        individuals: Vec<Individual>,
    },
}

/// The gene network.
pub struct Network {
    config: Config,
    rng: Rng,
    a: Csr,
    m: Csr,
    population: Population,
    history: Vec<Generation>,
    generation: u64,
    mutations: u64,
}

fn fitness_of(selection: Selection, m: &Csr, levels: &[f64]) -> f64 {
    let n = levels.len() as f64;
    let mean = levels.iter().sum::<f64>() / n;
    match selection {
        Selection::Proportional => mean,
        Selection::Threshold(theta) => {
            if mean >= theta {
                1.0
            } else {
                0.0
            }
        }
        Selection::Epistatic => {
            let mut quad = 0.0;
            for (r, &x) in levels.iter().enumerate() {
                quad += x * m.row_dot(r, levels);
            }
            mean + quad / n
        }
        Selection::MultiObjective => {
            let (mut s, mut w) = (0.0, 0.0);
            for (i, &x) in levels.iter().enumerate() {
                let wi = [1.0, 0.5, 0.25][i % 3];
                s += wi * x;
                w += wi;
            }
            s / w
        }
    }
}

impl Network {
    /// A population initialised uniform(0.5, 2.0), seed from the config.
    pub fn new(config: Config, variant: Variant) -> Network {
        let mut rng = Rng::new(config.seed);
        let (n, g) = (config.individuals, config.genes);
        let a = Csr::random(g, config.density, &mut rng);
        let m = Csr::random(g, config.density, &mut rng);
        let initial: Vec<f64> = (0..n * g).map(|_| rng.uniform(0.5, 2.0)).collect();
        let population = match variant {
            Variant::Lean => Population::Lean {
                next: vec![0.0; n * g],
                levels: initial,
                fitness: vec![0.0; n],
            },
            Variant::Naive => Population::Naive {
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
            },
        };
        Network {
            config,
            rng,
            a,
            m,
            population,
            history: Vec::with_capacity(config.generations as usize + 1),
            generation: 0,
            mutations: 0,
        }
    }

    /// The regulation matrix A.
    pub fn regulation(&self) -> &Csr {
        &self.a
    }

    /// Replaces A (for hand-computed checks).
    pub fn set_regulation(&mut self, a: Csr) {
        self.a = a;
    }

    /// Level of gene `j` of individual `i`.
    pub fn level(&self, i: usize, j: usize) -> f64 {
        match &self.population {
            Population::Lean { levels, .. } => levels[i * self.config.genes + j],
            Population::Naive { individuals } => individuals[i].genes[j].level,
        }
    }

    /// Generations run so far.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The latest generation's fitness summary.
    pub fn last(&self) -> Option<Generation> {
        self.history.last().copied()
    }

    /// Advances one generation.
    pub fn step(&mut self) {
        let c = self.config;
        let g = c.genes;
        let mut mutations = 0;
        let mutate = Rng::threshold(c.mutation_rate);
        let (mean, best) = match &mut self.population {
            Population::Lean {
                levels,
                next,
                fitness,
            } => {
                // (1) expression
                if c.regulated {
                    for (row, out) in levels.chunks(g).zip(next.chunks_mut(g)) {
                        for (j, o) in out.iter_mut().enumerate() {
                            *o = c.regulation.apply(&c.model, self.a.row_dot(j, row));
                        }
                    }
                } else {
                    next.fill(c.model.compute(0.0));
                }
                std::mem::swap(levels, next);
                // (2) fitness
                for (f, row) in fitness.iter_mut().zip(levels.chunks(g)) {
                    *f = fitness_of(c.selection, &self.m, row);
                }
                // (3) mutation
                for x in levels.iter_mut() {
                    if self.rng.hit(mutate) {
                        *x = (*x + self.rng.normal(c.mutation_sigma)).max(0.0);
                        mutations += 1;
                    }
                }
                summarise(fitness.iter().copied())
            }
            Population::Naive { individuals } => {
                // (1) expression, through a fresh matrix of the old levels
                let matrix: Vec<Vec<f64>> = individuals
                    .iter()
                    .map(|ind| ind.genes.iter().map(|gene| gene.level).collect())
                    .collect();
                for (ind, row) in individuals.iter_mut().zip(&matrix) {
                    let new_levels: Vec<f64> = if c.regulated {
                        (0..g)
                            .map(|j| c.regulation.apply(&c.model, self.a.row_dot(j, row)))
                            .collect()
                    } else {
                        vec![c.model.compute(0.0); g]
                    };
                    for (gene, level) in ind.genes.iter_mut().zip(new_levels) {
                        gene.level = level;
                    }
                }
                // (2) fitness, through a temporary vector per individual
                for ind in individuals.iter_mut() {
                    let row: Vec<f64> = ind.genes.iter().map(|gene| gene.level).collect();
                    ind.fitness = fitness_of(c.selection, &self.m, &row);
                }
                // (3) mutation
                for ind in individuals.iter_mut() {
                    for gene in ind.genes.iter_mut() {
                        if self.rng.hit(mutate) {
                            gene.level = (gene.level + self.rng.normal(c.mutation_sigma)).max(0.0);
                            mutations += 1;
                        }
                    }
                }
                summarise(individuals.iter().map(|i| i.fitness))
            }
        };
        self.mutations += mutations;
        self.history.push(Generation {
            mean_fitness: mean,
            best_fitness: best,
        });
        self.generation += 1;
    }

    /// Hash of every level's bits, in order.
    pub fn state_hash(&self) -> u64 {
        let (n, g) = (self.config.individuals, self.config.genes);
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for i in 0..n {
            for j in 0..g {
                h = (h ^ self.level(i, j).to_bits()).wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    }

    /// Runs every generation and returns the result.
    pub fn run(config: Config, variant: Variant) -> GenesResult {
        let mut net = Network::new(config, variant);
        for _ in 0..config.generations {
            net.step();
        }
        net.finish()
    }

    /// The result so far.
    pub fn finish(self) -> GenesResult {
        GenesResult {
            state_hash: self.state_hash(),
            generations: self.history,
            mutations: self.mutations,
        }
    }
}

fn summarise(f: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut sum, mut best, mut n) = (0.0, f64::MIN, 0usize);
    for x in f {
        sum += x;
        best = best.max(x);
        n += 1;
    }
    (sum / n.max(1) as f64, best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_and_lean_are_equal_to_the_bit() {
        for regulated in [false, true] {
            for selection in [
                Selection::Proportional,
                Selection::Threshold(0.4),
                Selection::Epistatic,
                Selection::MultiObjective,
            ] {
                let config = Config {
                    selection,
                    ..Config::new(30, 12, 8, regulated)
                };
                let lean = Network::run(config, Variant::Lean);
                let naive = Network::run(config, Variant::Naive);
                assert_eq!(lean, naive, "regulated {regulated}, {selection:?}");
                assert!(lean.mutations > 0);
            }
        }
    }

    #[test]
    fn regulated_expression_matches_a_hand_computation() {
        // 3 individuals × 4 genes; A by hand: gene 0 ← 0.5·g1, gene 1 ← −0.25·g3,
        // gene 2 ← 0.1·g0 + 0.2·g1, gene 3 ← nothing.
        let a = Csr {
            ptr: vec![0, 1, 2, 4, 4],
            indices: vec![1, 3, 0, 1],
            weights: vec![0.5, -0.25, 0.1, 0.2],
        };
        for variant in [Variant::Lean, Variant::Naive] {
            let config = Config {
                mutation_rate: 0.0,
                ..Config::new(3, 4, 1, true)
            };
            let mut net = Network::new(config, variant);
            net.set_regulation(a.clone());
            let before: Vec<Vec<f64>> = (0..3)
                .map(|i| (0..4).map(|j| net.level(i, j)).collect())
                .collect();
            net.step();
            for (i, x) in before.iter().enumerate() {
                // Linear model: max(0, 1.0·tf + 0.1).
                let expected = [
                    (0.5 * x[1] + 0.1f64).max(0.0),
                    (-0.25 * x[3] + 0.1f64).max(0.0),
                    (0.1 * x[0] + 0.2 * x[1] + 0.1f64).max(0.0),
                    0.1,
                ];
                for (j, e) in expected.iter().enumerate() {
                    assert!((net.level(i, j) - e).abs() < 1e-12, "{variant:?} ({i},{j})");
                }
            }
            // Proportional fitness is the row mean.
            let mean: f64 = (0..3)
                .map(|i| (0..4).map(|j| net.level(i, j)).sum::<f64>() / 4.0)
                .sum::<f64>()
                / 3.0;
            assert!((net.last().unwrap().mean_fitness - mean).abs() < 1e-12);
        }
    }

    #[test]
    fn the_mutation_frequency_is_the_rate_within_four_sigma() {
        // 1,000 × 100 genes × 10 generations = a million draws at rate 0.1.
        let config = Config::new(1_000, 100, 10, false);
        let r = Network::run(config, Variant::Lean);
        let (n, p) = (1_000_000.0, 0.1);
        let sigma = (n * p * (1.0f64 - p)).sqrt();
        assert!(
            (r.mutations as f64 - n * p).abs() < 4.0 * sigma,
            "{} mutations",
            r.mutations
        );
    }

    #[test]
    fn unregulated_expression_overwrites_mutations_with_the_model_value() {
        let mut net = Network::new(Config::new(5, 6, 2, false), Variant::Lean);
        net.step();
        net.step();
        // After step 2's expression every cell was 0.1; only mutations differ.
        let at_model = (0..5)
            .flat_map(|i| (0..6).map(move |j| (i, j)))
            .filter(|&(i, j)| net.level(i, j) == 0.1)
            .count();
        assert!(
            at_model >= 15,
            "most cells sit at the model value: {at_model}"
        );
    }

    #[test]
    fn models_compute_their_formulas() {
        let hill = ExpressionModel::Hill {
            v_max: 2.0,
            k: 1.0,
            n: 2.0,
        };
        assert!((hill.compute(1.0) - 1.0).abs() < 1e-12);
        assert_eq!(hill.compute(-1.0), 0.0);
        assert_eq!(ExpressionModel::Constant { level: 3.0 }.compute(9.0), 3.0);
        let lin = ExpressionModel::Linear {
            slope: 2.0,
            intercept: 3.0,
        };
        assert_eq!(Regulation::Additive(1.0).apply(&lin, 2.0), 5.0); // base 3 (tf 0) + 2
        assert_eq!(Regulation::Multiplicative(0.5).apply(&lin, 2.0), 6.0);
        assert_eq!(Regulation::Additive(-1.0).apply(&lin, 5.0), 0.0);
    }
}
