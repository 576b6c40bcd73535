//! Allocate-and-free pairs under mod-alloc's call-site capture
//! (`mod_alloc::ModAlloc` with its `backtraces` feature): what
//! `benches/callgrind.sh` sets allocguard's sites beside.

mod common;

#[global_allocator]
static ALLOC: mod_alloc::ModAlloc = mod_alloc::ModAlloc::new();

fn main() {
    common::run_pairs();
    // Its capture ran: the run measured what it says.
    assert!(!ALLOC.call_sites().is_empty(), "no call site was recorded");
}
