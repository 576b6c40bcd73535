//! `sim`: run one of the simulations and print its results.
//!
//! ```text
//! sim waves     [--variant naive|lean] [--scale smoke|default|full] [--seed N] [--enemies N]
//! sim genes     [...] [--individuals N] [--genes N] [--generations N] [--unregulated]
//! sim automaton [...] [--iterations N] [--file PATH]
//! ```
//!
//! Long runs show a progress bar with the live heap (counted by allocguard)
//! and the resident set size, the readout the build tester's users asked for.

use std::time::{Duration, Instant};

use allocguard_sim::automaton::Automaton;
use allocguard_sim::genes::{self, Network};
use allocguard_sim::waves::{self, WavePhase, World};
use allocguard_sim::Variant;
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

/// `println!` that keeps going when stdout is gone (`sim … | head`): the
/// summary is informational, and the report files must still be written.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[global_allocator]
static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();

#[derive(Parser)]
#[command(
    name = "sim",
    version,
    about = "Run allocguard's simulations: naive or lean, at any scale."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The 500-enemy wave stress test (four phases at 30 steps a second).
    Waves(WavesArgs),
    /// The gene network: expression, selection, mutation per generation.
    Genes(GenesArgs),
    /// The self-modifying JSONL automaton's continuous runner.
    Automaton(AutomatonArgs),
    /// The combat build tester: every build of an archetype, ranked.
    Combat(CombatArgs),
    /// Stage-2 attack pairing: prune attacks alone, play sampled pairs, write shards.
    Pairs(PairsArgs),
    /// Write synthetic stage-2 result shards (drawn from a distribution, not simulated).
    Shards(ShardsArgs),
    /// Stream result shards into the top N and write the markdown reports.
    Reduce(ReduceArgs),
}

#[derive(Args)]
struct CombatArgs {
    /// Character tier: 3, 4 or 5 (the tiers the original gives budgets).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(3..=5))]
    tier: u32,
    /// Test this one build, written as ranking.md prints it, e.g.
    /// "melee_dg + bleed, finishing_blow_1 | charges_2" (focused or dual_natured).
    #[arg(long, value_name = "LABEL")]
    build: Option<String>,
    /// With --build and --archetype dual_natured: the basic fallback attack.
    #[arg(long, value_enum, default_value = "ranged")]
    fallback: FallbackArg,
    /// With --build: the scenarios to play (repeatable; default all four:
    /// Boss, Mixed, "Swarm 1", "Swarm 2").
    #[arg(long = "scenario", value_name = "NAME")]
    scenarios: Vec<String>,
    /// focused, dual_natured or versatile_master.
    #[arg(long, default_value = "focused")]
    archetype: allocguard_sim::combat::Archetype,
    /// naive: fresh objects per combat, every result kept and sorted; lean: the fix.
    #[arg(long, value_enum, default_value = "lean")]
    variant: VariantArg,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Test every Nth build only (1: all).
    #[arg(long, default_value_t = 1)]
    stride: usize,
    /// Runs per scenario (default 5; 1,000 with --build).
    #[arg(long)]
    runs: Option<u32>,
    /// Builds in the ranking and the combat logs.
    #[arg(long, default_value_t = 50)]
    top: usize,
    /// Versatile master: attacks kept per type after pruning (the original: 50).
    #[arg(long, default_value_t = 50)]
    per_type: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory for ranking.md and combat_logs.txt.
    #[arg(long, default_value = "combat-report")]
    out: std::path::PathBuf,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct PairsArgs {
    /// Directory for the shards and attacks.tsv (must hold no shards yet).
    #[arg(long)]
    out: std::path::PathBuf,
    /// Stage 1 tests every Nth attack (1: all 53,255 at 6 points).
    #[arg(long, default_value_t = 1)]
    stride: usize,
    /// Fraction of later attacks each attack is paired with (the original: 0.005).
    #[arg(long, default_value_t = 0.005)]
    sample_percent: f64,
    /// Character tier: 3, 4 or 5 (config.json: 4); the attacker's and the
    /// profiles' tier stat.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(3..=5))]
    tier: u32,
    /// Archetype whose budget sets the points per attack when --points is
    /// not given (config.json: dual_natured, 6 points at tier 4).
    #[arg(long, default_value = "dual_natured")]
    archetype: allocguard_sim::combat::Archetype,
    /// Points per attack (default: the tier and archetype's budget).
    #[arg(long)]
    points: Option<u32>,
    /// The evasive profile's focus, power, mobility and endurance
    /// (config.json: 2,2,4,0).
    #[arg(long, value_name = "F,P,M,E", value_parser = parse_stats)]
    evasive: Option<[i32; 4]>,
    /// The tanky profile's focus, power, mobility and endurance
    /// (config.json: 2,2,0,4).
    #[arg(long, value_name = "F,P,M,E", value_parser = parse_stats)]
    tanky: Option<[i32; 4]>,
    /// Stage 1 runs per profile and scenario (config.json: 3).
    #[arg(long, default_value_t = 3)]
    stage1_runs: u32,
    /// Stage 2 runs per profile and scenario (config.json: 2).
    #[arg(long, default_value_t = 2)]
    runs: u32,
    /// Stage 2 turn limit (config.json: 25).
    #[arg(long, default_value_t = 25)]
    max_turns: i32,
    /// Stage 1: share kept per enhancement (config.json: 0.2).
    #[arg(long, default_value_t = 0.2)]
    enhancement_percent: f64,
    /// Shard files.
    #[arg(long, default_value_t = 8)]
    shards: usize,
    /// naive: fresh objects per combat, a shard's results held until it is full; lean: streamed.
    #[arg(long, value_enum, default_value = "lean")]
    variant: VariantArg,
    /// Threads for stage 1 (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed (the original's: 42).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct ShardsArgs {
    /// Results to write (the original: 47,065,150).
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// Shard files to spread them over (the original: 48).
    #[arg(long, default_value_t = 48)]
    shards: u64,
    /// Directory to write into (created; must not hold shards already).
    #[arg(long)]
    out: std::path::PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Args)]
