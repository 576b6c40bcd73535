//! `cargo allocguard init` on a crate made by `cargo new`: one step to a
//! scenario target that builds, runs and records its snapshots; run again,
//! it changes nothing.

use std::path::Path;
use std::process::Command;

mod support;
use support::{command_in, read, Run};

fn new_crate(dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["new", "--lib", "--vcs", "none", "--name", "initgame"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A comment of the user's, which the edit must keep.
    let manifest = read(&dir.join("Cargo.toml")).replace(
        "[dependencies]",
        "# the game's own dependencies\n[dependencies]",
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    // The same dependency versions as this workspace, resolved offline.
    std::fs::copy(
        support::workspace_root().join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Run {
    Run::from(command_in(dir, args).output().unwrap())
}

/// Every file under `dir` but target/, with its text.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read_to_string(&p).unwrap_or_default(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn init_sets_a_new_crate_up_in_one_step_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("initgame");
    new_crate(&dir);
    // An allocguard.toml of the user's own is left alone.
    std::fs::write(dir.join("allocguard.toml"), "# mine\n").unwrap();

    let r = run(&dir, &["init"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.out_has("created  tests/allocguard.rs: the scenario target, with one example scenario"),
        "{r:?}"
    );
    assert!(
        r.out_has(
            "edited   Cargo.toml: added [[test]] allocguard (harness = false); dev-dependency \
             allocguard; [profile.release] debug = \"line-tables-only\" (violations name the line)"
        ),
        "{r:?}"
    );
    assert!(
        r.out_has("skipped  allocguard.toml: it exists; left as it is"),
        "{r:?}"
    );
    assert!(
        r.out_has("created  .github/workflows/allocguard.yml"),
        "{r:?}"
    );
    assert_eq!(read(&dir.join("allocguard.toml")), "# mine\n");
    let manifest = read(&dir.join("Cargo.toml"));
    assert!(
        manifest.contains("# the game's own dependencies\n[dependencies]"),
        "{manifest}"
    );
    assert!(
        manifest.contains("[[test]]\nname = \"allocguard\"\nharness = false\n"),
        "{manifest}"
    );
    assert!(
        manifest.contains("[profile.release]\ndebug = \"line-tables-only\"\n"),
        "{manifest}"
    );
    assert!(
        manifest.contains(&format!(
            "[dev-dependencies]\nallocguard = {{ path = \"{}\" }}",
            support::workspace_root().display()
        )),
        "this binary's own sources, as it was not installed: {manifest}"
    );
    // The dependency is outside the new crate's workspace, and no compiler
    // is pinned: both said.
    assert!(r.err_has("not in CI"), "{r:?}");
    assert!(r.err_has("warning: no rust-toolchain.toml"), "{r:?}");
    assert_eq!(
        read(&dir.join(".github/workflows/allocguard.yml")),
        read(&support::workspace_root().join("ci/github-workflow.yml"))
    );

    // First contact: the first run (here at default scale, as `run` runs
    // by default) says its snapshot is new, not that the code failed, and
    // leaves pending beside it the one `cargo test` will check (debug,
    // smoke scale); one review accepts both, and then `cargo test` and the
    // run pass.
    let first = run(&dir, &["run", "--profile", "dev", "--scale", "default"]);
    assert_eq!(first.code, 1, "{first:?}");
    assert!(first.out_has("NEW initgame/steady"), "{first:?}");
    assert!(!first.out_has("FAIL"), "{first:?}");
    assert!(
        first.out_has("NEW: 1 scenario, 0 passed, 0 failed, 1 new; "),
        "{first:?}"
    );
    assert!(
        first.out_has("1 new snapshot to review: `cargo allocguard review` shows it"),
        "{first:?}"
    );
    assert!(
        first.err_has("1 new snapshot for `cargo test` as well"),
        "{first:?}"
    );
    let pending = |name: &str| {
        dir.join("snapshots")
            .join(format!("initgame__steady@{name}.snap.new"))
    };
    assert!(pending("debug-default").is_file() && pending("debug-smoke").is_file());
    let review = run(&dir, &["review", "--accept"]);
    assert_eq!(review.code, 0, "{review:?}");
    assert_eq!(review.stdout.matches("accepted ").count(), 2, "{review:?}");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let test = Command::new(cargo)
        .args(["test", "--test", "allocguard"])
        .current_dir(&dir)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target"),
        )
        .env_remove("CI")
        .env_remove("ALLOCGUARD_SCALE")
        .env_remove("INSTA_UPDATE")
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "cargo test after one review: {}",
        String::from_utf8_lossy(&test.stdout)
    );
    let second = run(&dir, &["run", "--profile", "dev", "--scale", "default"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert!(second.out_has("PASS initgame/steady"), "{second:?}");
    assert!(!second.err_has("cargo test"), "{second:?}");

    // A Vec that only grows, in the bounded phase: CI fails, and the step
    // summary names the line that grows it and how fast it keeps memory.
    let source = read(&dir.join("tests/allocguard.rs"));
    let leaky = source
        .replace(
            "    cache: HashMap<u64, u64>,\n}",
            "    cache: HashMap<u64, u64>,\n    log: Vec<u64>,\n}",
        )
        .replace(
            "cache: HashMap::new(),",
            "cache: HashMap::new(),\n                    log: Vec::new(),",
        )
        .replace(
            "for x in w.data.iter_mut() {",
            "w.log.push(t.index);\n                        for x in w.data.iter_mut() {",
        );
    assert_ne!(leaky, source, "the template changed: this test edits it");
    std::fs::write(dir.join("tests/allocguard.rs"), &leaky).unwrap();
    let push_line = leaky
        .lines()
        .position(|l| l.contains("w.log.push(t.index);"))
        .unwrap()
        + 1;
    let summary = tmp.path().join("summary.md");
    let ci = Run::from(
        command_in(
            &dir,
            &["run", "--profile", "dev", "--scale", "smoke", "--ci"],
        )
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap(),
    );
    assert_eq!(ci.code, 1, "{ci:?}");
    let md = read(&summary);
    let row = md
        .lines()
        .find(|l| l.contains("| initgame/steady | run | memory kept in a bounded phase |"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(row.contains(" B a tick since tick "), "{row}");
    assert!(
        row.contains(&format!("`tests/allocguard.rs:{push_line}`")),
        "the line that grows it: {row}"
    );
    std::fs::write(dir.join("tests/allocguard.rs"), &source).unwrap();

    // Again: everything is skipped, and not a byte changes.
    let before = files(&dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with("target"))
        .collect::<Vec<_>>();
    let again = run(&dir, &["init"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.stdout.matches("skipped").count(), 4, "{again:?}");
    let after = files(&dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with("target"))
        .collect::<Vec<_>>();
    assert_eq!(before, after);
}

#[test]
fn init_refuses_a_test_target_of_that_name_with_libtests_harness() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("initgame");
    new_crate(&dir);
    let manifest = read(&dir.join("Cargo.toml")) + "\n[[test]]\nname = \"allocguard\"\n";
    std::fs::write(dir.join("Cargo.toml"), &manifest).unwrap();
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(dir.join("tests/allocguard.rs"), "#[test]\nfn t() {}\n").unwrap();
    let r = run(&dir, &["init"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.err_has("needs `harness = false`"), "{r:?}");
    assert_eq!(
        read(&dir.join("Cargo.toml")),
        manifest,
        "nothing was changed"
    );
}

#[test]
fn init_in_two_packages_of_one_workspace_gives_two_scenarios_that_run() {
    // A virtual workspace of two `cargo new` crates: init each with -p,
    // then run both. The example scenarios were both `example/steady`
    // before, and the run refused the clash (exit 2).
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(
        ws.join("Cargo.toml"),
        "[workspace]\nmembers = [\"physics\", \"render\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    std::fs::copy(
        support::workspace_root().join("Cargo.lock"),
        ws.join("Cargo.lock"),
    )
    .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for name in ["physics", "render"] {
        let out = Command::new(&cargo)
            .args(["new", "--lib", "--vcs", "none", name])
            .current_dir(&ws)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let first = run(&ws, &["init", "-p", "physics", "--no-workflow"]);
    assert_eq!(first.code, 0, "{first:?}");
    // The release profile is the workspace root's, edited once.
    assert!(
        first.out_has("edited   Cargo.toml: added [profile.release] debug = \"line-tables-only\""),
        "{first:?}"
    );
    let second = run(&ws, &["init", "-p", "render", "--no-workflow"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert!(
        !second.out_has("edited   Cargo.toml: added [profile"),
        "{second:?}"
    );
    assert_eq!(
        read(&ws.join("Cargo.toml"))
            .matches("line-tables-only")
            .count(),
        1
    );
    let r = run(&ws, &["run", "--profile", "dev", "--scale", "smoke"]);
    // Both run (their snapshots are new, so the run says so and fails).
    assert_eq!(r.code, 1, "{r:?}");
    for name in ["physics", "render"] {
        assert!(r.out_has(&format!("NEW {name}/steady")), "{r:?}");
        assert!(ws
            .join(format!("snapshots/{name}__steady@debug-smoke.snap.new"))
            .is_file());
    }
    assert_eq!(run(&ws, &["review", "--accept"]).code, 0);
    let again = run(&ws, &["run", "--profile", "dev", "--scale", "smoke"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.out_has("2 scenarios, 2 passed"), "{again:?}");
}

#[test]
fn init_refuses_an_ordinary_test_file_of_that_name_and_changes_nothing() {
    // tests/allocguard.rs with libtest tests and no [[test]] entry: cargo
    // finds it as a libtest target. It was skipped, and `harness = false`
    // added anyway, which broke `cargo test` (E0601: no main).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("initgame");
    new_crate(&dir);
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(dir.join("tests/allocguard.rs"), "#[test]\nfn t() {}\n").unwrap();
    let before = files(&dir);
    let r = run(&dir, &["init"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has("runs under libtest's harness; a scenario target needs `harness = false`"),
        "{r:?}"
    );
    assert_eq!(files(&dir), before, "nothing was written");
}
