//! Sealed run-file lines: how `cargo allocguard` tells what the harness
//! wrote from what a scenario wrote.
//!
//! The run file is a path in the environment, and a scenario's code runs in
//! the harness's process: it (or a harness it starts, which inherits that
//! environment) can append lines to it, a forged passing record among them.
//! So `cargo allocguard` makes a key for each binary it starts and hands it
//! over on the binary's standard input (never in the environment, which a
//! scenario and its children read, or `/proc/self/environ` shows); the
//! harness reads it before any scenario runs, keeps it in memory, and seals
//! each line it writes with a keyed hash of the line (SipHash-2-4, the
//! short-input MAC Rust's `HashMap` was built on). A line that is not
//! sealed, or whose seal does not match, was not written by the harness.

use std::io::BufRead;

/// Set by `cargo allocguard` to `stdin`: the key comes on standard input,
/// one line of hex, before anything else.
pub const SEAL_ENV: &str = "ALLOCGUARD_SEAL";

/// The key a binary's run-file lines are sealed with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SealKey {
    k0: u64,
    k1: u64,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(..)")
    }
}

impl SealKey {
    /// A new key, from the operating system's randomness (through std's
    /// randomly keyed hasher).
    pub fn random() -> SealKey {
        use std::hash::{BuildHasher, Hasher};
        let word = |salt: u64| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(salt);
            h.finish()
        };
        SealKey {
            k0: word(0x5ea1),
            k1: word(std::process::id() as u64),
        }
    }

    /// As handed to the harness: 32 hex digits.
    pub fn to_hex(self) -> String {
        format!("{:016x}{:016x}", self.k0, self.k1)
    }

    /// The key in `text` (32 hex digits, surrounding space ignored).
    pub fn parse(text: &str) -> Option<SealKey> {
        let t = text.trim();
        if t.len() != 32 || !t.is_ascii() {
            return None;
        }
        Some(SealKey {
            k0: u64::from_str_radix(&t[..16], 16).ok()?,
            k1: u64::from_str_radix(&t[16..], 16).ok()?,
        })
    }

    /// The seal of `text`: 16 hex digits.
    pub fn seal(self, text: &str) -> String {
        use std::hash::Hasher;
        #[allow(deprecated)] // SipHash-2-4 with our keys: what a MAC needs.
        let mut h = std::hash::SipHasher::new_with_keys(self.k0, self.k1);
        h.write(text.as_bytes());
        format!("{:016x}", h.finish())
    }

    /// Whether `seal` is the seal of `text`.
    pub fn opens(self, text: &str, seal: &str) -> bool {
        self.seal(text) == seal
    }
}

/// The key `cargo allocguard` handed over, when it did: read once, from
/// standard input, when [`SEAL_ENV`] says so. `None` otherwise (plain
/// `cargo test`, nextest), and when standard input holds no key (a harness
/// started by a scenario, whose input is not `cargo allocguard`'s).
pub(crate) fn key_from_stdin() -> Option<SealKey> {
    if std::env::var(SEAL_ENV).ok()?.trim() != "stdin" {
        return None;
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    SealKey::parse(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_survives_its_hex_and_seals_differ_by_text_and_key() {
        let k = SealKey::random();
        assert_eq!(SealKey::parse(&format!(" {}\n", k.to_hex())), Some(k));
        let s = k.seal("{\"started\":\"a\"}");
        assert_eq!(s.len(), 16);
        assert!(k.opens("{\"started\":\"a\"}", &s));
        assert!(!k.opens("{\"started\":\"b\"}", &s));
        let other = SealKey::random();
        assert_ne!(other, k, "two keys of one process differ");
        assert!(!other.opens("{\"started\":\"a\"}", &s));
    }

    #[test]
    fn only_32_hex_digits_are_a_key() {
        assert!(SealKey::parse("").is_none());
        assert!(SealKey::parse("0123").is_none());
        assert!(SealKey::parse(&"g".repeat(32)).is_none());
        assert!(SealKey::parse(&"é".repeat(16)).is_none());
        assert!(SealKey::parse(&"0".repeat(32)).is_some());
    }
}
