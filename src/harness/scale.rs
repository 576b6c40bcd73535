//! [`Scale`]: how big a scenario runs.

use std::fmt;
use std::str::FromStr;

/// How big a scenario runs: read from `ALLOCGUARD_SCALE`, `smoke` when unset.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Debug-build tests: a second or two per scenario.
    #[default]
    Smoke,
    /// What `cargo allocguard run` runs in release: seconds per scenario.
    Default,
    /// The workload's real size: minutes, for deliberate runs.
    Full,
}

/// The environment variable that selects the scale.
pub const SCALE_ENV: &str = "ALLOCGUARD_SCALE";

impl Scale {
    /// All scales, smallest first.
    pub const ALL: [Scale; 3] = [Scale::Smoke, Scale::Default, Scale::Full];

    /// The scale named by `ALLOCGUARD_SCALE`, `smoke` when it is unset or empty.
    pub fn from_env() -> Result<Scale, String> {
        match std::env::var(SCALE_ENV) {
            Ok(v) if !v.trim().is_empty() => v
                .parse()
                .map_err(|e: String| format!("{SCALE_ENV}={v}: {e}")),
            _ => Ok(Scale::Smoke),
        }
    }

    /// Picks one of three values by scale: `scale.pick(100, 10_000, 500_000)`.
    pub fn pick<T>(self, smoke: T, default: T, full: T) -> T {
        match self {
            Scale::Smoke => smoke,
            Scale::Default => default,
            Scale::Full => full,
        }
    }

    /// The lowercase name: `smoke`, `default` or `full`.
    pub fn as_str(self) -> &'static str {
        self.pick("smoke", "default", "full")
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scale {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "smoke" => Ok(Scale::Smoke),
            "default" => Ok(Scale::Default),
            "full" => Ok(Scale::Full),
            other => Err(format!(
                "unknown scale `{other}`: use smoke, default or full"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_parse_and_print_their_names() {
        for s in Scale::ALL {
            assert_eq!(s.as_str().parse::<Scale>(), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(" Default ".parse::<Scale>(), Ok(Scale::Default));
        let err = "huge".parse::<Scale>().unwrap_err();
        assert!(err.contains("`huge`") && err.contains("smoke, default or full"));
    }

    #[test]
    fn pick_chooses_by_scale() {
        assert_eq!(Scale::Smoke.pick(1, 2, 3), 1);
        assert_eq!(Scale::Default.pick(1, 2, 3), 2);
        assert_eq!(Scale::Full.pick(1, 2, 3), 3);
    }
}
