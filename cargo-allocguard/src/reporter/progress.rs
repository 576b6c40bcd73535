//! Output while scenarios run: one line per scenario as it ends, in a
//! terminal and in a pipe alike (status, its own duration, its name), as
//! nextest prints them, and on a terminal a bar under them naming the
//! scenario that is running.

use std::io::Write;
use std::time::Duration;

use crate::reporter::table::{bad, good};
use crate::reporter::Output;
use crate::runner::{Event, Reporter};
use crate::store::run_file::{ScenarioResult, Status};

/// Reports scenarios as they start and end. Lines go to stderr, so that
/// standard output holds the results alone.
pub struct Progress<'a> {
    out: &'a Output,
    bar: indicatif::ProgressBar,
    total: usize,
    done: usize,
}

impl<'a> Progress<'a> {
    /// Reports on `total` scenarios.
    pub fn new(out: &'a Output, total: usize) -> Self {
        Self {
            bar: out.progress(total as u64),
            out,
            total,
            done: 0,
        }
    }

    /// A scenario started.
    pub fn started(&self, name: &str) {
        self.bar.set_message(name.to_string());
    }

    /// A scenario ended: prints its line.
    pub fn finished(&mut self, result: &ScenarioResult) {
        self.finished_as(
            result.status,
            result.label(),
            crate::store::run_file::Run::duration_of(result),
            &result.name,
        );
    }

    /// A scenario said ended is judged again: its line once more, with the
    /// same count.
    pub fn revised(&mut self, result: &ScenarioResult) {
        self.done = self.done.saturating_sub(1);
        self.bar.dec(1);
        self.finished(result);
    }

    fn finished_as(&mut self, status: Status, label: &str, duration: Duration, name: &str) {
        self.done += 1;
        self.bar.inc(1);
        if self.out.quiet {
            return;
        }
        let line = line(status, label, duration, self.done, self.total, name);
        if self.bar.is_hidden() {
            let _ = writeln!(self.out.stderr(), "{line}");
        } else {
            // Printed above the bar, which writes to the terminal as it is.
            let shown = if self.out.stderr_colored() {
                line
            } else {
                anstream::adapter::strip_str(&line).to_string()
            };
            self.bar.println(shown);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Reporter for Progress<'_> {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Started { name } => self.started(name),
            Event::Finished { result } => self.finished(result),
            Event::Revised { result } => self.revised(result),
            Event::BinaryExited {
                target,
                exe,
                output,
            } => {
                if self.out.verbose > 0 {
                    self.bar.suspend(|| {
                        let mut err = self.out.stderr();
                        let _ = writeln!(err, "── {target} ({})", exe.display());
                        let _ = write!(err, "{output}");
                    });
                }
            }
            Event::LeftBehind { target, processes } => self.bar.suspend(|| {
                self.out.warning(&format!(
                    "test target `{target}` left processes running when it exited, ended \
                     now: {}",
                    processes.join("; ")
                ))
            }),
            Event::Survivors { target, processes } => self.bar.suspend(|| {
                self.out.warning(&format!(
                    "test target `{target}` left processes that could not be ended (still \
                     running): {}",
                    processes.join("; ")
                ))
            }),
        }
    }
}

/// `     PASS [   0.012s] (3/19) waves/stress_500`.
pub fn line(
    status: Status,
    label: &str,
    duration: Duration,
    done: usize,
    total: usize,
    name: &str,
) -> String {
    // LEAKY and NEW are said apart from their status: warnings.
    let style = if label != status.label() {
        crate::reporter::table::warn()
    } else if status.is_failure() {
        bad()
    } else {
        good()
    };
    let width = total.to_string().len();
    format!(
        "{}{:>9}{} [{:>8.3}s] ({done:>width$}/{total}) {name}",
        style.render(),
        label,
        style.render_reset(),
        duration.as_secs_f64(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_align_like_nextests() {
        let l = line(
            Status::Passed,
            "PASS",
            Duration::from_millis(12),
            3,
            19,
            "waves/stress_500",
        );
        assert_eq!(
            anstream::adapter::strip_str(&l).to_string(),
            "     PASS [   0.012s] ( 3/19) waves/stress_500"
        );
        let l = line(
            Status::TimedOut,
            "TIMED OUT",
            Duration::from_secs(2),
            10,
            19,
            "x",
        );
        assert_eq!(
            anstream::adapter::strip_str(&l).to_string(),
            "TIMED OUT [   2.000s] (10/19) x"
        );
        let l = line(Status::Passed, "LEAKY", Duration::from_millis(1), 1, 1, "y");
        assert!(
            l.starts_with(&crate::reporter::table::warn().render().to_string()),
            "a leak is not green: {l:?}"
        );
    }
}
