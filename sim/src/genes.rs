//! The gene network of happygene (seed 004): a population of individuals,
//! each with an expression level per gene, evolving by expression, selection
//! and point mutation, as `happygene/model.py`'s `GeneNetwork.step` runs it.
//!
//! Each generation: (1) expression; (2) fitness per individual from the
//! selection model, read before mutation; (3) point mutation: for every gene
//! a uniform draw below the rate (compared as raw bits: `Rng::hit`) adds
//! normal(0, σ) noise, clamped at 0; (4) the generation count rises. There is
//! no reproduction: the population never changes, as in the original.
//!
//! Expression, as the original's three cases:
//!
//! - **No network**: every cell takes `max(0, model(conditions))`, which
//!   overwrites last generation's mutations.
//! - **A network and a plain model** (linear, Hill, constant): the original
//!   computes `tf = A · levels` and then ignores it (`model.py`'s fallback
//!   for models without a regulatory layer), so every cell is again
//!   `max(0, model(conditions))`. This *quirk* is kept: a plain model is
//!   never regulated, network or not.
//! - **A network and a composite model** (base + additive or multiplicative
//!   regulation): each gene becomes `max(0, base + w·tf)` or
//!   `max(0, base·(1 + w·tf))`, with `base = model(conditions)` and
//!   `tf = A · levels` (A sparse, row = target gene, no self loops; random at
//!   density d with weights uniform(−0.5, 0.5), as `examples/benchmark.py`
//!   builds one).
//!
//! `conditions` is the original's `Conditions.tf_concentration` (default 0),
//! the input every model reads. Selection: proportional (the mean level),
//! threshold (1 when the mean reaches θ), epistatic (`mean + xᵀMx/n` with the
//! user's dense n×n matrix M; not divided when n = 1) and multi-objective
//! (`Σwᵢxᵢ / Σwᵢ` with the user's n non-negative weights; 0 when they sum to
//! 0). "Best fitness" is the largest individual fitness of the generation:
//! happygene reports only the mean, so that figure is `sim`'s.
//!
//! - [`Variant::Naive`] keeps the original's objects: a `Gene { name: String,
//!   level }` per gene per individual, a fresh matrix every step (and the
//!   network's tf computed even when a plain model ignores it) and temporary
//!   vectors per individual.
//! - [`Variant::Lean`] keeps two preallocated matrices swapped each step, the
//!   regulation in CSR form and a preallocated fitness vector: no heap
//!   operation per step.
//!
//! Both draw random numbers in the same order (individual by individual,
//! gene by gene: one uniform, then a normal when it mutates) and sum in the
//! same order, so their results are equal to the bit. Deviations: numpy draws
//! an individual's uniforms, then its normals, in bulk (the distributions are
//! the same); numpy's mean sums pairwise (the last bits may differ); the
//! random network's entries are drawn target-major where `benchmark.py`
//! loops source-major (the same distribution); the lean step runs on one
//! thread.

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

/// A regulatory layer over the base model (happygene's composite models).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub enum Regulation {
    /// A plain model: the network, if any, is ignored (the original's quirk).
    None,
    /// `max(0, base + w·tf)`.
    Additive(f64),
    /// `max(0, base·(1 + w·tf))`.
    Multiplicative(f64),
}

