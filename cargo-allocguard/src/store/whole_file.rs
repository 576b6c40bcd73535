//! Files written whole or not at all: into a temporary file beside the
//! destination (a name of its own, removed if anything fails), flushed to
//! disk, then renamed into place, or linked when an existing file must not
//! be replaced. A reader, or a kill at any moment, sees the old file, no
//! file, or the new one whole; never a part. The file gets the permissions
//! any new file gets (0644 under the usual umask of 022), not the temporary
//! file's private 0600: a report or JUnit file is published by others.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;

/// What to do when the destination exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Replace it (the caller has checked it is ours to replace).
    Replace,
    /// Refuse: the destination must not exist yet.
    Refuse,
}

/// Writes `path` through `write`, whole or not at all.
pub fn write_whole(
    path: &Path,
    existing: Existing,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d,
        None => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".allocguard-").suffix(".tmp");
    #[cfg(unix)]
    {
        // As `File::create` asks: the umask then takes what it takes.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        write(&mut w).with_context(|| format!("cannot write {}", path.display()))?;
        w.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    match existing {
        Existing::Replace => tmp
            .persist(path)
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error)),
        Existing::Refuse => tmp.persist_noclobber(path).map(|_| ()).map_err(|e| {
            anyhow::anyhow!(
                "cannot create {} (it must not exist yet): {}",
                path.display(),
                e.error
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `dir`.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_write_that_fails_halfway_leaves_the_old_file_and_no_part() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        std::fs::write(&path, "old, whole").unwrap();
        let e = write_whole(&path, Existing::Replace, |w| {
            w.write_all(b"{\"half\": ")?;
            Err(std::io::Error::other("the disk is full"))
        })
        .unwrap_err();
        assert!(format!("{e:#}").contains("the disk is full"), "{e:#}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old, whole");
        assert_eq!(names(dir.path()), ["run.json"], "no temporary file left");
        // Where there was no file, there is still none.
        let fresh = dir.path().join("report.md");
        assert!(
            write_whole(&fresh, Existing::Replace, |_| Err(std::io::Error::other(
                "x"
            )))
            .is_err()
        );
        assert!(!fresh.exists());
        assert_eq!(names(dir.path()), ["run.json"]);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_file_gets_the_permissions_the_umask_gives() {
        use std::os::unix::fs::PermissionsExt;
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let umask = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .map(|m| u32::from_str_radix(m.trim(), 8).unwrap())
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        write_whole(&path, Existing::Replace, |w| w.write_all(b"<p>")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask, "mode {mode:o}, umask {umask:o}");
        // As a file `File::create` makes.
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        assert_eq!(
            std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777,
            mode
        );
    }

    #[test]
    fn replace_replaces_and_refuse_never_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.xml");
        write_whole(&path, Existing::Replace, |w| w.write_all(b"one")).unwrap();
        write_whole(&path, Existing::Replace, |w| w.write_all(b"two")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let e = write_whole(&path, Existing::Refuse, |w| w.write_all(b"three")).unwrap_err();
        assert!(e.to_string().contains("it must not exist yet"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(names(dir.path()), ["out.xml"]);
    }
}
