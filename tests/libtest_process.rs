//! Process-wide checks inside ordinary `#[test]`s: the fixture crate of
//! `tests/fixtures/libtest`, built and run by `cargo test` as a user's would
//! be, with each check's own selection and thread count.
//!
//! - alone (libtest's default two threads, one test selected): exact, libtest's
//!   runner thread left out;
//! - one at a time (`--test-threads=1`): exact;
//! - beside another running test: refused, naming it and the ways out.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the fixture, its manifest pointing at this allocguard.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("tests/fixtures/libtest");
    for rel in ["src/lib.rs", "tests/in_tests.rs"] {
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(rel), to).unwrap();
    }
    let manifest = std::fs::read_to_string(src.join("Cargo.toml.fixture"))
        .unwrap()
        .replace("@ALLOCGUARD_PATH@", &root().display().to_string());
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(root().join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    dir
}

/// `cargo test --test in_tests -- ARGS` in `dir`.
fn cargo_test(dir: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(["test", "--test", "in_tests", "--"])
        .args(args)
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target"),
        )
        .env_remove("RUST_TEST_THREADS")
        .env_remove("NEXTEST")
        .output()
        .unwrap()
}

fn check(out: &Output, passed: usize) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("test result: ok. {passed} passed; 0 failed")),
        "{text}"
    );
}

#[test]
fn process_wide_checks_in_ordinary_tests_are_exact_alone_and_refused_beside_others() {
    let dir = fixture();
    // Alone, with libtest's default thread count: the runner is left out.
    check(
        &cargo_test(dir.path(), &["--exact", "alone_exact", "--test-threads=2"]),
        1,
    );
    check(
        &cargo_test(
            dir.path(),
            &["--exact", "guard_alone_exact", "--test-threads=2"],
        ),
        1,
    );
    // Alone with a named thread of its own: allowed, and exact.
    check(
        &cargo_test(
            dir.path(),
            &["--exact", "with_a_named_worker", "--test-threads=2"],
        ),
        1,
    );
    // One test at a time: both exact.
    check(
        &cargo_test(
            dir.path(),
            &[
                "--exact",
                "alone_exact",
                "guard_alone_exact",
                "--test-threads=1",
            ],
        ),
        2,
    );
    // Beside a running test whose name shares its first 15 bytes: refused,
    // as the two cannot be told apart (the test asserts the message).
    check(
        &cargo_test(
            dir.path(),
            &[
                "--exact",
                "group::measure_a",
                "group::measure_b",
                "--test-threads=2",
            ],
        ),
        2,
    );
    // After a test that left a thread running, one at a time: refused.
    check(
        &cargo_test(
            dir.path(),
            &[
                "--exact",
                "bg_1_leaves_a_worker",
                "bg_2_measures_after_it",
                "--test-threads=1",
            ],
        ),
        2,
    );
    // Beside a running test: refused (the test asserts the message).
    check(
        &cargo_test(
            dir.path(),
            &[
                "--exact",
                "sleeper",
                "beside_the_sleeper",
                "--test-threads=2",
            ],
        ),
        2,
    );
}
