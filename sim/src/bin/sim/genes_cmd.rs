//! `sim genes`: the gene network with happygene's models.

use super::*;
use allocguard_sim::genes::{self, Network};
use allocguard_sim::waves;

#[derive(Args)]
pub(crate) struct GenesArgs {
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

pub(crate) fn genes_cmd(a: GenesArgs) -> anyhow::Result<()> {
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