impl Regulation {
    /// A gene's level from the base model's value and its tf input.
    #[inline]
    pub fn apply(&self, base: f64, tf: f64) -> f64 {
        match *self {
            Regulation::None => base.max(0.0),
            Regulation::Additive(w) => (base + w * tf).max(0.0),
            Regulation::Multiplicative(w) => (base * (1.0 + w * tf)).max(0.0),
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
    /// The mean plus `xᵀMx/n`, M the user's matrix ([`SelectionData`]).
    Epistatic,
    /// `Σwᵢxᵢ / Σwᵢ`, w the user's weights ([`SelectionData`]).
    MultiObjective,
}

/// What epistatic and multi-objective selection read: the user's n×n
/// interaction matrix (row-major) and n objective weights.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SelectionData {
    /// The interaction matrix, row-major, n×n.
    pub matrix: Option<Vec<f64>>,
    /// One non-negative weight per gene.
    pub weights: Option<Vec<f64>>,
}

impl SelectionData {
    /// Reads numbers separated by whitespace or commas (lines starting with
    /// `#` skipped), as a matrix file or a weights file holds them.
    pub fn read_numbers(path: &std::path::Path) -> Result<Vec<f64>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            for tok in line.split(|c: char| c == ',' || c.is_whitespace()) {
                if tok.is_empty() {
                    continue;
                }
                let v: f64 = tok.parse().map_err(|_| {
                    format!("{}:{}: `{tok}` is not a number", path.display(), n + 1)
                })?;
                if !v.is_finite() {
                    return Err(format!(
                        "{}:{}: `{tok}` is not finite",
                        path.display(),
                        n + 1
                    ));
                }
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Checks the data `selection` needs against `genes`, saying what is
    /// missing or wrong.
    pub fn check(&self, selection: Selection, genes: usize) -> Result<(), String> {
        match selection {
            Selection::Epistatic => match &self.matrix {
                None => Err("epistatic selection needs the interaction matrix (--matrix FILE: n×n numbers)".into()),
                Some(m) if m.len() != genes * genes => Err(format!(
                    "the interaction matrix has {} numbers; {genes} genes need {genes}×{genes} = {}",
                    m.len(),
                    genes * genes
                )),
                Some(_) => Ok(()),
            },
            Selection::MultiObjective => match &self.weights {
                None => Err("multi-objective selection needs the weights (--weights FILE: one per gene)".into()),
                Some(w) if w.len() != genes => Err(format!(
                    "{} objective weights for {genes} genes: give one per gene",
                    w.len()
                )),
                Some(w) if w.iter().any(|&x| x < 0.0) => {
                    Err("objective weights must not be negative".into())
                }
                Some(_) => Ok(()),
            },
            _ => Ok(()),
        }
    }
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
    /// Whether the population has a regulatory network A (it acts only
    /// through a composite model: see [`Regulation`]).
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
    /// The conditions' `tf_concentration`, every model's input.
    pub tf: f64,
    /// Initial levels: uniform in `[lo, hi)`, or `lo` when equal.
    pub init: (f64, f64),
}

impl Config {
    /// happygene's memory-profile test (`tests/test_memory_profile.py`, the
    /// seed document's setting): linear (1.0, 0.1), proportional selection,
    /// rate 0.1, σ 0.05, levels uniform(0.5, 2.0), seed 42. `regulated`
    /// adds a network of density 0.05 acting through an additive layer of
    /// weight 0.5 (`examples/regulatory_network_advanced.py`'s composite);
    /// without it, the network would be ignored (see [`Regulation::None`]).
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
            regulation: if regulated {
                Regulation::Additive(0.5)
            } else {
                Regulation::None
            },
            selection: Selection::Proportional,
            tf: 0.0,
            init: (0.5, 2.0),
        }
    }

    /// happygene's README "5-minute example" (`examples/regulatory_network.py`):
    /// 50 individuals × 5 genes, Hill (v_max 1, k 0.5, n 2) at tf 0.7,
    /// threshold selection at 0.4, rate 0.2, σ 0.1, levels 0.5, 150
    /// generations, seed 42, no network.
    pub fn readme() -> Self {
        Config {
            mutation_rate: 0.2,
            mutation_sigma: 0.1,
            model: ExpressionModel::Hill {
                v_max: 1.0,
                k: 0.5,
                n: 2.0,
            },
            selection: Selection::Threshold(0.4),
            tf: 0.7,
            init: (0.5, 0.5),
            ..Config::new(50, 5, 150, false)
        }
    }

    /// The base model's value at the configured conditions.
    pub fn base(&self) -> f64 {
        self.model.compute(self.tf)
    }

    /// Whether the network changes anything: a network and a composite model.
    pub fn network_acts(&self) -> bool {
        self.regulated && self.regulation != Regulation::None
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
    data: SelectionData,
    population: Population,
    history: Vec<Generation>,
    generation: u64,
    mutations: u64,
}

/// The mean of `xs`, taken about the first value (`x₀ + Σ(xᵢ − x₀)/n`), so
/// that equal values have exactly their value as mean (a left-to-right sum
/// of a hundred 0.1s, divided by 100, is not 0.1).
fn mean_of(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut first, mut dev, mut n) = (None, 0.0, 0usize);
    for x in xs {
        let x0 = *first.get_or_insert(x);
        dev += x - x0;
        n += 1;
    }
    first.map_or(0.0, |x0| x0 + dev / n as f64)
}

