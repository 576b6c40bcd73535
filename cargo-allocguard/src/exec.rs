//! Running harness binaries: listing their scenarios, and running them with
//! a timeout per scenario, in a process group of their own (see
//! `process_group`). Which scenario starts and ends is read from the run file
//! the harness writes, never from what a scenario prints.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use allocguard::harness::{Line, ScenarioRecord};
use anyhow::{bail, Context};

use crate::{process_group, process_tree};

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
    /// Whether it was ended because `cargo allocguard` was told to stop.
    pub interrupted: bool,
    /// Processes it left running when it exited (`PID COMMAND`), ended since.
    pub left_behind: Vec<String>,
    /// Processes of its tree that could not be ended (`PID COMMAND`).
    pub survivors: Vec<String>,
    /// The mark the harness wrote to standard error as each scenario
    /// started (see [`MARK_ENV`]).
    pub mark: String,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Finished {
    /// What scenario `name` wrote to standard error: from the mark the
    /// harness wrote as it started to the next scenario's mark, so another
    /// scenario's output is never shown as this one's. Without a mark (a
    /// harness of another version), all of it.
    pub fn stderr_of(&self, name: &str) -> String {
        output_of(&self.stderr, &self.mark, name)
    }

    /// Standard output and error as the binary wrote them, without the
    /// harness's marks.
    pub fn output_unmarked(&self) -> String {
        let strip = |text: &str| -> String {
            text.lines()
                .filter(|l| !l.starts_with(self.mark.as_str()))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        format!("{}{}", strip(&self.stdout), strip(&self.stderr))
    }

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

/// What a harness binary reports, through its run file, as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The harness says the scenario starts.
    Started(String),
    /// The harness appended the scenario's record: it ended.
    Finished(Box<ScenarioRecord>),
}

/// Reads the lines a harness appends to its run file (JSON Lines) while it
/// runs: only whole lines, each once.
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

    /// What was appended since the last call. Lines that are neither are
    /// skipped here; reading the whole file afterwards reports them.
    pub fn poll(&mut self) -> Vec<Event> {
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
            match serde_json::from_slice::<Line>(&line) {
                Ok(Line::Started { started, .. }) => out.push(Event::Started(started)),
                Ok(Line::Record(r)) => out.push(Event::Finished(r)),
                Err(_) => {}
            }
        }
        out
    }
}

