//! Which allocation behaviour a simulation has: the original's, or the fix.

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
