//! Report files written all or nothing, and never over a file `sim` did not
//! write.
//!
//! Each report goes through one buffered writer under a temporary name; then
//! all are renamed into place together, and the temporaries are removed if
//! anything fails, so a failed run never leaves a partial report (nor
//! replaces a good one from an earlier run with half a file).
//!
//! A directory `sim` writes into keeps a list of the files it wrote there,
//! [`MANIFEST`]. A file of the same name that is not on that list is the
//! user's: the command refuses, before writing anything, naming the file.
//! Running the same command again into the same directory replaces its own
//! earlier reports, as a user expects.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The list of files `sim` wrote into a directory, one name per line.
pub const MANIFEST: &str = ".sim-written";

/// What writes a report's contents.
pub type Body<'a> = Box<dyn Fn(&mut dyn Write) -> io::Result<()> + 'a>;

/// A report: its file name and what writes its contents.
pub type Report<'a> = (&'a str, Body<'a>);

/// The names `sim` wrote into `dir` (empty when it never did).
fn written(dir: &Path) -> io::Result<BTreeSet<String>> {
    match std::fs::read_to_string(dir.join(MANIFEST)) {
        Ok(text) => Ok(text.lines().map(str::to_string).collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(e),
    }
}

/// Refuses when one of `names` exists in `dir` and `sim` did not write it.
pub fn check_free(dir: &Path, names: &[&str]) -> io::Result<()> {
    let ours = written(dir)?;
    for name in names {
        let path = dir.join(name);
        if path.exists() && !ours.contains(*name) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and sim did not write it: sim never overwrites a file it did \
                     not make; choose another --out, or move that file away",
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Adds `names` to the directory's list of files `sim` wrote.
fn record(dir: &Path, names: &[&str]) -> io::Result<()> {
    let mut ours = written(dir)?;
    ours.extend(names.iter().map(|n| n.to_string()));
    let tmp = dir.join(format!("{MANIFEST}.partial"));
    let mut text = String::new();
    for name in &ours {
        text.push_str(name);
        text.push('\n');
    }
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, dir.join(MANIFEST))
}

/// Writes every report into `dir` (created if missing), all or nothing, and
/// only over files `sim` wrote itself. Returns the final paths.
pub fn write_all(dir: &Path, reports: &[Report<'_>]) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let names: Vec<&str> = reports.iter().map(|(name, _)| *name).collect();
    check_free(dir, &names)?;
    let mut written = Vec::new();
    let result = (|| {
        for (name, body) in reports {
            let tmp = dir.join(format!("{name}.partial"));
            written.push(tmp.clone());
            let mut w = BufWriter::new(File::create(&tmp)?);
            body(&mut w)?;
            w.flush()?;
        }
        // Listed first: a file on the list that is not there yet is harmless,
        // a file there that is not on the list would be refused next time.
        record(dir, &names)?;
        let mut done = Vec::new();
        for (name, _) in reports {
            let path = dir.join(name);
            std::fs::rename(dir.join(format!("{name}.partial")), &path)?;
            done.push(path);
        }
        Ok(done)
    })();
    if result.is_err() {
        for p in written {
            let _ = std::fs::remove_file(p);
        }
    }
    result
}

/// [`write_all`] for reports already in memory: file name and text.
pub fn write_texts(dir: &Path, files: &[(String, String)]) -> io::Result<Vec<PathBuf>> {
    let reports: Vec<Report<'_>> = files
        .iter()
        .map(|(name, text)| {
            let body: Body<'_> = Box::new(move |w| w.write_all(text.as_bytes()));
            (name.as_str(), body)
        })
        .collect();
    write_all(dir, &reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(text: &'static str) -> Body<'static> {
        Box::new(move |w: &mut dyn Write| w.write_all(text.as_bytes()))
    }

    #[test]
    fn a_users_file_is_never_overwritten_and_sims_own_are() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ranking.md"), "mine").unwrap();
        let err = write_all(
            dir.path(),
            &[("a.md", report("a")), ("ranking.md", report("r"))],
        )
        .unwrap_err();
        assert!(err
            .to_string()
            .contains("ranking.md exists and sim did not write it"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("ranking.md")).unwrap(),
            "mine"
        );
        assert!(!dir.path().join("a.md").exists(), "nothing written");
        // Its own files, from an earlier run, are replaced.
        let other = tempfile::tempdir().unwrap();
        write_all(other.path(), &[("a.md", report("one"))]).unwrap();
        write_all(other.path(), &[("a.md", report("two"))]).unwrap();
        assert_eq!(
            std::fs::read_to_string(other.path().join("a.md")).unwrap(),
            "two"
        );
        let mut names: Vec<_> = std::fs::read_dir(other.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [MANIFEST, "a.md"], "no temporaries left");
    }
}
