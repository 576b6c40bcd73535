//! `allocguard-sim`: faithful Rust versions of five real programs whose
//! memory problems are described in allocguard's seed documents, each with a
//! *naive* variant (the original's allocation problem) and a *lean* one (no
//! heap operation in hot ticks). They are real tools for their users and
//! allocguard's proving ground: `sim/tests/allocguard.rs` holds their
//! scenarios.
//!
//! Every simulation is deterministic: one seed in, the same results and the
//! same allocation counts out, and both variants give the same domain
//! results for the same seed.

//!
//! One folder per simulation (`waves`, `combat`, `pairs`, `genes`,
//! `automaton`), each with its naive and lean parts apart where they differ;
//! `pairs` builds on `combat` (stage 2 plays the build tester's combat). The
//! tools they share sit below them: `variant`, `rng`, `outfiles`.
//! `tests/layers.rs` holds the folders to that order.

pub mod automaton;
pub mod combat;
pub mod genes;
pub mod outfiles;
pub mod pairs;
pub mod rng;
pub mod variant;
pub mod waves;

pub use variant::Variant;
