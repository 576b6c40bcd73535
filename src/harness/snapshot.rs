//! Snapshots of the deterministic part of a profile.
//!
//! One file per scenario, build profile and scale, in `snapshots/` at the
//! workspace root: `waves__stress_500@release-default.snap`. Only what is
//! deterministic goes in: the counts of the ticks *after warm-up* (a thread
//! pool or a channel that starts lazily during warm-up cannot change them),
//! bytes (unless the scenario opts out), the tick of the first violation, the
//! growth verdict, the stable metrics, and the compiler that built the
//! scenario (counts can change between compilers); never times, RSS or
//! absolute live bytes.
//!
//! The files are insta's: a YAML header between `---` lines, then the
//! content, and a pending change is a `.snap.new` beside the snapshot, so
//! `cargo insta review` works on them as well as `cargo allocguard review`.
//! allocguard writes them itself, so that the header names the scenario's
//! own file (not allocguard's, which is somewhere in the user's cargo
//! registry), and reads and compares them with insta. `INSTA_UPDATE` is
//! honoured as insta honours it (`auto`, `new`, `always`, `unseen`, `no`), and
//! with `CI` set nothing is written.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::profile::{PhaseProfile, Profile};

/// Overrides the snapshot directory (default: `snapshots/` at the workspace root).
pub const SNAPSHOT_DIR_ENV: &str = "ALLOCGUARD_SNAPSHOT_DIR";

/// The snapshot name of a scenario: `/` becomes `__`, anything else outside
/// `[A-Za-z0-9_.-]` becomes `_`.
pub fn snapshot_name(scenario: &str) -> String {
    scenario
        .replace('/', "__")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where the snapshot of `profile` lives inside `dir`.
pub fn snapshot_path(dir: &Path, profile: &Profile) -> PathBuf {
    dir.join(format!(
        "{}@{}-{}.snap",
        snapshot_name(&profile.scenario),
        profile.build_profile,
        profile.scale
    ))
}

/// The workspace root: the nearest ancestor of `CARGO_MANIFEST_DIR` (set by
/// cargo and nextest when they run a test) or of the current directory whose
/// `Cargo.toml` has a `[workspace]` table; else that directory itself.
pub fn workspace_root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    start
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .map(|t| t.lines().any(|l| l.trim() == "[workspace]"))
                .unwrap_or(false)
        })
        .map(Path::to_path_buf)
        .unwrap_or(start)
}

/// The snapshot directory: `ALLOCGUARD_SNAPSHOT_DIR`, or `snapshots/` at the
/// workspace root.
pub fn default_snapshot_dir() -> PathBuf {
    std::env::var_os(SNAPSHOT_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("snapshots"))
}

/// A YAML scalar for `s`: plain when that cannot be misread, else quoted
/// (a JSON string is a valid YAML double-quoted scalar).
fn yaml_str(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./@-".contains(c))
        && !s.starts_with(['-', '.', '@'])
        && s.parse::<f64>().is_err()
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "~"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("a string serialises")
    }
}

fn yaml_f64(v: f64) -> String {
    if v.is_nan() {
        ".nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { ".inf" } else { "-.inf" }.into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn phase_yaml(out: &mut String, p: &PhaseProfile, include_bytes: bool) {
    let c = &p.after_warmup;
    let _ = writeln!(out, "  - name: {}", yaml_str(&p.name));
    let mut field = |k: &str, v: String| {
        let _ = writeln!(out, "    {k}: {v}");
    };
    field("ticks", p.ticks.to_string());
    field("warmup_ticks", p.warmup_ticks.to_string());
    field("hot_ticks", p.hot_ticks.to_string());
    field("allocs", c.allocs.to_string());
    field("deallocs", c.deallocs.to_string());
    field("reallocs", c.reallocs.to_string());
    if include_bytes {
        field("bytes_allocated", c.bytes_allocated.to_string());
        field("bytes_freed", c.bytes_freed.to_string());
        field("growth", c.growth.to_string());
        field("peak", c.peak.to_string());
    }
    field("hot_ops", p.hot_ops.to_string());
    field("violating_ticks", p.violating_ticks.to_string());
    if let Some(v) = &p.first_violation {
        field("first_violation_tick", v.tick.to_string());
    }
    field("steady_growth", p.growth_check.steady_growth.to_string());
    let metrics: Vec<(&String, &f64)> = p
        .metrics
        .iter()
        .filter(|(k, _)| !p.volatile_metrics.contains(k))
        .collect();
    if !metrics.is_empty() {
        let _ = writeln!(out, "    metrics:");
        for (k, v) in metrics {
            let _ = writeln!(out, "      {}: {}", yaml_str(k), yaml_f64(*v));
        }
    }
}

/// The snapshot's content for `profile`: what is compared.
pub fn snapshot_content(profile: &Profile, include_bytes: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario: {}", yaml_str(&profile.scenario));
    let _ = writeln!(out, "rustc: {}", yaml_str(&profile.rustc));
    let _ = writeln!(out, "build_profile: {}", yaml_str(&profile.build_profile));
    let _ = writeln!(out, "scale: {}", profile.scale);
    let _ = writeln!(out, "phases:");
    for p in &profile.phases {
        phase_yaml(&mut out, p, include_bytes);
    }
    out
}

/// The whole file: insta's header (the scenario's file and line, a
/// description), then the content.
fn snapshot_file_text(profile: &Profile, content: &str) -> String {
    let mut out = String::from("---\n");
    if let Some(file) = &profile.source_file {
        let _ = writeln!(out, "source: {}", yaml_str(&file.replace('\\', "/")));
    }
    if let Some(line) = profile.source_line {
        let _ = writeln!(out, "assertion_line: {line}");
    }
    let description = format!(
        "allocguard memory profile of `{}`: counts of the ticks after warm-up ({} build, {} scale)",
        profile.scenario, profile.build_profile, profile.scale
    );
    let _ = writeln!(out, "description: {}", yaml_str(&description));
    out.push_str("---\n");
    out.push_str(content);
    out
}

/// What insta's `INSTA_UPDATE` asks for when a snapshot does not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Update {
    /// Write nothing (`no`, or CI).
    No,
    /// Propose the new version as `.snap.new` (`new`, or `auto` off CI).
    New,
    /// Overwrite the snapshot (`always`).
    Always,
    /// Write missing snapshots, propose changed ones (`unseen`).
    Unseen,
}

