//! Running scenarios: each harness binary started once for its selected
//! scenarios (`binary`), in a process group of its own whose every process
//! is ended when it exits, with a timeout per scenario and the signals that
//! stop `cargo allocguard` (`signals`); scenarios a binary never reached run
//! again alone, and a crash or timeout is blamed on the scenario it happened
//! in (`schedule`).
//!
//! Rule of this folder: it decides what happened and says it as [`Event`]s
//! to a [`Reporter`]; it never writes to the terminal. It uses `workspace`
//! (what to run) and `store` (the results it makes), below it.

use std::path::Path;

use crate::store::run_file::ScenarioResult;

pub mod binary;
pub mod blame;
pub mod records;
pub mod schedule;
pub mod signals;

/// What the runner says as scenarios run, in order.
#[derive(Debug)]
pub enum Event<'a> {
    /// A scenario started.
    Started {
        /// Its name.
        name: &'a str,
    },
    /// A scenario ended (passed, failed, crashed or timed out).
    Finished {
        /// What it ended with.
        result: &'a ScenarioResult,
    },
    /// A scenario said ended is judged again once its binary exited (the
    /// binary died after it, or its run file held lines the harness did not
    /// write): its result now. Not counted again.
    Revised {
        /// What it ended with, after all.
        result: &'a ScenarioResult,
    },
    /// A harness binary exited: what it wrote, without the harness's marks
    /// (`-v` shows it).
    BinaryExited {
        /// Its test target.
        target: &'a str,
        /// The executable.
        exe: &'a Path,
        /// Standard output, then standard error.
        output: &'a str,
    },
    /// A test target left processes running when it exited, that no
    /// scenario's record names; they were ended.
    LeftBehind {
        /// Its test target.
        target: &'a str,
        /// `PID COMMAND` each.
        processes: &'a [&'a str],
    },
    /// Processes of a test target that could not be ended (still running).
    Survivors {
        /// Its test target.
        target: &'a str,
        /// `PID COMMAND` each.
        processes: &'a [String],
    },
}

/// Hears the runner's events: the terminal's progress and lines, or a
/// test's record of them.
pub trait Reporter {
    /// One event.
    fn event(&mut self, event: Event<'_>);
}

/// A reporter that keeps every event as text, for tests.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct Recorder {
    /// `started NAME`, `finished NAME STATUS`, `exited TARGET`,
    /// `left behind TARGET: …`, `survivors TARGET: …`, in order.
    pub events: Vec<String>,
}

#[cfg(test)]
impl Reporter for Recorder {
    fn event(&mut self, event: Event<'_>) {
        self.events.push(match event {
            Event::Started { name } => format!("started {name}"),
            Event::Finished { result } => {
                format!("finished {} {}", result.name, result.status.name())
            }
            Event::Revised { result } => {
                format!("revised {} {}", result.name, result.status.name())
            }
            Event::BinaryExited { target, .. } => format!("exited {target}"),
            Event::LeftBehind { target, processes } => {
                format!("left behind {target}: {}", processes.join("; "))
            }
            Event::Survivors { target, processes } => {
                format!("survivors {target}: {}", processes.join("; "))
            }
        });
    }
}
