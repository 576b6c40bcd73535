//! `--partition slice:M/N` and `hash:M/N`: which scenarios a CI shard runs.

use anyhow::{bail, Context};

/// A shard of the scenario list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// Scenarios at positions M-1, M-1+N, … of the sorted list.
    Slice { m: u64, n: u64 },
    /// Scenarios whose stable name hash is M-1 modulo N.
    Hash { m: u64, n: u64 },
}

impl Partition {
    /// Parses `slice:M/N` or `hash:M/N` (M from 1 to N).
    pub fn parse(s: &str) -> anyhow::Result<Partition> {
        let (kind, rest) = s
            .split_once(':')
            .with_context(|| format!("--partition {s}: write slice:M/N or hash:M/N"))?;
        let (m, n) = rest
            .split_once('/')
            .with_context(|| format!("--partition {s}: write slice:M/N or hash:M/N"))?;
        let m: u64 = m
            .parse()
            .with_context(|| format!("--partition {s}: M is not a number"))?;
        let n: u64 = n
            .parse()
            .with_context(|| format!("--partition {s}: N is not a number"))?;
        if n == 0 || m == 0 || m > n {
            bail!("--partition {s}: need 1 <= M <= N");
        }
        match kind {
            "slice" => Ok(Partition::Slice { m, n }),
            "hash" => Ok(Partition::Hash { m, n }),
            other => bail!("--partition {s}: unknown kind `{other}`; use slice or hash"),
        }
    }

    /// Whether the scenario at `index` (in the sorted list) with stable id
    /// `id` belongs to this shard.
    pub fn contains(self, index: usize, id: &str) -> bool {
        match self {
            Partition::Slice { m, n } => index as u64 % n == m - 1,
            Partition::Hash { m, n } => fnv1a(id) % n == m - 1,
        }
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Partition::Slice { m, n } => write!(f, "slice:{m}/{n}"),
            Partition::Hash { m, n } => write!(f, "hash:{m}/{n}"),
        }
    }
}

/// 64-bit FNV-1a: stable across machines, versions and runs.
pub(crate) fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            Partition::parse("slice:2/3").unwrap(),
            Partition::Slice { m: 2, n: 3 }
        );
        assert_eq!(
            Partition::parse("hash:1/1").unwrap(),
            Partition::Hash { m: 1, n: 1 }
        );
        for bad in ["slice", "slice:0/3", "slice:4/3", "mod:1/2", "slice:a/2"] {
            assert!(Partition::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_cover_every_scenario_exactly_once() {
        let ids: Vec<String> = (0..50)
            .map(|i| format!("pkg/target/scenario_{i}"))
            .collect();
        for kind in ["slice", "hash"] {
            let shards: Vec<Partition> = (1..=4)
                .map(|m| Partition::parse(&format!("{kind}:{m}/4")).unwrap())
                .collect();
            for (i, id) in ids.iter().enumerate() {
                let owners = shards.iter().filter(|p| p.contains(i, id)).count();
                assert_eq!(owners, 1, "{kind}: {id}");
            }
        }
        assert_eq!(fnv1a("a"), 0xaf63dc4c8601ec8c, "the reference FNV-1a value");
    }
}
