//! Pair-result shards: a versioned, checksummed binary format of fixed-size
//! little-endian records, written by the stage-2 pairing and read one record
//! at a time by the reducer.
//!
//! ## Layout (version 2)
//!
//! A shard is a 32-byte header followed by `count` records of 100 bytes.
//!
//! | offset | size | field |
//! | ---: | ---: | --- |
//! | 0 | 8 | magic `b"AGPAIRS\0"` |
//! | 8 | 4 | format version, `u32` (2) |
//! | 12 | 4 | record size, `u32` (100) |
//! | 16 | 8 | record count, `u64` |
//! | 24 | 8 | FNV-1a 64 of bytes 0..24 |
//!
//! Each record:
//!
//! | offset | size | field |
//! | ---: | ---: | --- |
//! | 0 | 8 | pair id, `u64` |
//! | 8 | 4 | attack A index, `u32` |
//! | 12 | 4 | attack B index, `u32` |
//! | 16 | 4 | overall average turns, `f32` |
//! | 20 | 8 | average turns per defensive profile (evasive, tanky), `2 × f32` |
//! | 28 | 16 | average turns per scenario (boss, mixed, swarm 1, swarm 2), `4 × f32` |
//! | 44 | 16 | turns each attack was chosen, per profile: `2 × 2 × u32` |
//! | 60 | 32 | turns each attack was chosen, per scenario: `4 × 2 × u32` |
//! | 92 | 4 | synergy score, percent, `f32` |
//! | 96 | 4 | FNV-1a 32 of bytes 0..96 |
//!
//! All integers and floats are little-endian. The original pickled about 500
//! bytes a result (23 GB for 47,065,150); this is 100 (4.7 GB). Version 1
//! (60 bytes) kept usage over all combats only, which the original's reports
//! split by profile and scenario; its shards are refused with a message
//! saying to write them again.
//!
//! A shard that is truncated, has a bad magic, an unknown version or a bad
//! checksum is an error naming the file and, for records, the record index;
//! nothing is skipped silently.

use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The magic bytes that open a shard.
pub const MAGIC: [u8; 8] = *b"AGPAIRS\0";
/// The format version this code writes and reads.
pub const VERSION: u32 = 2;
/// Header size, bytes.
pub const HEADER_SIZE: usize = 32;
/// Record size, bytes.
pub const RECORD_SIZE: usize = 100;

/// One pair's stage-2 result.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct PairRecord {
    /// Pair id (its index in the pair enumeration).
    pub pair_id: u64,
    /// The two attacks, as indices into the pruned attack list.
    pub attacks: [u32; 2],
    /// Average turns to win over every profile, scenario and run (lower is better).
    pub overall_avg: f32,
    /// Average turns against the evasive and the tanky profile.
    pub profile_avg: [f32; 2],
    /// Average turns per scenario: boss, mixed, swarm 1, swarm 2.
    pub scenario_avg: [f32; 4],
    /// Turns each attack was the one used, per profile (evasive, tanky).
    pub usage_by_profile: [[u32; 2]; 2],
    /// Turns each attack was the one used, per scenario.
    pub usage_by_scenario: [[u32; 2]; 4],
    /// `(mean of the two solo averages − pair average) / that mean × 100`.
    pub synergy: f32,
}

/// FNV-1a, 64 bits.
pub fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// FNV-1a, 32 bits.
pub fn fnv32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

impl PairRecord {
    /// Turns each attack was the one used, over every combat.
    pub fn usage(&self) -> [u32; 2] {
        let [a, b] = self.usage_by_profile;
        [a[0] + b[0], a[1] + b[1]]
    }

    /// The record's 100 bytes, checksum included.
    pub fn encode(&self) -> [u8; RECORD_SIZE] {
        let mut b = [0u8; RECORD_SIZE];
        let mut put = |at: usize, bytes: [u8; 4]| b[at..at + 4].copy_from_slice(&bytes);
        put(8, self.attacks[0].to_le_bytes());
        put(12, self.attacks[1].to_le_bytes());
        put(16, self.overall_avg.to_le_bytes());
        for (i, v) in self.profile_avg.iter().enumerate() {
            put(20 + 4 * i, v.to_le_bytes());
        }
        for (i, v) in self.scenario_avg.iter().enumerate() {
            put(28 + 4 * i, v.to_le_bytes());
        }
        for (i, v) in self.usage_by_profile.iter().flatten().enumerate() {
            put(44 + 4 * i, v.to_le_bytes());
        }
        for (i, v) in self.usage_by_scenario.iter().flatten().enumerate() {
            put(60 + 4 * i, v.to_le_bytes());
        }
        put(92, self.synergy.to_le_bytes());
        b[0..8].copy_from_slice(&self.pair_id.to_le_bytes());
        let sum = fnv32(&b[..96]);
        b[96..100].copy_from_slice(&sum.to_le_bytes());
        b
    }

