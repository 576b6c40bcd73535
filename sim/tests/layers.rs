//! The simulations' modules import one another in one direction only:
//! the shared tools (`variant`, `rng`, `outfiles`) at the bottom, then each
//! simulation's folder; `pairs` above `combat` (stage 2 plays the build
//! tester's combat and its enemy table). No back-arrow, no circle. The
//! checker is the library's (`tests/support/layers.rs`).

#[path = "../../tests/support/layers.rs"]
mod layers;

use std::path::Path;

#[test]
fn the_simulations_are_layered() {
    layers::assert_layered(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[
            "variant",
            "rng",
            "outfiles",
            "combat",
            "pairs",
            "waves",
            "genes",
            "automaton",
        ],
    );
}