/// Where scenario `name` is declared, as the harness said when it started
/// it (its `started` line in the run file at `path`).
pub fn declared_at(path: &Path, name: &str) -> Option<(String, u32)> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .skip(1)
        .find_map(|l| match serde_json::from_str::<Line>(l) {
            Ok(Line::Started {
                started,
                source_file: Some(file),
                source_line: Some(line),
            }) if started == name => Some((file, line)),
            _ => None,
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
    /// Kill the binary when one scenario (or its start-up) runs this long.
    pub timeout: Option<Duration>,
    /// The run file the harness appends to, to report scenarios as they end.
    pub run_file: Option<&'a Path>,
}

/// How a binary run ended, and which scenario it was in last.
#[derive(Debug)]
pub struct BinaryFinished {
    /// Exit status etc.
    pub finished: Finished,
    /// The last scenario the harness said it started.
    pub last_started: Option<String>,
}

/// Runs a harness binary once for all its selected scenarios, in a process
/// group of its own, calling `on_event` as scenarios start and end. When one
/// scenario runs past the timeout, or a termination signal arrives, the whole
/// group is ended; processes the binary leaves running are ended too, and
/// named in the result.
pub fn run_binary(
    job: &BinaryJob<'_>,
    mut on_event: impl FnMut(&Event),
) -> anyhow::Result<BinaryFinished> {
    process_group::listen_for_termination();
    process_tree::become_subreaper();
    let mark = new_mark();
    let mut cmd = Command::new(job.exe);
    cmd.args(["--exact", "--nocapture", "--color", "never"])
        .current_dir(job.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env(MARK_ENV, &mark);
    process_group::own_group(&mut cmd);
    process_group::die_with_parent(&mut cmd);
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
    let before = process_tree::own_children();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", job.exe.display()))?;
    let tree = process_tree::Tree::new(child.id(), before);
    let out = Drain::start(child.stdout.take().expect("piped"));
    let err = Drain::start(child.stderr.take().expect("piped"));
    // With no run file to say so, the one scenario asked for is the one running.
    let mut last_started = job.only.map(str::to_string);
    let (mut timed_out, mut interrupted) = (false, false);
    let mut follower = job.run_file.map(RunFileFollower::new);
    // The timeout is a scenario's: its clock restarts as each one starts.
    let mut clock = started;
    let mut handle = |ev: Event, last_started: &mut Option<String>, clock: &mut Instant| {
        if let Event::Started(name) = &ev {
            *last_started = Some(name.clone());
            *clock = Instant::now();
        }
        on_event(&ev);
    };
    let mut survivors = Vec::new();
    let status = loop {
        for ev in follower.as_mut().map(|f| f.poll()).unwrap_or_default() {
            handle(ev, &mut last_started, &mut clock);
        }
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        let over = job.timeout.is_some_and(|t| clock.elapsed() >= t);
        if over || process_group::terminating() {
            survivors = tree.end();
            let _ = child.wait();
            timed_out = over;
            interrupted = !over;
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever the binary left running, in its group or out of it, is
    // ended now, and named.
    let left_behind = tree.running();
    survivors.extend(tree.end());
    survivors.sort();
    survivors.dedup();
    for ev in follower.as_mut().map(|f| f.poll()).unwrap_or_default() {
        handle(ev, &mut last_started, &mut clock);
    }
    // Every process that held the pipes is gone, unless one could not be
    // ended: then what was read by now is all there is.
    let deadline = Instant::now() + DRAIN_GRACE;
    Ok(BinaryFinished {
        finished: Finished {
            status,
            timed_out,
            interrupted: interrupted || process_group::terminating(),
            left_behind,
            survivors,
            stdout: out.finish(deadline),
            stderr: err.finish(deadline),
            mark,
            elapsed: started.elapsed(),
        },
        last_started,
    })
}

/// How long to wait for a binary's output pipes to close once its processes
/// are ended.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The variable that tells the harness which mark to write to standard error
/// as each scenario starts (`MARK NAME` on a line of its own).
pub const MARK_ENV: &str = allocguard::harness::OUTPUT_MARK_ENV;

/// A mark no scenario prints by chance.
fn new_mark() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("allocguard-output-mark-{:x}-{}", nanos, std::process::id())
}

/// The part of `stderr` that scenario `name` wrote, by the harness's marks.
fn output_of(stderr: &str, mark: &str, name: &str) -> String {
    let own = format!("{mark} {name}");
    let lines: Vec<&str> = stderr.lines().collect();
    let Some(start) = lines.iter().rposition(|l| *l == own) else {
        return lines
            .iter()
            .filter(|l| !l.starts_with(mark))
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
    };
    lines[start + 1..]
        .iter()
        .take_while(|l| !l.starts_with(mark))
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a pipe to its end on a thread of its own, keeping what it read so
/// far where [`Drain::finish`] can take it.
struct Drain {
    read: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Drain {
    fn start(mut r: impl Read + Send + 'static) -> Self {
        let read = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, done) = std::sync::mpsc::channel();
        let sink = read.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match r.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => sink
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = tx.send(());
        });
        Self { read, done }
    }

    /// What was read once the pipe closed, or by `deadline`.
    fn finish(self, deadline: Instant) -> String {
        let wait = deadline.saturating_duration_since(Instant::now());
        let _ = self.done.recv_timeout(wait);
        let bytes = self.read.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
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
                leaked: Vec::new(),
            })
            .unwrap()
        };
        let names = |events: Vec<Event>| -> Vec<String> {
            events
                .into_iter()
                .map(|e| match e {
                    Event::Started(n) => format!("started {n}"),
                    Event::Finished(r) => format!("ended {}", r.name),
                })
                .collect()
        };
        let (a, b) = (record("a"), record("b"));
        let head = "{\"header\":1}\n{\"started\":\"a\"}\n";
        std::fs::write(&path, format!("{head}{a}\n{}", &b[..10])).unwrap();
        assert_eq!(
            names(f.poll()),
            ["started a", "ended a"],
            "the header is skipped, half a line waits"
        );
        std::fs::write(&path, format!("{head}{a}\n{b}\n")).unwrap();
        assert_eq!(names(f.poll()), ["ended b"]);
        assert!(f.poll().is_empty());
    }
}
