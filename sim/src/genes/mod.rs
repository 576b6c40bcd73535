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
//! - [`Variant::Naive`](crate::Variant::Naive) keeps the original's objects: a `Gene { name: String,
//!   level }` per gene per individual, a fresh matrix every step (and the
//!   network's tf computed even when a plain model ignores it) and temporary
//!   vectors per individual.
//! - [`Variant::Lean`](crate::Variant::Lean) keeps two preallocated matrices swapped each step, the
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

mod lean;
mod model;
mod naive;
mod network;
#[cfg(test)]
mod tests;

pub use model::{
    Config, Csr, ExpressionModel, Generation, GenesResult, Regulation, Selection, SelectionData,
};
pub use network::Network;
