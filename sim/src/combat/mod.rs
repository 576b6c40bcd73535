//! The Vitality System combat build tester (seed 000): its rule data and
//! build enumeration.
//!
//! This module is in progress. It holds the game data of
//! `simulation_v2/src/game_data.py` and the build enumeration of
//! `build_generator.py`, tested against an independent brute-force
//! enumeration and counts worked out by hand. The combat itself (one
//! attack, the turn loop, the archetypes), batches, scoring and reports come
//! next, with the naive and lean variants and the scenarios.

pub mod builds;
pub mod data;

pub use builds::{enumerate, Build};
pub use data::{budget, AttackType, LIMITS, UPGRADES};

/// How a character spends points on attacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Archetype {
    /// One attack with the whole budget.
    Focused,
    /// A primary attack and a basic fallback.
    DualNatured,
    /// Several smaller attacks, chosen by situation.
    VersatileMaster,
}
