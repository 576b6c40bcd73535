//! `cargo allocguard review`: accept or reject pending snapshots.
//!
//! A pending snapshot is insta's `.snap.new` beside the `.snap` it would
//! replace. Accepting renames it over the old one; rejecting deletes it.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::ReviewArgs;
use crate::error::{CliError, CliResult, WithCode};
use crate::table::{bad, good};
use crate::Output;

/// Every `.snap.new` under `dir`, sorted, filtered by file-name substrings.
pub fn pending(dir: &Path, filters: &[String]) -> anyhow::Result<Vec<PathBuf>> {
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
            } else if path.to_string_lossy().ends_with(".snap.new") {
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                if filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())) {
                    out.push(path);
                }
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

/// Checks that `new` is a snapshot allocguard wrote: insta's file format,
/// text, a memory profile inside.
pub fn validate(new: &Path) -> anyhow::Result<()> {
    let snap = insta::Snapshot::from_file(new).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a snapshot ({e}); left as it is: delete it, or run the scenario again",
            new.display()
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
            new.display()
        );
    }
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

fn diff(old: &str, new: &str) -> String {
    let d = similar::TextDiff::from_lines(old, new);
    let mut s = String::new();
    for change in d.iter_all_changes() {
        let (sign, style) = match change.tag() {
            similar::ChangeTag::Delete => ("-", bad()),
            similar::ChangeTag::Insert => ("+", good()),
            similar::ChangeTag::Equal => (" ", anstyle::Style::new()),
        };
        s.push_str(&format!(
            "{}{sign} {}{}",
            style.render(),
            change,
            style.render_reset()
        ));
        if change.missing_newline() {
            s.push('\n');
        }
    }
    s
}

/// `cargo allocguard review`.
pub fn run(args: ReviewArgs, out: &Output) -> CliResult<bool> {
    let dir = match &args.snapshots {
        Some(d) => d.clone(),
        None => {
            let cargo = crate::cli::CargoOpts {
                manifest_path: args.manifest_path.clone(),
                ..Default::default()
            };
            let meta = crate::discover::metadata(&cargo).usage_err()?;
            meta.workspace_root.as_std_path().join("snapshots")
        }
    };
    let list = pending(&dir, &args.filters).usage_err()?;
    let mut stdout = out.stdout();
    if list.is_empty() {
        let _ = writeln!(stdout, "no pending snapshots in {}", dir.display());
        return Ok(true);
    }
    if args.accept || args.reject {
        for p in &list {
            if args.accept { accept(p) } else { reject(p) }.usage_err()?;
            let _ = writeln!(
                stdout,
                "{} {}",
                if args.accept { "accepted" } else { "rejected" },
                accepted_path(p).display()
            );
        }
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(anyhow::anyhow!(
            "{} pending snapshots, but review is interactive and standard input is not a terminal.\n\
             accept them all:  cargo allocguard review --accept [FILTER…]\n\
             reject them all:  cargo allocguard review --reject [FILTER…]",
            list.len()
        )));
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    for (i, p) in list.iter().enumerate() {
        let old = std::fs::read_to_string(accepted_path(p)).unwrap_or_default();
        let new = std::fs::read_to_string(p)
            .with_context(|| format!("cannot read {}", p.display()))
            .usage_err()?;
        let _ = writeln!(
            stdout,
            "\n[{}/{}] {}\n{}",
            i + 1,
            list.len(),
            accepted_path(p).display(),
            diff(&old, &new)
        );
        loop {
            let _ = write!(stdout, "[a]ccept, [r]eject, [s]kip, [q]uit? ");
            let _ = stdout.flush();
            let Some(Ok(answer)) = lines.next() else {
                return Ok(true);
            };
            match answer.trim() {
                "a" | "accept" => {
                    accept(p).usage_err()?;
                    break;
                }
                "r" | "reject" => {
                    reject(p).usage_err()?;
                    break;
                }
                "s" | "skip" | "" => break,
                "q" | "quit" => return Ok(true),
                other => {
                    let _ = writeln!(stdout, "`{other}`? answer a, r, s or q");
                }
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_accepts_and_rejects() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let d = dir.path();
        let snap =
            |run: &str| format!("---\nsource: t.rs\n---\nscenario: a\nphases:\n  - name: {run}\n");
        std::fs::write(d.join("a@debug-smoke.snap"), snap("old"))?;
        std::fs::write(d.join("a@debug-smoke.snap.new"), snap("new"))?;
        std::fs::write(d.join("b@debug-smoke.snap.new"), "b")?;
        std::fs::write(d.join("c@debug-smoke.snap"), "c")?;
        let all = pending(d, &[])?;
        assert_eq!(all.len(), 2);
        assert_eq!(pending(d, &["b@".into()])?.len(), 1);
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
        std::fs::write(
            d.join("c@debug-smoke.snap"),
            "---\n---\nscenario: c\nphases:\n",
        )?;
        for junk in [&[0xffu8, 0x00, 0x13, 0x37][..], b"---\n---\nhello\n"] {
            std::fs::write(d.join("c@debug-smoke.snap.new"), junk)?;
            let e = accept(&d.join("c@debug-smoke.snap.new"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("left as it is"), "{e}");
            assert_eq!(
                std::fs::read_to_string(d.join("c@debug-smoke.snap"))?,
                "---\n---\nscenario: c\nphases:\n",
                "the snapshot is untouched"
            );
            assert!(
                d.join("c@debug-smoke.snap.new").exists(),
                "the pending file stays"
            );
        }
        Ok(())
    }
}
