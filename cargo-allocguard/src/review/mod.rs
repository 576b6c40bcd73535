//! `cargo allocguard review`: accept or reject pending snapshots.
//!
//! A pending snapshot is insta's `.snap.new` beside the `.snap` it would
//! replace. Accepting renames it over the old one (after checking it is a
//! snapshot); rejecting deletes it. On a terminal, review shows each one as a
//! numbered diff with context (or the whole profile, for a new one) and takes
//! one key: accept, reject, skip, the same for all that remain, or quit; a
//! summary closes it. `--unreferenced` finds snapshots whose scenario no
//! longer exists and deletes them after asking.

use std::path::{Path, PathBuf};

use allocguard::_cargo_allocguard::{numbered_diff_labelled, snapshot_name};
use anyhow::Context;

use crate::reporter::table::{bad, good};

pub mod session;

/// Every `.snap.new` under `dir`, sorted, filtered by file-name substrings.
pub fn pending(dir: &Path, filters: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    Ok(files(dir, ".snap.new")?
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
        })
        .collect())
}

/// Every file under `dir` whose name ends with `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", d.display())),
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The `.snap` a `.snap.new` would replace.
pub fn accepted_path(new: &Path) -> PathBuf {
    let s = new.to_string_lossy();
    PathBuf::from(s.strip_suffix(".new").unwrap_or(&s))
}

/// The content of a snapshot file (after insta's header), checked to be a
/// memory profile allocguard wrote.
fn content(path: &Path) -> anyhow::Result<String> {
    let snap = insta::Snapshot::from_file(path).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a snapshot ({e}); left as it is: delete it, or run the scenario again",
            path.display()
        )
    })?;
    let text = snap
        .contents()
        .as_text()
        .map(|t| t.to_string())
        .unwrap_or_default();
    if !text.starts_with("scenario: ") || !text.contains("\nphases:") {
        anyhow::bail!(
            "{} is not an allocguard memory profile (no `scenario:` and `phases:`); left as it \
             is: delete it, or run the scenario again",
            path.display()
        );
    }
    Ok(text)
}

