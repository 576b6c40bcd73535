//! `cargo allocguard ci`: the CI job in one command, so that a workflow is a
//! few lines and each revision is built once.
//!
//! On a pull request (`--base REV`):
//!
//! 1. The base's results come from the cache (`--cache DIR/<commit>/`,
//!    written by the run on the push that made that commit) when only count
//!    gates are configured: counts are exact, one run of each side is a
//!    measurement, and only the head is built. Without them, or when a
//!    relative time gate is configured (times need the two sides measured on
//!    one machine, alternately), the base is checked out beside the head and
//!    built once, in a target directory of its own.
//! 2. Head (and base) run, `--repeats` times each alternately for time gates,
//!    once otherwise; the base's own failures are not the pull request's.
//! 3. `compare base head` applies every gate; the head run's failures and the
//!    comparison's are said once each: one verdict first, then the failures,
//!    then the details, in the step summary; one annotation per failure, at
//!    the allocating line when there is one; JUnit; a report; and a comment
//!    for the pull request (`comment.md`).
//!
//! On a push (no `--base`): one run under the absolute gates, said the same
//! way, its results kept in the cache under the commit.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{CargoOpts, CiArgs, RunArgs};
use crate::commands::run::{perform, Say};
use crate::config::env::github_actions;
use crate::config::Config;
use crate::error::{CliError, CliResult, WithCode};
use crate::judge::compare::{baseline_comparison, compare, Comparison};
use crate::judge::Judged;
use crate::reporter::ci::pull_request::{self, Base, PullRequest};
use crate::reporter::page::{self, write_report, Baseline};
use crate::reporter::Output;
use crate::store::phase_log;
use crate::store::run_file::{new_run_id, Run};
use crate::store::whole_file::{write_whole, Existing};
use crate::workspace::git::{commit_of, repo_prefix, Worktree};
use crate::workspace::metadata::metadata;

/// The files a cached run is kept as, under `<cache>/<commit>/`.
const CACHED_LOG: &str = "phase_log.csv";
const CACHED_RUN: &str = "run.json";

