//! Stage-2 attack pairing (`simulation_v3/stage1_pruning.py`,
//! `stage2_pairing.py`): every attack of a budget tested alone, pruned to
//! the best of each enhancement, then sampled pairs played with
//! *intelligent selection* against two defensive profiles, each pair's
//! result streamed to checksummed shard files ([`crate::pairs::shards`]) for the
//! reducer ([`crate::pairs::reducer`]). Stage 1 writes the original's reports,
//! its cache of pruned attacks and the top 50's combat logs
//! ([`crate::pairs::reports`]); `sim pairs` runs both stages and the
//! reduction in one command, as the original's `main.py`.
//!
//! **Naive** plays in a fresh [`NaiveArena`](crate::combat::arena::NaiveArena) per combat and holds a shard's
//! results in a list until the shard is complete; **lean** reuses one
//! [`LeanArena`](crate::combat::arena::LeanArena) and writes each result straight through the shard's
//! buffered writer (every shard is opened before the first pair), so it
//! makes no heap operation per pair.
//!
//! ## Deviations from the original, and why
//!
//! - **Dice**: seeded per combat, as in [`crate::combat`].
//! - **`make_attack`'s return**: stage 2 unpacks two values from a function
//!   that returns three, which raises in the original at its latest commit;
//!   the intent (damage and conditions) is what is played here.
//! - **Pair sampling**: `random.sample` with seed 42 becomes Floyd's
//!   sampling on this crate's generator: the same count per attack
//!   (`max(1, ⌊0.5% of later attacks⌋)`), different partners.
//! - **Ties in pruning** are broken by attack index (the original's come
//!   from iterating a set).
//! - **Stage 1's stride**: smaller scales test every Nth attack only.
//!
//! ## Quirks kept
//!
//! - Stage 2 records every turn as "not charged" (its own simplification),
//!   so charge-up attacks never get past charging.
//! - Its combat state is never updated between turns (no enemy attacks, no
//!   last-turn flags, channeled never builds up, the attacker stays at full
//!   HP), so state limits read their initial values.
//! - The selection score looks for `boss_slayer_acc`/`_dmg` and
//!   `minion_slayer_acc`/`_dmg`, names no upgrade has, so slayers never
//!   score; `critical_accuracy` likewise.
//! - Bleed lasts 2 turns here; finishing blow, culling strike, explosive
//!   critical and splinter effects are not applied by stage 2's loop.
//! - Synergy compares the pair's average (25-turn limit, no enemy attacks)
//!   with the stage-1 solo averages (100 turns, enemies strike back).
//! - Enhancement-based pruning keeps no attack without an enhancement.

pub mod catalogue;
mod config;
pub mod reducer;
pub mod reports;
mod selection;
pub mod shards;
mod stage1;
mod stage2;
#[cfg(test)]
mod tests;

pub use config::{Config, Profile, PROFILES, STAGE2_SCENARIOS};
pub use selection::{evaluate_pair, play_pair, Traits};
pub use stage1::{
    catalogue, enhancement_cuts, prune, solo, stage1, stage1_counted, EnhancementCut, Pruned, Solo,
};
pub use stage2::{sample_pairs, Pairing};
