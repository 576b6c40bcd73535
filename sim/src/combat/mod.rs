//! The Vitality System combat build tester (seed 000): the rule data of
//! `simulation_v2/src/game_data.py`, the build enumeration of
//! `build_generator.py`, one attack (`combat.py`), one combat
//! (`simulation.py` `simulate_combat_verbose`), the three archetypes, and
//! batches with scoring, a ranking and combat logs (`core/build_tester.py`).
//!
//! - [`data`], [`builds`]: the tables and the enumeration.
//! - [`attack`]: characters and the eight-byte [`Attack`].
//! - [`arena`]: where a combat keeps its state, lean and naive.
//! - [`strike`]: one attack. [`mod@fight`]: one combat.
//! - [`batch`]: batches, scores, top N, threads. [`report`]: the output.
//! - [`single`]: one build from its label, tested alone.
//!
//! **Naive** plays every combat in a [`arena::NaiveArena`] rebuilt per
//! combat (a fresh enemy list with bleed-stack lists, a string-keyed state
//! map that test attacks deep-copy, history lists, a result list per area
//! attack) and keeps every build's result in a growing list sorted at the
//! end. **Lean** reuses one [`arena::LeanArena`] (fixed arrays, no heap) per
//! worker and folds results into a bounded heap of the top N, so it makes no
//! heap operation per combat once its heap exists. Both play the same
//! rules with the same random draws, so they rank identically.
//!
//! ## Deviations from the original, and why
//!
//! - **Dice.** The original draws d20s and d6s from two pre-rolled caches
//!   of 10,000 sharing one index and never reseeded, so batches repeat
//!   themselves (SIM_SPEC's quirk to fix). Here every combat has its own
//!   xoshiro stream seeded from (seed, build, scenario, run), which is also
//!   what makes results independent of the thread count.
//! - **Logging** only formats; it changes nothing. The original marks a
//!   logged dead enemy's `max_hp` as 0, which can alter later rules when
//!   logging is on; replays here play exactly the batch's combat.
//! - **Splinter on area attacks**: the original has a branch for it, but
//!   the tables forbid splinter on area attacks, so it is left out.
//! - **`attrition`, `infected`, `leech`**: commented out of the original's
//!   tables (or absent from them), so their branches never run and are
//!   left out.
//! - **Versatile master**: the original prunes single attacks (top 10% by
//!   one run per scenario) and keeps 50 per type before forming every
//!   multiset of three; the per-type count is a setting (`per_type`),
//!   because 300 attacks make 4.5 million loadouts.
//!
//! ## Quirks kept (the original's behaviour, which the rules text may not say)
//!
//! - Enemies strike back with up to 3 attacks (the rules say 2).
//! - Test attacks share the cooldown history: a dual-natured primary or an
//!   area attack with `cooldown` marks it used during the test, so its real
//!   attack falls back to a basic attack; a focused area build with
//!   `cooldown` never attacks.
//! - Versatile test attacks use the real combat state, spending charges.
//! - `defeated_this_turn` marks are set only by basic-attack kills and
//!   never cleared, so `slaughter` activates only after one and then stays
//!   active.
//! - A passive build's empower bonus is consumed by the next damage roll of
//!   anyone sharing the combat state, which is the enemies' attack the same
//!   turn, and cleared at the end of the turn.
//! - Every limit's bonus applies to accuracy as well as damage, whether or
//!   not the limit's condition was the reason the attack happened.
//! - Follow-up attacks (double tap, extra attack, barrage) re-check limits,
//!   so a `charges_1` or `cooldown` build's follow-ups deal nothing.
//! - Dual-natured expected damage adds the fallback bonus to the primary
//!   too.
//! - Attack-type restrictions apply to upgrades only (see [`builds`]).

pub mod arena;
pub mod attack;
pub mod batch;
pub mod builds;
pub mod data;
pub mod enemies;
pub mod fight;
pub mod log;
pub mod report;
pub mod single;
pub mod strike;

pub use attack::{Attack, Character};
pub use batch::{Batch, Config, Ranking};
pub use builds::{enumerate, Build};
pub use data::{budget, AttackType, LIMITS, UPGRADES};
pub use fight::{fight, Loadout, Match, Outcome};

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

impl Archetype {
    /// The original's name.
    pub fn name(self) -> &'static str {
        match self {
            Archetype::Focused => "focused",
            Archetype::DualNatured => "dual_natured",
            Archetype::VersatileMaster => "versatile_master",
        }
    }
}

impl std::str::FromStr for Archetype {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "focused" => Ok(Archetype::Focused),
            "dual_natured" => Ok(Archetype::DualNatured),
            "versatile_master" => Ok(Archetype::VersatileMaster),
            other => Err(format!(
                "unknown archetype `{other}`: use focused, dual_natured or versatile_master"
            )),
        }
    }
}

#[cfg(test)]
mod tests;
