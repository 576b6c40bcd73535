//! The workflow a user copies (`ci/github-workflow.yml`, which `init`
//! writes): every script in it is valid bash, the install step installs
//! cargo-allocguard from wherever the workspace's allocguard comes from, and
//! the jobs keep seed 002's protocol. actionlint checks the rest in `.ci/run`.

use std::path::Path;
use std::process::Command;

const WORKFLOW: &str = include_str!("../templates/github-workflow.yml");

/// The `run: |` scripts of the workflow, with the name of their step.
fn scripts(yaml: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = yaml.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out = Vec::new();
    let mut name = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim_start();
        if let Some(n) = t.strip_prefix("- name: ") {
            name = n.to_string();
        }
        if t == "run: |" {
            let base = indent(line);
            let mut body = Vec::new();
            let mut j = i + 1;
            while j < lines.len() && (lines[j].trim().is_empty() || indent(lines[j]) > base) {
                body.push(lines[j]);
                j += 1;
            }
            let cut = body
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| indent(l))
                .min()
                .unwrap_or(0);
            let script: Vec<&str> = body.iter().map(|l| l.get(cut..).unwrap_or("")).collect();
            out.push((name.clone(), script.join("\n") + "\n"));
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

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

/// A `cargo` in `bin` that records `install` into `$STUB_LOG`, does
/// nothing for `allocguard`, and hands everything else to the real cargo.
fn recording_cargo(bin: &Path) {
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    stub(
        bin,
        "cargo",
        &format!(
            "#!/usr/bin/env bash\ncase \"$1\" in\n  install) shift; echo \"install $*\" >>\"$STUB_LOG\" ;;\n  allocguard) ;;\n  *) exec {real} \"$@\" ;;\nesac\n"
        ),
    );
}

#[test]
fn every_script_is_valid_bash() {
    let all = scripts(WORKFLOW);
    assert!(all.len() >= 5, "{all:#?}");
    for (name, script) in &all {
        let out = Command::new("bash")
            .args(["-n", "-c", script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "step `{name}`: {}\n{script}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Runs the install step in `dir` with a `cargo` that answers `pkgid` with
/// `pkgid`, says the workspace is `dir`, and records `generate-lockfile`
/// and `install`.
fn install(dir: &Path, pkgid: Option<&str>) -> (bool, String, String) {
    let (_, script) = scripts(WORKFLOW)
        .into_iter()
        .find(|(n, _)| n == "Install cargo-allocguard")
        .expect("the install step");
    let bin = dir.join("bin");
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let cargo_script = format!(
        "#!/usr/bin/env bash\n\
         case \"$1\" in\n\
           pkgid) if [ -n \"${{STUB_PKGID+x}}\" ]; then [ -n \"$STUB_PKGID\" ] || exit 101; echo \"$STUB_PKGID\"; else exec {real} \"$@\"; fi ;;\n\
           locate-project) echo \"$PWD/Cargo.toml\" ;;\n\
           generate-lockfile) echo generate-lockfile >>\"$STUB_LOG\"; touch Cargo.lock ;;\n\
           install) shift; echo \"install $*\" >>\"$STUB_LOG\" ;;\n\
           allocguard) echo \"cargo-allocguard (stub)\" ;;\n\
           *) exit 99 ;;\n\
         esac\n"
    );
    stub(&bin, "cargo", &cargo_script);
    let log = dir.join("install.log");
    let mut cmd = Command::new("bash");
    cmd.args(["-e", "-c", &script])
        .current_dir(dir)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("STUB_LOG", &log);
    if let Some(id) = pkgid {
        cmd.env("STUB_PKGID", id);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        std::fs::read_to_string(&log).unwrap_or_default(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_subcommand_is_installed_from_where_allocguard_comes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // crates.io: the same version.
    let (ok, log, _) = install(
        d,
        Some("registry+https://github.com/rust-lang/crates.io-index#allocguard@0.1.3"),
    );
    assert!(ok);
    // No lockfile yet (a library need not commit one): it is made first.
    assert_eq!(
        log,
        "generate-lockfile\ninstall --locked cargo-allocguard --version =0.1.3\n"
    );

    // git: the same commit, as the lockfile pins it.
    std::fs::write(
        d.join("Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"allocguard\"\nversion = \"0.1.0\"\n\
         source = \"git+https://github.com/o/allocguard?branch=main#0123456789abcdef\"\n",
    )
    .unwrap();
    std::fs::remove_file(d.join("install.log")).ok();
    let (ok, log, _) = install(
        d,
        Some("git+https://github.com/o/allocguard?branch=main#allocguard@0.1.0"),
    );
    assert!(ok);
    assert_eq!(
        log,
        "install --locked --git https://github.com/o/allocguard --rev 0123456789abcdef cargo-allocguard\n"
    );

    // A path dependency with the subcommand beside it, and one without.
    let vendored = d.join("vendor/allocguard");
    std::fs::create_dir_all(vendored.join("cargo-allocguard")).unwrap();
    std::fs::write(vendored.join("cargo-allocguard/Cargo.toml"), "").unwrap();
    std::fs::remove_file(d.join("install.log")).ok();
    let id = format!("path+file://{}#allocguard@0.1.0", vendored.display());
    let (ok, log, _) = install(d, Some(&id));
    assert!(ok);
    assert_eq!(
        log,
        format!(
            "install --locked --path {}/cargo-allocguard\n",
            vendored.display()
        )
    );
    let id = format!("path+file://{}/elsewhere#allocguard@0.1.0", d.display());
    let (ok, _, stdout) = install(d, Some(&id));
    assert!(
        !ok && stdout.contains("::error::allocguard is a path dependency"),
        "{stdout}"
    );

    // No allocguard at all.
    let (ok, _, stdout) = install(d, Some(""));
    assert!(
        !ok && stdout.contains("does not depend on allocguard"),
        "{stdout}"
    );
}

#[test]
fn in_this_repository_it_installs_the_subcommand_of_this_checkout() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The step runs at the workspace root; the stub records into `dir`.
    let (_, script) = scripts(WORKFLOW)
        .into_iter()
        .find(|(n, _)| n == "Install cargo-allocguard")
        .unwrap();
    let bin = dir.path().join("bin");
    recording_cargo(&bin);
    let log = dir.path().join("install.log");
    let out = Command::new("bash")
        .args(["-e", "-c", &script])
        .current_dir(root)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("STUB_LOG", &log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!(
            "install --locked --path {}/cargo-allocguard\n",
            root.display()
        )
    );
}

#[test]
fn the_jobs_keep_the_pre_post_protocol_and_report_when_scenarios_fail() {
    let steps = scripts(WORKFLOW);
    let body = |name: &str| {
        &steps
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no step `{name}`"))
            .1
    };
    let protocol = body("Base and head, alternately (seed 002's pre/post protocol)");
    let base = protocol.find("--label base").expect("a base run");
    let head = protocol.find("--label head").expect("a head run");
    assert!(
        base < head,
        "base first, then head, in one loop: {protocol}"
    );
    assert!(
        protocol.contains("for i in $(seq 1 \"$repeats\")"),
        "{protocol}"
    );
    assert!(body("Compare base and head").contains("compare base head"));
    let merge = body("Merge the shards and draw the report");
    assert!(
        merge.contains("partial=(--allow-partial)") && merge.contains("report merged/run.json")
    );
    // Steps after the scenarios run even when they failed; the report job too.
    let after_head = &WORKFLOW[WORKFLOW.find("name: Compare base and head").unwrap()..];
    assert!(
        after_head.matches("if: ${{ !cancelled()").count() >= 4,
        "{after_head}"
    );
    // The compiler is the one rust-toolchain.toml pins.
    assert!(WORKFLOW.contains("rustup toolchain install") && !WORKFLOW.contains("rust-toolchain@"));
}

/// Runs the report job's merge step with a stub subcommand whose `merge`
/// exits `merge_code`; returns the step's exit code and the stub's log.
fn merge_step(merge_code: i32, all_ran: bool) -> (i32, String) {
    let (_, script) = scripts(WORKFLOW)
        .into_iter()
        .find(|(n, _)| n == "Merge the shards and draw the report")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("shards/allocguard-shard-0/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(dir.path().join("shards/allocguard-shard-0/run")).unwrap();
    std::fs::write(
        dir.path().join("shards/allocguard-shard-0/run/run.json"),
        "{}",
    )
    .unwrap();
    let log = dir.path().join("calls.log");
    std::fs::write(
        bin.join("cargo-allocguard"),
        format!(
            "#!/usr/bin/env bash\necho \"$*\" >>{log}\nif [ \"$1\" = merge ]; then touch merged/run.json; exit {merge_code}; fi\n",
            log = log.display()
        ),
    )
    .unwrap();
    let out = Command::new("bash")
        .args(["-e", "-c", &script])
        .current_dir(dir.path())
        .env("ALL_RAN", if all_ran { "true" } else { "false" })
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        std::fs::read_to_string(&log).unwrap_or_default(),
    )
}

#[test]
fn the_report_is_drawn_when_scenarios_failed_and_the_job_still_fails() {
    let (code, calls) = merge_step(1, false);
    assert_eq!(code, 1, "{calls}");
    let lines: Vec<&str> = calls.lines().collect();
    assert!(
        lines[0].starts_with("merge --allow-partial --out merged/run.json"),
        "{calls}"
    );
    assert_eq!(lines[1], "report merged/run.json --out merged", "{calls}");
    // Every shard's job succeeded: merge wants them all.
    let (code, calls) = merge_step(0, true);
    assert_eq!(code, 0);
    assert!(calls.starts_with("merge --out merged/run.json"), "{calls}");
}

/// Runs the protocol step for a pull request in a scratch git repository,
/// with a `cargo` whose head runs exit with `head_codes` in turn.
fn protocol(head_codes: &[i32]) -> (i32, String, String) {
    let (_, script) = scripts(WORKFLOW)
        .into_iter()
        .find(|(n, _)| n == "Base and head, alternately (seed 002's pre/post protocol)")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let temp = dir.path().join("runner-temp");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::create_dir_all(&temp).unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(&repo)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        String::from_utf8_lossy(&ok.stdout).trim().to_string()
    };
    git(&["init", "-q"]);
    std::fs::write(repo.join("a"), "").unwrap();
    git(&["add", "a"]);
    git(&["commit", "-q", "-m", "base"]);
    let base = git(&["rev-parse", "HEAD"]);
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let codes = dir.path().join("codes");
    std::fs::write(
        &codes,
        head_codes
            .iter()
            .map(|c| format!("{c}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let log = dir.path().join("calls.log");
    stub(
        &bin,
        "cargo",
        &format!(
            "#!/usr/bin/env bash\n\
             echo \"$PWD $*\" >>{log}\n\
             case \"$*\" in\n\
               *'--label head'*) c=$(head -n 1 {codes}); sed -i 1d {codes}; exit \"$c\" ;;\n\
             esac\n",
            log = log.display(),
            codes = codes.display()
        ),
    );
    let output = dir.path().join("github-output");
    let out = Command::new("bash")
        .args(["-e", "-c", &script])
        .current_dir(&repo)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("RUNNER_TEMP", &temp)
        .env("GITHUB_OUTPUT", &output)
        .env("EVENT", "pull_request")
        .env("BASE_SHA", &base)
        .env("REPEATS", head_codes.len().to_string())
        .env("SHARD", "0")
        .env("SHARDS", "2")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        std::fs::read_to_string(&log).unwrap_or_default(),
        std::fs::read_to_string(&output).unwrap_or_default(),
    )
}

#[test]
fn base_and_head_alternate_and_a_failure_in_any_repeat_fails_the_job() {
    let (code, calls, output) = protocol(&[1, 0, 0]);
    assert_eq!(code, 1, "a head run failed in the first repeat: {calls}");
    assert_eq!(output, "base-measured=true\n");
    let labels: Vec<&str> = calls
        .lines()
        .map(|l| {
            if l.contains("--label base") {
                "base"
            } else {
                "head"
            }
        })
        .collect();
    assert_eq!(
        labels,
        ["base", "head", "base", "head", "base", "head"],
        "{calls}"
    );
    // The base runs in its own worktree, on the shard's partition.
    let first = calls.lines().next().unwrap();
    assert!(
        first.contains("runner-temp/base ") && first.contains("--partition hash:1/2"),
        "{first}"
    );
    // JUnit from the last head run only.
    assert_eq!(calls.matches("--junit").count(), 1, "{calls}");
    assert!(calls.lines().last().unwrap().contains("--junit"), "{calls}");
    let (code, _, _) = protocol(&[0, 0, 0]);
    assert_eq!(code, 0);
}

#[test]
fn a_crate_without_a_lockfile_gets_one_and_the_subcommand_of_its_allocguard() {
    // A user's library crate that commits no Cargo.lock, depending on this
    // checkout by path: the real cargo answers everything but `install`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("user");
    std::fs::create_dir_all(user.join("src")).unwrap();
    std::fs::write(
        user.join("Cargo.toml"),
        format!(
            "[package]\nname = \"user\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nallocguard = {{ path = {:?} }}\n",
            root.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(user.join("src/lib.rs"), "").unwrap();
    let (_, script) = scripts(WORKFLOW)
        .into_iter()
        .find(|(n, _)| n == "Install cargo-allocguard")
        .unwrap();
    let bin = dir.path().join("bin");
    recording_cargo(&bin);
    let log = dir.path().join("install.log");
    let out = Command::new("bash")
        .args(["-e", "-c", &script])
        .current_dir(&user)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("STUB_LOG", &log)
        // The registry's index is cached by this workspace's own build.
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(user.join("Cargo.lock").is_file());
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!(
            "install --locked --path {}/cargo-allocguard\n",
            root.display()
        )
    );
}

/// Runs the summary step with a stub `cargo` whose `allocguard compare`
/// prints COMPARE and exits 1; returns its exit code and the job summary.
fn summary_step(base_measured: bool, run_summary: bool) -> (i32, String) {
    let (_, script) = scripts(WORKFLOW)
        .into_iter()
        .find(|(n, _)| n == "Compare base and head")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    let temp = dir.path().join("runner-temp");
    std::fs::create_dir_all(temp.join("allocguard")).unwrap();
    stub(
        &bin,
        "cargo",
        "#!/usr/bin/env bash\n[ \"$2\" = compare ] || exit 99\necho COMPARE\nexit 1\n",
    );
    if run_summary {
        std::fs::write(temp.join("allocguard/run-summary.md"), "RUN\n").unwrap();
    }
    let summary = dir.path().join("summary.md");
    let out = Command::new("bash")
        .args(["-e", "-c", &script])
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("RUNNER_TEMP", &temp)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("BASE_MEASURED", if base_measured { "true" } else { "" })
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        std::fs::read_to_string(&summary).unwrap_or_default(),
    )
}

#[test]
fn the_summary_shows_the_comparison_before_the_head_run_and_fails_with_it() {
    assert_eq!(summary_step(true, true), (1, "COMPARE\nRUN\n".to_string()));
    // A push to main: no base, the run's summary alone.
    assert_eq!(summary_step(false, true), (0, "RUN\n".to_string()));
    // The head run died before it wrote one: the comparison still stands.
    assert_eq!(summary_step(true, false), (1, "COMPARE\n".to_string()));
}
