//! The subcommand's layers import one another in one direction only,
//! bottom up (see `src/lib.rs` and `docs/architecture.md`): no back-arrow,
//! no circle, inside a folder or across. The checker is the library's
//! (`tests/support/layers.rs`), shared by every crate of the workspace.

#[path = "../../tests/support/layers.rs"]
mod layers;

use std::path::Path;

/// Bottom first.
const ORDER: &[&str] = &[
    "error",
    "units",
    "cli",
    "config",
    "workspace",
    "store",
    "judge",
    "runner",
    "reporter",
    "review",
    "commands",
];

#[test]
fn the_subcommand_is_layered() {
    layers::assert_layered(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), ORDER);
}

#[test]
fn a_back_arrow_in_this_crate_is_found() {
    // The judge reaching up into the reporter, as `compare` once reached
    // into its own rendering: refused.
    let mut modules = layers::read_crate(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let judge = modules
        .iter_mut()
        .find(|m| m.path == "judge::compare")
        .expect("judge::compare exists");
    judge.code.push_str(
        "\nfn shown(c: &Comparison) -> String { crate::reporter::compare::human(c, false) }\n",
    );
    let problems = layers::problems(&modules, ORDER);
    assert!(
        problems.iter().any(|p| p
            == "back-arrow: judge::compare refers to reporter::compare, but `reporter` is layered above `judge`"),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("circle: ") && p.contains("judge::compare")),
        "{problems:#?}"
    );
}

#[test]
fn the_checker_finds_back_arrows_and_circles() {
    layers::self_test();
}

/// The layers that decide, below `reporter`: they say what they found by
/// returning it (or by events, for the runner); they never write to the
/// terminal themselves.
const SILENT: &[&str] = &[
    "error",
    "units",
    "cli",
    "config",
    "workspace",
    "store",
    "judge",
    "runner",
];

#[test]
fn the_layers_that_decide_never_print() {
    let modules = layers::read_crate(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut found = Vec::new();
    for m in &modules {
        let top = m.path.split("::").next().unwrap_or("");
        if !SILENT.contains(&top) {
            continue;
        }
        // Code only: tests may print, and the runner's test names the words.
        let code = m.code.split("#[cfg(test)]").next().unwrap_or("");
        for word in [
            "println!",
            "eprintln!",
            "print!(",
            "eprint!(",
            "stdout()",
            "stderr()",
        ] {
            if code.contains(word) {
                found.push(format!("{} writes to the terminal ({word})", m.path));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
    // And the check sees a module it should: `store` once printed a
    // warning of its own.
    assert!(modules
        .iter()
        .any(|m| m.path == "store::phase_log::csv_file"));
}
