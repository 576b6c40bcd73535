//! Running a harness binary: once for all of its selected scenarios, with
//! a timeout per scenario, in a process group of its own (see `signals`),
//! everything it started ended when it exits (`process_tree`). Which scenario starts and ends is read from the run file
//! the harness writes, never from what a scenario prints.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use allocguard::_cargo_allocguard::{process_tree, SealKey, SEAL_ENV};
use anyhow::Context;

use crate::runner::records::{HarnessEvent, RunFileFollower};
use crate::runner::signals;

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
    /// The key the harness seals its run file's lines with, handed to it on
    /// its standard input (see `records`).
    pub seal: Option<SealKey>,
}

/// How a binary run ended, and which scenario it was in last.
#[derive(Debug)]
pub struct BinaryFinished {
    /// Exit status etc.
    pub finished: Finished,
    /// The last scenario the harness said it started.
    pub last_started: Option<String>,
    /// What read its run file (where each scenario is declared).
    pub follower: Option<RunFileFollower>,
}

/// Runs a harness binary once for all its selected scenarios, in a process
/// group of its own, calling `on_event` as scenarios start and end. When one
/// scenario runs past the timeout, or a termination signal arrives, the whole
/// group is ended; processes the binary leaves running are ended too, and
/// named in the result.
pub fn run_binary(
    job: &BinaryJob<'_>,
    mut on_event: impl FnMut(&HarnessEvent),
) -> anyhow::Result<BinaryFinished> {
    signals::listen_for_termination();
    process_tree::become_subreaper();
    let mark = new_mark();
    let mut cmd = Command::new(job.exe);
    cmd.args(["--exact", "--nocapture", "--color", "never"])
        .current_dir(job.dir)
        .stdin(if job.seal.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env(MARK_ENV, &mark);
    signals::own_group(&mut cmd);
    signals::die_with_parent(&mut cmd);
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
    if job.seal.is_some() {
        cmd.env(SEAL_ENV, "stdin");
    }
    let started = Instant::now();
    let before = process_tree::own_children();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", job.exe.display()))?;
    let tree = process_tree::Tree::new(child.id(), before);
    if let (Some(key), Some(mut stdin)) = (job.seal, child.stdin.take()) {
        // The key, then end of input: a binary that does not read it (not a
        // harness, or an older one) loses nothing.
        use std::io::Write;
        let _ = writeln!(stdin, "{}", key.to_hex());
    }
    let out = Drain::start(child.stdout.take().expect("piped"));
    let err = Drain::start(child.stderr.take().expect("piped"));
    // With no run file to say so, the one scenario asked for is the one running.
    let mut last_started = job.only.map(str::to_string);
    let (mut timed_out, mut interrupted) = (false, false);
    let mut follower = job.run_file.map(|p| RunFileFollower::new(p, job.seal));
    // The timeout is a scenario's: its clock restarts as each one starts.
    let mut clock = started;
    let mut handle = |ev: HarnessEvent, last_started: &mut Option<String>, clock: &mut Instant| {
        if let HarnessEvent::Started(name) = &ev {
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
        if over || signals::terminating() {
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
    for ev in follower.as_mut().map(|f| f.finish()).unwrap_or_default() {
        handle(ev, &mut last_started, &mut clock);
    }
    // Every process that held the pipes is gone, unless one could not be
    // ended: then what was read by now is all there is.
    let deadline = Instant::now() + DRAIN_GRACE;
    Ok(BinaryFinished {
        finished: Finished {
            status,
            timed_out,
            interrupted: interrupted || signals::terminating(),
            left_behind,
            survivors,
            stdout: out.finish(deadline),
            stderr: err.finish(deadline),
            mark,
            elapsed: started.elapsed(),
        },
        last_started,
        follower,
    })
}

/// How long to wait for a binary's output pipes to close once its processes
/// are ended.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The variable that tells the harness which mark to write to standard error
/// as each scenario starts (`MARK NAME` on a line of its own).
pub const MARK_ENV: &str = allocguard::_cargo_allocguard::OUTPUT_MARK_ENV;

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
    /// The key the harness seals its run file with.
    pub seal: Option<SealKey>,
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
        seal: job.seal,
    };
    Ok(run_binary(&binary, |_| {})?.finished)
}
