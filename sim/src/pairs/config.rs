//! What stage 1 and stage 2 run: the attacker, the two defensive
//! profiles, stage 2's enemy groups, the counts and the seed.

use crate::Variant;

pub use crate::combat::enemies::{
    Profile, SIMULATION_V3 as STAGE2_SCENARIOS, SIMULATION_V3_PROFILES as PROFILES,
};

/// What to run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Config {
    /// Points per attack (tier 4 dual natured: 6).
    pub points: u32,
    /// The attacker: `[focus, power, mobility, endurance, tier]`.
    pub attacker: [i32; 5],
    /// The enemies' stats against each profile (evasive, tanky), same order.
    pub profiles: [[i32; 5]; 2],
    /// Stage 1 runs per profile and scenario (3).
    pub stage1_runs: u32,
    /// Stage 1 tests every Nth attack (1: all).
    pub stride: usize,
    /// Fraction kept per enhancement (0.2).
    pub enhancement_percent: f64,
    /// Stage 2 runs per profile and scenario (2).
    pub stage2_runs: u32,
    /// Stage 2 turn limit (25).
    pub max_turns: i32,
    /// Fraction of later attacks each attack is paired with (0.005).
    pub sample_percent: f64,
    /// Seed.
    pub seed: u64,
    /// Shard files.
    pub shards: usize,
    /// Most pairs played (the original's `max_pairs`); the first ones in
    /// pair order are kept.
    pub max_pairs: usize,
    /// Allocation behaviour.
    pub variant: Variant,
}

impl Config {
    /// `simulation_v3/config.json`.
    pub fn original() -> Config {
        Config {
            points: 6,
            attacker: [2, 2, 2, 2, 4],
            profiles: [PROFILES[0].stats, PROFILES[1].stats],
            stage1_runs: 3,
            stride: 1,
            enhancement_percent: 0.2,
            stage2_runs: 2,
            max_turns: 25,
            sample_percent: 0.005,
            seed: 42,
            shards: 8,
            max_pairs: 100_000_000,
            variant: Variant::Lean,
        }
    }
}