/// Checks that `new` is a snapshot allocguard wrote, read back strictly
/// (insta's header, every key of every phase with a value of its type, one
/// phase at least): a truncated or hand-broken file is never accepted.
pub fn validate(new: &Path) -> anyhow::Result<()> {
    let refuse = |why: String| {
        anyhow::anyhow!(
            "{} is not a snapshot allocguard wrote ({why}); left as it is: delete it, or run \
             the scenario again",
            new.display()
        )
    };
    let bytes = std::fs::read(new).with_context(|| format!("cannot read {}", new.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| refuse("it is not UTF-8 text".into()))?;
    allocguard::_cargo_allocguard::check_snapshot_file(&text).map_err(|e| refuse(e.to_string()))?;
    Ok(())
}

/// Accepts: the pending snapshot replaces the old one (after checking it is
/// one: random bytes never replace a snapshot).
pub fn accept(new: &Path) -> anyhow::Result<()> {
    validate(new)?;
    std::fs::rename(new, accepted_path(new))
        .with_context(|| format!("cannot accept {}", new.display()))
}

/// Rejects: the pending snapshot is deleted; the old one stays.
pub fn reject(new: &Path) -> anyhow::Result<()> {
    std::fs::remove_file(new).with_context(|| format!("cannot reject {}", new.display()))
}

/// What review shows of a pending snapshot: the difference from the one it
/// would replace, numbered, with context; or the whole profile when it is new.
pub fn shown_change(new: &Path) -> anyhow::Result<String> {
    validate(new)?;
    let new_text = content(new)?;
    let old = accepted_path(new);
    let old_text = if old.exists() {
        content(&old).unwrap_or_default()
    } else {
        String::new()
    };
    let diff = numbered_diff_labelled(&old_text, &new_text, "old snapshot", "new snapshot");
    let mut out = String::new();
    for line in diff.lines() {
        let style = if line.contains("│-") || line.starts_with("-old") {
            bad()
        } else if line.contains("│+") || line.starts_with("+new") {
            good()
        } else {
            anstyle::Style::new()
        };
        out.push_str(&format!(
            "{}{line}{}\n",
            style.render(),
            style.render_reset()
        ));
    }
    Ok(out)
}

/// Snapshots in `dir` that no scenario of `names` makes (by file name:
/// `<snapshot name>@<profile>-<scale>.snap`, pending ones too).
pub fn unreferenced(dir: &Path, names: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    let known: Vec<String> = names.iter().map(|n| snapshot_name(n)).collect();
    let mut out = files(dir, ".snap")?;
    out.extend(files(dir, ".snap.new")?);
    out.retain(|p| {
        let file = p.file_name().unwrap_or_default().to_string_lossy();
        let stem = file.split('@').next().unwrap_or("");
        !known.iter().any(|k| k == stem)
    });
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot as the harness writes one, of one phase named `phase`.
    fn snap(phase: &str) -> String {
        format!(
            "---\nsource: t.rs\n---\nscenario: a\nrustc: \"1.95.0\"\nbuild_profile: debug\n\
             scale: smoke\nphases:\n  - name: {phase}\n    ticks: 1\n    warmup_ticks: 0\n    \
             hot_ticks: 0\n    allocs: 0\n    deallocs: 0\n    reallocs: 0\n    hot_ops: 0\n    \
             violating_ticks: 0\n    steady_growth: false\n"
        )
    }

    #[test]
    fn finds_accepts_and_rejects() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let d = dir.path();
        std::fs::write(d.join("a@debug-smoke.snap"), snap("old"))?;
        std::fs::write(d.join("a@debug-smoke.snap.new"), snap("new"))?;
        std::fs::write(d.join("b@debug-smoke.snap.new"), "b")?;
        std::fs::write(d.join("c@debug-smoke.snap"), "c")?;
        let all = pending(d, &[])?;
        assert_eq!(all.len(), 2);
        assert_eq!(pending(d, &["b@".into()])?.len(), 1);
        let shown = anstream::adapter::strip_str(&shown_change(&all[0])?).to_string();
        assert!(shown.contains("    6       │-  - name: old"), "{shown}");
        assert!(shown.contains("          6 │+  - name: new"), "{shown}");
        accept(&all[0])?;
        assert_eq!(
            std::fs::read_to_string(d.join("a@debug-smoke.snap"))?,
            snap("new")
        );
        reject(&all[1])?;
        assert!(!d.join("b@debug-smoke.snap.new").exists());
        assert!(pending(d, &[])?.is_empty());
        assert!(
            pending(&d.join("missing"), &[])?.is_empty(),
            "no directory, nothing pending"
        );
        Ok(())
    }

    #[test]
    fn random_bytes_are_never_accepted() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let d = dir.path();
        std::fs::write(d.join("c@debug-smoke.snap"), snap("kept"))?;
        let good = snap("new");
        let junk: Vec<(Vec<u8>, &str)> = vec![
            (vec![0xff, 0x00, 0x13, 0x37], "it is not UTF-8 text"),
            (
                b"---\n---\nhello\n".to_vec(),
                "line 3: expected `scenario: …`",
            ),
            (Vec::new(), "the file is empty"),
            // Cut short, a count that is not one, the header with no phase:
            // all were accepted when the check looked for two words.
            (
                good.as_bytes()[..good.find("    reallocs").unwrap()].to_vec(),
                "line 15: expected `    reallocs: …`, found the end of the file",
            ),
            (
                good.replace("ticks: 1", "ticks: banana").into_bytes(),
                "line 10: `ticks: banana`: expected a count",
            ),
            (
                good.as_bytes()[..good.find("  - name").unwrap()].to_vec(),
                "line 9: expected a phase",
            ),
        ];
        for (junk, why) in junk {
            std::fs::write(d.join("c@debug-smoke.snap.new"), &junk)?;
            let e = accept(&d.join("c@debug-smoke.snap.new"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("is not a snapshot allocguard wrote ("), "{e}");
            assert!(e.contains(why), "{why:?} not in {e}");
            assert!(e.contains("left as it is"), "{e}");
            assert_eq!(
                std::fs::read_to_string(d.join("c@debug-smoke.snap"))?,
                snap("kept")
            );
            assert!(
                d.join("c@debug-smoke.snap.new").exists(),
                "the pending file stays"
            );
        }
        Ok(())
    }

    #[test]
    fn unreferenced_snapshots_are_those_of_no_scenario() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let d = dir.path();
        for f in [
            "waves__a@release-default.snap",
            "waves__a@debug-smoke.snap",
            "gone@debug-smoke.snap",
            "gone@debug-smoke.snap.new",
        ] {
            std::fs::write(d.join(f), "x")?;
        }
        let stale = unreferenced(d, &["waves/a".to_string()])?;
        let names: Vec<String> = stale
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        assert_eq!(
            names,
            ["gone@debug-smoke.snap", "gone@debug-smoke.snap.new"]
        );
        Ok(())
    }
}
