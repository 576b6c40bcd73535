//! Allocate-and-free pairs on `CountingAlloc<System>`: compared with
//! `callgrind_system` by `benches/callgrind.sh`.

mod common;

#[global_allocator]
static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();

fn main() {
    common::run_pairs();
    // Keep the counters observable so nothing is optimised away, and show
    // that live and peak bytes were tracked.
    let s = allocguard::thread_stats();
    assert!(s.allocs >= 1 && s.peak_live_bytes >= 32, "{s:?}");
}
