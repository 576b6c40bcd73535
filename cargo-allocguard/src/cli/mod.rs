//! The command line, declared with clap.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Heap allocation as a tested, reviewed, gated property of Rust code.
///
/// Finds the allocguard scenario targets of a workspace, builds and runs them,
/// appends phase logs, compares labelled runs, applies gates, reviews
/// snapshots and draws reports.
#[derive(Debug, Parser)]
#[command(name = "cargo allocguard", bin_name = "cargo allocguard", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Coloring: auto, always, never (NO_COLOR is honoured under auto).
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// Print less: no progress bar, no table (errors and the verdict only).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Print more: the cargo and harness commands run, and scenario output.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// A duration such as `90s`, `10m` or `1h30m`; an error shows one.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("{e}: write a duration such as 90s, 10m or 1h30m"))?;
    if d.is_zero() {
        return Err(
            "a timeout of 0 would end every scenario as it starts: write a duration such as \
             90s, 10m or 1h30m"
                .into(),
        );
    }
    Ok(d)
}

/// When to color output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Color when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build and run the scenarios, print the results, apply the gates.
    Run(RunArgs),
    /// List scenario targets and their scenarios.
    List(ListArgs),
    /// Compare the latest runs of two labels from the phase log, gate by gate.
    Compare(CompareArgs),
    /// Accept or reject pending snapshots (`.snap.new`) under snapshots/.
    Review(ReviewArgs),
    /// Write a markdown and a self-contained HTML report of a run.
    Report(ReportArgs),
    /// Rebuild with DHAT and write a heap profile of one scenario.
    Profile(ProfileArgs),
    /// Join the run files of partitioned runs (`--partition`) into one.
    Merge(MergeArgs),
    /// Set a crate up: a scenario target with an example, its [[test]]
    /// entry, allocguard.toml and the CI workflow. Never overwrites a file.
    Init(InitArgs),
    /// The CI job in one command: on a pull request (`--base REV`), run the
    /// head (and the base, unless its results are cached), compare, gate,
    /// and say it once: a verdict, annotations, the step summary, JUnit, a
    /// report and a comment. On a push, run once and keep the results for
    /// the pull requests based on this commit.
    Ci(CiArgs),
}

/// Cargo's own flags, with cargo's meaning.
#[derive(Debug, Clone, Default, Args)]
pub struct CargoOpts {
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Package(s) whose scenario targets to use.
    #[arg(short, long = "package", value_name = "SPEC")]
    pub package: Vec<String>,
    /// Every package of the workspace (the default).
    #[arg(long)]
    pub workspace: bool,
    /// Packages to leave out (with --workspace).
    #[arg(long, value_name = "SPEC")]
    pub exclude: Vec<String>,
    /// Features to enable, space- or comma-separated.
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Enable every feature.
    #[arg(long)]
    pub all_features: bool,
    /// Do not enable the default features.
    #[arg(long)]
    pub no_default_features: bool,
    /// Build profile (default: release; counts differ between profiles).
    #[arg(long, value_name = "NAME", default_value = "release")]
    pub profile: String,
    /// Directory for all generated artifacts.
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Cargo configuration the command itself adds (`--config KEY=VALUE`),
    /// such as the full debug info `profile` needs.
    #[arg(skip)]
    pub config: Vec<String>,
}

/// How big the scenarios run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScaleArg {
    /// Seconds in all: what the tests run.
    Smoke,
    /// The main job.
    Default,
    /// The workloads' real sizes.
    Full,
}

