//! The only code that writes: the terminal's progress, lines and tables
//! (`progress`, `results`, `table`), what a comparison reads like
//! (`compare`), the CI outputs (`ci`: annotations, step summary, JUnit) and
//! the report (`page`, `chart`).
//!
//! Rule of this folder: it turns what the layers below decided into text
//! and writes it; it decides nothing. It uses `judge`, `store`, `runner`
//! (its events) and the layers below them.

use std::io::IsTerminal;

use crate::cli::ColorWhen;

pub mod chart;
pub mod ci;
pub mod compare;
pub mod page;
pub mod progress;
pub mod results;
pub mod run_report;
pub mod table;
pub mod wrap;

/// Where and how output goes: color, verbosity, progress.
#[derive(Clone, Debug)]
pub struct Output {
    /// Color choice for stdout and stderr.
    pub color: anstream::ColorChoice,
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
}

impl Output {
    /// Output as `--color`, `-q` and `-v` ask.
    pub fn new(color: ColorWhen, quiet: bool, verbose: u8) -> Self {
        let color = match color {
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
            ColorWhen::Auto => anstream::ColorChoice::Auto,
        };
        Self {
            color,
            quiet,
            verbose,
        }
    }

    /// The `--color` this output was made from, to pass on to cargo.
    pub fn color_when(&self) -> ColorWhen {
        match self.color {
            anstream::ColorChoice::Always | anstream::ColorChoice::AlwaysAnsi => ColorWhen::Always,
            anstream::ColorChoice::Never => ColorWhen::Never,
            anstream::ColorChoice::Auto => ColorWhen::Auto,
        }
    }

    /// Standard output, stripping color codes unless color is on.
    pub fn stdout(&self) -> anstream::AutoStream<std::io::Stdout> {
        anstream::AutoStream::new(std::io::stdout(), self.color)
    }

    /// Standard error, likewise.
    pub fn stderr(&self) -> anstream::AutoStream<std::io::Stderr> {
        anstream::AutoStream::new(std::io::stderr(), self.color)
    }

    /// Whether what goes to stderr is colored (`--color`, else `NO_COLOR`,
    /// `CLICOLOR` and whether it is a terminal).
    pub fn stderr_colored(&self) -> bool {
        let choice = match self.color {
            anstream::ColorChoice::Auto => anstream::AutoStream::choice(&std::io::stderr()),
            other => other,
        };
        choice != anstream::ColorChoice::Never
    }

    /// A progress bar on stderr, hidden when quiet or not on a terminal.
    pub fn progress(&self, len: u64) -> indicatif::ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{pos}/{len}] {elapsed_precise} {wide_msg}",
            )
            .expect("a valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    /// `note: …` on stderr, unless quiet; wrapped (see [`wrap`]).
    pub fn note(&self, text: &str) {
        if !self.quiet {
            use std::io::Write;
            let _ = writeln!(
                self.stderr(),
                "{}",
                wrap::labelled("note", text, wrap::width())
            );
        }
    }

    /// `warning: …` on stderr, wrapped.
    pub fn warning(&self, text: &str) {
        use std::io::Write;
        let _ = writeln!(
            self.stderr(),
            "{}",
            wrap::labelled("warning", text, wrap::width())
        );
    }

    /// `error: …` on stderr, `error` in the failure color, wrapped.
    pub fn error(&self, text: &str) {
        use std::io::Write;
        let style = table::bad();
        let label = format!("{}error{}", style.render(), style.render_reset());
        let _ = writeln!(
            self.stderr(),
            "{}",
            wrap::labelled(&label, text, wrap::width())
        );
    }
}