struct ReduceArgs {
    /// Directory of `*.bin` shards.
    #[arg(long)]
    shards: std::path::PathBuf,
    /// How many pairs to keep.
    #[arg(long, default_value_t = 5_000)]
    top: usize,
    /// Directory for the reports.
    #[arg(long)]
    out: std::path::PathBuf,
    /// naive: load everything, then sort (the original); lean: bounded heap.
    #[arg(long, value_enum, default_value = "lean")]
    variant: VariantArg,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum FallbackArg {
    Ranged,
    Area,
}

#[derive(Clone, Copy, ValueEnum)]
enum VariantArg {
    Naive,
    Lean,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScaleArg {
    Smoke,
    Default,
    Full,
}

impl ScaleArg {
    fn pick<T>(self, smoke: T, default: T, full: T) -> T {
        match self {
            ScaleArg::Smoke => smoke,
            ScaleArg::Default => default,
            ScaleArg::Full => full,
        }
    }
}

#[derive(Args)]
struct Common {
    /// naive: the original's allocation pattern; lean: the fix.
    #[arg(long, value_enum, default_value = "lean")]
    variant: VariantArg,
    /// Size of the run.
    #[arg(long, value_enum, default_value = "default")]
    scale: ScaleArg,
    /// Random seed (default: the original's).
    #[arg(long)]
    seed: Option<u64>,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

impl Common {
    fn variant(&self) -> Variant {
        match self.variant {
            VariantArg::Naive => Variant::Naive,
            VariantArg::Lean => Variant::Lean,
        }
    }
}

#[derive(Args)]
struct WavesArgs {
    #[command(flatten)]
    common: Common,
    /// Most enemies alive at once (default 500; 10,000 and 100,000 run too).
    #[arg(long, default_value_t = 500)]
    enemies: usize,
    /// Directory for the baseline CSV and summary (the original's
    /// `tests/baselines/`); files are named by date and time and never overwritten.
    #[arg(long, default_value = "waves-baselines")]
    out: std::path::PathBuf,
}

#[derive(Args)]
struct GenesArgs {
    #[command(flatten)]
    common: Common,
    /// The configuration to start from: happygene's README 5-minute example
    /// (50 × 5 × 150, Hill at tf 0.7, threshold 0.4) or its memory-profile
    /// test (linear 1.0/0.1, proportional; sizes by --scale: 200 × 20 × 10,
    /// 5,000 × 100 × 100, 10,000 × 100 × 100). Every flag below overrides it.
    #[arg(long, value_enum, default_value = "readme")]
    preset: GenesPreset,
    /// Individuals.
    #[arg(long)]
    individuals: Option<usize>,
    /// Genes per individual.
    #[arg(long)]
    genes: Option<usize>,
    /// Generations.
    #[arg(long)]
    generations: Option<u64>,
    /// Expression model (its parameters: --slope/--intercept, --v-max/--k/--hill-n, --level).
    #[arg(long, value_enum)]
    expression: Option<ExpressionArg>,
    /// Linear model's slope.
    #[arg(long, default_value_t = 1.0)]
    slope: f64,
    /// Linear model's intercept.
    #[arg(long, default_value_t = 0.1)]
    intercept: f64,
    /// Hill model's maximum rate.
    #[arg(long, default_value_t = 1.0)]
    v_max: f64,
    /// Hill model's half-saturation constant.
    #[arg(long, default_value_t = 0.5)]
    k: f64,
    /// Hill model's coefficient.
    #[arg(long, default_value_t = 2.0)]
    hill_n: f64,
    /// Constant model's level.
    #[arg(long, default_value_t = 1.0)]
    level: f64,
    /// The conditions' tf_concentration, every model's input.
    #[arg(long)]
    tf: Option<f64>,
    /// Give the population a random regulatory network (of --density).
    #[arg(long, conflicts_with = "no_network")]
    network: bool,
    /// No regulatory network.
    #[arg(long)]
    no_network: bool,
    /// Share of the network's possible edges present.
    #[arg(long)]
    density: Option<f64>,
    /// Regulatory layer over the model: none (a plain model, which ignores
    /// the network as happygene's does), additive or multiplicative.
    #[arg(long, value_enum)]
    regulation: Option<RegulationArg>,
    /// The regulatory layer's weight.
    #[arg(long, default_value_t = 0.5)]
    reg_weight: f64,
    /// Selection model.
    #[arg(long, value_enum)]
    selection: Option<SelectionArg>,
    /// Threshold selection's θ.
    #[arg(long, default_value_t = 0.4)]
    threshold: f64,
    /// Epistatic selection's n×n interaction matrix: a file of numbers
    /// (whitespace or commas; `#` lines skipped), row by row.
    #[arg(long, value_name = "FILE")]
    matrix: Option<std::path::PathBuf>,
    /// Multi-objective selection's weights: a file of n non-negative numbers.
    #[arg(long, value_name = "FILE")]
    weights: Option<std::path::PathBuf>,
    /// Chance per gene per generation of a mutation (0 to 1).
    #[arg(long)]
    mutation_rate: Option<f64>,
    /// Standard deviation of a mutation (σ ≥ 0).
    #[arg(long)]
    sigma: Option<f64>,
    /// Write the per-generation series (generation, mean and best fitness)
    /// to this CSV file (never over an existing file).
    #[arg(long, value_name = "FILE")]
    csv: Option<std::path::PathBuf>,
    /// Do not record allocation sites (the hotspots): allocation is about
    /// ten times slower while they are recorded, which the naive variant's
    /// step time shows.
    #[arg(long)]
    no_hotspots: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum GenesPreset {
    Readme,
    MemoryProfile,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExpressionArg {
    Linear,
    Hill,
    Constant,
}

#[derive(Clone, Copy, ValueEnum)]
enum RegulationArg {
    None,
    Additive,
    Multiplicative,
}

#[derive(Clone, Copy, ValueEnum)]
enum SelectionArg {
    Proportional,
    Threshold,
    Epistatic,
    MultiObjective,
}

#[derive(Args)]
struct AutomatonArgs {
    #[command(flatten)]
    common: Common,
    /// Iterations (default by scale: 2,000, 20,000, 100,000).
    #[arg(long)]
    iterations: Option<u64>,
    /// The JSONL file: created with the kernel's automata if missing,
    /// continued if it is an automaton file, refused otherwise (default:
    /// automaton.jsonl in a temporary directory, removed at the end).
    #[arg(long)]
    file: Option<std::path::PathBuf>,
    /// Do not record allocation sites (what grows).
    #[arg(long)]
    no_hotspots: bool,
}

fn mib(b: i64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}

/// A bar whose message is the live heap and RSS, refreshed at most every 100 ms.
struct Progress {
    bar: ProgressBar,
    last: Instant,
}

impl Progress {
    fn new(len: u64, unit: &str, quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(len)
        };
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{bar:14}} {{human_pos}}/{{human_len}} {unit} · {{msg}} · ETA {{eta}}"
            ))
            .expect("a valid template"),
        );
        Progress {
            bar,
            last: Instant::now() - Duration::from_secs(1),
        }
    }

