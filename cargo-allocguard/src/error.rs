//! The one error type of `cargo allocguard`, and the one place where what a
//! command ended with becomes an exit code and a message.
//!
//! A command returns `Ok(true)` when everything passed, `Ok(false)` when a
//! scenario, snapshot or gate failed (its report says which), and an
//! [`CliError`] when it could not do its work: of the user's making (bad
//! usage, configuration or input: exit 2) or the machine's (a build, a
//! process, a disk: exit 3). [`conclude`] maps all four.

use std::fmt;

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

/// Whose making a failure is, which says its exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Usage, configuration or input: the user can fix it (exit 2).
    Usage,
    /// Build or infrastructure: the machine failed us (exit 3).
    Infra,
}

/// An error with the kind that says its exit code.
#[derive(Debug)]
pub struct CliError {
    /// Usage or infrastructure.
    pub kind: Kind,
    /// What went wrong and what to do, with context.
    pub error: anyhow::Error,
}

impl CliError {
    /// Usage, configuration or input error (exit 2).
    pub fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self {
            kind: Kind::Usage,
            error: error.into(),
        }
    }

    /// Build or infrastructure failure (exit 3).
    pub fn infra(error: impl Into<anyhow::Error>) -> Self {
        Self {
            kind: Kind::Infra,
            error: error.into(),
        }
    }

    /// The exit code this error ends the process with.
    pub fn code(&self) -> u8 {
        match self.kind {
            Kind::Usage => exit_code::USAGE,
            Kind::Infra => exit_code::INFRA,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

/// Result of a command: `Ok(true)` when everything passed.
pub type CliResult<T> = Result<T, CliError>;

/// Tags an `anyhow` result with an exit code.
pub trait WithCode<T> {
    /// Exit 2 on error.
    fn usage_err(self) -> CliResult<T>;
    /// Exit 3 on error.
    fn infra_err(self) -> CliResult<T>;
}

impl<T, E: Into<anyhow::Error>> WithCode<T> for Result<T, E> {
    fn usage_err(self) -> CliResult<T> {
        self.map_err(CliError::usage)
    }
    fn infra_err(self) -> CliResult<T> {
        self.map_err(CliError::infra)
    }
}

/// What a command ended with, as the exit code and, for an error, the
/// message to print after `error: `.
pub fn conclude(outcome: &CliResult<bool>) -> (u8, Option<String>) {
    match outcome {
        Ok(true) => (exit_code::SUCCESS, None),
        Ok(false) => (exit_code::FAILED, None),
        Err(e) => (e.code(), Some(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn every_outcome_has_its_documented_code() {
        assert_eq!(conclude(&Ok(true)), (0, None));
        assert_eq!(conclude(&Ok(false)), (1, None));
        let e = Err(CliError::usage(anyhow::anyhow!("bad flag")));
        assert_eq!(conclude(&e), (2, Some("bad flag".to_string())));
        let e: CliResult<bool> = Err(anyhow::anyhow!("disk full"))
            .context("cannot write run.json")
            .infra_err();
        assert_eq!(
            conclude(&e),
            (3, Some("cannot write run.json: disk full".to_string()))
        );
    }
}
