//! What a gene network is and how it is judged: the expression models, the
//! regulation, the selection, the configuration, the sparse network, and the
//! fitness of one individual's levels. Shared by both variants.

use crate::rng::Rng;

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

/// The mean of `xs`, taken about the first value (`x₀ + Σ(xᵢ − x₀)/n`), so
/// that equal values have exactly their value as mean (a left-to-right sum
/// of a hundred 0.1s, divided by 100, is not 0.1).
pub(super) fn mean_of(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut first, mut dev, mut n) = (None, 0.0, 0usize);
    for x in xs {
        let x0 = *first.get_or_insert(x);
        dev += x - x0;
        n += 1;
    }
    first.map_or(0.0, |x0| x0 + dev / n as f64)
}

pub(super) fn fitness_of(selection: Selection, data: &SelectionData, levels: &[f64]) -> f64 {
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

/// The mean and best of `f`.
pub(super) fn summarise(f: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let best = f.clone().fold(f64::MIN, f64::max);
    (mean_of(f), best)
}
