//! The sample workspace of `tests/fixtures/basic`, copied to a temporary
//! directory, and the `cargo-allocguard` binary run against the copy.
//!
//! The copies share one target directory, so allocguard and its
//! dependencies are compiled once for all tests; each copy builds only its
//! own small crate. Scenarios are built in the dev profile at smoke scale to
//! keep this fast; the fixture carries its snapshots for exactly that.
#![allow(dead_code)] // each test binary uses part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub struct Fixture {
    pub dir: TempDir,
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Each copy gets its own package version: cargo names a path package's
/// artifacts and fingerprints without its location, so two copies of one
/// version would share (and overwrite) each other's binaries in the shared
/// target directory. The version appears in none of the outputs checked.
static COPIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let src = workspace_root().join("tests/fixtures/basic");
        copy_dir(&src, dir.path());
        let manifest = std::fs::read_to_string(src.join("Cargo.toml.fixture"))
            .unwrap()
            .replace("@ALLOCGUARD_PATH@", &workspace_root().display().to_string())
            .replace(
                "version = \"0.1.0\"",
                &format!(
                    "version = \"0.1.{}\"",
                    COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                ),
            );
        std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
        // The workspace's lockfile pins the fixture's dependencies to the same
        // versions (cargo drops the entries the fixture does not use).
        std::fs::copy(
            workspace_root().join("Cargo.lock"),
            dir.path().join("Cargo.lock"),
        )
        .unwrap();
        Fixture { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        command_in(self.dir.path(), args)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }

    /// `run` at the settings every test uses.
    pub fn scenarios(&self, extra: &[&str]) -> Run {
        let mut args = vec!["run", "--profile", "dev", "--scale", "smoke"];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// `text` with its line breaks, and the indentation after them, read as
/// one space: messages are wrapped to 80 columns, and a test looks for what
/// they say, not where they break.
pub fn flat(text: &str) -> String {
    let breaks = regex::Regex::new(r"[ \t]*\n\s*").unwrap();
    breaks.replace_all(text, " ").into_owned()
}

impl Run {
    /// Whether standard output says `text`, however it was wrapped.
    pub fn out_has(&self, text: &str) -> bool {
        flat(&self.stdout).contains(&flat(text))
    }

    /// Whether standard error says `text`, however it was wrapped.
    pub fn err_has(&self, text: &str) -> bool {
        flat(&self.stderr).contains(&flat(text))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Removes what varies between runs: times, run ids, paths, and the column
/// padding that depends on them.
pub fn redact(text: &str, fixture: &Fixture) -> String {
    let time = regex::Regex::new(r"\d+(\.\d+)? (ns|µs|ms|s)\b").unwrap();
    let run_id = regex::Regex::new(r"\d{8}T\d{6}Z-\d+").unwrap();
    let spaces = regex::Regex::new(r" {2,}").unwrap();
    let text = text.replace(&fixture.dir.path().display().to_string(), "[fixture]");
    let text = time.replace_all(&text, "[time]");
    let text = run_id.replace_all(&text, "[run-id]");
    text.lines()
        .map(|l| spaces.replace_all(l.trim_end(), "  ").into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl Run {
    /// The run file named on stderr (`run written to PATH`).
    pub fn run_file(&self) -> PathBuf {
        PathBuf::from(
            self.stderr
                .lines()
                .find_map(|l| l.strip_prefix("run written to "))
                .unwrap_or_else(|| panic!("no run file: {self:?}")),
        )
    }

    /// The run file, parsed.
    pub fn run_json(&self) -> serde_json::Value {
        serde_json::from_str(&read(&self.run_file())).unwrap()
    }
}

/// `cargo-allocguard allocguard ARGS…` in `dir`, with the shared target
/// directory and none of the caller's CI or insta settings.
pub fn command_in(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-allocguard"));
    cmd.arg("allocguard")
        .args(args)
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target"),
        )
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("ALLOCGUARD_SCALE")
        .env_remove("INSTA_UPDATE")
        .env_remove("INSTA_FORCE_PASS")
        .env_remove("INSTA_WORKSPACE_ROOT");
    cmd
}

/// The line of the fixture's scenario file that contains `needle`.
#[allow(dead_code)] // not every test binary uses it
pub fn line_of(f: &Fixture, needle: &str) -> usize {
    read(&f.path("tests/allocguard.rs"))
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}` in the fixture"))
        + 1
}
