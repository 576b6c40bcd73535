//! Records the compiler's version for the scenario harness (snapshots keep
//! it, because allocation counts can change between compilers), and whether
//! the whole build keeps frame pointers (`-C force-frame-pointers` in its
//! rustflags, which apply to every crate of it): then allocation sites walk
//! them instead of unwinding with DWARF tables (see `src/sites/unwind.rs`).

use std::process::Command;

#[path = "build/frame_pointers.rs"]
mod frame_pointers;
use frame_pointers::frame_pointers;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/frame_pointers.rs");
    println!("cargo:rerun-if-env-changed=RUSTC");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .map(|v| v.strip_prefix("rustc ").unwrap_or(&v).to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=ALLOCGUARD_RUSTC_VERSION={version}");

    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    println!("cargo:rustc-check-cfg=cfg(allocguard_frame_pointers)");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if frame_pointers(&flags) {
        println!("cargo:rustc-cfg=allocguard_frame_pointers");
    }
}
