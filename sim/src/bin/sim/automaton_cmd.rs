//! `sim automaton`: the self-modifying automaton's continuous runner.

use super::*;
use allocguard_sim::automaton::Automaton;
use allocguard_sim::waves;

#[derive(Args)]
pub(crate) struct AutomatonArgs {
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

pub(crate) fn automaton_cmd(a: AutomatonArgs) -> anyhow::Result<()> {
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
