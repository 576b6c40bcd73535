//! Allocate-and-free pairs on the system allocator: the baseline for
//! `benches/callgrind.sh`.

mod common;

fn main() {
    common::run_pairs();
}
