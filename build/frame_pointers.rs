//! Reading rustflags for frame pointers: shared by `build.rs` and its test
//! (`tests/build_flags.rs`).

/// Whether rustflags (as cargo encodes them: separated by 0x1f) turn frame
/// pointers on: `-C force-frame-pointers[=yes|y|on|true]`, `-Cforce-…`,
/// `--codegen force-…` or `--codegen=force-…`; the last one wins, as with
/// rustc.
pub fn frame_pointers(encoded: &str) -> bool {
    let mut on = false;
    let mut args = encoded.split('\x1f').filter(|a| !a.is_empty());
    while let Some(arg) = args.next() {
        let option = match arg {
            "-C" | "--codegen" => args.next().unwrap_or(""),
            a => a
                .strip_prefix("-C")
                .or_else(|| a.strip_prefix("--codegen="))
                .unwrap_or(""),
        };
        let (key, value) = option.split_once('=').unwrap_or((option, ""));
        if key == "force-frame-pointers" {
            on = matches!(value, "" | "y" | "yes" | "on" | "true");
        }
    }
    on
}
