//! `allocguard.toml`: run settings, the phase log's path, and the gates.
//!
//! ```toml
//! [run]
//! scale = "default"          # smoke | default | full
//! timeout = "10m"            # per scenario process
//!
//! [phase_log]
//! path = "ci/phase_log.csv"
//!
//! [gates]
//! time_tolerance_pct = 10    # what `no_increase` allows a time
//! time_floor_us = 1000       # times at or under this pass relative time gates
//! time_confidence = 0.99     # of the bounds relative time gates compare
//! hot_ops = { max = 0, exclude = ["examples/allocates_*"] }
//! growth_bytes = { max = "50 MiB" }
//! allocs = { no_increase = true }
//! step_p95_us = { max_regression_pct = 50 }
//! ```
//!
//! `hot_allocs` is read as `hot_ops`, its old name (it always counted
//! reallocations and deallocations too), with a note.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::gates::{GateRule, Gates, Metric};

/// The file name looked for at the workspace root.
pub const CONFIG_FILE: &str = "allocguard.toml";

/// The parsed configuration (defaults for anything not given).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Scale when `--scale` is not given.
    pub scale: Option<allocguard::Scale>,
    /// Per-scenario timeout when `--timeout` is not given.
    pub timeout: Option<Duration>,
    /// The phase log, relative to the workspace root.
    pub phase_log: Option<PathBuf>,
    /// The gates.
    pub gates: Gates,
    /// Things worth telling the user about the file (old names in use).
    pub notes: Vec<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    run: RawRun,
    #[serde(default)]
    phase_log: RawPhaseLog,
    #[serde(default)]
    gates: RawGates,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRun {
    scale: Option<String>,
    timeout: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPhaseLog {
    path: Option<PathBuf>,
}

#[derive(serde::Deserialize, Default)]
struct RawGates {
    time_tolerance_pct: Option<f64>,
    time_floor_us: Option<f64>,
    time_confidence: Option<f64>,
    #[serde(flatten)]
    rules: BTreeMap<String, GateRule>,
}

impl Config {
    /// Reads `path`; a missing file is an empty configuration only when it
    /// was not asked for explicitly.
    pub fn load(path: &Path, explicit: bool) -> anyhow::Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok(Config::default())
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Self::parse(&text)
            .with_context(|| format!("{} is not a valid allocguard configuration", path.display()))
    }

    /// Parses the text of an `allocguard.toml`.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        let scale = raw
            .run
            .scale
            .map(|s| {
                s.parse()
                    .map_err(|e: String| anyhow::anyhow!("[run] scale: {e}"))
            })
            .transpose()?;
        let timeout = raw
            .run
            .timeout
            .map(|t| {
                humantime::parse_duration(&t).with_context(|| {
                    format!("[run] timeout = {t:?}: write a duration such as \"90s\" or \"10m\"")
                })
            })
            .transpose()?;
        let mut rules = BTreeMap::new();
        let mut notes = Vec::new();
        for (name, rule) in raw.gates.rules {
            let Some(metric) = Metric::from_name(&name) else {
                bail!(
                    "[gates] `{name}` is not a metric; use one of: {}",
                    Metric::ALL
                        .iter()
                        .map(|m| m.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            };
            rule.validate(metric)
                .with_context(|| format!("[gates] {name}"))?;
            if name == crate::gates::HOT_OPS_OLD_NAME {
                notes.push(
                    "[gates] `hot_allocs` is now called `hot_ops` (it counts allocations, \
                     reallocations and deallocations in hot ticks); the old name still works"
                        .to_string(),
                );
            }
            if rules.insert(metric, rule).is_some() {
                bail!("[gates] both `hot_ops` and `hot_allocs` are given: they are one metric; keep `hot_ops`");
            }
        }
        let tolerance = raw.gates.time_tolerance_pct.unwrap_or(10.0);
        if !(0.0..=1000.0).contains(&tolerance) {
            bail!("[gates] time_tolerance_pct = {tolerance}: use a percentage from 0 to 1000");
        }
        let floor = raw.gates.time_floor_us.unwrap_or(0.0);
        if !(floor.is_finite() && floor >= 0.0) {
            bail!("[gates] time_floor_us = {floor}: use microseconds, 0 or more");
        }
        let confidence = raw
            .gates
            .time_confidence
            .unwrap_or(crate::gates::DEFAULT_TIME_CONFIDENCE);
        if !(0.5..=0.9999).contains(&confidence) {
            bail!("[gates] time_confidence = {confidence}: use a probability from 0.5 to 0.9999, such as 0.99");
        }
        Ok(Config {
            scale,
            timeout,
            phase_log: raw.phase_log.path,
            gates: Gates {
                rules,
                time_tolerance_pct: tolerance,
                time_floor_us: floor,
                time_confidence: confidence,
            },
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_configuration_parses() {
        let c = Config::parse(
            r#"
[run]
scale = "default"
timeout = "90s"
[phase_log]
path = "logs/phases.csv"
[gates]
time_tolerance_pct = 20
hot_ops = { max = 0, exclude = ["examples/*"] }
growth_bytes = { max = "50 MiB" }
allocs = { no_increase = true }
step_p95_us = { max_regression_pct = 5 }
"#,
        )
        .unwrap();
        assert_eq!(c.scale, Some(allocguard::Scale::Default));
        assert_eq!(c.timeout, Some(Duration::from_secs(90)));
        assert_eq!(c.phase_log, Some(PathBuf::from("logs/phases.csv")));
        assert_eq!(c.gates.time_tolerance_pct, 20.0);
        assert_eq!(c.gates.rules.len(), 4);
        assert_eq!(
            c.gates.rules[&Metric::GrowthBytes].max_value(),
            Some(50.0 * 1024.0 * 1024.0)
        );
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let e = Config::parse("[gates]\nallocs = { no_increase = tru }\n").unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("line 2, column"), "{msg}");
    }

    #[test]
    fn unknown_keys_and_metrics_are_named() {
        let e = Config::parse("[gates]\nalocs = { max = 1 }\n").unwrap_err();
        assert!(
            format!("{e:#}").contains("`alocs` is not a metric; use one of: allocs"),
            "{e:#}"
        );
        let e = Config::parse("[run]\nscael = \"smoke\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("unknown field `scael`"), "{e:#}");
        let e = Config::parse("[gates]\nallocs = { max = \"lots\" }\n").unwrap_err();
        assert!(format!("{e:#}").contains("[gates] allocs"), "{e:#}");
    }

    #[test]
    fn the_old_name_of_hot_ops_is_read_with_a_note() {
        let c = Config::parse("[gates]\nhot_allocs = { max = 0 }\n").unwrap();
        assert!(c.gates.rules.contains_key(&Metric::HotOps));
        assert!(c.notes[0].contains("now called `hot_ops`"), "{:?}", c.notes);
        let e = Config::parse("[gates]\nhot_allocs = { max = 0 }\nhot_ops = { max = 1 }\n")
            .unwrap_err();
        assert!(format!("{e:#}").contains("one metric"), "{e:#}");
    }
}