/// `cargo allocguard ci`.
pub fn run(args: CiArgs, out: &Output) -> CliResult<bool> {
    let meta = metadata(&args.cargo).usage_err()?;
    let root = meta.workspace_root.as_std_path().to_path_buf();
    let target = args
        .cargo
        .target_dir
        .clone()
        .unwrap_or_else(|| meta.target_directory.as_std_path().to_path_buf());
    let config = crate::config::load(args.config.as_deref(), &root)?;
    let config_path = args
        .config
        .clone()
        .or_else(|| Some(root.join(crate::config::CONFIG_FILE)).filter(|p| p.is_file()));
    let dir = args.out.clone().unwrap_or_else(|| {
        target
            .join("allocguard")
            .join(format!("ci-{}", new_run_id(std::time::SystemTime::now())))
    });
    let log = dir.join("phase_log.csv");
    if log.exists() {
        return Err(CliError::usage(anyhow::anyhow!(
            "{} holds an earlier `ci` run; give --out a new directory (or remove that one)",
            dir.display()
        )));
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .infra_err()?;
    let cache = args
        .cache
        .clone()
        .unwrap_or_else(|| target.join("allocguard").join("ci-cache"));
    let run_args = |cargo: CargoOpts, label: &str, junit: bool| RunArgs {
        filters: args.filters.clone(),
        cargo,
        scale: args.scale,
        label: Some(label.to_string()),
        notes: None,
        baseline: None,
        sites: args.sites,
        no_sites: args.no_sites,
        timeout: args.timeout,
        ci: true,
        junit: junit.then(|| dir.join("junit.xml")),
        partition: args.partition.clone(),
        phase_log: Some(log.clone()),
        config: config_path.clone(),
    };

    let Some(base_rev) = &args.base else {
        // A push: one run, kept for the pull requests based on it.
        let head = perform(
            &run_args(args.cargo.clone(), "base", true),
            out,
            Say::NoGithub,
        )?;
        let commit = commit_of(&root, "HEAD").infra_err()?;
        keep_in_cache(&cache, &commit, &log, &head.run_file).infra_err()?;
        out.note(&format!(
            "results kept in {} for pull requests based on {commit}",
            cache.join(&commit).display()
        ));
        let pr = PullRequest {
            head: &head,
            comparison: None,
            base: Base::None,
            base_run: None,
        };
        return conclude(&pr, &dir, &root, &config, out);
    };

    let base_commit = commit_of(&root, base_rev).usage_err()?;
    let time_gates = config.gates.has_relative_times();
    let cached = cache.join(&base_commit);
    let use_cache = !time_gates && cached.join(CACHED_LOG).is_file();
    let (repeats, base_how) = if use_cache {
        (1, Base::Cached(base_commit.clone()))
    } else if time_gates {
        (args.repeats.max(1), Base::Built(base_commit.clone()))
    } else {
        (1, Base::Built(base_commit.clone()))
    };
    let mut base_run: Option<Run> = None;
    let checkout = dir.join("base");
    let worktree = if use_cache {
        // The base's rows join this run's phase log; its run file is read
        // where it is kept.
        std::fs::copy(cached.join(CACHED_LOG), &log)
            .with_context(|| format!("cannot read {}", cached.display()))
            .infra_err()?;
        base_run = Run::read(&cached.join(CACHED_RUN)).ok();
        None
    } else {
        Some(Worktree::add(&root, &base_commit, &checkout).infra_err()?)
    };
    let base_cargo = worktree.as_ref().map(|w| {
        let prefix = repo_prefix(&root);
        let manifest = args
            .cargo
            .manifest_path
            .as_ref()
            .and_then(|m| m.file_name().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("Cargo.toml"));
        CargoOpts {
            manifest_path: Some(w.path.join(prefix).join(manifest)),
            // Its own target directory: the two revisions would otherwise
            // rebuild each other's crates.
            target_dir: Some(target.join("allocguard-base")),
            ..args.cargo.clone()
        }
    });
    let mut base_measured = base_cargo.is_some() || use_cache;
    let mut head: Option<Judged> = None;
    for i in 1..=repeats {
        if let Some(cargo) = base_cargo.as_ref().filter(|_| base_measured) {
            out.note(&format!("the base, {base_commit}: run {i} of {repeats}"));
            match perform(&run_args(cargo.clone(), "base", false), out, Say::Progress) {
                Ok(p) => {
                    let mut run = p.run;
                    name_files_as_the_head(&mut run, &checkout, &root);
                    base_run = Some(run);
                }
                Err(e) => {
                    out.warning(&format!(
                        "the base revision could not be measured ({e}); the pull request is \
                         judged by the absolute gates alone"
                    ));
                    base_measured = false;
                }
            }
        }
        if repeats > 1 {
            out.note(&format!("the head: run {i} of {repeats}"));
        }
        head = Some(perform(
            &run_args(args.cargo.clone(), "head", i == repeats),
            out,
            Say::NoGithub,
        )?);
    }
    drop(worktree);
    let head = head.expect("at least one repeat");
    let comparison = if base_measured {
        Some(comparison(
            &log,
            &config,
            base_run.as_ref(),
            &head.run,
            !use_cache,
        )?)
    } else {
        None
    };
    let pr = PullRequest {
        head: &head,
        comparison: comparison.as_ref(),
        base: if base_measured {
            base_how
        } else {
            Base::Unmeasured(base_commit)
        },
        base_run: base_run.as_ref().filter(|_| base_measured),
    };
    conclude(&pr, &dir, &root, &config, out)
}

/// Renames the files the base's allocation sites name under its checkout
/// (`<out>/base/src/world.rs`, absolute or from the head's root) as the
/// head's sites name them (`src/world.rs`), so that a line of both is one
/// site, not one gone and one new.
fn name_files_as_the_head(run: &mut Run, checkout: &Path, root: &Path) {
    let absolute = std::fs::canonicalize(checkout).unwrap_or_else(|_| checkout.to_path_buf());
    let from_root = absolute
        .strip_prefix(std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()))
        .ok()
        .map(Path::to_path_buf);
    let rename = |file: &str| -> Option<String> {
        let path = Path::new(file);
        if let Ok(rest) = path
            .strip_prefix(&absolute)
            .or_else(|_| path.strip_prefix(checkout))
        {
            return Some(root.join(rest).display().to_string());
        }
        let rest = path.strip_prefix(from_root.as_ref()?).ok()?;
        Some(rest.display().to_string())
    };
    let phases = run
        .scenarios
        .iter_mut()
        .filter_map(|s| s.profile.as_mut())
        .flat_map(|p| p.phases.iter_mut());
    for phase in phases {
        let Some(sites) = phase.sites.as_mut() else {
            continue;
        };
        for frame in sites
            .sites
            .sites
            .iter_mut()
            .flat_map(|s| s.frames.iter_mut())
        {
            if let Some(renamed) = frame.file.as_deref().and_then(rename) {
                frame.file = Some(renamed);
            }
        }
    }
}

