//! `cargo-allocguard`: see the library crate for everything it does.

fn main() -> std::process::ExitCode {
    cargo_allocguard::run(std::env::args_os())
}