    fn tick(&mut self) {
        self.bar.inc(1);
        self.tick_message();
    }

    /// Refreshes the heap and RSS readout, at most ten times a second.
    fn tick_message(&mut self) {
        if self.last.elapsed() >= Duration::from_millis(100) {
            self.last = Instant::now();
            let heap = allocguard::process_stats().live_bytes();
            let mb = |b: i64| format!("{:.1}", b as f64 / (1024.0 * 1024.0));
            let rss = allocguard::harness::rss_bytes().map_or("?".into(), |r| mb(r as i64));
            self.bar
                .set_message(format!("heap {} · rss {rss} MiB", mb(heap)));
        }
    }
}

fn waves(a: WavesArgs) -> anyhow::Result<()> {
    use waves::report::{self, PhaseRun, RunReport};
    let c = &a.common;
    anyhow::ensure!(a.enemies > 0, "--enemies must be at least 1");
    let config = waves::Config {
        seed: c.seed.unwrap_or(12345),
        time_scale: c.scale.pick(0.25, 1.0, 1.0),
        ..waves::Config::stress(a.enemies)
    };
    let total: u64 = WavePhase::ALL.iter().map(|&p| config.steps(p)).sum();
    let mut progress = Progress::new(total, "steps", c.quiet);
    let heap = || allocguard::process_stats().live_bytes();
    let heap_initial = heap();
    let mut heap_peak = heap_initial;
    let mut world = World::new(config, c.variant());
    let mut phases = Vec::new();
    for phase in WavePhase::ALL {
        let start = heap();
        world.begin_phase(phase);
        let steps = config.steps(phase);
        let mut times = Vec::with_capacity(steps as usize);
        for _ in 0..steps {
            let t = Instant::now();
            world.step();
            times.push(t.elapsed());
            heap_peak = heap_peak.max(heap());
            progress.tick();
        }
        phases.push(PhaseRun {
            name: phase.name(),
            seconds: phase.seconds() * config.time_scale,
            stats: world.current(),
            step_times: times,
            heap: (start, heap()),
        });
    }
    progress.bar.finish_and_clear();
    let result = world.finish();
    let run = RunReport {
        enemies: a.enemies,
        phases,
        heap_initial,
        heap_peak,
    };
    outln!(
        "waves: pool of {} enemies, {} variant, seed {}, {} steps (frames at 30/s)",
        report::thousands(a.enemies as u64),
        c.variant().name(),
        config.seed,
        report::thousands(total)
    );
    outln!("{}", run.text());
    outln!("state hash {:016x}", result.state_hash);
    let stamp = report::timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    let stem = format!("{stamp}_performance_{}_enemies", a.enemies);
    for (name, body) in [
        (format!("{stem}.csv"), run.csv(&stamp)),
        (format!("{stem}_summary.txt"), run.summary_file(&stamp)),
    ] {
        let path = write_new(&a.out, &name, &body)?;
        outln!("wrote {}", path.display());
    }
    Ok(())
}

/// Writes `body` to `dir/name` (the directory created if missing), whole or
/// not at all, and never over an existing file: through a temporary file
/// linked into place, which fails if the name is taken.
fn write_new(dir: &std::path::Path, name: &str, body: &str) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(name);
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, body.as_bytes())?;
    tmp.persist_noclobber(&path).map_err(|e| {
        anyhow::anyhow!(
            "{} exists: sim never overwrites a file; move it away or name another --out ({})",
            path.display(),
            e.error
        )
    })?;
    Ok(path)
}

