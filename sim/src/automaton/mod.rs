//! The self-modifying JSONL automaton (seed 003), as bthornemail/automaton's
//! continuous runner (`evolutions/continuous-automaton/continuous-automaton.ts`)
//! drives `AdvancedSelfReferencingAutomaton`
//! (`evolutions/advanced-automaton/advanced-automaton.ts`): a file of JSON
//! objects, one per line, and an action every iteration.
//!
//! # The runner's rules
//!
//! - **Actions by iteration, then by dimension.** Iteration `i` (from 0)
//!   self-modifies when `i % 20 == 0`, else self-ios when `i % 15 == 0`, else
//!   validates itself when `i % 10 == 0`, else self-trains when `i % 8 == 0`;
//!   otherwise one draw `r` decides by the current dimension: d0 self-reference
//!   if `r > 0.7`, d2 self-modify if `r > 0.6`, d4 self-io if `r > 0.5`, d6
//!   self-train if `r > 0.4`, d7 self-observe if `r > 0.3`, else (and in any
//!   other dimension) evolve.
//! - **No automaton, no action.** An action runs only when the objects hold a
//!   `type: "automaton"` object of the current dimension; otherwise the
//!   iteration does nothing (the original returns early). A new file is
//!   therefore started with the kernel's eight automata (`0D-automaton` to
//!   `7D-automaton`, states `identity` to `quantum`), as
//!   `automaton-kernel.jsonl` holds them.
//! - **Evolution steps twice** (a quirk, kept): `executeEvolution` moves to
//!   `(d + 1) % 8` and writes `"<n>D-topology"` for that dimension, then the
//!   runner's `progressDimension` adds 1 again. Only dimensions 0, 2, 4 and 6
//!   are ever current, the topology objects are those of 1, 3, 5 and 7 (their
//!   ids repeat), and self-observe can never fire.
//! - **Self-io is `load()`**: the objects are *replaced* by the file's, each
//!   id's latest line winning, so whatever was made since the last save is
//!   lost. Validate-self and self-train only read (the execution history they
//!   read stays empty: the runner never pushes to it).
//! - **Saves** at iterations 0, 25, 50, …: the original's `save()` keeps one
//!   object per id (at its last position, with its first copy's fields) and
//!   rewrites the whole file. `sim` also saves when the run ends, which the
//!   original does not (its last up to 24 iterations' objects were never
//!   written): the file then holds everything the run made.
//! - **Objects** are the original's, field for field: `id`, `type: "text"`,
//!   `currentState` (`modified`, `referencing`, `evolved`),
//!   `dimensionalLevel`, `selfReference` (`file`, `line` = the number of
//!   objects before it, `pattern`), `x`, `y`, `width`, `height`, `color` (`"1"`
//!   to `"8"`), `text`; ids `modification-<ms>`, `self-ref-<ms>` and
//!   `<n>D-topology`. Whole numbers are written without a decimal point, as
//!   JavaScript writes them. Fields `sim` does not know (edges' `fromNode`,
//!   `provenanceHistory`, …) are kept as they were read. The `text` of each
//!   object is `sim`'s own Scheme-like snippet of the original's length, not
//!   the original's prose.
//!
//! Choices where the original is silent or cannot be followed: the clock is
//! simulated, starting at 1,762,634,818,910 ms (the first id of the
//! repository's `automaton.jsonl`) and advancing 0.4 ms an iteration, since
//! `sim` runs iterations back to back where the original slept 2 s between
//! them (so its own ids rarely collided); the original's `provenanceHistory`
//! and its keeping of cross-file duplicates are not reproduced.
//!
//! # Variants
//!
//! Both take the same actions in the same dimensions (the domain result).
//!
//! - [`Variant::Naive`](crate::Variant::Naive) is the leak seed 003 investigates: ids from the
//!   millisecond clock (objects made within one millisecond share an id),
//!   the memory-optimized fork's execution history as an unbounded list of
//!   strings, a memory snapshot allocated every iteration and never
//!   released, saves that rewrite the whole file, and self-io that re-reads
//!   and re-parses all of it with a linear duplicate search per object.
//! - [`Variant::Lean`](crate::Variant::Lean) is the fix: monotonic ids (the clock, bumped past the
//!   last id used), the history in a preallocated ring of 500, the runner's
//!   objects capped at 2,000 by trimming the oldest (the kernel's automata
//!   are never trimmed: the runner would stop), an id index for
//!   de-duplication, append-only saves, and self-io that restores the state
//!   of the last save without re-reading the file, which holds exactly that
//!   state (it re-reads in full when the file is not as it left it). Read by
//!   `load()`, its file gives each id its latest copy.
//!
//! # Files
//!
//! An existing `--file` is continued only if it is an automaton file: every
//! line blank, an `@` header, or a JSON object with an `id` and a `type`.
//! Anything else (a text file, other JSON) is refused before a byte is
//! written. Saves that rewrite the file write a temporary file beside it and
//! rename it into place.

mod action;
mod lean;
mod naive;
mod object;
mod runner;
#[cfg(test)]
mod tests;

pub use action::{choose, Action};
pub use object::{check_file, load, Object};
pub use runner::{Automaton, AutomatonResult};

/// Most runner-made objects the lean variant keeps.
pub const MAX_OBJECTS: usize = 2_000;
/// Most history entries the lean variant keeps.
pub const MAX_HISTORY: usize = 500;
/// Iterations between saves.
pub const SAVE_EVERY: u64 = 25;
/// The simulated clock's start, in ms since the Unix epoch.
pub const CLOCK_START_MS: u64 = 1_762_634_818_910;
/// Simulated time per iteration, µs.
pub const CLOCK_STEP_US: u64 = 400;