/// `compare base head` over this run's phase log, sites included. Times
/// measured by another job (`same_machine` false: a cached base) are not
/// listed as changes; only a gate on them would be said, and a relative
/// one never reaches here (it makes `ci` build the base).
fn comparison(
    log: &Path,
    config: &Config,
    base: Option<&Run>,
    head: &Run,
    same_machine: bool,
) -> CliResult<Comparison> {
    let rows = phase_log::read(log, &config.gates.columns_read()).usage_err()?;
    let mut c = compare(&rows, "base", "head", &config.gates).usage_err()?;
    if !same_machine {
        c.rows
            .retain(|r| !r.metric().is_time() || !r.gates.is_empty());
    }
    c.allow_missing(&config.allow_missing);
    if let Some(base) = base {
        c.compare_sites(base, head, &config.gates);
    }
    Ok(c)
}

/// Keeps this push's results under `<cache>/<commit>/`.
fn keep_in_cache(cache: &Path, commit: &str, log: &Path, run_file: &Path) -> anyhow::Result<()> {
    let at = cache.join(commit);
    std::fs::create_dir_all(&at).with_context(|| format!("cannot create {}", at.display()))?;
    for (from, name) in [(log, CACHED_LOG), (run_file, CACHED_RUN)] {
        let bytes =
            std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
        write_whole(&at.join(name), Existing::Replace, |w| w.write_all(&bytes))?;
    }
    Ok(())
}

/// Says it once: the verdict, annotations, the step summary, JUnit (written
/// by the head run), the report and the comment.
fn conclude(
    pr: &PullRequest<'_>,
    dir: &Path,
    root: &Path,
    config: &Config,
    out: &Output,
) -> CliResult<bool> {
    let summary = pull_request::summary(pr, root);
    let comment = pull_request::comment(pr);
    for (name, text) in [("summary.md", &summary), ("comment.md", &comment)] {
        write_whole(&dir.join(name), Existing::Replace, |w| {
            w.write_all(text.as_bytes())
        })
        .infra_err()?;
    }
    // The report draws the base beside the head when there is one.
    let baseline = match pr.base_run {
        Some(base) => Some(Baseline {
            name: "base".to_string(),
            run: base,
            comparison: baseline_comparison(&pr.head.run, base, "base", &config.gates)
                .usage_err()?,
        }),
        None => None,
    };
    let md = page::markdown(&pr.head.run, baseline.as_ref());
    let html = page::html(&pr.head.run, baseline.as_ref());
    write_report(&dir.join("report.md"), &md).infra_err()?;
    write_report(&dir.join("report.html"), &html).infra_err()?;
    if github_actions() {
        let _ = write!(
            out.stdout(),
            "{}",
            pull_request::annotations(pr, root, &repo_prefix(root))
        );
        crate::reporter::ci::append_step_summary(&summary).infra_err()?;
        if let Ok(path) = std::env::var("GITHUB_OUTPUT") {
            let line = format!(
                "verdict={}\ncomment={}\nreport={}\n",
                if pr.passed() { "pass" } else { "fail" },
                dir.join("comment.md").display(),
                dir.join("report.html").display()
            );
            let _ = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .and_then(|mut f| f.write_all(line.as_bytes()));
        }
    }
    let _ = writeln!(
        out.stdout(),
        "\n{}",
        pull_request::verdict_line(pr).trim_start_matches("## ")
    );
    out.note(&format!("CI outputs in {}", dir.display()));
    Ok(pr.passed())
}
