//! The build tester's output: a ranking file and a combat log for each of
//! the best builds, written together, all or nothing.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::arena::LeanArena;
use super::batch::{combat_seed, Ranking, SCENARIOS};
use super::fight::fight;
use super::log::Log;
use crate::rng::Rng;

/// `ranking.md`: the summary, the best builds and the best of each type.
pub fn ranking_markdown(r: &Ranking) -> String {
    let c = &r.cfg;
    let t = &r.tally;
    let runs = c.runs;
    let per_build = f64::from(4 * runs);
    let avg = |total: u32| f64::from(total) / per_build;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Build ranking: tier {}, {}\n",
        c.tier,
        c.archetype.name()
    );
    let _ = writeln!(
        s,
        "- Builds tested: {} of {}{}",
        t.builds,
        r.catalog.len(),
        if c.stride > 1 {
            format!(" (every {}th)", c.stride)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        s,
        "- Combats: {} ({} scenarios × {runs} runs per build, at most {} turns), won {} ({:.1}%)",
        t.combats,
        SCENARIOS.len(),
        c.max_turns,
        t.wins,
        if t.combats > 0 {
            t.wins as f64 * 100.0 / t.combats as f64
        } else {
            0.0
        }
    );
    let _ = writeln!(s, "- Seed {}, {} variant", c.seed, c.variant.name());
    if t.builds > 0 {
        let _ = writeln!(
            s,
            "- Average turns: mean {:.2}, median {:.2}, top 10% ≤ {:.2}, top 1% ≤ {:.2}",
            t.turns as f64 / (t.builds as f64 * per_build),
            avg(t.quantile_total(0.5)),
            avg(t.quantile_total(0.1)),
            avg(t.quantile_total(0.01)),
        );
    }
    let _ = writeln!(
        s,
        "\nScore: the mean of the scenarios' average turns (a timeout counts as {} turns); lower is better.\n",
        c.max_turns
    );
    let _ = writeln!(s, "## Top {}\n", r.top.len());
    let _ = writeln!(
        s,
        "| # | build | cost | avg turns | Boss | Mixed | Swarm 1 | Swarm 2 | DPT | win % |"
    );
    let _ = writeln!(
        s,
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (rank, b) in r.top.iter().enumerate() {
        let l = r.catalog.get(b.index as usize);
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.0} |",
            rank + 1,
            l.label(),
            l.cost(),
            b.avg_turns(runs),
            b.scenario_avg(0, runs),
            b.scenario_avg(1, runs),
            b.scenario_avg(2, runs),
            b.scenario_avg(3, runs),
            b.dpt(runs),
            b.win_rate(runs),
        );
    }
    let _ = writeln!(s, "\n## By attack type\n");
    let _ = writeln!(s, "| type | builds | mean turns | best | best build |");
    let _ = writeln!(s, "| --- | ---: | ---: | ---: | --- |");
    for (kind, tt) in super::data::AttackType::ALL.iter().zip(&t.by_type) {
        let (n, turns) = (tt.builds, tt.turns);
        let Some((best_total, best_index)) = tt.best else {
            continue;
        };
        let _ = writeln!(
            s,
            "| {} | {n} | {:.2} | {:.2} | `{}` |",
            kind.name(),
            turns as f64 / (n as f64 * per_build),
            avg(best_total),
            r.catalog.get(best_index as usize).label()
        );
    }
    s
}

/// Replays the first run of every scenario of each top build with the log
/// on, into `w`. The replay draws the same numbers as the batch did, so its
/// turns are the batch's.
pub fn write_combat_logs(r: &Ranking, w: &mut dyn Write) -> io::Result<()> {
    let mt = r.cfg.matchup();
    let mut arena = LeanArena::default();
    for (rank, b) in r.top.iter().enumerate() {
        let loadout = r.catalog.get(b.index as usize);
        writeln!(w, "{}", "=".repeat(80))?;
        writeln!(
            w,
            "#{} {} (cost {})",
            rank + 1,
            loadout.label(),
            loadout.cost()
        )?;
        writeln!(w, "{}", "=".repeat(80))?;
        for (s, g) in SCENARIOS.iter().enumerate() {
            writeln!(w, "\n--- {} {:?}, run 1 ---", g.name, g.hps)?;
            let mut rng = Rng::new(combat_seed(r.cfg.seed, u64::from(b.index), s, 0));
            let mut log = Log::to(w);
            fight(&mut arena, &mut rng, &mut log, &mt, &loadout, g.hps);
            log.finish()?;
        }
    }
    Ok(())
}

/// The files [`write_reports`] writes.
pub const FILES: [&str; 2] = ["ranking.md", "combat_logs.txt"];

/// Writes `ranking.md` and `combat_logs.txt` into `dir`, all or nothing.
pub fn write_reports(r: &Ranking, dir: &Path) -> io::Result<Vec<PathBuf>> {
    let reports: Vec<crate::outfiles::Report> = vec![
        (
            "ranking.md",
            Box::new(|w: &mut dyn Write| w.write_all(ranking_markdown(r).as_bytes())),
        ),
        (
            "combat_logs.txt",
            Box::new(|w: &mut dyn Write| write_combat_logs(r, w)),
        ),
    ];
    crate::outfiles::write_all(dir, &reports)
}
