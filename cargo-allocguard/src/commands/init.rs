//! `cargo allocguard init`: sets a crate up in one step (see
//! `crate::workspace::init` for what it writes) and says what it did.

use std::io::Write;
use std::path::Path;

use crate::cli::InitArgs;
use crate::error::{CliError, CliResult, WithCode};
use crate::reporter::wrap::{labelled, width, wrap};
use crate::reporter::Output;
use crate::workspace::init::{init, Action};

/// `cargo allocguard init`.
pub fn run(args: InitArgs, out: &Output) -> CliResult<bool> {
    let cwd = std::env::current_dir().infra_err()?;
    let (actions, warnings) = init(&args).map_err(CliError::usage)?;
    let shown = |p: &Path| p.strip_prefix(&cwd).unwrap_or(p).display().to_string();
    let mut stdout = out.stdout();
    for a in &actions {
        let line = match a {
            Action::Created(p, what) => format!("  created  {}: {what}", shown(p)),
            Action::Edited(p, what) => format!("  edited   {}: added {what}", shown(p)),
            Action::Skipped(p, why) => format!("  skipped  {}: {why}", shown(p)),
        };
        // Continuation lines under the file's name.
        let _ = writeln!(stdout, "{}", wrap(&line, 9));
    }
    for w in &warnings {
        out.warning(w);
    }
    let _ = writeln!(
        stdout,
        "\n{}",
        labelled(
            "next",
            "`cargo allocguard run` runs the scenarios. Their first run leaves their \
             snapshots pending, with those `cargo test` checks (a debug build at smoke \
             scale): `cargo allocguard review` shows them all, `--accept` accepts them. \
             Then commit snapshots/ with the rest",
            width()
        )
    );
    Ok(true)
}
