use super::model::fitness_of;
use super::*;
use crate::rng::Rng;
use crate::Variant;

/// A pseudo-random matrix and weights for `g` genes.
fn data(g: usize) -> SelectionData {
    let mut rng = Rng::new(5);
    SelectionData {
        matrix: Some((0..g * g).map(|_| rng.uniform(-0.5, 0.5)).collect()),
        weights: Some((0..g).map(|_| rng.uniform(0.0, 1.0)).collect()),
    }
}

#[test]
fn naive_and_lean_are_equal_to_the_bit() {
    for regulated in [false, true] {
        for selection in [
            Selection::Proportional,
            Selection::Threshold(0.4),
            Selection::Epistatic,
            Selection::MultiObjective,
        ] {
            let config = Config {
                selection,
                ..Config::new(30, 12, 8, regulated)
            };
            let run = |variant| {
                let mut net = Network::with_data(config, variant, data(12)).unwrap();
                for _ in 0..8 {
                    net.step();
                }
                net.finish()
            };
            let (lean, naive) = (run(Variant::Lean), run(Variant::Naive));
            assert_eq!(lean, naive, "regulated {regulated}, {selection:?}");
            assert!(lean.mutations > 0);
        }
    }
}

#[test]
fn a_plain_model_ignores_the_network_so_fitness_is_exactly_the_model_value() {
    // The memory-profile setting with a network and a plain linear model:
    // every gene is max(0, 1.0·0 + 0.1) = 0.1 after expression, so the
    // proportional fitness (read before mutation) is 0.1 every generation.
    let config = Config {
        regulated: true,
        regulation: Regulation::None,
        ..Config::new(40, 10, 12, false)
    };
    for variant in [Variant::Lean, Variant::Naive] {
        let r = Network::run(config, variant);
        assert_eq!(r.generations.len(), 12);
        for g in &r.generations {
            assert_eq!((g.mean_fitness, g.best_fitness), (0.1, 0.1), "{variant:?}");
        }
        assert!(r.mutations > 0, "mutations happen, and are overwritten");
    }
}

/// happygene (heymumford/happygene at cad16c9) on a composite model:
/// linear (1.0, 0.1) + additive regulation 0.5, a random network of
/// density 0.3 built by its `examples/benchmark.py`
/// (`create_regulatory_network(20, 0.3, seed)`), 200 individuals × 20
/// genes at uniform(0.5, 2.0), proportional selection, point mutation
/// 0.1 / 0.05, seeds 1-12, `GeneNetwork.step` then
/// `compute_mean_fitness()`: per generation, the mean over the seeds and
/// its standard error.
/// Without the network (a plain model) every generation would be 0.1,
/// ten standard errors below the first.
const HAPPYGENE_COMPOSITE: [(f64, f64); 5] = [
    (0.19495, 0.00916),
    (0.10328, 0.00440),
    (0.09777, 0.00137),
    (0.09719, 0.00173),
    (0.09645, 0.00147),
];

#[test]
fn a_composite_model_agrees_with_happygene_within_three_standard_errors() {
    let runs: Vec<Vec<f64>> = (1..=12)
        .map(|seed| {
            let config = Config {
                seed,
                density: 0.3,
                ..Config::new(200, 20, 5, true)
            };
            assert_eq!(config.regulation, Regulation::Additive(0.5));
            Network::run(config, Variant::Lean)
                .generations
                .iter()
                .map(|g| g.mean_fitness)
                .collect()
        })
        .collect();
    for (gen, &(theirs, their_se)) in HAPPYGENE_COMPOSITE.iter().enumerate() {
        let xs: Vec<f64> = runs.iter().map(|r| r[gen]).collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let se = (their_se.powi(2) + (sd / n.sqrt()).powi(2)).sqrt();
        assert!(
            (mean - theirs).abs() <= 3.0 * se,
            "generation {}: {mean:.5} here, {theirs:.5} in happygene (3 SE = {:.5})",
            gen + 1,
            3.0 * se
        );
    }
}

#[test]
fn the_readme_example_gives_fitness_one_every_generation() {
    // Hill(1, 0.5, 2) at tf 0.7: 0.49 / (0.25 + 0.49) = 0.6622 ≥ 0.4.
    let c = Config::readme();
    assert!((c.base() - 0.49 / 0.74).abs() < 1e-15);
    let r = Network::run(c, Variant::Lean);
    assert_eq!(r.generations.len(), 150);
    assert!(r
        .generations
        .iter()
        .all(|g| g.mean_fitness == 1.0 && g.best_fitness == 1.0));
}