    /// Decodes 100 bytes; `None` when the checksum does not match.
    pub fn decode(b: &[u8; RECORD_SIZE]) -> Option<PairRecord> {
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let f32_at = |o: usize| f32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        if u32_at(96) != fnv32(&b[..96]) {
            return None;
        }
        let pair = |o: usize| [u32_at(o), u32_at(o + 4)];
        Some(PairRecord {
            pair_id: u64::from_le_bytes(b[0..8].try_into().expect("8 bytes")),
            attacks: [u32_at(8), u32_at(12)],
            overall_avg: f32_at(16),
            profile_avg: [f32_at(20), f32_at(24)],
            scenario_avg: [f32_at(28), f32_at(32), f32_at(36), f32_at(40)],
            usage_by_profile: [pair(44), pair(52)],
            usage_by_scenario: [pair(60), pair(68), pair(76), pair(84)],
            synergy: f32_at(92),
        })
    }
}

/// What can be wrong with a shard.
#[derive(Debug)]
pub enum ShardError {
    /// The file could not be read.
    Io(PathBuf, std::io::Error),
    /// The first 8 bytes are not [`MAGIC`].
    BadMagic(PathBuf),
    /// A version this code does not read.
    UnknownVersion(PathBuf, u32),
    /// A record size other than [`RECORD_SIZE`].
    BadRecordSize(PathBuf, u32),
    /// The header's checksum does not match.
    BadHeader(PathBuf),
    /// The file ends before record `index` (of `count`) is complete.
    Truncated {
        path: PathBuf,
        index: u64,
        count: u64,
    },
    /// Record `index`'s checksum does not match.
    BadRecord { path: PathBuf, index: u64 },
    /// Bytes follow the `count` records the header promises (a shard
    /// appended to, or two written over each other): refused, not skipped.
    Trailing { path: PathBuf, count: u64 },
}

impl fmt::Display for ShardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            ShardError::BadMagic(p) => write!(f, "{}: not a pair shard (bad magic)", p.display()),
            ShardError::UnknownVersion(p, v) => write!(
                f,
                "{}: shard format version {v}; this reducer reads version {VERSION}: write the shards again with this sim (`sim pairs` or `sim shards`)",
                p.display()
            ),
            ShardError::BadRecordSize(p, s) => {
                write!(f, "{}: record size {s}; version {VERSION} records are {RECORD_SIZE} bytes", p.display())
            }
            ShardError::BadHeader(p) => write!(f, "{}: header checksum mismatch", p.display()),
            ShardError::Truncated { path, index, count } => write!(
                f,
                "{}: truncated: the header promises {count} records, the file ends in record {index}",
                path.display()
            ),
            ShardError::BadRecord { path, index } => {
                write!(f, "{}: record {index}: checksum mismatch", path.display())
            }
            ShardError::Trailing { path, count } => write!(
                f,
                "{}: bytes after the {count} records the header promises (appended to, or \
                 written over?); refusing the shard rather than skipping them",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ShardError {}

/// Writes a shard: header, then records, through one buffered writer.
pub struct ShardWriter {
    out: std::io::BufWriter<File>,
    path: PathBuf,
    count: u64,
    promised: u64,
}

fn header(count: u64) -> [u8; HEADER_SIZE] {
    let mut h = [0u8; HEADER_SIZE];
    h[0..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&(RECORD_SIZE as u32).to_le_bytes());
    h[16..24].copy_from_slice(&count.to_le_bytes());
    let sum = fnv64(&h[..24]);
    h[24..32].copy_from_slice(&sum.to_le_bytes());
    h
}

impl ShardWriter {
    /// Creates `path` for exactly `count` records.
    pub fn create(path: &Path, count: u64) -> std::io::Result<ShardWriter> {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, File::create(path)?);
        out.write_all(&header(count))?;
        Ok(ShardWriter {
            out,
            path: path.to_path_buf(),
            count: 0,
            promised: count,
        })
    }

    /// Appends one record.
    pub fn write(&mut self, r: &PairRecord) -> std::io::Result<()> {
        self.count += 1;
        self.out.write_all(&r.encode())
    }

    /// Flushes; fails if fewer or more records were written than promised.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()?;
        if self.count != self.promised {
            return Err(std::io::Error::other(format!(
                "{}: {} records written, {} promised",
                self.path.display(),
                self.count,
                self.promised
            )));
        }
        Ok(())
    }
}

