//! `sim combat`: the build tester: every build ranked, or one build.

use super::*;
use allocguard_sim::waves;

#[derive(Args)]
pub(crate) struct CombatArgs {
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

#[derive(Clone, Copy, ValueEnum)]
enum FallbackArg {
    Ranged,
    Area,
}

pub(crate) fn combat_cmd(a: CombatArgs) -> anyhow::Result<()> {
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
