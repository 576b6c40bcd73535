//! `allocguard.toml`: run settings, the phase log's path, and the gates;
//! and what the environment says (`env`: CI mode, GitHub Actions).
//!
//! Rule of this folder: it reads settings and decides nothing about a run.
//! It uses `error`, `units` and `cli`, and is used by every layer above.
//!
//! ```toml
//! [run]
//! scale = "default"          # smoke | default | full
//! timeout = "10m"            # per scenario
//!
//! [phase_log]
//! path = "ci/phase_log.csv"
//!
//! [compare]
//! allow_missing = ["waves/old_name"]  # renamed on purpose: not a failure
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

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::error::{CliResult, WithCode};

pub mod env;
pub mod gates_file;
pub mod rules;

pub use rules::Gates;

/// The file name looked for at the workspace root.
pub const CONFIG_FILE: &str = "allocguard.toml";

/// Where the phase log is when nothing says otherwise.
pub const DEFAULT_PHASE_LOG: &str = "ci/phase_log.csv";

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
    /// Scenarios (names or `*` patterns) whose results may be missing
    /// against the baseline without failing: renamed or removed on purpose
    /// (`[compare] allow_missing`).
    pub allow_missing: Vec<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    run: RawRun,
    #[serde(default)]
    phase_log: RawPhaseLog,
    #[serde(default)]
    compare: RawCompare,
    /// Read key by key by `gate_config`, for errors with their own line.
    #[serde(default)]
    #[allow(dead_code)]
    gates: serde::de::IgnoredAny,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRun {
    scale: Option<toml::Value>,
    timeout: Option<toml::Value>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCompare {
    #[serde(default)]
    allow_missing: Vec<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPhaseLog {
    path: Option<PathBuf>,
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
        let line = |key: &str| key_line(text, "run", key).unwrap_or(0);
        // A string each; anything else is said with an example.
        let text_of = |key: &str, v: Option<toml::Value>, example: &str| match v {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(anyhow::anyhow!(
                "[run] {key} = {other} (line {}): write it as a string, such as {key} = {example}",
                line(key)
            )),
        };
        let scale = text_of("scale", raw.run.scale, "\"default\"")?
            .map(|s| {
                s.parse().map_err(|e: String| {
                    anyhow::anyhow!("[run] scale = {s:?} (line {}): {e}", line("scale"))
                })
            })
            .transpose()?;
        let timeout = text_of("timeout", raw.run.timeout, "\"90s\"")?
            .map(|t| {
                crate::cli::parse_duration(&t).map_err(|e| {
                    anyhow::anyhow!("[run] timeout = {t:?} (line {}): {e}", line("timeout"))
                })
            })
            .transpose()?;
        let (gates, notes) = gates_file::parse_gates(text)?;
        Ok(Config {
            scale,
            timeout,
            phase_log: raw.phase_log.path,
            gates,
            notes,
            allow_missing: raw.compare.allow_missing,
        })
    }
}

/// Loads allocguard.toml from `--config` (which must exist) or the
/// workspace root (where it may not). Its notes (old names in use) are in
/// [`Config::notes`], for the command to show.
pub fn load(flag: Option<&Path>, root: &Path) -> CliResult<Config> {
    match flag {
        Some(p) => Config::load(p, true).usage_err(),
        None => Config::load(&root.join(CONFIG_FILE), false).usage_err(),
    }
}

/// Where the phase log lives: `--phase-log`, else `[phase_log] path`, else
/// `ci/phase_log.csv`; relative paths from the workspace root.
pub fn phase_log_path(flag: Option<&Path>, config: &Config, root: &Path) -> PathBuf {
    let p = flag
        .map(Path::to_path_buf)
        .or_else(|| config.phase_log.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PHASE_LOG));
    if p.is_absolute() {
        p
    } else {
        root.join(p)
    }
}

/// The line of `key` in table `[table]` of `text`, if it is there.
fn key_line(text: &str, table: &str, key: &str) -> Option<usize> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let section = doc.get_ref().get(table)?;
    let (k, _) = section
        .get_ref()
        .as_table()?
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)?;
    Some(text[..k.span().start.min(text.len())].matches('\n').count() + 1)
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
            c.gates.rules[&crate::config::rules::Metric::GrowthBytes].max_value(),
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
            format!("{e:#}").contains("`alocs` (line 2) is neither a metric nor a setting"),
            "{e:#}"
        );
        let e = Config::parse("[run]\nscael = \"smoke\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("unknown field `scael`"), "{e:#}");
        let e = Config::parse("[gates]\ngrowth_bytes = { max = \"lots\" }\n").unwrap_err();
        assert!(
            format!("{e:#}")
                .contains("growth_bytes.max (line 2): \"lots\" is not a number or a size"),
            "{e:#}"
        );
    }

    #[test]
    fn run_settings_name_their_own_line_and_say_what_to_write() {
        let e = format!(
            "{:#}",
            Config::parse("[run]\n\nscale = \"huge\"\n").unwrap_err()
        );
        assert_eq!(
            e,
            "[run] scale = \"huge\" (line 3): unknown scale `huge`: use smoke, default or full"
        );
        let e = format!(
            "{:#}",
            Config::parse("# c\n[run]\nscale = \"smoke\"\ntimeout = \"banana\"\n").unwrap_err()
        );
        assert!(
            e.starts_with("[run] timeout = \"banana\" (line 4): ")
                && e.ends_with("write a duration such as 90s, 10m or 1h30m"),
            "{e}"
        );
        let e = format!("{:#}", Config::parse("[run]\ntimeout = 5\n").unwrap_err());
        assert_eq!(
            e,
            "[run] timeout = 5 (line 2): write it as a string, such as timeout = \"90s\""
        );
        let e = format!(
            "{:#}",
            Config::parse("[run]\ntimeout = \"0s\"\n").unwrap_err()
        );
        assert!(
            e.starts_with("[run] timeout = \"0s\" (line 2): a timeout of 0"),
            "{e}"
        );
    }

    #[test]
    fn the_old_name_of_hot_ops_is_read_with_a_note() {
        let c = Config::parse("[gates]\nhot_allocs = { max = 0 }\n").unwrap();
        assert!(c
            .gates
            .rules
            .contains_key(&crate::config::rules::Metric::HotOps));
        assert!(c.notes[0].contains("now called `hot_ops`"), "{:?}", c.notes);
        let e = Config::parse("[gates]\nhot_allocs = { max = 0 }\nhot_ops = { max = 1 }\n")
            .unwrap_err();
        assert!(format!("{e:#}").contains("one metric"), "{e:#}");
    }
}
