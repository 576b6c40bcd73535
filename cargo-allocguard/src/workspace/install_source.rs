//! Where this `cargo-allocguard` came from, so that `init` gives a crate the
//! `allocguard` library from the same source at the same version: the run
//! files the library writes and the subcommand reads then always agree.
//!
//! An installed binary is looked up in cargo's own record of installs (the
//! `.crates2.json` of its install root: `$CARGO_HOME`, or the `--root` it
//! was installed with): a crates.io install means the same version
//! from crates.io, a git install the same commit of the same repository, a
//! path install the library beside the subcommand's sources. A binary run
//! from a target directory (the in-tree alias, tests) uses the sources it
//! was built from.

use std::path::{Path, PathBuf};

/// A source for the `allocguard` dependency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A version requirement on crates.io.
    Version(String),
    /// A git repository at a commit (or the default branch).
    Git {
        /// The repository.
        url: String,
        /// The commit, when known.
        rev: Option<String>,
    },
    /// A directory holding allocguard's `Cargo.toml`.
    Path(PathBuf),
}

/// Reads an install's source from the key cargo records it under:
/// `cargo-allocguard 0.1.0 (git+https://…#sha)`.
pub fn from_install_key(key: &str) -> Option<Source> {
    let (name_version, source) = key.split_once(" (")?;
    let mut parts = name_version.split(' ');
    if parts.next()? != "cargo-allocguard" {
        return None;
    }
    let version = parts.next()?.to_string();
    let source = source.strip_suffix(')')?;
    if source.starts_with("registry+") || source.starts_with("sparse+") {
        return Some(Source::Version(version));
    }
    if let Some(git) = source.strip_prefix("git+") {
        let (url, rev) = match git.split_once('#') {
            Some((u, r)) => (u, Some(r.to_string())),
            None => (git, None),
        };
        let url = url.split('?').next().unwrap_or(url).to_string();
        return Some(Source::Git { url, rev });
    }
    if let Some(path) = source.strip_prefix("path+file://") {
        // The install was of `<clone>/cargo-allocguard`; the library is the clone.
        let dir = Path::new(path);
        return Some(Source::Path(dir.parent().unwrap_or(dir).to_path_buf()));
    }
    None
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// The source recorded for `cargo-allocguard` in the `.crates2.json` of the
/// install root `root` (`$CARGO_HOME`, or the `--root` of `cargo install`).
pub fn from_install_root(root: &Path) -> Option<Source> {
    let text = std::fs::read_to_string(root.join(".crates2.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["installs"]
        .as_object()?
        .keys()
        .find_map(|k| from_install_key(k))
}

/// The source this binary came from, if it can be told.
pub fn detect() -> Option<Source> {
    let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
    // Installed: `<root>/bin/cargo-allocguard`, whatever the root (cargo's
    // home, or `cargo install --root DIR`), recorded in `<root>/.crates2.json`.
    let install_root = exe
        .parent()
        .filter(|bin| bin.file_name().is_some_and(|n| n == "bin"))
        .and_then(Path::parent);
    if let Some(source) = install_root.and_then(from_install_root) {
        return Some(source);
    }
    // Built in a target directory: the library is beside these sources,
    // unless they are cargo's own copy (a git or registry install whose
    // record was not found): that copy is no place to depend on.
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    if cargo_home().is_some_and(|home| {
        here.starts_with(home.join("git")) || here.starts_with(home.join("registry"))
    }) {
        return None;
    }
    let manifest = std::fs::read_to_string(here.join("Cargo.toml")).ok()?;
    manifest
        .lines()
        .any(|l| l.trim() == "name = \"allocguard\"")
        .then(|| Source::Path(here.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_install_root_of_its_own_is_read_like_cargos_home() {
        // `cargo install --git URL --root DIR`: DIR/bin and DIR/.crates2.json.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".crates2.json"),
            r#"{"installs":{"cargo-allocguard 0.1.0 (git+https://g/a#abc123)":{"bins":["cargo-allocguard"]}}}"#,
        )
        .unwrap();
        assert_eq!(
            from_install_root(dir.path()),
            Some(Source::Git {
                url: "https://g/a".into(),
                rev: Some("abc123".into())
            })
        );
        assert_eq!(from_install_root(&dir.path().join("nowhere")), None);
    }

    #[test]
    fn install_keys_of_every_kind() {
        assert_eq!(
            from_install_key(
                "cargo-allocguard 0.1.0 (registry+https://github.com/rust-lang/crates.io-index)"
            ),
            Some(Source::Version("0.1.0".into()))
        );
        assert_eq!(
            from_install_key(
                "cargo-allocguard 0.1.0 (git+https://github.com/o/allocguard?branch=main#0123abc)"
            ),
            Some(Source::Git {
                url: "https://github.com/o/allocguard".into(),
                rev: Some("0123abc".into())
            })
        );
        assert_eq!(
            from_install_key(
                "cargo-allocguard 0.1.0 (path+file:///src/allocguard/cargo-allocguard)"
            ),
            Some(Source::Path(PathBuf::from("/src/allocguard")))
        );
        assert_eq!(
            from_install_key("cargo-nextest 0.9.1 (registry+https://x)"),
            None
        );
    }
}
