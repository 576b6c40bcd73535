//! `sim waves`: the wave stress test and its report.

use super::*;
use allocguard_sim::waves::{self, WavePhase, World};

#[derive(Args)]
pub(crate) struct WavesArgs {
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

pub(crate) fn waves(a: WavesArgs) -> anyhow::Result<()> {
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
