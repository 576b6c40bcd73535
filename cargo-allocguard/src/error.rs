//! Errors that carry the exit code they end the process with.

use std::fmt;

use crate::exit_code;

/// An error with the exit code documented for its kind.
#[derive(Debug)]
pub struct CliError {
    /// One of [`exit_code`]'s constants.
    pub code: u8,
    /// What went wrong and what to do, with context.
    pub error: anyhow::Error,
}

impl CliError {
    /// Usage, configuration or input error (exit 2).
    pub fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: exit_code::USAGE,
            error: error.into(),
        }
    }

    /// Build or infrastructure failure (exit 3).
    pub fn infra(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: exit_code::INFRA,
            error: error.into(),
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