fn update_mode() -> Update {
    match std::env::var("INSTA_UPDATE").ok().as_deref() {
        Some("no") => Update::No,
        Some("new") => Update::New,
        Some("always") | Some("1") => Update::Always,
        Some("unseen") => Update::Unseen,
        _ if is_ci() => Update::No,
        _ => Update::New,
    }
}

/// Whether `CI` is set to something other than false (insta's rule).
pub(crate) fn is_ci() -> bool {
    match std::env::var("CI").ok().as_deref() {
        Some("false") | Some("0") | Some("") => false,
        None => std::env::var("TF_BUILD").is_ok(),
        Some(_) => true,
    }
}

/// Writes `text` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// `path` relative to the workspace root when it is inside it.
fn shown(path: &Path) -> String {
    let root = workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The value of a top-level `key: value` line of a snapshot's content.
fn top_level(content: &str, key: &str) -> Option<String> {
    let value = content
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(": "))?;
    Some(serde_json::from_str::<String>(value).unwrap_or_else(|_| value.to_string()))
}

/// insta's normalised text of a snapshot's content.
fn normalised(content: &str) -> String {
    insta::internals::TextSnapshotContents::new(content.to_string(), insta::TextSnapshotKind::File)
        .to_string()
}

/// A numbered diff of two texts, as `cargo insta review` shows one: changed
/// lines with two lines of context, old and new line numbers.
pub fn numbered_diff(old: &str, new: &str) -> String {
    numbered_diff_labelled(old, new, "old snapshot", "this run")
}

/// [`numbered_diff`] with its two sides named.
pub fn numbered_diff_labelled(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = format!("-{old_label}\n+{new_label}\n");
    out.push_str("────────────┬───────────────────────────────────────\n");
    for (k, group) in diff.grouped_ops(2).iter().enumerate() {
        if k > 0 {
            out.push_str("┈┈┈┈┈┈┈┈┈┈┈┈┼┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈\n");
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let num = |i: Option<usize>| {
                    i.map(|i| format!("{:>5}", i + 1))
                        .unwrap_or_else(|| "     ".into())
                };
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                let _ = write!(
                    out,
                    "{} {} │{sign}{}",
                    num(change.old_index()),
                    num(change.new_index()),
                    change.value()
                );
                if change.missing_newline() {
                    out.push('\n');
                }
            }
        }
    }
    out.push_str("────────────┴───────────────────────────────────────\n");
    out
}

/// Asserts the deterministic view of `profile` against its snapshot in `dir`.
///
/// A missing or different snapshot is an `Err` whose text says which, names
/// a compiler change first when there is one, and shows the difference;
/// unless `CI` is set (or `INSTA_UPDATE=no`), the new version is left beside
/// the snapshot as `.snap.new` for `cargo allocguard review`.
pub fn assert_profile_snapshot(
    dir: &Path,
    profile: &Profile,
    include_bytes: bool,
) -> Result<(), String> {
    check_profile_snapshot(dir, profile, include_bytes).map_err(|m| m.message)
}

/// Why a profile did not match its snapshot.
pub(crate) struct Mismatch {
    /// No snapshot was recorded for this scenario, build profile and scale.
    pub(crate) new: bool,
    /// What [`assert_profile_snapshot`] says.
    pub(crate) message: String,
}

