//! `cargo allocguard list`: scenario targets and their scenarios and phases.

use std::io::Write;

use crate::cli::{Format, ListArgs};
use crate::commands::build_output;
use crate::error::{CliResult, WithCode};
use crate::reporter::Output;
use crate::workspace::select::{list_all, matches_any};

#[derive(serde::Serialize)]
struct ListedScenario<'a> {
    package: &'a str,
    target: &'a str,
    name: &'a str,
    ignored: bool,
}

/// `cargo allocguard list`.
pub fn run(args: ListArgs, out: &Output) -> CliResult<bool> {
    let meta = crate::workspace::metadata::metadata(&args.cargo).usage_err()?;
    // Every scenario, ignored ones too (marked): a filter is a substring
    // here, for ignored scenarios as for the others.
    let selected: Vec<_> = list_all(&meta, &args.cargo, &[], &mut build_output(out))?
        .into_iter()
        .filter(|s| matches_any(&args.filters, &s.name))
        .collect();
    let mut stdout = out.stdout();
    match args.format {
        Format::Json => {
            let list: Vec<ListedScenario> = selected
                .iter()
                .map(|s| ListedScenario {
                    package: &s.target.package,
                    target: &s.target.target,
                    name: &s.name,
                    ignored: s.ignored,
                })
                .collect();
            let _ = writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&list).expect("serialises")
            );
        }
        _ => {
            let mut last = None;
            for s in &selected {
                let key = (&s.target.package, &s.target.target);
                if last != Some(key) {
                    let _ = writeln!(stdout, "{} ({}):", s.target.target, s.target.package);
                    last = Some(key);
                }
                let _ = writeln!(
                    stdout,
                    "  {}{}",
                    s.name,
                    if s.ignored { " (ignored)" } else { "" }
                );
            }
            let ignored = selected.iter().filter(|s| s.ignored).count();
            let _ = writeln!(
                stdout,
                "{}{}",
                crate::units::plural(selected.len(), "scenario"),
                if ignored > 0 {
                    format!(" ({ignored} ignored: `run` runs those only when named exactly)")
                } else {
                    String::new()
                }
            );
            let others =
                crate::workspace::metadata::other_custom_harness_targets(&meta, &args.cargo)
                    .unwrap_or_default();
            let _ = write!(
                out.stderr(),
                "{}",
                crate::workspace::metadata::custom_harness_note(&others)
            );
        }
    }
    Ok(true)
}
