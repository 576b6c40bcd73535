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

pub mod automaton;
pub mod catalogue;
pub mod combat;
pub mod genes;
pub mod outfiles;
pub mod pair_reports;
pub mod pairs;
pub mod reducer;
pub mod rng;
pub mod shards;
pub mod waves;

/// Which allocation behaviour a simulation has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Variant {
    /// The original program's allocation pattern: fresh objects per tick,
    /// string keys, unbounded history, load-everything-then-sort.
    Naive,
    /// The fix: allocates during setup and warm-up only; hot ticks make no
    /// heap operation, and memory does not grow with run length or data size.
    Lean,
}

impl Variant {
    /// The variant named by `SIM_VARIANT` (`naive` or `lean`), lean when unset.
    pub fn from_env() -> Result<Variant, String> {
        match std::env::var("SIM_VARIANT").as_deref() {
            Err(_) | Ok("") | Ok("lean") => Ok(Variant::Lean),
            Ok("naive") => Ok(Variant::Naive),
            Ok(other) => Err(format!("SIM_VARIANT={other}: use naive or lean")),
        }
    }

    /// `naive` or `lean`.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Naive => "naive",
            Variant::Lean => "lean",
        }
    }
}

impl std::str::FromStr for Variant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "naive" => Ok(Variant::Naive),
            "lean" => Ok(Variant::Lean),
            other => Err(format!("unknown variant `{other}`: use naive or lean")),
        }
    }
}