impl From<ScaleArg> for allocguard::Scale {
    fn from(s: ScaleArg) -> Self {
        match s {
            ScaleArg::Smoke => allocguard::Scale::Smoke,
            ScaleArg::Default => allocguard::Scale::Default,
            ScaleArg::Full => allocguard::Scale::Full,
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run only scenarios whose name contains one of these.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    #[command(flatten)]
    pub cargo: CargoOpts,
    /// Scale (default: `[run] scale` in allocguard.toml, else default).
    #[arg(long, value_enum)]
    pub scale: Option<ScaleArg>,
    /// Append this run's rows to the phase log under this label.
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,
    /// Free text stored with the rows (needs --label).
    #[arg(long, value_name = "TEXT", requires = "label")]
    pub notes: Option<String>,
    /// Apply relative gates against the latest run of this label.
    #[arg(long, value_name = "LABEL")]
    pub baseline: Option<String>,
    /// Record every phase's allocation sites (every line that used the heap,
    /// with its counts and the bytes it still holds) and list them under
    /// each phase. On by default in CI mode, so that a failure's sites come
    /// from the run that failed. Heap operations run about three times
    /// slower meanwhile (with frame pointers: see docs/guide.md): times of a
    /// run with sites and one without are not compared.
    #[arg(long, conflicts_with = "no_sites")]
    pub sites: bool,
    /// Do not record sites in CI mode (a failing scenario still runs a
    /// second time to name its sites).
    #[arg(long)]
    pub no_sites: bool,
    /// Kill a scenario that runs longer than this (e.g. 90s, 10m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// CI mode (also when CI=true): never write snapshots; annotations and a
    /// step summary on GitHub Actions.
    #[arg(long)]
    pub ci: bool,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Run one shard: `slice:M/N` (every Nth scenario from the Mth) or
    /// `hash:M/N` (by a stable hash of the name); M counts from 1.
    #[arg(long, value_name = "KIND:M/N")]
    pub partition: Option<String>,
    /// The phase log (default: `[phase_log] path` in allocguard.toml, else
    /// ci/phase_log.csv).
    #[arg(long, value_name = "PATH")]
    pub phase_log: Option<PathBuf>,
    /// allocguard.toml to read (default: at the workspace root).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Human,
    /// JSON for programs.
    Json,
    /// A markdown table for pull requests.
    Markdown,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// List only scenarios whose name contains one of these.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    #[command(flatten)]
    pub cargo: CargoOpts,
    /// Output format (human or json).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The label before the change.
    pub pre: String,
    /// The label after the change.
    pub post: String,
    /// Output format (`markdown` is what the workflow puts in the job summary).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Every row, not only those that changed or failed.
    #[arg(long)]
    pub all: bool,
    /// The phase log (default: from allocguard.toml, else ci/phase_log.csv).
    #[arg(long, value_name = "PATH")]
    pub phase_log: Option<PathBuf>,
    /// allocguard.toml to read (default: at the workspace root).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Path to Cargo.toml (to find the workspace root).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Review only snapshots whose file name contains one of these.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Accept every pending snapshot (non-interactive).
    #[arg(long, conflicts_with = "reject")]
    pub accept: bool,
    /// Reject every pending snapshot (non-interactive).
    #[arg(long)]
    pub reject: bool,
    /// List snapshots whose scenario no longer exists, and delete them after
    /// asking (on a terminal).
    #[arg(long, conflicts_with_all = ["accept", "reject"])]
    pub unreferenced: bool,
    /// The snapshot directory (default: snapshots/ at the workspace root).
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Path to Cargo.toml (to find the workspace root).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// With --unreferenced: the profile to build the scenario targets with,
    /// to list their scenarios.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "release",
        requires = "unreferenced"
    )]
    pub profile: String,
    /// With --unreferenced: the target directory to build them in.
    #[arg(long, value_name = "DIR", requires = "unreferenced")]
    pub target_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run id under target/allocguard/, or a run.json path (default: the latest run).
    pub run: Option<String>,
    /// Where to write report.md and report.html (default: the run's directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Draw this run beside it: a run id, a run.json path, or a label of the
    /// phase log (its latest run), with the metrics that changed.
    #[arg(long, value_name = "RUN|LABEL")]
    pub baseline: Option<String>,
    /// The phase log to find a baseline label in (default: allocguard.toml's, or ci/phase_log.csv).
    #[arg(long, value_name = "PATH")]
    pub phase_log: Option<PathBuf>,
    /// Path to Cargo.toml (to find the target directory).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// The target directory (default: cargo's).
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The scenario to profile (its exact name).
    pub scenario: String,
    #[command(flatten)]
    pub cargo: CargoOpts,
    /// Scale (default: smoke; DHAT is slow).
    #[arg(long, value_enum, default_value_t = ScaleArg::Smoke)]
    pub scale: ScaleArg,
    /// Where to write the profile.
    #[arg(long, value_name = "PATH", default_value = "dhat-heap.json")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' run.json files.
    #[arg(required = true, value_name = "RUN_JSON")]
    pub inputs: Vec<PathBuf>,
    /// Where to write the merged run (must not exist).
    #[arg(long, short, value_name = "PATH")]
    pub out: PathBuf,
    /// Merge even when some shards of the partition are missing.
    #[arg(long)]
    pub allow_partial: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Path to the workspace's (or package's) Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// The package to set up (default: the one in the current directory).
    #[arg(short, long = "package", value_name = "SPEC")]
    pub package: Option<String>,
    /// Depend on allocguard from this git repository (default: from where
    /// this cargo-allocguard came).
    #[arg(long, value_name = "URL", conflicts_with_all = ["path", "version"])]
    pub git: Option<String>,
    /// With --git: the commit, tag or branch to pin.
    #[arg(long, value_name = "REV", requires = "git")]
    pub rev: Option<String>,
    /// Depend on allocguard at this directory.
    #[arg(long, value_name = "DIR", conflicts_with = "version")]
    pub path: Option<PathBuf>,
    /// Depend on this version of allocguard from crates.io (once published).
    #[arg(long, value_name = "REQ")]
    pub version: Option<String>,
    /// Do not write .github/workflows/allocguard.yml.
    #[arg(long)]
    pub no_workflow: bool,
}

#[derive(Debug, Args)]
pub struct CiArgs {
    /// Run only scenarios whose name contains one of these.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    #[command(flatten)]
    pub cargo: CargoOpts,
    /// The pull request's base revision, to compare with. Without it (a
    /// push), the scenarios run once under the absolute gates and their
    /// results are kept in the cache, by commit.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Results kept by commit (`DIR/<commit>/`), so that a pull request
    /// reuses its base's instead of building it (default:
    /// target/allocguard/ci-cache).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Where this run writes its summary.md, comment.md, junit.xml,
    /// report.html, report.md and phase_log.csv; a new directory (default:
    /// target/allocguard/ci-<run id>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Base and head runs each, alternately, when a relative time gate is
    /// configured (times need repeats; counts are exact in one run).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub repeats: u32,
    /// Scale (default: `[run] scale` in allocguard.toml, else default).
    #[arg(long, value_enum)]
    pub scale: Option<ScaleArg>,
    /// Kill a scenario that runs longer than this (e.g. 90s, 10m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Run one shard: `slice:M/N` or `hash:M/N` (see `run --partition`).
    #[arg(long, value_name = "KIND:M/N")]
    pub partition: Option<String>,
    /// allocguard.toml to read (default: at the workspace root).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Record every phase's allocation sites (the default: `ci` is CI mode).
    #[arg(long, conflicts_with = "no_sites")]
    pub sites: bool,
    /// Do not record sites (a failing scenario still runs a second time to
    /// name its sites).
    #[arg(long)]
    pub no_sites: bool,
}
