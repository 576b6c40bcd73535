//! Reviewing at a terminal: each pending snapshot shown as a numbered diff
//! (or whole, when new), one key to accept, reject, skip, do the same for
//! all that remain, or quit; a summary closes it. And the one question
//! `--unreferenced` asks before it deletes.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{CliResult, WithCode};
use crate::reporter::table::dim;
use crate::reporter::Output;
use crate::review::{accept, accepted_path, reject, shown_change};
use crate::units::plural;

/// What was done, for the summary.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Accepted.
    pub accepted: usize,
    /// Rejected.
    pub rejected: usize,
    /// Skipped (still pending).
    pub skipped: usize,
}

impl Tally {
    fn line(&self) -> String {
        format!(
            "{} accepted, {} rejected, {} skipped{}",
            self.accepted,
            self.rejected,
            self.skipped,
            if self.skipped > 0 {
                " (still pending)"
            } else {
                ""
            }
        )
    }
}

/// One choice at the prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    Accept,
    Reject,
    Skip,
    Quit,
}

/// Reads one key; capital letters apply to every remaining snapshot.
fn read_choice(term: &console::Term) -> anyhow::Result<(Choice, bool)> {
    loop {
        let key = term
            .read_key()
            .context("cannot read a key from the terminal")?;
        let c = match key {
            console::Key::Char(c) => c,
            console::Key::Escape => return Ok((Choice::Quit, false)),
            _ => continue,
        };
        let choice = match c.to_ascii_lowercase() {
            'a' => Choice::Accept,
            'r' => Choice::Reject,
            's' => Choice::Skip,
            'q' => Choice::Quit,
            _ => continue,
        };
        return Ok((choice, c.is_ascii_uppercase()));
    }
}

fn apply(choice: Choice, p: &Path, tally: &mut Tally) -> anyhow::Result<()> {
    match choice {
        Choice::Accept => {
            accept(p)?;
            tally.accepted += 1;
        }
        Choice::Reject => {
            reject(p)?;
            tally.rejected += 1;
        }
        Choice::Skip | Choice::Quit => tally.skipped += 1,
    }
    Ok(())
}

/// Reviews `list` one snapshot at a time, reading keys from the terminal.
pub fn interactive(list: &[PathBuf], out: &Output) -> CliResult<bool> {
    let mut stdout = out.stdout();
    let term = console::Term::stdout();
    let mut tally = Tally::default();
    let mut for_all: Option<Choice> = None;
    for (i, p) in list.iter().enumerate() {
        let old = accepted_path(p);
        let what = if old.exists() { "changed" } else { "new" };
        let _ = writeln!(
            stdout,
            "\n{}[{}/{}]{} {} ({what})",
            dim().render(),
            i + 1,
            list.len(),
            dim().render_reset(),
            old.display()
        );
        let change = match shown_change(p) {
            Ok(c) => c,
            Err(e) => {
                let _ = writeln!(stdout, "{e}");
                tally.skipped += 1;
                continue;
            }
        };
        let _ = write!(stdout, "{change}");
        let choice = match for_all {
            Some(c) => c,
            None => {
                let _ = write!(
                    stdout,
                    "a accept · r reject · s skip · A/R/S the same for all that remain · q quit: "
                );
                let _ = stdout.flush();
                let (c, all) = read_choice(&term).infra_err()?;
                let _ = writeln!(stdout);
                if all {
                    for_all = Some(c);
                }
                c
            }
        };
        if choice == Choice::Quit {
            tally.skipped += list.len() - i;
            break;
        }
        apply(choice, p, &mut tally).usage_err()?;
    }
    let _ = writeln!(stdout, "\n{}", tally.line());
    Ok(true)
}

/// Asks once, then deletes `stale` (snapshots of no scenario) or not.
pub fn delete_when_asked(stale: &[PathBuf], out: &Output) -> CliResult<()> {
    let mut stdout = out.stdout();
    let _ = write!(stdout, "delete them? [y/N] ");
    let _ = stdout.flush();
    let key = console::Term::stdout().read_key().infra_err()?;
    let _ = writeln!(stdout);
    if key == console::Key::Char('y') || key == console::Key::Char('Y') {
        for p in stale {
            std::fs::remove_file(p)
                .with_context(|| format!("cannot delete {}", p.display()))
                .usage_err()?;
        }
        let _ = writeln!(stdout, "deleted {}", plural(stale.len(), "snapshot"));
    } else {
        let _ = writeln!(stdout, "nothing deleted");
    }
    Ok(())
}
