//! The combat log: off for the millions of combats a batch plays, on when
//! a ranked build's combat is replayed for the report. Nothing is formatted
//! while it is off.

use std::fmt;
use std::io::{self, Write};

/// Where log lines go, if anywhere. The first write error is kept and
/// returned by [`Log::finish`].
pub struct Log<'a> {
    out: Option<&'a mut dyn Write>,
    error: Option<io::Error>,
}

impl<'a> Log<'a> {
    /// A log that writes nothing.
    pub fn off() -> Log<'a> {
        Log {
            out: None,
            error: None,
        }
    }

    /// A log that writes to `out`.
    pub fn to(out: &'a mut dyn Write) -> Log<'a> {
        Log {
            out: Some(out),
            error: None,
        }
    }

    /// Whether lines are written.
    #[inline]
    pub fn on(&self) -> bool {
        self.out.is_some()
    }

    /// Writes one line (callers check [`Log::on`] first, through `clog!`).
    pub fn line(&mut self, args: fmt::Arguments<'_>) {
        if self.error.is_some() {
            return;
        }
        if let Some(out) = self.out.as_mut() {
            if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
                self.error = Some(e);
            }
        }
    }

    /// The first write error, if any.
    pub fn finish(self) -> io::Result<()> {
        self.error.map_or(Ok(()), Err)
    }
}

/// Writes a line to a [`Log`] when it is on; formats nothing otherwise.
macro_rules! clog {
    ($log:expr, $($arg:tt)*) => {
        if $log.on() {
            $log.line(format_args!($($arg)*));
        }
    };
}
pub(crate) use clog;
