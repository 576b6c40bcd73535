//! One file per subcommand: each reads its flags, calls into the layers
//! below in order, and hands what they decided to the reporter. The glue;
//! nothing here is used by another layer.
//!
//! Rule of this folder: it may use every layer (it is the top but for the
//! crate root, which only parses and dispatches).

pub mod ci;
pub mod compare;
pub mod init;
pub mod list;
pub mod merge;
pub mod profile;
pub mod report;
pub mod review;
pub mod run;
pub(crate) mod test_snapshots;

use std::io::Write;

use crate::reporter::Output;
use crate::workspace::build::{Announce, BuildOutput};

/// How cargo's build shows for `out`: `-q` and `--color` passed on, the
/// cargo command line said on stderr with `-v`.
pub(crate) fn build_output(out: &Output) -> BuildOutput<'_> {
    BuildOutput {
        quiet: out.quiet,
        color: out.color_when(),
        announce: (out.verbose > 0).then(|| {
            Box::new(move |line: &str| {
                let _ = writeln!(out.stderr(), "{line}");
            }) as Announce<'_>
        }),
    }
}
