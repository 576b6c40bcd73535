//! How `build.rs` reads a build's rustflags for frame pointers (cargo
//! encodes them separated by 0x1f, in `CARGO_ENCODED_RUSTFLAGS`).

#[path = "../build/frame_pointers.rs"]
mod frame_pointers;
use frame_pointers::frame_pointers;

fn encoded(flags: &[&str]) -> String {
    flags.join("\x1f")
}

#[test]
fn every_spelling_of_the_flag_is_read_and_the_last_one_wins() {
    for on in [
        &["-C", "force-frame-pointers=yes"][..],
        &["-Cforce-frame-pointers=yes"],
        &["-Cforce-frame-pointers"],
        &["-C", "force-frame-pointers=on"],
        &["-C", "force-frame-pointers=true"],
        &["-C", "force-frame-pointers=y"],
        &["--codegen", "force-frame-pointers=yes"],
        &["--codegen=force-frame-pointers=yes"],
        &[
            "-C",
            "opt-level=3",
            "-Cforce-frame-pointers=yes",
            "-Ctarget-cpu=native",
        ],
    ] {
        assert!(frame_pointers(&encoded(on)), "{on:?}");
    }
    for off in [
        &[][..],
        &["-C", "force-frame-pointers=no"],
        &["-Cforce-frame-pointers=off"],
        &["-Cforce-frame-pointers=yes", "-Cforce-frame-pointers=no"],
        &["-C", "opt-level=3"],
        &["-Cforce-frame-pointer=yes"],
    ] {
        assert!(!frame_pointers(&encoded(off)), "{off:?}");
    }
}
