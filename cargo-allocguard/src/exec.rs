//! Running harness binaries: listing their scenarios, and running one
//! scenario per process with a timeout, as nextest does.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A scenario as a harness binary lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Its name.
    pub name: String,
    /// Whether it is ignored (runs only when asked for by name).
    pub ignored: bool,
}

fn list_names(exe: &Path, dir: &Path, ignored_only: bool) -> anyhow::Result<Vec<String>> {
    let mut cmd = Command::new(exe);
    cmd.arg("--list").current_dir(dir);
    if ignored_only {
        cmd.arg("--ignored");
    }
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {} --list", exe.display()))?;
    if !out.status.success() {
        bail!(
            "{} --list failed ({}): {}",
            exe.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect())
}

/// The scenarios of a harness binary, in its order.
pub fn list(exe: &Path, dir: &Path) -> anyhow::Result<Vec<Listed>> {
    let all = list_names(exe, dir, false)?;
    let ignored = list_names(exe, dir, true)?;
    Ok(all
        .into_iter()
        .map(|name| Listed {
            ignored: ignored.contains(&name),
            name,
        })
        .collect())
}

/// How one scenario process ended.
#[derive(Debug)]
pub struct Finished {
    /// Exit status, when it exited by itself.
    pub status: Option<ExitStatus>,
    /// Whether it was killed for running past the timeout.
    pub timed_out: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Finished {
    /// The signal that killed it, on Unix.
    pub fn signal(&self) -> Option<i32> {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            self.status.and_then(|s| s.signal())
        }
        #[cfg(not(unix))]
        {
            None
        }
    }
}

/// What to run.
pub struct Job<'a> {
    /// The harness binary.
    pub exe: &'a Path,
    /// The package directory (the working directory, as under cargo test).
    pub dir: &'a Path,
    /// The scenario.
    pub scenario: &'a str,
    /// Whether the scenario is ignored (it then needs `--include-ignored`).
    pub ignored: bool,
    /// Environment to add.
    pub env: Vec<(String, PathBuf)>,
    /// Kill after this long.
    pub timeout: Option<Duration>,
}

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Runs one scenario (`--exact NAME`) and waits for it, killing it at the timeout.
pub fn run(job: &Job<'_>) -> anyhow::Result<Finished> {
    let mut cmd = Command::new(job.exe);
    cmd.args(["--exact", job.scenario, "--nocapture", "--color", "never"])
        .current_dir(job.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if job.ignored {
        cmd.arg("--include-ignored");
    }
    for (k, v) in &job.env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", job.exe.display()))?;
    let out = drain(child.stdout.take().expect("piped"));
    let err = drain(child.stderr.take().expect("piped"));
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if job.timeout.is_some_and(|t| started.elapsed() >= t) {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    Ok(Finished {
        status,
        timed_out,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed,
    })
}