/// The configuration `a` asks for, and its name.
fn genes_config(a: &GenesArgs) -> anyhow::Result<(genes::Config, genes::SelectionData, String)> {
    use genes::{ExpressionModel, Regulation, Selection, SelectionData};
    let c = &a.common;
    let (mut config, name) = match a.preset {
        GenesPreset::Readme => (
            genes::Config::readme(),
            "happygene's README 5-minute example (examples/regulatory_network.py)",
        ),
        GenesPreset::MemoryProfile => (
            genes::Config::new(
                c.scale.pick(200, 5_000, 10_000),
                c.scale.pick(20, 100, 100),
                c.scale.pick(10, 100, 100),
                false,
            ),
            "happygene's memory-profile test (tests/test_memory_profile.py)",
        ),
    };
    let mut changed = Vec::new();
    let mut set = |flag: &str| changed.push(flag.to_string());
    if let Some(n) = a.individuals {
        config.individuals = n;
        set("--individuals");
    }
    if let Some(g) = a.genes {
        config.genes = g;
        set("--genes");
    }
    if let Some(g) = a.generations {
        config.generations = g;
        set("--generations");
    }
    anyhow::ensure!(
        config.individuals > 0 && config.genes > 0,
        "--individuals and --genes must be at least 1"
    );
    if let Some(e) = a.expression {
        config.model = match e {
            ExpressionArg::Linear => ExpressionModel::Linear {
                slope: a.slope,
                intercept: a.intercept,
            },
            ExpressionArg::Hill => ExpressionModel::Hill {
                v_max: a.v_max,
                k: a.k,
                n: a.hill_n,
            },
            ExpressionArg::Constant => ExpressionModel::Constant { level: a.level },
        };
        set("--expression");
    }
    if let Some(tf) = a.tf {
        config.tf = tf;
        set("--tf");
    }
    if a.network || a.no_network {
        config.regulated = a.network;
        set(if a.network {
            "--network"
        } else {
            "--no-network"
        });
    }
    if let Some(d) = a.density {
        anyhow::ensure!(
            (0.0..=1.0).contains(&d),
            "--density must be between 0 and 1"
        );
        config.density = d;
        set("--density");
    }
    if let Some(r) = a.regulation {
        config.regulation = match r {
            RegulationArg::None => Regulation::None,
            RegulationArg::Additive => Regulation::Additive(a.reg_weight),
            RegulationArg::Multiplicative => Regulation::Multiplicative(a.reg_weight),
        };
        set("--regulation");
    }
    if let Some(sel) = a.selection {
        config.selection = match sel {
            SelectionArg::Proportional => Selection::Proportional,
            SelectionArg::Threshold => Selection::Threshold(a.threshold),
            SelectionArg::Epistatic => Selection::Epistatic,
            SelectionArg::MultiObjective => Selection::MultiObjective,
        };
        set("--selection");
    }
    if let Some(r) = a.mutation_rate {
        anyhow::ensure!(
            (0.0..=1.0).contains(&r),
            "--mutation-rate must be between 0 and 1"
        );
        config.mutation_rate = r;
        set("--mutation-rate");
    }
    if let Some(sigma) = a.sigma {
        anyhow::ensure!(sigma >= 0.0, "--sigma must not be negative");
        config.mutation_sigma = sigma;
        set("--sigma");
    }
    config.seed = c.seed.unwrap_or(42);
    let data = SelectionData {
        matrix: a
            .matrix
            .as_deref()
            .map(SelectionData::read_numbers)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        weights: a
            .weights
            .as_deref()
            .map(SelectionData::read_numbers)
            .transpose()
            .map_err(anyhow::Error::msg)?,
    };
    let name = if changed.is_empty() {
        name.to_string()
    } else {
        format!("{name},\n  changed by {}", changed.join(" "))
    };
    Ok((config, data, name))
}

fn genes_cmd(a: GenesArgs) -> anyhow::Result<()> {
    use waves::report::duration;
    let c = &a.common;
    let (config, data, name) = genes_config(&a)?;
    if let Some(csv) = &a.csv {
        anyhow::ensure!(
            !csv.exists(),
            "{} exists: sim never overwrites a file; name another --csv",
            csv.display()
        );
    }
    let (n, g, gens) = (config.individuals, config.genes, config.generations);
    let (net, setup) = allocguard::measure(|| Network::with_data(config, c.variant(), data));
    let mut net = net.map_err(anyhow::Error::msg)?;
    let mut progress = Progress::new(gens, "generations", c.quiet);
    let started = Instant::now();
    let mut recorder = (!a.no_hotspots).then(allocguard::SiteRecorder::new);
    for _ in 0..gens {
        match &mut recorder {
            Some(r) => r.record(|| net.step()),
            None => net.step(),
        }
        progress.tick();
    }
    let sites = recorder.map(allocguard::SiteRecorder::finish);
    let per_step = started.elapsed() / gens.max(1) as u32;
    progress.bar.finish_and_clear();
    let series = net.history().to_vec();
    let result = net.finish();
    outln!("genes: {name}");
    outln!(
        "{n} individuals × {g} genes × {gens} generations, {} variant, seed {}",
        c.variant().name(),
        config.seed
    );
    outln!("{}", describe_genes(&config));
    outln!(
        "{:>10}  {:>14}  {:>14}",
        "generation",
        "mean fitness",
        "best fitness"
    );
    for (i, s) in series.iter().enumerate() {
        outln!(
            "{:>10}  {:>14.6}  {:>14.6}",
            i + 1,
            s.mean_fitness,
            s.best_fitness
        );
    }
    if let Some(csv) = &a.csv {
        let mut body = String::from("generation,mean_fitness,best_fitness\n");
        for (i, s) in series.iter().enumerate() {
            body.push_str(&format!(
                "{},{},{}\n",
                i + 1,
                s.mean_fitness,
                s.best_fitness
            ));
        }
        let dir = csv.parent().filter(|p| !p.as_os_str().is_empty());
        let file = csv
            .file_name()
            .and_then(|f| f.to_str())
            .ok_or_else(|| anyhow::anyhow!("--csv {} is not a file name", csv.display()))?;
        let path = write_new(dir.unwrap_or(std::path::Path::new(".")), file, &body)?;
        outln!("wrote {}", path.display());
    }
    outln!(
        "mutations {}; {} per generation",
        waves::report::thousands(result.mutations),
        duration(per_step)
    );
    outln!(
        "population: {} on the heap, {:.1} bytes per gene (the original: 394)",
        mib(setup.live_bytes()),
        setup.live_bytes() as f64 / (n * g) as f64,
    );
    outln!("state hash {:016x}", result.state_hash);
    if let Some(sites) = sites {
        print_hotspots(&sites, gens, "step");
    }
    Ok(())
}

