//! `cargo allocguard`: the command line in front of allocguard.
//!
//! The logic lives here, in a library, so that it can be tested without
//! spawning processes; `main.rs` only forwards `std::env::args_os()`.
//!
//! Cargo runs a subcommand `cargo-X` as `cargo-X X ARGS…`; the in-tree alias
//! in `.cargo/config.toml` runs it as `cargo-allocguard ARGS…`. Both forms are
//! accepted: a leading `allocguard` argument is dropped.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

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

/// Heap allocation as a tested, reviewed, gated property of Rust code.
///
/// Commands (run, list, compare, review, report, profile) arrive with the
/// scenario harness; see the README's status section.
#[derive(Debug, Parser)]
#[command(name = "cargo allocguard", bin_name = "cargo allocguard", version, about, long_about = None)]
pub struct Cli {}

/// Drops the `allocguard` argument cargo inserts when it runs `cargo-allocguard`.
pub fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|a| a == "allocguard") {
        args.remove(1);
    }
    args
}

/// Parses `args` (program name first) and runs the command.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    match Cli::try_parse_from(normalize_args(args)) {
        Ok(Cli {}) => ExitCode::from(exit_code::SUCCESS),
        Err(e) => {
            let _ = e.print();
            ExitCode::from(if e.use_stderr() {
                exit_code::USAGE
            } else {
                exit_code::SUCCESS
            })
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
            normalize_args(os(&["cargo-allocguard", "allocguard", "--version"])),
            os(&["cargo-allocguard", "--version"])
        );
        assert_eq!(
            normalize_args(os(&["cargo-allocguard", "--version"])),
            os(&["cargo-allocguard", "--version"])
        );
    }

    #[test]
    fn help_and_version_are_answered_and_unknown_flags_rejected() {
        use clap::error::ErrorKind;
        let help = Cli::try_parse_from(os(&["cargo-allocguard", "--help"])).unwrap_err();
        assert_eq!(help.kind(), ErrorKind::DisplayHelp);
        let version = Cli::try_parse_from(os(&["cargo-allocguard", "--version"])).unwrap_err();
        assert_eq!(version.kind(), ErrorKind::DisplayVersion);
        assert!(version.to_string().contains(env!("CARGO_PKG_VERSION")));
        let bad = Cli::try_parse_from(os(&["cargo-allocguard", "--frobnicate"])).unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::UnknownArgument);
    }
}