/// Reads a shard one record at a time through a buffer the caller owns, so
/// that streaming shard after shard allocates nothing once it has started
/// (the path is the caller's too; it is copied only into an error).
pub struct ShardReader {
    file: File,
    count: u64,
    next: u64,
    buf_at: usize,
    buf_len: usize,
}

impl ShardReader {
    /// Opens `path` and checks its header.
    pub fn open(path: &Path) -> Result<ShardReader, ShardError> {
        let io = |e| ShardError::Io(path.to_path_buf(), e);
        let mut file = File::open(path).map_err(io)?;
        let mut h = [0u8; HEADER_SIZE];
        let mut got = 0;
        while got < HEADER_SIZE {
            match file.read(&mut h[got..]).map_err(io)? {
                0 => break,
                n => got += n,
            }
        }
        if got < 8 || h[0..8] != MAGIC {
            return Err(ShardError::BadMagic(path.to_path_buf()));
        }
        if got < HEADER_SIZE {
            return Err(ShardError::BadHeader(path.to_path_buf()));
        }
        let version = u32::from_le_bytes(h[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(ShardError::UnknownVersion(path.to_path_buf(), version));
        }
        let size = u32::from_le_bytes(h[12..16].try_into().expect("4 bytes"));
        if size as usize != RECORD_SIZE {
            return Err(ShardError::BadRecordSize(path.to_path_buf(), size));
        }
        if u64::from_le_bytes(h[24..32].try_into().expect("8 bytes")) != fnv64(&h[..24]) {
            return Err(ShardError::BadHeader(path.to_path_buf()));
        }
        let count = u64::from_le_bytes(h[16..24].try_into().expect("8 bytes"));
        // The file's length must be what the header promises: checked here,
        // before anyone sizes a buffer by the count (a corrupt count of 2^40
        // would otherwise ask for 100 TiB).
        if let Some(meta) = file.metadata().ok().filter(|m| m.is_file()) {
            let body = meta.len().saturating_sub(HEADER_SIZE as u64);
            let whole = body / RECORD_SIZE as u64;
            let promised = count.checked_mul(RECORD_SIZE as u64);
            if promised.is_none_or(|p| body < p) {
                return Err(ShardError::Truncated {
                    path: path.to_path_buf(),
                    index: whole,
                    count,
                });
            }
            if promised.is_some_and(|p| body > p) {
                return Err(ShardError::Trailing {
                    path: path.to_path_buf(),
                    count,
                });
            }
        }
        Ok(ShardReader {
            file,
            count,
            next: 0,
            buf_at: 0,
            buf_len: 0,
        })
    }

    /// Records the header promises.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The next record, `Ok(None)` at the end. `buf` is the caller's read
    /// buffer (a multiple of [`RECORD_SIZE`] long), reused across calls;
    /// `path` is the shard's, for errors.
    pub fn next(&mut self, path: &Path, buf: &mut [u8]) -> Result<Option<PairRecord>, ShardError> {
        if self.next == self.count {
            // Nothing may follow the last record (read without allocating).
            let mut probe = [0u8; 1];
            return match self.file.read(&mut probe) {
                Ok(0) => Ok(None),
                Ok(_) => Err(ShardError::Trailing {
                    path: path.to_path_buf(),
                    count: self.count,
                }),
                Err(e) => Err(ShardError::Io(path.to_path_buf(), e)),
            };
        }
        if self.buf_at == self.buf_len {
            let want = buf
                .len()
                .min(((self.count - self.next) as usize) * RECORD_SIZE);
            let mut got = 0;
            while got < want {
                match self.file.read(&mut buf[got..want]) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) => return Err(ShardError::Io(path.to_path_buf(), e)),
                }
            }
            if got < want {
                return Err(ShardError::Truncated {
                    path: path.to_path_buf(),
                    index: self.next + (got / RECORD_SIZE) as u64,
                    count: self.count,
                });
            }
            self.buf_at = 0;
            self.buf_len = got;
        }
        let bytes: &[u8; RECORD_SIZE] = buf[self.buf_at..self.buf_at + RECORD_SIZE]
            .try_into()
            .expect("RECORD_SIZE bytes");
        let index = self.next;
        self.buf_at += RECORD_SIZE;
        self.next += 1;
        PairRecord::decode(bytes)
            .map(Some)
            .ok_or_else(|| ShardError::BadRecord {
                path: path.to_path_buf(),
                index,
            })
    }
}