/// The model, network, selection and mutation of `c`, in one line each.
fn describe_genes(c: &genes::Config) -> String {
    use genes::{ExpressionModel, Regulation, Selection};
    let model = match c.model {
        ExpressionModel::Linear { slope, intercept } => {
            format!("linear (slope {slope}, intercept {intercept})")
        }
        ExpressionModel::Hill { v_max, k, n } => format!("Hill (v_max {v_max}, k {k}, n {n})"),
        ExpressionModel::Constant { level } => format!("constant ({level})"),
    };
    let layer = match c.regulation {
        Regulation::None => "none".to_string(),
        Regulation::Additive(w) => format!("additive, weight {w}"),
        Regulation::Multiplicative(w) => format!("multiplicative, weight {w}"),
    };
    let network = match (c.regulated, c.regulation) {
        (false, _) => "none".to_string(),
        (true, Regulation::None) => format!(
            "density {}, ignored by a plain model (as happygene's)",
            c.density
        ),
        (true, _) => format!("density {}", c.density),
    };
    let selection = match c.selection {
        Selection::Proportional => "proportional".to_string(),
        Selection::Threshold(t) => format!("threshold {t}"),
        Selection::Epistatic => "epistatic (the given matrix)".to_string(),
        Selection::MultiObjective => "multi-objective (the given weights)".to_string(),
    };
    format!(
        "expression: {model} at tf {}; regulation: {layer}\n\
         network: {network}\n\
         selection: {selection}; mutation: rate {}, σ {}",
        c.tf, c.mutation_rate, c.mutation_sigma
    )
}

/// Sites listed by `sim`.
const HOTSPOTS: usize = 3;

/// Seed 004's "allocation hotspots (top 3)": where, and bytes per step.
fn print_hotspots(sites: &allocguard::Sites, steps: u64, unit: &str) {
    let steps = steps.max(1);
    if sites.totals().ops() == 0 {
        outln!("allocation hotspots: none (no heap operation in {steps} {unit}s)");
        return;
    }
    let mut by_bytes: Vec<&allocguard::Site> = sites.sites.iter().collect();
    by_bytes.sort_by_key(|s| std::cmp::Reverse(s.counts.bytes_allocated));
    outln!(
        "allocation hotspots (top {} of {} sites, over {steps} {unit}s):",
        HOTSPOTS.min(by_bytes.len()),
        sites.distinct
    );
    outln!("  (recording them slows allocation ~10x; --no-hotspots to time without)");
    for (i, s) in by_bytes.into_iter().take(HOTSPOTS).enumerate() {
        let per = s.counts.allocs as f64 / steps as f64;
        outln!(
            "  {}. {} per {unit} ({} allocations per {unit})",
            i + 1,
            kib(s.counts.bytes_allocated as f64 / steps as f64),
            if per.fract() == 0.0 {
                format!("{per:.0}")
            } else {
                format!("{per:.1}")
            }
        );
        outln!("     location: {}", s.location());
        if let Some(f) = s.function() {
            outln!("     in: {f}");
        }
        if let Some(caller) = s.caller() {
            outln!("     called from: {caller}");
        }
    }
}

/// The sites holding the most memory at the end: what grows.
fn print_growing(sites: &allocguard::Sites) {
    let holding = sites.holding();
    if holding.is_empty() {
        outln!("growing sites: none (nothing allocated in the run is still held)");
        return;
    }
    outln!(
        "growing sites (held at the end, top {} of {}):",
        HOTSPOTS.min(holding.len()),
        holding.len()
    );
    for (i, s) in holding.into_iter().take(HOTSPOTS).enumerate() {
        outln!(
            "  {}. {} held ({})",
            i + 1,
            kib(s.counts.live_bytes as f64),
            s.counts.ops_text()
        );
        outln!("     at {}", s.place());
    }
}

fn kib(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.2} MiB", bytes / (1024.0 * 1024.0))
    } else if bytes >= 1024.0 {
        format!("{:.1} KiB", bytes / 1024.0)
    } else {
        format!("{bytes:.0} B")
    }
}

