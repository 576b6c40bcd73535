//! allocguard's example scenarios, laid out as any user's crate would have
//! them: a `harness = false` test target whose `main` is the `Harness`.
//! Run with `cargo test --test scenarios` or `cargo nextest run --test scenarios`;
//! `-- --list` lists them, `-- --exact examples/ring_buffer` runs one.

#[global_allocator]
static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();

mod support;
use support::examples;

fn main() -> std::process::ExitCode {
    allocguard::Harness::from_args()
        .scenario(examples::ring_buffer())
        .scenario(examples::tick_17("examples/allocates_in_tick_17", 10).expect_violation())
        .scenario(examples::worker_thread("examples/worker_thread_allocates").expect_violation())
        .scenario(examples::slow_leak("examples/slow_leak").expect_growth())
        .scenario(examples::known_counts())
        .scenario(examples::fixed_work())
        .run()
}
