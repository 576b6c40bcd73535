//! The population run generation by generation, in either variant.

use super::lean::LeanPopulation;
use super::model::{Config, Csr, Generation, GenesResult, SelectionData};
use super::naive::NaivePopulation;
use crate::rng::Rng;
use crate::Variant;

enum Population {
    Lean(LeanPopulation),
    Naive(NaivePopulation),
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
            Variant::Lean => Population::Lean(LeanPopulation::new(initial, n, g)),
            Variant::Naive => Population::Naive(NaivePopulation::new(&initial, g)),
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
            Population::Lean(p) => p.level(i, j, self.config.genes),
            Population::Naive(p) => p.level(i, j),
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
        let (mean, best, mutations) = match &mut self.population {
            Population::Lean(p) => p.step(&self.config, &self.a, &self.data, &mut self.rng),
            Population::Naive(p) => p.step(&self.config, &self.a, &self.data, &mut self.rng),
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
