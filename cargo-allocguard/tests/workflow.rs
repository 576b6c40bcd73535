//! The workflow `init` writes and the action it uses (`action.yml`), run as
//! GitHub runs them (`support/github.rs`: the steps in order, GitHub's
//! environment, `${{ }}` and `if:`, the cache kept across jobs), on a crate
//! made by `cargo new` and `cargo allocguard init`: a push, then pull
//! requests that change nothing, allocate in a hot tick, leak, and make a
//! phase twice as slow. Each gets its verdict, one annotation per failure,
//! and a summary that leads with the verdict; the pull requests build only
//! their head when the base's results were kept, and both revisions, once
//! each, when a time gate needs them side by side.
//!
//! Also: every script of the action is valid bash, and its install step
//! installs cargo-allocguard from wherever the workspace's allocguard comes.

#[path = "support/github.rs"]
mod github;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use github::{Event, Job, Runner};

/// Writes an executable `name` into `bin` (created) with `script`.
fn stub(bin: &Path, name: &str, script: &str) {
    std::fs::create_dir_all(bin).unwrap();
    std::fs::write(bin.join(name), script).unwrap();
    let ok = Command::new("chmod")
        .arg("+x")
        .arg(bin.join(name))
        .status()
        .unwrap();
    assert!(ok.success());
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `cargo allocguard ARGS` with this build, in `dir`, the target directory
/// shared with the jobs.
fn allocguard(dir: &Path, target: &Path, args: &[&str]) -> support::Run {
    Command::new(env!("CARGO_BIN_EXE_cargo-allocguard"))
        .arg("allocguard")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("ALLOCGUARD_SCALE")
        .output()
        .unwrap()
        .into()
}

/// The repository: a crate made by `cargo new` and `cargo allocguard init`,
/// its snapshots accepted, on `main`. The workflow's action arguments build
/// the dev profile at default scale, to keep this test to minutes.
fn repository(dir: &Path, target: &Path) -> PathBuf {
    let repo = dir.join("repo");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["new", "--lib", "--vcs", "none", "--name", "game"])
        .arg(&repo)
        .output()
        .unwrap();
    assert!(out.status.success());
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::copy(
        support::workspace_root().join("Cargo.lock"),
        repo.join("Cargo.lock"),
    )
    .unwrap();
    let init = allocguard(&repo, target, &["init"]);
    assert_eq!(init.code, 0, "{init:?}");
    let workflow = repo.join(".github/workflows/allocguard.yml");
    let text = std::fs::read_to_string(&workflow).unwrap();
    assert!(text.contains("branches: [main]"), "{text}");
    std::fs::write(
        &workflow,
        text.replace(
            "          working-directory: .\n",
            "          working-directory: .\n          args: --profile dev --scale default\n",
        ),
    )
    .unwrap();
    let first = allocguard(
        &repo,
        target,
        &["run", "--profile", "dev", "--scale", "default"],
    );
    assert!(
        repo.join("snapshots/game__steady@debug-default.snap.new")
            .is_file(),
        "{first:?}"
    );
    assert_eq!(allocguard(&repo, target, &["review", "--accept"]).code, 0);
    std::fs::write(repo.join(".gitignore"), "/target\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "the game, with allocguard"]);
    repo
}

/// A commit on a branch of `base` changing `file` by `edit`; returns the
/// merge commit GitHub would check out for its pull request into `base`.
fn pull_request(
    repo: &Path,
    base: &str,
    name: &str,
    file: &str,
    edit: impl Fn(&str) -> String,
) -> String {
    git(repo, &["checkout", "-q", "-b", name, base]);
    let path = repo.join(file);
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    let after = edit(&before);
    assert_ne!(before, after, "{name}: the edit changed nothing");
    std::fs::write(&path, after).unwrap();
    git(repo, &["commit", "-q", "-am", name]);
    git(
        repo,
        &["checkout", "-q", "-b", &format!("{name}-merge"), base],
    );
    git(repo, &["merge", "-q", "--no-ff", "-m", "merge", name]);
    let merge = git(repo, &["rev-parse", "HEAD"]);
    git(repo, &["checkout", "-q", "main"]);
    merge
}

/// Lines of the job's log that show a build of the crate itself.
fn builds(job: &Job) -> usize {
    job.log
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling game v"))
        .count()
}

fn first_line(job: &Job) -> &str {
    job.summary.lines().next().unwrap_or("")
}

#[test]
fn the_workflow_gates_pull_requests_as_github_runs_it() {
    let tmp = tempfile::tempdir().unwrap();
    // ALLOCGUARD_KEEP_JOBS=1 keeps the jobs' files (workspace, summary,
    // log, artifacts) to read after the test.
    let dir = &if std::env::var_os("ALLOCGUARD_KEEP_JOBS").is_some() {
        let kept = tmp.keep();
        eprintln!("the jobs are kept in {}", kept.display());
        kept
    } else {
        tmp.path().to_path_buf()
    };
    let target = dir.join("target");
    let repo = repository(dir, &target);
    let workflow = std::fs::read_to_string(repo.join(".github/workflows/allocguard.yml")).unwrap();

    // `cargo install` gives this build; `gh` keeps the comments it is sent.
    let bin = dir.join("bin");
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    stub(
        &bin,
        "cargo",
        &format!(
            "#!/usr/bin/env bash\nif [ \"$1\" = install ]; then\n  shift; echo \"install $*\" >>{log}\n  ln -sf {exe} {bin}/cargo-allocguard\n  exit 0\nfi\nexec {real} \"$@\"\n",
            log = dir.join("install.log").display(),
            exe = env!("CARGO_BIN_EXE_cargo-allocguard"),
            bin = bin.display(),
        ),
    );
    let comments = dir.join("comments");
    std::fs::create_dir_all(&comments).unwrap();
    stub(
        &bin,
        "gh",
        &format!(
            "#!/usr/bin/env bash\nd={d}\necho \"$*\" >>$d/calls\ncase \"$*\" in\n  *'-X POST'*) echo 101 >$d/id; cp \"${{@: -1}}\" $d/body 2>/dev/null; f=${{@: -1}}; cp \"${{f#body=@}}\" $d/body ;;\n  *'-X PATCH'*) f=${{@: -1}}; cp \"${{f#body=@}}\" $d/body ;;\n  *) [ -f $d/id ] && grep -q 'allocguard pull request comment' $d/body && cat $d/id ;;\nesac\nexit 0\n",
            d = comments.display()
        ),
    );
    let mut runner = Runner::new(&repo, &support::workspace_root(), &dir.join("runner"));
    runner.path.push(bin.clone());
    runner
        .env
        .push(("CARGO_TARGET_DIR".into(), target.display().to_string()));

    // A push to main: one run, absolute gates, its results kept.
    let a = git(&repo, &["rev-parse", "HEAD"]);
    let push = runner.run(&workflow, "allocguard", &Event::Push { sha: a.clone() });
    assert!(push.success, "{}", push.log);
    assert!(
        first_line(&push).starts_with("## allocguard: pass (1 scenario, a push"),
        "{}",
        push.summary
    );
    assert!(push.annotations.is_empty(), "{:?}", push.annotations);
    assert!(
        push.artifacts.contains_key("allocguard"),
        "{:?}",
        push.artifacts
    );
    let installs = std::fs::read_to_string(dir.join("install.log")).unwrap();
    assert_eq!(
        installs,
        format!(
            "install --locked --path {}/cargo-allocguard\n",
            support::workspace_root().display()
        ),
        "installed from where the crate's allocguard comes"
    );

    // Unchanged: only the head is built; the base's results are the push's.
    let unchanged = pull_request(&repo, "main", "docs", "src/lib.rs", |s| {
        format!("{s}\n// docs\n")
    });
    let job = runner.run(
        &workflow.replace("          # comment: true\n", "          comment: true\n"),
        "allocguard",
        &Event::PullRequest {
            number: 1,
            base: a.clone(),
            merge: unchanged.clone(),
        },
    );
    assert!(job.success, "{}", job.log);
    assert_eq!(
        first_line(&job),
        format!(
            "## allocguard: pass (1 scenario, against base {}, its results kept)",
            &a[..10]
        ),
        "{}",
        job.summary
    );
    assert!(job.annotations.is_empty(), "{:?}", job.annotations);
    assert_eq!(builds(&job), 1, "only the head is built: {}", job.log);
    // One comment, then the same one updated.
    let body = std::fs::read_to_string(comments.join("body")).unwrap();
    assert!(body.contains("## allocguard: pass"), "{body}");
    let job = runner.run(
        &workflow.replace("          # comment: true\n", "          comment: true\n"),
        "allocguard",
        &Event::PullRequest {
            number: 1,
            base: a.clone(),
            merge: unchanged,
        },
    );
    assert!(job.success, "{}", job.log);
    let calls = std::fs::read_to_string(comments.join("calls")).unwrap();
    assert_eq!(calls.matches("-X POST").count(), 1, "{calls}");
    assert_eq!(
        calls
            .matches("-X PATCH repos/owner/repo/issues/comments/101")
            .count(),
        1,
        "{calls}"
    );

    // An allocation in a hot tick: one failure, one annotation, at its line.
    let hot = pull_request(&repo, "main", "hot", "tests/allocguard.rs", |s| {
        s.replace(
            "for x in w.data.iter_mut() {",
            "std::hint::black_box(format!(\"{}\", t.index));\n                        for x in w.data.iter_mut() {",
        )
    });
    let job = runner.run(
        &workflow,
        "allocguard",
        &Event::PullRequest {
            number: 2,
            base: a.clone(),
            merge: hot,
        },
    );
    assert!(!job.success);
    assert_eq!(
        first_line(&job),
        format!(
            "## allocguard: FAIL, 1 failure (against base {}, its results kept)",
            &a[..10]
        ),
        "{}",
        job.summary
    );
    let source = git(&repo, &["show", "hot:tests/allocguard.rs"]);
    let line = source
        .lines()
        .position(|l| l.contains("black_box(format!"))
        .unwrap()
        + 1;
    assert_eq!(job.annotations.len(), 1, "{:#?}", job.annotations);
    assert!(
        job.annotations[0].starts_with(&format!("::error file=tests/allocguard.rs,line={line},")),
        "the allocating line: {}",
        job.annotations[0]
    );
    assert!(job.artifacts["allocguard"].join("junit.xml").is_file());

    // A leak, a Vec that only grows in the bounded phase.
    let leak = pull_request(&repo, "main", "leak", "tests/allocguard.rs", |s| {
        s.replace(
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
        )
    });
    let job = runner.run(
        &workflow,
        "allocguard",
        &Event::PullRequest {
            number: 3,
            base: a.clone(),
            merge: leak,
        },
    );
    assert!(!job.success);
    assert!(
        first_line(&job).starts_with("## allocguard: FAIL, 1 failure"),
        "{}",
        job.summary
    );
    assert_eq!(job.annotations.len(), 1, "{:#?}", job.annotations);
    assert!(
        job.summary.contains("memory kept in a bounded phase"),
        "{}",
        job.summary
    );

    // Time gates switched on (a push), then a phase twice as slow: the base
    // is built here too, once, and the two run alternately.
    std::fs::write(
        repo.join("allocguard.toml"),
        std::fs::read_to_string(repo.join("allocguard.toml"))
            .unwrap()
            .replace("# step_p50_us", "step_p50_us")
            .replace("# step_p95_us", "step_p95_us")
            .replace("new_sites = false", "new_sites = true"),
    )
    .unwrap();
    // And a line of the workspace that allocates as the cache loads: a site
    // the base built below names under its checkout.
    let scenarios = repo.join("tests/allocguard.rs");
    std::fs::write(
        &scenarios,
        std::fs::read_to_string(&scenarios).unwrap().replace(
            "w.cache.insert(t.index, t.index * t.index);",
            "w.cache.insert(t.index, t.index * t.index);\n                    std::hint::black_box(vec![t.index; 2]);",
        ),
    )
    .unwrap();
    allocguard(
        &repo,
        &target,
        &["run", "--profile", "dev", "--scale", "default"],
    );
    assert_eq!(allocguard(&repo, &target, &["review", "--accept"]).code, 0);
    git(&repo, &["commit", "-q", "-am", "gate times"]);
    let c = git(&repo, &["rev-parse", "HEAD"]);
    let push = runner.run(&workflow, "allocguard", &Event::Push { sha: c.clone() });
    assert!(push.success, "{}", push.log);
    let slow = pull_request(&repo, "main", "slow", "tests/allocguard.rs", |s| {
        s.replace(
            "for x in w.data.iter_mut() {\n                            *x = x.wrapping_add(t.index);\n                        }",
            "for _ in 0..2 {\n                            for x in w.data.iter_mut() {\n                                *x = std::hint::black_box(x.wrapping_add(t.index));\n                            }\n                        }",
        )
    });
    let job = runner.run(
        &workflow,
        "allocguard",
        &Event::PullRequest {
            number: 4,
            base: c.clone(),
            merge: slow,
        },
    );
    assert!(!job.success, "{}", job.summary);
    assert_eq!(
        first_line(&job),
        format!(
            "## allocguard: FAIL, 1 failure (against base {}, built here)",
            &c[..10]
        ),
        "{}",
        job.summary
    );
    assert_eq!(job.annotations.len(), 1, "{:#?}", job.annotations);
    assert!(
        job.annotations[0].contains("step_p"),
        "{}",
        job.annotations[0]
    );
    assert_eq!(builds(&job), 2, "each revision built once: {}", job.log);
    // The base built here names its files under its checkout; its sites
    // are still the head's (the loading phase allocates the same way), so
    // no site is listed as changed, and none fails `new_sites`.
    assert!(
        !job.summary.contains("**Allocation sites**")
            && !job.summary.contains("New allocation sites"),
        "the base's sites are the head's: {}",
        job.summary
    );
    // The template's phases are long enough for each time gate it offers.
    assert!(
        !job.summary.contains("Gates that could not fire"),
        "{}",
        job.summary
    );
}

/// The action's scripts.
fn scripts() -> Vec<PathBuf> {
    let dir = support::workspace_root().join("action");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sh"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_script_of_the_action_is_valid_bash() {
    let all = scripts();
    assert_eq!(all.len(), 3, "{all:?}");
    for s in all {
        let out = Command::new("bash").arg("-n").arg(&s).output().unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            s.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Runs the install-source script in `dir` with a `cargo` that answers
/// `pkgid` with `pkgid` (or fails, with `metadata` saying `why`); returns
/// whether it succeeded, its outputs and its standard output.
fn source(dir: &Path, pkgid: Option<&str>, why: &str) -> (bool, String, String) {
    let bin = dir.join("bin");
    stub(
        &bin,
        "cargo",
        "#!/usr/bin/env bash\n\
             case \"$1\" in\n\
               pkgid) [ -n \"$STUB_PKGID\" ] || exit 101; echo \"$STUB_PKGID\" ;;\n\
               metadata) cat why >&2; exit 101 ;;\n\
               locate-project) echo \"$PWD/Cargo.toml\" ;;\n\
               generate-lockfile) touch Cargo.lock ;;\n\
               *) exit 99 ;;\n\
             esac\n",
    );
    std::fs::write(dir.join("why"), why).unwrap();
    let output = dir.join("output");
    std::fs::write(&output, "").unwrap();
    let out = Command::new("bash")
        .arg(support::workspace_root().join("action/install-source.sh"))
        .current_dir(dir)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("GITHUB_OUTPUT", &output)
        .env("STUB_PKGID", pkgid.unwrap_or(""))
        .output()
        .unwrap();
    (
        out.status.success(),
        std::fs::read_to_string(&output).unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_subcommand_is_installed_from_where_allocguard_comes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // crates.io: the same version, cached by it.
    let (ok, out, _) = source(
        d,
        Some("registry+https://github.com/rust-lang/crates.io-index#allocguard@0.1.3"),
        "",
    );
    assert!(ok);
    assert_eq!(
        out,
        "key=registry-0.1.3\ninstall=cargo-allocguard --version =0.1.3\n"
    );
    // git: the same commit, as the lockfile pins it.
    std::fs::write(
        d.join("Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"allocguard\"\nversion = \"0.1.0\"\n\
         source = \"git+https://github.com/o/allocguard?branch=main#0123456789abcdef\"\n",
    )
    .unwrap();
    let (ok, out, _) = source(
        d,
        Some("git+https://github.com/o/allocguard?branch=main#allocguard@0.1.0"),
        "",
    );
    assert!(ok);
    assert_eq!(
        out,
        "key=git-0123456789abcdef\ninstall=--git https://github.com/o/allocguard --rev 0123456789abcdef cargo-allocguard\n"
    );
    // A path dependency with the subcommand beside it: built, not cached.
    let vendored = d.join("vendor/allocguard");
    std::fs::create_dir_all(vendored.join("cargo-allocguard")).unwrap();
    std::fs::write(vendored.join("cargo-allocguard/Cargo.toml"), "").unwrap();
    let id = format!("path+file://{}#allocguard@0.1.0", vendored.display());
    let (ok, out, _) = source(d, Some(&id), "");
    assert!(ok);
    assert_eq!(
        out,
        format!(
            "key=\ninstall=--path {}/cargo-allocguard\n",
            vendored.display()
        )
    );
    // A path dependency outside the repository: cargo cannot even read the
    // workspace; the cause and the fix are said, not "no allocguard".
    let (ok, _, stdout) = source(
        d,
        None,
        "error: failed to load manifest for dependency `allocguard`\n\nCaused by:\n  failed to read `/home/me/allocguard/Cargo.toml`",
    );
    assert!(!ok);
    assert!(
        stdout.contains(
            "::error::allocguard is a path dependency that is not in this repository (/home/me/allocguard/Cargo.toml)"
        ) && stdout.contains("by git or by version"),
        "{stdout}"
    );
    // No allocguard at all.
    let (ok, _, stdout) = source(d, None, "");
    assert!(
        !ok && stdout.contains("does not depend on allocguard"),
        "{stdout}"
    );
}
