//! Records the compiler's version for the scenario harness: snapshots keep
//! it, because allocation counts can change between compilers.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
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
}
