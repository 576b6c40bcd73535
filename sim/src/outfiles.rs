//! Report files written all or nothing: each through one buffered writer
//! under a temporary name, then renamed together; the temporaries are
//! removed if anything fails, so a failed run never leaves a partial report
//! (nor replaces a good one from an earlier run with half a file).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What writes a report's contents.
pub type Body<'a> = Box<dyn Fn(&mut dyn Write) -> io::Result<()> + 'a>;

/// A report: its file name and what writes its contents.
pub type Report<'a> = (&'a str, Body<'a>);

/// Writes every report into `dir` (created if missing), all or nothing.
/// Returns the final paths.
pub fn write_all(dir: &Path, reports: &[Report<'_>]) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let result = (|| {
        for (name, body) in reports {
            let tmp = dir.join(format!("{name}.partial"));
            written.push(tmp.clone());
            let mut w = BufWriter::new(File::create(&tmp)?);
            body(&mut w)?;
            w.flush()?;
        }
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
