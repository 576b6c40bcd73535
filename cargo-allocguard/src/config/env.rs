//! What the environment says about where `cargo allocguard` runs.

/// Whether CI mode is on: `--ci`, or `CI` set to anything but false/0/empty.
pub fn ci_mode(flag: bool) -> bool {
    flag || matches!(std::env::var("CI").ok().as_deref(), Some(v) if !v.is_empty() && v != "false" && v != "0")
}

/// Whether we run on GitHub Actions.
pub fn github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}