#[test]
fn a_composite_model_regulates_through_the_network_by_hand() {
    // 3 individuals × 4 genes; A by hand: gene 0 ← 0.5·g1, gene 1 ← −0.25·g3,
    // gene 2 ← 0.1·g0 + 0.2·g1, gene 3 ← nothing.
    let a = Csr {
        ptr: vec![0, 1, 2, 4, 4],
        indices: vec![1, 3, 0, 1],
        weights: vec![0.5, -0.25, 0.1, 0.2],
    };
    for (regulation, f) in [
        (
            Regulation::Additive(0.5),
            (|tf: f64| (0.1 + 0.5 * tf).max(0.0)) as fn(f64) -> f64,
        ),
        (Regulation::Multiplicative(2.0), |tf: f64| {
            (0.1 * (1.0 + 2.0 * tf)).max(0.0)
        }),
    ] {
        for variant in [Variant::Lean, Variant::Naive] {
            let config = Config {
                mutation_rate: 0.0,
                regulation,
                ..Config::new(3, 4, 1, true)
            };
            let mut net = Network::new(config, variant);
            net.set_regulation(a.clone());
            let before: Vec<Vec<f64>> = (0..3)
                .map(|i| (0..4).map(|j| net.level(i, j)).collect())
                .collect();
            net.step();
            for (i, x) in before.iter().enumerate() {
                let tf = [0.5 * x[1], -0.25 * x[3], 0.1 * x[0] + 0.2 * x[1], 0.0];
                for (j, t) in tf.iter().enumerate() {
                    let e = f(*t);
                    assert!((net.level(i, j) - e).abs() < 1e-12, "{variant:?} ({i},{j})");
                }
            }
            // Proportional fitness is the row mean.
            let mean: f64 = (0..3)
                .map(|i| (0..4).map(|j| net.level(i, j)).sum::<f64>() / 4.0)
                .sum::<f64>()
                / 3.0;
            assert!((net.last().unwrap().mean_fitness - mean).abs() < 1e-12);
        }
    }
}

#[test]
fn epistatic_and_multi_objective_fitness_follow_their_formulas() {
    let x = [1.0, 2.0];
    let data = SelectionData {
        matrix: Some(vec![0.1, 0.2, 0.3, 0.4]),
        weights: Some(vec![3.0, 1.0]),
    };
    // mean 1.5; xᵀMx = 0.1 + 2·(0.2 + 0.3) + 4·0.4 = 2.7, over n = 2.
    let e = fitness_of(Selection::Epistatic, &data, &x);
    assert!((e - (1.5 + 2.7 / 2.0)).abs() < 1e-12);
    // (3·1 + 1·2) / 4.
    assert_eq!(fitness_of(Selection::MultiObjective, &data, &x), 1.25);
    // One gene: not divided by n.
    let one = SelectionData {
        matrix: Some(vec![0.5]),
        weights: Some(vec![0.0]),
    };
    assert_eq!(fitness_of(Selection::Epistatic, &one, &[2.0]), 2.0 + 2.0);
    assert_eq!(fitness_of(Selection::MultiObjective, &one, &[2.0]), 0.0);
}

#[test]
fn missing_or_misfit_selection_data_is_named() {
    let c = |selection| Config {
        selection,
        ..Config::new(2, 3, 1, false)
    };
    let err = |config, data| {
        Network::with_data(config, Variant::Lean, data)
            .err()
            .unwrap()
    };
    assert!(err(c(Selection::Epistatic), SelectionData::default()).contains("--matrix FILE"));
    let m = SelectionData {
        matrix: Some(vec![0.0; 4]),
        weights: Some(vec![1.0, -1.0, 1.0]),
    };
    assert!(err(c(Selection::Epistatic), m.clone()).contains("3 genes need 3×3 = 9"));
    assert!(err(c(Selection::MultiObjective), m).contains("must not be negative"));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.txt");
    std::fs::write(&p, "# a matrix\n1, 2\n3 x\n").unwrap();
    let e = SelectionData::read_numbers(&p).unwrap_err();
    assert!(e.ends_with("m.txt:3: `x` is not a number"), "{e}");
    std::fs::write(&p, "1, 2\n-3\t4.5\n").unwrap();
    assert_eq!(
        SelectionData::read_numbers(&p).unwrap(),
        [1.0, 2.0, -3.0, 4.5]
    );
}

#[test]
fn the_mutation_frequency_is_the_rate_within_four_sigma() {
    // 1,000 × 100 genes × 10 generations = a million draws at rate 0.1.
    let config = Config::new(1_000, 100, 10, false);
    let r = Network::run(config, Variant::Lean);
    let (n, p) = (1_000_000.0, 0.1);
    let sigma = (n * p * (1.0f64 - p)).sqrt();
    assert!(
        (r.mutations as f64 - n * p).abs() < 4.0 * sigma,
        "{} mutations",
        r.mutations
    );
}

#[test]
fn unregulated_expression_overwrites_mutations_with_the_model_value() {
    let mut net = Network::new(Config::new(5, 6, 2, false), Variant::Lean);
    net.step();
    net.step();
    // After step 2's expression every cell was 0.1; only mutations differ.
    let at_model = (0..5)
        .flat_map(|i| (0..6).map(move |j| (i, j)))
        .filter(|&(i, j)| net.level(i, j) == 0.1)
        .count();
    assert!(
        at_model >= 15,
        "most cells sit at the model value: {at_model}"
    );
}

#[test]
fn models_compute_their_formulas() {
    let hill = ExpressionModel::Hill {
        v_max: 2.0,
        k: 1.0,
        n: 2.0,
    };
    assert!((hill.compute(1.0) - 1.0).abs() < 1e-12);
    assert_eq!(hill.compute(-1.0), 0.0);
    assert_eq!(ExpressionModel::Constant { level: 3.0 }.compute(9.0), 3.0);
    let lin = ExpressionModel::Linear {
        slope: 2.0,
        intercept: 3.0,
    };
    assert_eq!(lin.compute(1.0), 5.0);
    assert_eq!(Regulation::Additive(1.0).apply(3.0, 2.0), 5.0);
    assert_eq!(Regulation::Multiplicative(0.5).apply(3.0, 2.0), 6.0);
    assert_eq!(Regulation::Additive(-1.0).apply(3.0, 5.0), 0.0);
    assert_eq!(Regulation::None.apply(3.0, 100.0), 3.0);
}
