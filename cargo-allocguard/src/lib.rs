//! `cargo allocguard`: the command line in front of allocguard.
//!
//! It finds the scenario targets of a workspace with cargo_metadata, builds
//! them with cargo, runs every scenario in its own process (as nextest does),
//! collects the harness's profiles into `target/allocguard/<run-id>/run.json`,
//! appends labelled runs to the phase log, applies the gates of
//! `allocguard.toml`, compares labels, reviews snapshots, draws reports, and
//! speaks CI (annotations, step summary, JUnit, shards).
//!
//! The logic lives here, in a library, so that it can be tested without
//! spawning processes; `main.rs` only forwards `std::env::args_os()`.
//!
//! Cargo runs a subcommand `cargo-X` as `cargo-X X ARGS…`; the in-tree alias
//! in `.cargo/config.toml` runs it as `cargo-allocguard ARGS…`. Both forms are
//! accepted: a leading `allocguard` argument is dropped.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

pub mod build;
pub mod chart;
pub mod ci;
pub mod cli;
pub mod compare;
pub mod compare_output;
pub mod config;
pub mod discover;
pub mod error;
pub mod exec;
pub mod execute;
pub mod gate_config;
pub mod gates;
pub mod init_cmd;
pub mod install_source;
pub mod list_cmd;
pub mod merge_cmd;
pub mod model;
pub mod partition;
pub mod phase_log;
pub mod process_group;
pub mod process_tree;
pub mod profile_cmd;
pub mod progress;
pub mod report;
pub mod report_page;
pub mod results;
pub mod review;
pub mod run_cmd;
pub mod select;
pub mod site_diff;
pub mod table;
pub mod whole_file;

use cli::{Cli, ColorWhen, Command};

/// Exit codes of `cargo allocguard`, as documented in DESIGN.md.
pub mod exit_code {
    /// Every scenario, snapshot and gate passed.
    pub const SUCCESS: u8 = 0;
    /// A scenario, snapshot or gate failed.
    pub const FAILED: u8 = 1;
    /// Usage, configuration or input error.
    pub const USAGE: u8 = 2;
    /// Build or infrastructure failure.
    pub const INFRA: u8 = 3;
}

/// Where and how output goes: color, verbosity, progress.
#[derive(Clone, Debug)]
pub struct Output {
    /// Color choice for stdout and stderr.
    pub color: anstream::ColorChoice,
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
}

impl Output {
    fn new(cli: &Cli) -> Self {
        let color = match cli.color {
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
            ColorWhen::Auto => anstream::ColorChoice::Auto,
        };
        Self {
            color,
            quiet: cli.quiet,
            verbose: cli.verbose,
        }
    }

    /// Standard output, stripping color codes unless color is on.
    pub fn stdout(&self) -> anstream::AutoStream<std::io::Stdout> {
        anstream::AutoStream::new(std::io::stdout(), self.color)
    }

    /// Standard error, likewise.
    pub fn stderr(&self) -> anstream::AutoStream<std::io::Stderr> {
        anstream::AutoStream::new(std::io::stderr(), self.color)
    }

    /// Whether what goes to stderr is colored (`--color`, else `NO_COLOR`,
    /// `CLICOLOR` and whether it is a terminal).
    pub fn stderr_colored(&self) -> bool {
        let choice = match self.color {
            anstream::ColorChoice::Auto => anstream::AutoStream::choice(&std::io::stderr()),
            other => other,
        };
        choice != anstream::ColorChoice::Never
    }

    /// A progress bar on stderr, hidden when quiet or not on a terminal.
    pub fn progress(&self, len: u64) -> indicatif::ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{pos}/{len}] {elapsed_precise} {wide_msg}",
            )
            .expect("a valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }
}

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
    let out = Output::new(&cli);
    let result = match cli.command {
        Command::Run(a) => run_cmd::run(a, &out),
        Command::List(a) => list_cmd::run(a, &out),
        Command::Compare(a) => compare::run(a, &out),
        Command::Review(a) => review::run(a, &out),
        Command::Report(a) => report::run(a, &out),
        Command::Profile(a) => profile_cmd::run(a, &out),
        Command::Merge(a) => merge_cmd::run(a, &out),
        Command::Init(a) => init_cmd::run(a, &out),
    };
    match result {
        Ok(true) => ExitCode::from(exit_code::SUCCESS),
        Ok(false) => ExitCode::from(exit_code::FAILED),
        Err(e) => {
            use std::io::Write;
            let style = table::bad();
            let _ = writeln!(
                out.stderr(),
                "{}error{}: {e}",
                style.render(),
                style.render_reset()
            );
            ExitCode::from(e.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "run", "list", "compare", "review", "report", "profile", "merge", "init",
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