fn automaton_cmd(a: AutomatonArgs) -> anyhow::Result<()> {
    use allocguard_sim::automaton::Action;
    let c = &a.common;
    let iterations = a.iterations.unwrap_or(c.scale.pick(2_000, 20_000, 100_000));
    let seed = c.seed.unwrap_or(42);
    // Without --file: a private directory, removed when the command ends.
    let scratch = tempfile::Builder::new()
        .prefix("allocguard-sim-")
        .tempdir()?;
    let path = a
        .file
        .clone()
        .unwrap_or_else(|| scratch.path().join("automaton.jsonl"));
    let continued = path.exists();
    let mut auto = if continued {
        // An automaton file is continued; anything else is refused untouched.
        Automaton::open(&path, seed, c.variant())?
    } else {
        Automaton::new(&path, seed, c.variant())?
    };
    let mut progress = Progress::new(iterations, "iterations", c.quiet);
    let heap_start = allocguard::process_stats().live_bytes();
    let mut recorder = (!a.no_hotspots).then(allocguard::SiteRecorder::new);
    for _ in 0..iterations {
        match &mut recorder {
            Some(r) => r.record(|| auto.iterate())?,
            None => auto.iterate()?,
        }
        progress.tick();
    }
    let sites = recorder.map(allocguard::SiteRecorder::finish);
    let r = auto.finish()?;
    progress.bar.finish_and_clear();
    outln!(
        "automaton: {} iterations, {} variant",
        waves::report::thousands(iterations),
        c.variant().name()
    );
    if a.file.is_some() {
        outln!(
            "file: {} ({})",
            path.display(),
            if continued { "continued" } else { "new" }
        );
    } else {
        outln!("file: a temporary one, removed at the end (--file to keep it)");
    }
    outln!(
        "objects {}, history {}, duplicate ids {}, lost to self-io {}",
        r.objects,
        r.history,
        r.duplicates,
        r.lost
    );
    outln!("saves {}, file {} bytes", r.saves, r.file_bytes);
    let actions: Vec<String> = Action::ALL
        .iter()
        .zip(r.actions)
        .map(|(a, n)| format!("{} {n}", a.name()))
        .collect();
    outln!("actions: {}", actions[..4].join(" · "));
    outln!("         {}", actions[4..].join(" · "));
    if r.idle > 0 {
        outln!(
            "idle iterations: {} (no automaton of the current dimension in the file:\n  \
             the original's runner does nothing then)",
            r.idle
        );
    }
    outln!(
        "heap grew {} over the run",
        mib(allocguard::process_stats().live_bytes() - heap_start)
    );
    if let Some(sites) = sites {
        print_growing(&sites);
    }
    Ok(())
}

fn combat_cmd(a: CombatArgs) -> anyhow::Result<()> {
    use allocguard_sim::combat::{batch, report, Config};
    use std::sync::atomic::{AtomicU64, Ordering};
    if let Some(label) = &a.build {
        return one_build_cmd(&a, label);
    }
    let runs = a.runs.unwrap_or(5);
    if a.stride == 0 || runs == 0 {
        anyhow::bail!("--stride and --runs must be at least 1");
    }
    // Refused before the run, not after it.
    if a.out.is_dir() {
        allocguard_sim::outfiles::check_free(&a.out, &report::FILES)?;
    }
    let mut cfg = Config::new(a.tier, a.archetype);
    cfg.variant = match a.variant {
        VariantArg::Naive => Variant::Naive,
        VariantArg::Lean => Variant::Lean,
    };
    cfg.threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    cfg.stride = a.stride;
    cfg.runs = runs;
    cfg.top = a.top;
    cfg.per_type = a.per_type;
    cfg.seed = a.seed;
    let threads = cfg.threads;
    let started = Instant::now();
    let done = AtomicU64::new(0);
    let planned = AtomicU64::new(0);
    let (ranking, stats, tenths) = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            allocguard::measure_process(|| {
                let b = batch::Batch::new(cfg);
                planned.store(b.planned() as u64, Ordering::Release);
                batch::run_batch(b, &done)
            })
        });
        let mut progress: Option<Progress> = None;
        // When the run reached each tenth of its builds, seconds from the start.
        let mut tenths = [None::<f64>; 11];
        loop {
            let finished = worker.is_finished();
            let total = planned.load(Ordering::Acquire);
            if total > 0 {
                let p = progress.get_or_insert_with(|| Progress::new(total, "builds", a.quiet));
                let n = done.load(Ordering::Relaxed);
                p.bar.set_position(n);
                p.tick_message();
                for (k, slot) in tenths.iter_mut().enumerate() {
                    if slot.is_none() && n * 10 >= total * k as u64 {
                        *slot = Some(started.elapsed().as_secs_f64());
                    }
                }
            }
            if finished {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Some(p) = progress {
            p.bar.finish_and_clear();
        }
        let (ranking, stats) = worker.join().expect("the batch thread panicked");
        (ranking, stats, tenths)
    });
    let secs = started.elapsed().as_secs_f64();
    let t = &ranking.tally;
    let tenth = |k: usize| tenths[k].unwrap_or(secs);
    use waves::report::thousands;
    outln!(
        "combat: tier {} {}, {} variant: {} of {} builds × {} combats",
        ranking.cfg.tier,
        ranking.cfg.archetype.name(),
        ranking.cfg.variant.name(),
        thousands(t.builds),
        thousands(ranking.catalog.len() as u64),
        4 * ranking.cfg.runs,
    );
    outln!(
        "  on {threads} threads in {secs:.1} s ({} builds/s, {} combats/s)",
        thousands((t.builds as f64 / secs) as u64),
        thousands((t.combats as f64 / secs) as u64),
    );
    outln!(
        "peak heap: {} (exact, every thread); won {:.1}% of {} combats",
        mib(stats.peak_live_bytes),
        t.wins as f64 * 100.0 / t.combats.max(1) as f64,
        thousands(t.combats)
    );
    let planned = t.builds as f64;
    let first = planned / 10.0 / (tenth(1) - tenth(0)).max(1e-9);
    let last = (planned - (planned * 9.0 / 10.0).ceil()) / (tenth(10) - tenth(9)).max(1e-9);
    outln!(
        "builds/s: first tenth {}, last tenth {} (ratio {:.2})",
        thousands(first as u64),
        thousands(last as u64),
        last / first
    );
    for (k, b) in ranking.top.iter().take(5).enumerate() {
        let head = format!("#{} {:.2} turns  ", k + 1, b.avg_turns(ranking.cfg.runs));
        let label = ranking.catalog.get(b.index as usize).label();
        outln!("{}", wrap(&label, &head, 80));
    }
    for f in report::write_reports(&ranking, &a.out)? {
        outln!("wrote {}", f.display());
    }
    Ok(())
}

/// `head` then `text`, broken at spaces so that no line is wider than
/// `width` (a word longer than that stays whole), continuation lines
/// indented under the text.
fn wrap(text: &str, head: &str, width: usize) -> String {
    let indent = " ".repeat(head.chars().count());
    let mut out = head.to_string();
    let mut line = head.chars().count();
    for (i, word) in text.split(' ').enumerate() {
        let w = word.chars().count();
        if i > 0 && line + 1 + w > width {
            out.push('\n');
            out.push_str(&indent);
            line = indent.len();
        } else if i > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += w;
    }
    out
}

