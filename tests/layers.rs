//! The library's folders import one another in one direction only, bottom
//! up: `counters` (what the allocator writes), `measure` (reading it),
//! `guard` (hot scopes), `sites` (allocation sites), `alloc` (the allocator,
//! whose slow path calls into the four), `harness` (scenarios), `support`
//! (what `cargo allocguard` reads). No module uses one that uses it back,
//! inside a folder or across. See `support/layers.rs` for what is read.

#[path = "support/layers.rs"]
mod layers;

use std::path::Path;

#[test]
fn the_library_is_layered() {
    layers::assert_layered(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[
            "counters", "measure", "guard", "sites", "alloc", "harness", "support",
        ],
    );
}

#[test]
fn the_checker_finds_back_arrows_and_circles() {
    layers::self_test();
}
