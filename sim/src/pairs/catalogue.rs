//! The attack catalogue that goes with a set of pair shards: the attacks
//! the shards' attack indices point at, as `attacks.tsv` next to the shards.
//!
//! ```text
//! index  cost  solo_avg  type      upgrades               limits
//! 0      6     7.792     area      -                      unreliable_2
//! 1      6     8.750     melee_ac  overhit                revenge
//! ```
//!
//! Tab-separated, one header line; names as in the rule tables, comma
//! separated, `-` for none. A malformed line is an error naming the file and
//! line.

use std::io::{self, BufRead, Write};
use std::path::Path;

use crate::combat::data::{AttackType, LIMITS, UPGRADES};
use crate::combat::Attack;

/// The catalogue's file name.
pub const FILE: &str = "attacks.tsv";

/// One attack and what stage 1 measured of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    /// The attack.
    pub attack: Attack,
    /// Its average turns alone (stage 1).
    pub solo_avg: f64,
}

/// Attacks by index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalogue {
    /// The attacks, by index.
    pub entries: Vec<Entry>,
}

const HEADER: &str = "index\tcost\tsolo_avg\ttype\tupgrades\tlimits";

fn names(it: impl Iterator<Item = &'static str>) -> String {
    let v: Vec<&str> = it.collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join(",")
    }
}

impl Catalogue {
    /// Writes the catalogue to `path`, whole or not at all, and never over
    /// a file `sim` did not write (see [`crate::outfiles`]).
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| io::Error::other(format!("{} is not a file name", path.display())))?;
        let body: crate::outfiles::Body = Box::new(|w| self.write_to(w));
        crate::outfiles::write_all(dir, &[(name, body)]).map(drop)
    }

    fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "{HEADER}")?;
        for (i, e) in self.entries.iter().enumerate() {
            let a = &e.attack;
            writeln!(
                w,
                "{i}\t{}\t{:.3}\t{}\t{}\t{}",
                a.cost(),
                e.solo_avg,
                a.kind.name(),
                names(a.upgrade_names()),
                names(a.limit_names()),
            )?;
        }
        Ok(())
    }

    /// Reads a catalogue written by [`Catalogue::write`].
    pub fn load(path: &Path) -> Result<Catalogue, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut entries = Vec::new();
        for (n, line) in io::BufReader::new(file).lines().enumerate() {
            let at = |what: &str| format!("{}:{}: {what}", path.display(), n + 1);
            let line = line.map_err(|e| at(&e.to_string()))?;
            if n == 0 {
                if line != HEADER {
                    return Err(at(&format!("expected the header `{HEADER}`")));
                }
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 6 {
                return Err(at(&format!(
                    "expected 6 tab-separated fields, found {}",
                    f.len()
                )));
            }
            if f[0].parse::<usize>().ok() != Some(entries.len()) {
                return Err(at(&format!(
                    "expected index {}, found `{}`",
                    entries.len(),
                    f[0]
                )));
            }
            let kind = AttackType::ALL
                .iter()
                .copied()
                .find(|k| k.name() == f[3])
                .ok_or_else(|| at(&format!("unknown attack type `{}`", f[3])))?;
            let lookup = |field: &str, table: &[&str], what: &str| -> Result<Vec<u8>, String> {
                if field == "-" {
                    return Ok(Vec::new());
                }
                field
                    .split(',')
                    .map(|name| {
                        table
                            .iter()
                            .position(|t| *t == name)
                            .map(|i| i as u8)
                            .ok_or_else(|| at(&format!("unknown {what} `{name}`")))
                    })
                    .collect()
            };
            let up_names: Vec<&str> = UPGRADES.iter().map(|u| u.name).collect();
            let lim_names: Vec<&str> = LIMITS.iter().map(|l| l.name).collect();
            let mut ups = lookup(f[4], &up_names, "upgrade")?;
            ups.sort_unstable();
            let lims = lookup(f[5], &lim_names, "limit")?;
            if lims.len() > 2 {
                return Err(at("at most two limits"));
            }
            let solo_avg = f[2]
                .parse::<f64>()
                .map_err(|_| at(&format!("solo_avg `{}` is not a number", f[2])))?;
            entries.push(Entry {
                attack: Attack::new(kind, &ups, &lims),
                solo_avg,
            });
        }
        Ok(Catalogue { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combat::builds::enumerate;

    #[test]
    fn a_catalogue_reads_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let c = Catalogue {
            entries: enumerate(4, &AttackType::ALL)
                .iter()
                .enumerate()
                .map(|(i, b)| Entry {
                    attack: Attack::from(b),
                    solo_avg: i as f64 / 8.0,
                })
                .collect(),
        };
        let p = dir.path().join(FILE);
        c.write(&p).unwrap();
        assert_eq!(Catalogue::load(&p).unwrap(), c);
    }

    #[test]
    fn a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE);
        std::fs::write(
            &p,
            format!("{HEADER}\n0\t1\t2.0\tranged\tpower_attack\t-\n1\t1\t2.0\tranged\tflying\t-\n"),
        )
        .unwrap();
        let e = Catalogue::load(&p).unwrap_err();
        assert!(
            e.ends_with("attacks.tsv:3: unknown upgrade `flying`"),
            "{e}"
        );
    }
}