/// Four stats, `F,P,M,E`, each 0-10.
fn parse_stats(s: &str) -> Result<[i32; 4], String> {
    let v: Vec<i32> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<i32>()
                .map_err(|_| format!("`{x}` is not a whole number"))
        })
        .collect::<Result<_, _>>()?;
    match v[..] {
        [f, p, m, e] if v.iter().all(|x| (0..=10).contains(x)) => Ok([f, p, m, e]),
        [_, _, _, _] => Err("each stat is 0 to 10".into()),
        _ => Err(format!(
            "{} numbers; give four: focus, power, mobility, endurance (e.g. 2,2,4,0)",
            v.len()
        )),
    }
}

/// `sim combat --build LABEL`: one build against the chosen scenarios.
fn one_build_cmd(a: &CombatArgs, label: &str) -> anyhow::Result<()> {
    use allocguard_sim::combat::{single, Archetype, AttackType, Build, Config};
    use waves::report::{rate, thousands};
    let runs = a.runs.unwrap_or(1_000);
    anyhow::ensure!(runs > 0, "--runs must be at least 1");
    anyhow::ensure!(
        a.archetype != Archetype::VersatileMaster,
        "--build tests one attack: use --archetype focused or dual_natured \
         (a versatile master's loadout is three attacks)"
    );
    let build: Build = label.parse()?;
    single::check_budget(&build, a.tier, a.archetype)?;
    let scenarios: Vec<usize> = if a.scenarios.is_empty() {
        (0..4).collect()
    } else {
        a.scenarios
            .iter()
            .map(|n| single::scenario_index(n))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?
    };
    let cfg = Config {
        runs,
        seed: a.seed,
        ..Config::new(a.tier, a.archetype)
    };
    let fallback = match a.fallback {
        FallbackArg::Ranged => AttackType::Ranged,
        FallbackArg::Area => AttackType::Area,
    };
    let loadout = single::loadout(&build, &cfg, fallback);
    let stats = single::test_loadout(&loadout, &cfg, &scenarios);
    outln!("{}", loadout.label());
    outln!(
        "tier {}, {}, {} points of {}; {} runs per scenario, seed {}",
        a.tier,
        a.archetype.name(),
        build.cost(),
        allocguard_sim::combat::budget(a.tier, a.archetype),
        thousands(u64::from(runs)),
        a.seed
    );
    outln!(
        "{:<10} {:>16} {:>8} {:>8} {:>11}",
        "scenario",
        "mean turns ± SE",
        "sd",
        "win rate",
        "damage/turn"
    );
    for s in &stats {
        outln!(
            "{:<10} {:>16} {:>8.2} {:>7.1}% {:>11}",
            s.scenario,
            format!("{:.2} ± {:.2}", s.mean, s.se),
            s.sd,
            s.win_rate,
            rate(s.dpt)
        );
    }
    Ok(())
}

fn pairs_cmd(a: PairsArgs) -> anyhow::Result<()> {
    use allocguard_sim::pairs::{self, Pairing};
    if a.stride == 0 || !(a.sample_percent > 0.0 && a.sample_percent <= 1.0) {
        anyhow::bail!("--stride must be at least 1 and --sample-percent in (0, 1]");
    }
    if a.out.is_dir() {
        allocguard_sim::outfiles::check_free(&a.out, &[allocguard_sim::catalogue::FILE])?;
    }
    anyhow::ensure!(
        a.runs > 0 && a.stage1_runs > 0 && a.max_turns > 0,
        "--runs, --stage1-runs and --max-turns must be at least 1"
    );
    anyhow::ensure!(
        a.enhancement_percent > 0.0 && a.enhancement_percent <= 1.0,
        "--enhancement-percent must be in (0, 1]"
    );
    let tier = a.tier as i32;
    let original = pairs::Config::original();
    let with_tier = |stats: [i32; 5], four: Option<[i32; 4]>| {
        let [f, p, m, e] = four.unwrap_or([stats[0], stats[1], stats[2], stats[3]]);
        [f, p, m, e, tier]
    };
    let cfg = pairs::Config {
        stride: a.stride,
        sample_percent: a.sample_percent,
        points: a
            .points
            .unwrap_or_else(|| allocguard_sim::combat::budget(a.tier, a.archetype)),
        attacker: with_tier(original.attacker, None),
        profiles: [
            with_tier(original.profiles[0], a.evasive),
            with_tier(original.profiles[1], a.tanky),
        ],
        stage1_runs: a.stage1_runs,
        stage2_runs: a.runs,
        max_turns: a.max_turns,
        enhancement_percent: a.enhancement_percent,
        shards: a.shards,
        seed: a.seed,
        variant: match a.variant {
            VariantArg::Naive => Variant::Naive,
            VariantArg::Lean => Variant::Lean,
        },
        ..pairs::Config::original()
    };
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let started = Instant::now();
    let done = std::sync::atomic::AtomicU64::new(0);
    let planned = std::sync::atomic::AtomicU64::new(0);
    let pruned = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            pairs::stage1_counted(&cfg, threads, &done, |n| {
                planned.store(n as u64, std::sync::atomic::Ordering::Release)
            })
        });
        let mut progress: Option<Progress> = None;
        while !worker.is_finished() {
            let total = planned.load(std::sync::atomic::Ordering::Acquire);
            if total > 0 {
                let p =
                    progress.get_or_insert_with(|| Progress::new(total, "attacks alone", a.quiet));
                p.bar
                    .set_position(done.load(std::sync::atomic::Ordering::Relaxed));
                p.tick_message();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(p) = progress {
            p.bar.finish_and_clear();
        }
        worker.join().expect("the stage-1 thread panicked")
    });
    let stage1_secs = started.elapsed().as_secs_f64();
    outln!("pairs: {} points per attack, tier {}", cfg.points, a.tier);
    outln!(
        "  attacker {:?}, evasive {:?}, tanky {:?}",
        cfg.attacker,
        cfg.profiles[0],
        cfg.profiles[1]
    );
    outln!(
        "stage 1: {} attacks tested alone in {stage1_secs:.1} s,\n  {} kept (best {:.0}% of each enhancement)",
        waves::report::thousands(pruned.tested as u64),
        waves::report::thousands(pruned.attacks.len() as u64),
        cfg.enhancement_percent * 100.0
    );
    let (result, stats) = allocguard::measure_process(|| -> anyhow::Result<_> {
        let mut p = Pairing::new(cfg, pruned, &a.out)?;
        let planned = p.planned() as u64;
        let mut progress = Progress::new(planned.div_ceil(1000), "×1000 pairs", a.quiet);
        while p.step(1000)? > 0 {
            progress.tick();
        }
        progress.bar.finish_and_clear();
        Ok((planned, p.finish()?))
    });
    let (planned, paths) = result?;
    let secs = started.elapsed().as_secs_f64() - stage1_secs;
    outln!(
        "stage 2: {} pairs × {} combats in {secs:.1} s ({} pairs/s),\n  {} variant; peak heap {} (exact)",
        waves::report::thousands(planned),
        8 * a.runs,
        waves::report::rate(planned as f64 / secs),
        match a.variant {
            VariantArg::Naive => "naive",
            VariantArg::Lean => "lean",
        },
        mib(stats.peak_live_bytes)
    );
    outln!(
        "wrote {} shards and attacks.tsv into {}; rank them with `sim reduce --shards {}`",
        paths.len(),
        a.out.display(),
        a.out.display()
    );
    Ok(())
}

