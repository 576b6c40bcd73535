//! Running harness binaries: listing their scenarios, and running one
//! scenario per process with a timeout, as nextest does.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use allocguard::harness::ScenarioRecord;
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

/// What a harness binary reports as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// libtest printed `test NAME ... `: the scenario started.
    Started(String),
    /// The harness appended the scenario's record to the run file: it ended.
    Finished(Box<ScenarioRecord>),
}

/// Reads the records a harness appends to its run file (JSON Lines) while
/// it runs: only whole lines, each once.
#[derive(Debug)]
pub struct RunFileFollower {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
    header_seen: bool,
}

impl RunFileFollower {
    /// Follows `path`, which may not exist yet.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            offset: 0,
            partial: Vec::new(),
            header_seen: false,
        }
    }

    /// The records appended since the last call. Lines that are not records
    /// are skipped here; reading the whole file afterwards reports them.
    pub fn poll(&mut self) -> Vec<ScenarioRecord> {
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            // Recreated: start over.
            *self = Self::new(&self.path);
        }
        if len == self.offset || f.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        let mut buf = Vec::new();
        if f.read_to_end(&mut buf).is_err() {
            return Vec::new();
        }
        self.offset += buf.len() as u64;
        self.partial.extend_from_slice(&buf);
        let mut out = Vec::new();
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            if !self.header_seen {
                self.header_seen = true;
                continue;
            }
            if let Ok(r) = serde_json::from_slice::<ScenarioRecord>(&line) {
                out.push(r);
            }
        }
        out
    }
}

/// Reads the child's stdout as it comes, keeping all of it, and sends an
/// event for every `test NAME ... ` that libtest prints.
fn follow(
    mut r: impl Read + Send + 'static,
    tx: std::sync::mpsc::Sender<Event>,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut line_start = 0usize;
        let mut announced = false;
        let mut chunk = [0u8; 8192];
        loop {
            let n = match r.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for &b in &chunk[..n] {
                all.push(b);
                if b == b'\n' {
                    line_start = all.len();
                    announced = false;
                    continue;
                }
                if !announced
                    && b == b' '
                    && all[line_start..].starts_with(b"test ")
                    && all[line_start..].ends_with(b" ... ")
                {
                    let line = String::from_utf8_lossy(&all[line_start + 5..all.len() - 5]);
                    let _ = tx.send(Event::Started(line.trim().to_string()));
                    announced = true;
                }
            }
        }
        String::from_utf8_lossy(&all).into_owned()
    })
}

/// A whole harness binary to run, for some of its scenarios.
pub struct BinaryJob<'a> {
    /// The harness binary.
    pub exe: &'a Path,
    /// The package directory (the working directory).
    pub dir: &'a Path,
    /// Run only the scenario of exactly this name.
    pub only: Option<&'a str>,
    /// Scenarios of the binary not to run (matched exactly).
    pub skip: Vec<String>,
    /// Whether some selected scenario is ignored (adds `--include-ignored`).
    pub include_ignored: bool,
    /// Environment to add.
    pub env: Vec<(String, PathBuf)>,
    /// Kill the binary after this long.
    pub timeout: Option<Duration>,
    /// The run file the harness appends to, to report scenarios as they end.
    pub run_file: Option<&'a Path>,
}

/// How a binary run ended, and which scenario it was in last.
#[derive(Debug)]
pub struct BinaryFinished {
    /// Exit status etc.
    pub finished: Finished,
    /// The last scenario libtest announced.
    pub last_started: Option<String>,
}

/// Runs a harness binary once for all its selected scenarios, calling
/// `on_event` as scenarios start, and killing it at the timeout.
pub fn run_binary(
    job: &BinaryJob<'_>,
    mut on_event: impl FnMut(&Event),
) -> anyhow::Result<BinaryFinished> {
    let mut cmd = Command::new(job.exe);
    cmd.args(["--exact", "--nocapture", "--color", "never"])
        .current_dir(job.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(name) = job.only {
        cmd.arg(name);
    }
    if job.include_ignored {
        cmd.arg("--include-ignored");
    }
    for s in &job.skip {
        cmd.args(["--skip", s]);
    }
    for (k, v) in &job.env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", job.exe.display()))?;
    let (tx, rx) = std::sync::mpsc::channel();
    let out = follow(child.stdout.take().expect("piped"), tx);
    let err = drain(child.stderr.take().expect("piped"));
    let mut last_started = None;
    let mut timed_out = false;
    let mut follower = job.run_file.map(RunFileFollower::new);
    let mut handle = |ev: Event, last_started: &mut Option<String>| {
        if let Event::Started(name) = &ev {
            *last_started = Some(name.clone());
        }
        on_event(&ev);
    };
    let status = loop {
        while let Ok(ev) = rx.try_recv() {
            handle(ev, &mut last_started);
        }
        for r in follower.as_mut().map(|f| f.poll()).unwrap_or_default() {
            handle(Event::Finished(Box::new(r)), &mut last_started);
        }
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if job.timeout.is_some_and(|t| started.elapsed() >= t) {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        if let Ok(ev) = rx.recv_timeout(Duration::from_millis(10)) {
            handle(ev, &mut last_started);
        }
    };
    let stdout = out.join().unwrap_or_default();
    while let Ok(ev) = rx.try_recv() {
        handle(ev, &mut last_started);
    }
    for r in follower.as_mut().map(|f| f.poll()).unwrap_or_default() {
        handle(Event::Finished(Box::new(r)), &mut last_started);
    }
    Ok(BinaryFinished {
        finished: Finished {
            status,
            timed_out,
            stdout,
            stderr: err.join().unwrap_or_default(),
            elapsed: started.elapsed(),
        },
        last_started,
    })
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
    let binary = BinaryJob {
        exe: job.exe,
        dir: job.dir,
        only: Some(job.scenario),
        skip: Vec::new(),
        include_ignored: job.ignored,
        env: job.env.clone(),
        timeout: job.timeout,
        run_file: None,
    };
    Ok(run_binary(&binary, |_| {})?.finished)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_announcements_become_events_even_without_a_newline() {
        let (tx, rx) = std::sync::mpsc::channel();
        let text = "\nrunning 2 tests\ntest a/one   ... some output\nok\ntest b/two ... ";
        let all = follow(std::io::Cursor::new(text.as_bytes().to_vec()), tx)
            .join()
            .unwrap();
        assert_eq!(all, text);
        let events: Vec<Event> = rx.try_iter().collect();
        assert_eq!(
            events,
            vec![
                Event::Started("a/one".into()),
                Event::Started("b/two".into())
            ]
        );
    }

    #[test]
    fn the_follower_reports_each_whole_record_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let mut f = RunFileFollower::new(&path);
        assert!(f.poll().is_empty(), "no file yet");
        let record = |name: &str| {
            serde_json::to_string(&ScenarioRecord {
                name: name.into(),
                passed: true,
                failure: None,
                profile: None,
                duration_ns: Some(5),
            })
            .unwrap()
        };
        let (a, b) = (record("a"), record("b"));
        std::fs::write(&path, format!("{{\"header\":1}}\n{a}\n{}", &b[..10])).unwrap();
        let got: Vec<String> = f.poll().into_iter().map(|r| r.name).collect();
        assert_eq!(got, ["a"], "the header is skipped, half a line waits");
        std::fs::write(&path, format!("{{\"header\":1}}\n{a}\n{b}\n")).unwrap();
        let got: Vec<String> = f.poll().into_iter().map(|r| r.name).collect();
        assert_eq!(got, ["b"]);
        assert!(f.poll().is_empty());
    }
}
