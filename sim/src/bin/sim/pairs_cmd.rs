//! `sim pairs`: stage 1, stage 2 and the reduction in one command (the
//! original's `main.py`), synthetic shards, and the reducer on its own for
//! shards written elsewhere.

use super::*;
use allocguard_sim::waves;

#[derive(Args)]
pub(crate) struct PairsArgs {
    /// Directory for everything: stage 1's reports in `stage1/`, the shards
    /// and attacks.tsv, stage 2's reports in `stage2/`.
    #[arg(long)]
    out: std::path::PathBuf,
    /// Stop after the shards (stage 1's reports written): rank them later
    /// with `sim reduce`, for example after merging the shards of several
    /// machines.
    #[arg(long)]
    shards_only: bool,
    /// How many pairs stage 2's reports rank.
    #[arg(long, default_value_t = 5_000)]
    top: usize,
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
pub(crate) struct ShardsArgs {
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
pub(crate) struct ReduceArgs {
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

pub(crate) fn pairs_cmd(a: PairsArgs) -> anyhow::Result<()> {
    use allocguard_sim::pairs::{self, Pairing};
    if a.stride == 0 || !(a.sample_percent > 0.0 && a.sample_percent <= 1.0) {
        anyhow::bail!("--stride must be at least 1 and --sample-percent in (0, 1]");
    }
    if a.out.is_dir() {
        allocguard_sim::outfiles::check_free(&a.out, &[allocguard_sim::pairs::catalogue::FILE])?;
    }
    // Refused before stage 1 runs, not after it: shards are never replaced.
    if a.out.is_dir() {
        let shards = allocguard_sim::pairs::reducer::shards_in(&a.out)?;
        let ours = shards.iter().find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("stage2_shard_"))
        });
        if let Some(first) = ours {
            anyhow::bail!(
                "{} exists; write pairs into an empty directory (or one without shards)",
                first.display()
            );
        }
    }
    let stage1_dir = a.out.join("stage1");
    let stage2_dir = a.out.join("stage2");
    if stage1_dir.is_dir() {
        allocguard_sim::outfiles::check_free(&stage1_dir, &pairs::reports::STAGE1_FILES)?;
    }
    if stage2_dir.is_dir() && !a.shards_only {
        let names = allocguard_sim::pairs::reducer::report_files();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        allocguard_sim::outfiles::check_free(&stage2_dir, &names)?;
    }
    anyhow::ensure!(a.top > 0, "--top must be at least 1");
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
    use allocguard_sim::outfiles::write_texts;
    let written = write_texts(&stage1_dir, &pairs::reports::stage1_reports(&pruned, &cfg))?;
    let logs = pairs::reports::combat_logs::combat_logs(&pruned, &cfg);
    write_texts(&stage1_dir.join(pairs::reports::combat_logs::DIR), &logs)?;
    outln!(
        "  wrote stage 1's {} reports and {} combat logs into {}",
        written.len(),
        logs.len(),
        stage1_dir.display()
    );
    let variant = cfg.variant;
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
    if a.shards_only {
        outln!(
            "wrote {} shards and attacks.tsv into {}; rank them with `sim reduce --shards {}`",
            paths.len(),
            a.out.display(),
            a.out.display()
        );
        return Ok(());
    }
    outln!(
        "wrote {} shards and attacks.tsv into {}",
        paths.len(),
        a.out.display()
    );
    reduce_into(&a.out, &stage2_dir, a.top, variant, a.quiet)
}

pub(crate) fn shards_cmd(a: ShardsArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.out)?;
    if !allocguard_sim::pairs::reducer::shards_in(&a.out)?.is_empty() {
        anyhow::bail!(
            "{} already holds shards; choose an empty directory",
            a.out.display()
        );
    }
    let started = Instant::now();
    let paths =
        allocguard_sim::pairs::shards::generate_synthetic(&a.out, a.count, a.shards, a.seed)?;
    outln!(
        "wrote {} synthetic results (drawn from a distribution, not simulated) into {} shards in {} ({:.1} s)",
        a.count,
        paths.len(),
        a.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(crate) fn reduce_cmd(a: ReduceArgs) -> anyhow::Result<()> {
    let variant = match a.variant {
        VariantArg::Naive => Variant::Naive,
        VariantArg::Lean => Variant::Lean,
    };
    reduce_into(&a.shards, &a.out, a.top, variant, a.quiet)
}

/// Reads the shards in `shards`, keeps the best `top` and writes stage 2's
/// reports into `out`.
fn reduce_into(
    shards: &std::path::Path,
    out: &std::path::Path,
    top: usize,
    variant: Variant,
    quiet: bool,
) -> anyhow::Result<()> {
    use allocguard_sim::pairs::reducer::{self, Reducer};
    let paths = reducer::shards_in(shards).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the shard directory {}: {e}; write shards with `sim pairs --out DIR` or `sim shards --out DIR`",
            shards.display()
        )
    })?;
    if paths.is_empty() {
        anyhow::bail!("no *.bin shards in {}", shards.display());
    }
    if out.is_dir() {
        let names = reducer::report_files();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        allocguard_sim::outfiles::check_free(out, &names)?;
    }
    let mut total = 0;
    for p in &paths {
        total += allocguard_sim::pairs::shards::ShardReader::open(p)?.count();
    }
    let cat_path = shards.join(allocguard_sim::pairs::catalogue::FILE);
    let catalogue = if cat_path.exists() {
        Some(
            allocguard_sim::pairs::catalogue::Catalogue::load(&cat_path)
                .map_err(anyhow::Error::msg)?,
        )
    } else {
        outln!(
            "no {} next to the shards: attacks are shown by index, and the enhancement ranking and pair cost analysis are left out",
            cat_path.display()
        );
        None
    };
    let started = Instant::now();
    let (reduced, stats) = allocguard::measure_process(|| -> anyhow::Result<_> {
        let mut progress = Progress::new(total.div_ceil(100_000), "×100k records", quiet);
        let mut r = Reducer::new(paths.clone(), top, variant);
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
    let files = reducer::write_reports(&reduced, out)?;
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