fn shards_cmd(a: ShardsArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.out)?;
    if !allocguard_sim::reducer::shards_in(&a.out)?.is_empty() {
        anyhow::bail!(
            "{} already holds shards; choose an empty directory",
            a.out.display()
        );
    }
    let started = Instant::now();
    let paths = allocguard_sim::shards::generate_synthetic(&a.out, a.count, a.shards, a.seed)?;
    outln!(
        "wrote {} synthetic results (drawn from a distribution, not simulated) into {} shards in {} ({:.1} s)",
        a.count,
        paths.len(),
        a.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn reduce_cmd(a: ReduceArgs) -> anyhow::Result<()> {
    use allocguard_sim::reducer::{self, Reducer};
    let paths = reducer::shards_in(&a.shards).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the shard directory {}: {e}; write shards with `sim pairs --out DIR` or `sim shards --out DIR`",
            a.shards.display()
        )
    })?;
    if paths.is_empty() {
        anyhow::bail!("no *.bin shards in {}", a.shards.display());
    }
    if a.out.is_dir() {
        let names = reducer::report_files();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        allocguard_sim::outfiles::check_free(&a.out, &names)?;
    }
    let mut total = 0;
    for p in &paths {
        total += allocguard_sim::shards::ShardReader::open(p)?.count();
    }
    let variant = match a.variant {
        VariantArg::Naive => Variant::Naive,
        VariantArg::Lean => Variant::Lean,
    };
    let cat_path = a.shards.join(allocguard_sim::catalogue::FILE);
    let catalogue = if cat_path.exists() {
        Some(allocguard_sim::catalogue::Catalogue::load(&cat_path).map_err(anyhow::Error::msg)?)
    } else {
        outln!(
            "no {} next to the shards: attacks are shown by index, and the enhancement ranking and pair cost analysis are left out",
            cat_path.display()
        );
        None
    };
    let started = Instant::now();
    let (reduced, stats) = allocguard::measure_process(|| -> anyhow::Result<_> {
        let mut progress = Progress::new(total.div_ceil(100_000), "×100k records", a.quiet);
        let mut r = Reducer::new(paths.clone(), a.top, variant);
        if let Some(c) = catalogue.clone() {
            r = r.with_catalogue(c);
        }
        while r.feed(100_000)? {
            progress.tick();
        }
        progress.bar.finish_and_clear();
        Ok(r.finish())
    });
    let reduced = reduced?;
    let secs = started.elapsed().as_secs_f64();
    let files = reducer::write_reports(&reduced, &a.out)?;
    outln!(
        "reduced {} results from {} shards to the top {}, {} variant,",
        waves::report::thousands(reduced.records),
        paths.len(),
        waves::report::thousands(reduced.top.len() as u64),
        variant.name()
    );
    outln!(
        "  in {secs:.1} s ({:.1} M results/s)",
        reduced.records as f64 / secs / 1e6
    );
    outln!(
        "peak heap while reducing: {} (exact, every thread)",
        mib(stats.peak_live_bytes)
    );
    if let Some(best) = reduced.top.first() {
        outln!(
            "best: pair {} ({} + {}), {:.2} turns, synergy {:.1} %",
            best.pair_id,
            best.attacks[0],
            best.attacks[1],
            best.overall_avg,
            best.synergy
        );
    }
    for f in files {
        outln!("wrote {}", f.display());
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let result = match Cli::parse().command {
        Command::Waves(a) => waves(a),
        Command::Genes(a) => genes_cmd(a),
        Command::Automaton(a) => automaton_cmd(a),
        Command::Combat(a) => combat_cmd(a),
        Command::Pairs(a) => pairs_cmd(a),
        Command::Shards(a) => shards_cmd(a),
        Command::Reduce(a) => reduce_cmd(a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