fn fitness_of(selection: Selection, data: &SelectionData, levels: &[f64]) -> f64 {
    let n = levels.len();
    let mean = mean_of(levels.iter().copied());
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
            let m = data
                .matrix
                .as_deref()
                .expect("checked when the network was made");
            let mut quad = 0.0;
            for (r, &x) in levels.iter().enumerate() {
                let row = &m[r * n..(r + 1) * n];
                quad += x * row.iter().zip(levels).map(|(w, y)| w * y).sum::<f64>();
            }
            if n > 1 {
                quad /= n as f64;
            }
            mean + quad
        }
        Selection::MultiObjective => {
            let w = data
                .weights
                .as_deref()
                .expect("checked when the network was made");
            let total: f64 = w.iter().sum();
            if total == 0.0 {
                return 0.0;
            }
            w.iter().zip(levels).map(|(w, x)| w * x).sum::<f64>() / total
        }
    }
}

impl Network {
    /// A population for a selection that needs no data (proportional,
    /// threshold).
    ///
    /// # Panics
    /// For epistatic or multi-objective selection: use [`Network::with_data`].
    pub fn new(config: Config, variant: Variant) -> Network {
        Network::with_data(config, variant, SelectionData::default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A population with the data its selection reads; the error says what
    /// is missing or does not fit. Levels start as [`Config::init`] says;
    /// the network (when regulated) is drawn first, from the same seed.
    pub fn with_data(
        config: Config,
        variant: Variant,
        data: SelectionData,
    ) -> Result<Network, String> {
        data.check(config.selection, config.genes)?;
        let mut rng = Rng::new(config.seed);
        let (n, g) = (config.individuals, config.genes);
        let a = if config.regulated {
            Csr::random(g, config.density, &mut rng)
        } else {
            Csr {
                ptr: vec![0; g + 1],
                indices: Vec::new(),
                weights: Vec::new(),
            }
        };
        let (lo, hi) = config.init;
        let initial: Vec<f64> = (0..n * g)
            .map(|_| if hi > lo { rng.uniform(lo, hi) } else { lo })
            .collect();
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
        Ok(Network {
            config,
            rng,
            a,
            data,
            population,
            history: Vec::with_capacity(config.generations as usize + 1),
            generation: 0,
            mutations: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every generation's fitness so far.
    pub fn history(&self) -> &[Generation] {
        &self.history
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
                // (1) expression (a plain model ignores the network, so the
                // fix skips computing its tf)
                let base = c.base();
                if c.network_acts() {
                    for (row, out) in levels.chunks(g).zip(next.chunks_mut(g)) {
                        for (j, o) in out.iter_mut().enumerate() {
                            *o = c.regulation.apply(base, self.a.row_dot(j, row));
                        }
                    }
                } else {
                    next.fill(base.max(0.0));
                }
                std::mem::swap(levels, next);
                // (2) fitness
                for (f, row) in fitness.iter_mut().zip(levels.chunks(g)) {
                    *f = fitness_of(c.selection, &self.data, row);
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
                let base = c.base();
                for (ind, row) in individuals.iter_mut().zip(&matrix) {
                    let new_levels: Vec<f64> = if c.regulated {
                        // The original computes every tf, then a plain
                        // model ignores them.
                        let tf: Vec<f64> = (0..g).map(|j| self.a.row_dot(j, row)).collect();
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
                    ind.fitness = fitness_of(c.selection, &self.data, &row);
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

fn summarise(f: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let best = f.clone().fold(f64::MIN, f64::max);
    (mean_of(f), best)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pseudo-random matrix and weights for `g` genes.
    fn data(g: usize) -> SelectionData {
        let mut rng = Rng::new(5);
        SelectionData {
            matrix: Some((0..g * g).map(|_| rng.uniform(-0.5, 0.5)).collect()),
            weights: Some((0..g).map(|_| rng.uniform(0.0, 1.0)).collect()),
        }
    }

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
                let run = |variant| {
                    let mut net = Network::with_data(config, variant, data(12)).unwrap();
                    for _ in 0..8 {
                        net.step();
                    }
                    net.finish()
                };
                let (lean, naive) = (run(Variant::Lean), run(Variant::Naive));
                assert_eq!(lean, naive, "regulated {regulated}, {selection:?}");
                assert!(lean.mutations > 0);
            }
        }
    }

    #[test]
    fn a_plain_model_ignores_the_network_so_fitness_is_exactly_the_model_value() {
        // The memory-profile setting with a network and a plain linear model:
        // every gene is max(0, 1.0·0 + 0.1) = 0.1 after expression, so the
        // proportional fitness (read before mutation) is 0.1 every generation.
        let config = Config {
            regulated: true,
            regulation: Regulation::None,
            ..Config::new(40, 10, 12, false)
        };
        for variant in [Variant::Lean, Variant::Naive] {
            let r = Network::run(config, variant);
            assert_eq!(r.generations.len(), 12);
            for g in &r.generations {
                assert_eq!((g.mean_fitness, g.best_fitness), (0.1, 0.1), "{variant:?}");
            }
            assert!(r.mutations > 0, "mutations happen, and are overwritten");
        }
    }

    /// happygene (heymumford/happygene at cad16c9) on a composite model:
    /// linear (1.0, 0.1) + additive regulation 0.5, a random network of
    /// density 0.3 built by its `examples/benchmark.py`
    /// (`create_regulatory_network(20, 0.3, seed)`), 200 individuals × 20
    /// genes at uniform(0.5, 2.0), proportional selection, point mutation
    /// 0.1 / 0.05, seeds 1-12, `GeneNetwork.step` then
    /// `compute_mean_fitness()`: per generation, the mean over the seeds and
    /// its standard error.
    /// Without the network (a plain model) every generation would be 0.1,
    /// ten standard errors below the first.
    const HAPPYGENE_COMPOSITE: [(f64, f64); 5] = [
        (0.19495, 0.00916),
        (0.10328, 0.00440),
        (0.09777, 0.00137),
        (0.09719, 0.00173),
        (0.09645, 0.00147),
    ];

    #[test]
    fn a_composite_model_agrees_with_happygene_within_three_standard_errors() {
        let runs: Vec<Vec<f64>> = (1..=12)
            .map(|seed| {
                let config = Config {
                    seed,
                    density: 0.3,
                    ..Config::new(200, 20, 5, true)
                };
                assert_eq!(config.regulation, Regulation::Additive(0.5));
                Network::run(config, Variant::Lean)
                    .generations
                    .iter()
                    .map(|g| g.mean_fitness)
                    .collect()
            })
            .collect();
        for (gen, &(theirs, their_se)) in HAPPYGENE_COMPOSITE.iter().enumerate() {
            let xs: Vec<f64> = runs.iter().map(|r| r[gen]).collect();
            let n = xs.len() as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let se = (their_se.powi(2) + (sd / n.sqrt()).powi(2)).sqrt();
            assert!(
                (mean - theirs).abs() <= 3.0 * se,
                "generation {}: {mean:.5} here, {theirs:.5} in happygene (3 SE = {:.5})",
                gen + 1,
                3.0 * se
            );
        }
    }

    #[test]
    fn the_readme_example_gives_fitness_one_every_generation() {
        // Hill(1, 0.5, 2) at tf 0.7: 0.49 / (0.25 + 0.49) = 0.6622 ≥ 0.4.
        let c = Config::readme();
        assert!((c.base() - 0.49 / 0.74).abs() < 1e-15);
        let r = Network::run(c, Variant::Lean);
        assert_eq!(r.generations.len(), 150);
        assert!(r
            .generations
            .iter()
            .all(|g| g.mean_fitness == 1.0 && g.best_fitness == 1.0));
    }

    #[test]
    fn a_composite_model_regulates_through_the_network_by_hand() {
        // 3 individuals × 4 genes; A by hand: gene 0 ← 0.5·g1, gene 1 ← −0.25·g3,
        // gene 2 ← 0.1·g0 + 0.2·g1, gene 3 ← nothing.
        let a = Csr {
            ptr: vec![0, 1, 2, 4, 4],
            indices: vec![1, 3, 0, 1],
            weights: vec![0.5, -0.25, 0.1, 0.2],
        };
        for (regulation, f) in [
            (
                Regulation::Additive(0.5),
                (|tf: f64| (0.1 + 0.5 * tf).max(0.0)) as fn(f64) -> f64,
            ),
            (Regulation::Multiplicative(2.0), |tf: f64| {
                (0.1 * (1.0 + 2.0 * tf)).max(0.0)
            }),
        ] {
            for variant in [Variant::Lean, Variant::Naive] {
                let config = Config {
                    mutation_rate: 0.0,
                    regulation,
                    ..Config::new(3, 4, 1, true)
                };
                let mut net = Network::new(config, variant);
                net.set_regulation(a.clone());
                let before: Vec<Vec<f64>> = (0..3)
                    .map(|i| (0..4).map(|j| net.level(i, j)).collect())
                    .collect();
                net.step();
                for (i, x) in before.iter().enumerate() {
                    let tf = [0.5 * x[1], -0.25 * x[3], 0.1 * x[0] + 0.2 * x[1], 0.0];
                    for (j, t) in tf.iter().enumerate() {
                        let e = f(*t);
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
    }

    #[test]
    fn epistatic_and_multi_objective_fitness_follow_their_formulas() {
        let x = [1.0, 2.0];
        let data = SelectionData {
            matrix: Some(vec![0.1, 0.2, 0.3, 0.4]),
            weights: Some(vec![3.0, 1.0]),
        };
        // mean 1.5; xᵀMx = 0.1 + 2·(0.2 + 0.3) + 4·0.4 = 2.7, over n = 2.
        let e = fitness_of(Selection::Epistatic, &data, &x);
        assert!((e - (1.5 + 2.7 / 2.0)).abs() < 1e-12);
        // (3·1 + 1·2) / 4.
        assert_eq!(fitness_of(Selection::MultiObjective, &data, &x), 1.25);
        // One gene: not divided by n.
        let one = SelectionData {
            matrix: Some(vec![0.5]),
            weights: Some(vec![0.0]),
        };
        assert_eq!(fitness_of(Selection::Epistatic, &one, &[2.0]), 2.0 + 2.0);
        assert_eq!(fitness_of(Selection::MultiObjective, &one, &[2.0]), 0.0);
    }

    #[test]
    fn missing_or_misfit_selection_data_is_named() {
        let c = |selection| Config {
            selection,
            ..Config::new(2, 3, 1, false)
        };
        let err = |config, data| {
            Network::with_data(config, Variant::Lean, data)
                .err()
                .unwrap()
        };
        assert!(err(c(Selection::Epistatic), SelectionData::default()).contains("--matrix FILE"));
        let m = SelectionData {
            matrix: Some(vec![0.0; 4]),
            weights: Some(vec![1.0, -1.0, 1.0]),
        };
        assert!(err(c(Selection::Epistatic), m.clone()).contains("3 genes need 3×3 = 9"));
        assert!(err(c(Selection::MultiObjective), m).contains("must not be negative"));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.txt");
        std::fs::write(&p, "# a matrix\n1, 2\n3 x\n").unwrap();
        let e = SelectionData::read_numbers(&p).unwrap_err();
        assert!(e.ends_with("m.txt:3: `x` is not a number"), "{e}");
        std::fs::write(&p, "1, 2\n-3\t4.5\n").unwrap();
        assert_eq!(
            SelectionData::read_numbers(&p).unwrap(),
            [1.0, 2.0, -3.0, 4.5]
        );
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
        assert_eq!(lin.compute(1.0), 5.0);
        assert_eq!(Regulation::Additive(1.0).apply(3.0, 2.0), 5.0);
        assert_eq!(Regulation::Multiplicative(0.5).apply(3.0, 2.0), 6.0);
        assert_eq!(Regulation::Additive(-1.0).apply(3.0, 5.0), 0.0);
        assert_eq!(Regulation::None.apply(3.0, 100.0), 3.0);
    }
}