/// Writes `total` synthetic results into `shards` shard files in `dir`
/// (`synthetic_shard_000.bin`, …) and returns their paths.
///
/// **Synthetic**: the values are drawn from a distribution shaped like the
/// original's reported results (average turns 3 to 15, skewed low; synergy
/// normal around 5 % with a 15 % spread), not simulated: this is how the
/// reducer is exercised at the original's 47,065,150 results. The stage-2
/// pairing writes real results in the same format.
///
/// It also writes the catalogue (`attacks.tsv`) its attack indices point at.
pub fn generate_synthetic(
    dir: &Path,
    total: u64,
    shards: u64,
    seed: u64,
) -> std::io::Result<Vec<PathBuf>> {
    let catalogue = dir.join(crate::pairs::catalogue::FILE);
    if catalogue.exists() {
        // Said before any shard is written, not after.
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!(
                "{} exists: sim never overwrites a file; choose an empty --out directory",
                catalogue.display()
            ),
        ));
    }
    let mut rng = crate::rng::Rng::new(seed);
    let shards = shards.max(1);
    let mut paths = Vec::new();
    let mut id = 0u64;
    for k in 0..shards {
        let n = total / shards + u64::from(k < total % shards);
        let path = dir.join(format!("synthetic_shard_{k:03}.bin"));
        let mut w = ShardWriter::create(&path, n)?;
        for _ in 0..n {
            let u = rng.unit() as f32;
            let overall = 3.0 + 12.0 * u * u;
            let noise = |rng: &mut crate::rng::Rng| 1.0 + 0.1 * (rng.unit() as f32 - 0.5);
            w.write(&PairRecord {
                pair_id: id,
                attacks: [
                    (id % SYNTHETIC_ATTACKS) as u32,
                    ((id / SYNTHETIC_ATTACKS) % SYNTHETIC_ATTACKS) as u32,
                ],
                overall_avg: overall,
                profile_avg: [overall * noise(&mut rng), overall * noise(&mut rng)],
                scenario_avg: [
                    overall * 1.6 * noise(&mut rng),
                    overall * noise(&mut rng),
                    overall * 0.7 * noise(&mut rng),
                    overall * 0.7 * noise(&mut rng),
                ],
                usage_by_profile: [
                    [1 + rng.below(20) as u32, 1 + rng.below(20) as u32],
                    [1 + rng.below(20) as u32, 1 + rng.below(20) as u32],
                ],
                usage_by_scenario: std::array::from_fn(|_| {
                    [1 + rng.below(10) as u32, 1 + rng.below(10) as u32]
                }),
                synergy: 5.0 + rng.normal(15.0) as f32,
            })?;
            id += 1;
        }
        w.finish()?;
        paths.push(path);
    }
    synthetic_catalogue().write(&dir.join(crate::pairs::catalogue::FILE))?;
    Ok(paths)
}

/// Attacks that synthetic shards point at: the first 9,703 attacks of the
/// 6-point enumeration (synthetic records use indices below 9,703), with
/// no solo results.
fn synthetic_catalogue() -> crate::pairs::catalogue::Catalogue {
    use crate::combat::{builds::visit, data::AttackType, Attack};
    let mut entries = Vec::new();
    visit(6, &AttackType::ALL, |kind, ups, lims| {
        if entries.len() < SYNTHETIC_ATTACKS as usize {
            entries.push(crate::pairs::catalogue::Entry {
                attack: Attack::new(kind, ups, lims),
                solo_avg: 0.0,
            });
        }
    });
    crate::pairs::catalogue::Catalogue { entries }
}

/// How many distinct attacks synthetic records use.
const SYNTHETIC_ATTACKS: u64 = 9_703;

#[cfg(test)]
mod tests;
