//! `sim`: run one of the simulations and print its results.
//!
//! ```text
//! sim waves | genes | automaton | combat | pairs | shards | reduce [OPTIONS]
//! ```
//!
//! One module per command (its arguments and what it runs); this file holds
//! what they share: the common flags, the progress bar, the listings of
//! allocation sites, and writing files that never replace one.
//!
//! Long runs show a progress bar with the live heap (counted by allocguard)
//! and the resident set size, the readout the build tester's users asked for.

use std::time::{Duration, Instant};

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

mod automaton_cmd;
mod combat_cmd;
mod genes_cmd;
mod pairs_cmd;
mod waves_cmd;

use automaton_cmd::{automaton_cmd, AutomatonArgs};
use combat_cmd::{combat_cmd, CombatArgs};
use genes_cmd::{genes_cmd, GenesArgs};
use pairs_cmd::{pairs_cmd, reduce_cmd, shards_cmd, PairsArgs, ReduceArgs, ShardsArgs};
use waves_cmd::{waves, WavesArgs};

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
    /// Attack pairing as simulation_v3 runs it: stage 1 (attacks alone, pruned), stage 2 (sampled pairs into shards), the top N and every report.
    Pairs(PairsArgs),
    /// Write synthetic stage-2 result shards (drawn from a distribution, not simulated).
    Shards(ShardsArgs),
    /// Stream result shards into the top N and write the markdown reports.
    Reduce(ReduceArgs),
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
            s.counts
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