/// [`assert_profile_snapshot`], telling a new snapshot from a changed one.
pub(crate) fn check_profile_snapshot(
    dir: &Path,
    profile: &Profile,
    include_bytes: bool,
) -> Result<(), Mismatch> {
    let changed = |message: String| Mismatch {
        new: false,
        message,
    };
    let path = snapshot_path(dir, profile);
    let pending = path.with_extension("snap.new");
    let content = snapshot_content(profile, include_bytes);
    let old = if path.exists() {
        let snap = insta::Snapshot::from_file(&path)
            .map_err(|e| changed(format!("snapshot {} cannot be read: {e}", shown(&path))))?;
        let text = snap
            .contents()
            .as_text()
            .map(|t| t.to_string())
            .ok_or_else(|| changed(format!("snapshot {} is not a text snapshot", shown(&path))))?;
        Some((text, snap.metadata().source().map(str::to_string)))
    } else {
        None
    };
    if let Some((text, _)) = &old {
        if *text == normalised(&content) {
            // As insta does: a passing snapshot leaves no stale proposal.
            let _ = std::fs::remove_file(&pending);
            return Ok(());
        }
    }

    let mode = update_mode();
    let file_text = snapshot_file_text(profile, &content);
    let written = match (mode, old.is_some()) {
        (Update::No, _) => None,
        (Update::Always, _) | (Update::Unseen, false) => Some(path.clone()),
        _ => Some(pending.clone()),
    };
    if let Some(target) = &written {
        write_atomic(target, &file_text)
            .map_err(|e| changed(format!("cannot write snapshot {}: {e}", target.display())))?;
        if *target == path {
            // As insta does: a snapshot updated in place passes.
            let _ = std::fs::remove_file(&pending);
            eprintln!(
                "allocguard: {} {} (INSTA_UPDATE={})",
                if old.is_some() { "updated" } else { "wrote" },
                shown(&path),
                std::env::var("INSTA_UPDATE").unwrap_or_default()
            );
            return Ok(());
        }
    }
    let what_now = match &written {
        Some(p) => format!(
            "the new version is in {}: see and accept it with `cargo allocguard review` \
             (or `cargo insta review`), then commit it",
            shown(p)
        ),
        None if is_ci() => "CI is set, so nothing was written: run the scenario locally, \
             review the snapshot and commit it"
            .to_string(),
        None => "INSTA_UPDATE=no is set, so nothing was written".to_string(),
    };

    let mut msg = String::new();
    match &old {
        None => {
            let _ = writeln!(
                msg,
                "snapshot {} is missing: this scenario has no recorded profile yet",
                shown(&path)
            );
            if written.is_none() {
                let _ = writeln!(msg, "this run's profile would be:");
                msg.push_str(&content);
            }
        }
        Some((text, source)) => {
            let _ = writeln!(msg, "snapshot {} differs from this run", shown(&path));
            let theirs = top_level(text, "rustc");
            if theirs.as_deref() != Some(profile.rustc.as_str()) {
                let _ = writeln!(
                    msg,
                    "note: the snapshot was made with {}, this run with rustc {}: allocation \
                     counts can change between compilers. Build with the compiler the snapshot \
                     was made with (pin it in rust-toolchain.toml), or accept the new counts",
                    theirs.map_or("a compiler it does not record".to_string(), |v| format!(
                        "rustc {v}"
                    )),
                    profile.rustc
                );
            }
            let ours = profile.source_file.as_deref().map(|f| f.replace('\\', "/"));
            if let (Some(theirs), Some(ours)) = (source, ours) {
                if *theirs != ours {
                    let _ = writeln!(
                        msg,
                        "note: the snapshot was recorded by a scenario in {theirs}, this one is \
                         in {ours}: if two scenarios share the name `{}`, rename one",
                        profile.scenario
                    );
                }
            }
            msg.push_str(&numbered_diff(text, &normalised(&content)));
        }
    }
    msg.push_str(&what_now);
    Err(Mismatch {
        new: old.is_none(),
        message: msg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_file_safe() {
        assert_eq!(snapshot_name("waves/stress_500"), "waves__stress_500");
        assert_eq!(snapshot_name("a b:c"), "a_b_c");
    }

    #[test]
    fn scalars_are_quoted_only_when_they_must_be() {
        assert_eq!(yaml_str("waves/stress_500"), "waves/stress_500");
        assert_eq!(
            yaml_str("1.95.0 (59807616e 2026-04-14)"),
            "\"1.95.0 (59807616e 2026-04-14)\""
        );
        assert_eq!(yaml_str("true"), "\"true\"");
        assert_eq!(yaml_str("12"), "\"12\"");
        assert_eq!(yaml_str("-x"), "\"-x\"");
        assert_eq!(yaml_f64(64.0), "64");
        assert_eq!(yaml_f64(0.25), "0.25");
    }

    #[test]
    fn the_diff_numbers_old_and_new_lines() {
        let d = numbered_diff("a\nb\nc\nd\n", "a\nb\nC\nd\n");
        assert!(d.contains("    3       │-c\n"), "{d}");
        assert!(d.contains("          3 │+C\n"), "{d}");
        assert!(d.contains("    2     2 │ b\n"), "{d}");
    }

    #[test]
    fn a_top_level_value_is_read_quoted_or_plain() {
        let content = "scenario: a/b\nrustc: \"1.95.0 (x 2026)\"\nphases:\n";
        assert_eq!(
            top_level(content, "rustc").as_deref(),
            Some("1.95.0 (x 2026)")
        );
        assert_eq!(top_level(content, "scenario").as_deref(), Some("a/b"));
        assert_eq!(top_level(content, "scale"), None);
    }
}
