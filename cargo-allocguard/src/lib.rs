//! `cargo allocguard`: the command line in front of allocguard.
//!
//! It finds the scenario targets of a workspace with cargo_metadata, builds
//! them with cargo, runs every scenario's binary in a process group of its
//! own (as nextest does), collects the harness's profiles into
//! `target/allocguard/<run-id>/run.json`, appends labelled runs to the phase
//! log, applies the gates of `allocguard.toml`, compares labels, reviews
//! snapshots, draws reports, and speaks CI (annotations, step summary,
//! JUnit, shards).
//!
//! The layers, bottom up (each uses only those before it;
//! `tests/layers.rs` fails on a back-arrow or a circle; `docs/architecture.md`
//! follows a run through them): `error` (the one error type and exit
//! codes), `units` (numbers for people), `cli` (clap's types), `config`
//! (allocguard.toml, the environment), `workspace` (cargo, git, building,
//! selecting, `init`), `store` (run files, the phase log), `judge` (gates,
//! time statistics, comparisons: pure), `runner` (processes; it emits events
//! and never prints), `reporter` (the only code that writes), `review`
//! (snapshots), `commands` (one file per subcommand). This file only parses
//! and dispatches; `main.rs` only forwards `std::env::args_os()`.
//!
//! Cargo runs a subcommand `cargo-X` as `cargo-X X ARGS…`; the in-tree alias
//! in `.cargo/config.toml` runs it as `cargo-allocguard ARGS…`. Both forms are
//! accepted: a leading `allocguard` argument is dropped.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod error;
pub(crate) mod judge;
pub(crate) mod reporter;
pub(crate) mod review;
pub(crate) mod runner;
pub(crate) mod store;
pub(crate) mod units;
pub(crate) mod workspace;

use cli::{Cli, Command};
use error::{conclude, exit_code};
use reporter::Output;

/// Drops the `allocguard` argument cargo inserts when it runs `cargo-allocguard`.
pub fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|a| a == "allocguard") {
        args.remove(1);
    }
    args
}

/// Parses `args` (program name first), runs the command, returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(normalize_args(args)) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit_code::USAGE
            } else {
                exit_code::SUCCESS
            });
        }
    };
    let out = Output::new(cli.color, cli.quiet, cli.verbose);
    let outcome = match cli.command {
        Command::Run(a) => commands::run::run(a, &out),
        Command::List(a) => commands::list::run(a, &out),
        Command::Compare(a) => commands::compare::run(a, &out),
        Command::Review(a) => commands::review::run(a, &out),
        Command::Report(a) => commands::report::run(a, &out),
        Command::Profile(a) => commands::profile::run(a, &out),
        Command::Merge(a) => commands::merge::run(a, &out),
        Command::Init(a) => commands::init::run(a, &out),
        Command::Ci(a) => commands::ci::run(a, &out),
    };
    let (code, message) = conclude(&outcome);
    if let Some(message) = message {
        out.error(&message);
    }
    ExitCode::from(code)
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::ColorWhen;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn cargo_style_and_direct_invocations_are_the_same() {
        assert_eq!(
            normalize_args(os(&["cargo-allocguard", "allocguard", "run"])),
            os(&["cargo-allocguard", "run"])
        );
        assert_eq!(
            normalize_args(os(&["cargo-allocguard", "run"])),
            os(&["cargo-allocguard", "run"])
        );
    }

    #[test]
    fn every_command_has_help_and_cargo_flags_parse() {
        use clap::error::ErrorKind;
        for cmd in [
            "run", "list", "compare", "review", "report", "profile", "merge", "init", "ci",
        ] {
            let e = Cli::try_parse_from(os(&["cargo-allocguard", cmd, "--help"])).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::DisplayHelp, "{cmd}");
        }
        let cli = Cli::try_parse_from(os(&[
            "cargo-allocguard",
            "run",
            "waves",
            "--manifest-path",
            "x/Cargo.toml",
            "-p",
            "sim",
            "--workspace",
            "--exclude",
            "other",
            "--features",
            "a,b",
            "--all-features",
            "--no-default-features",
            "--profile",
            "bench",
            "--target-dir",
            "t",
            "--color",
            "never",
            "-q",
            "-vv",
            "--label",
            "pre",
            "--notes",
            "n",
            "--timeout",
            "90s",
            "--partition",
            "hash:1/2",
        ]))
        .unwrap();
        let Command::Run(a) = cli.command else {
            panic!("run")
        };
        assert_eq!(a.filters, vec!["waves"]);
        assert_eq!(a.cargo.package, vec!["sim"]);
        assert_eq!(a.cargo.profile, "bench");
        assert_eq!(a.timeout, Some(std::time::Duration::from_secs(90)));
        assert!(cli.quiet && cli.verbose == 2 && cli.color == ColorWhen::Never);
        let e = Cli::try_parse_from(os(&["cargo-allocguard", "run", "--timeout", "banana"]))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("write a duration such as 90s, 10m or 1h30m"),
            "{e}"
        );
        let e = Cli::try_parse_from(os(&["cargo-allocguard", "run", "--notes", "x"])).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::MissingRequiredArgument,
            "--notes needs --label"
        );
    }
}
