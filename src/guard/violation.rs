//! [`Violation`]: what a hot scope saw, with the first offence symbolised.

use std::fmt;

use crate::counters::offence_log::OpKind;
use crate::counters::offence_log::{FirstRecord, LogCounts};

/// Which allocations a guard watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Scope {
    /// Only allocations made by the thread that armed the guard.
    Thread,
    /// Allocations made by any thread while the guard is armed, so work handed
    /// to a thread pool is watched too. Process-armed guards are meant to be
    /// armed one at a time (as the scenario harness does); two armed at once
    /// from different threads see each other's offences.
    Process,
}

/// One stack frame of an offending allocation, after symbolisation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Frame {
    /// Demangled function name without the hash suffix, e.g.
    /// `my_crate::physics::step`, or `<unknown>`.
    pub function: String,
    /// Source file, where debug info has it.
    pub file: Option<String>,
    /// Source line, where debug info has it.
    pub line: Option<u32>,
}

impl Frame {
    /// Whether the frame belongs to the allocator machinery rather than to the
    /// user's code: allocguard itself, std/alloc/core, the backtrace crate,
    /// compiler shims and the C runtime.
    ///
    /// Shims and C-runtime functions are recognised by name. Otherwise, when
    /// the frame has a file, the file decides (builds with only line tables
    /// name inlined functions without their module, and a user's scenario
    /// target is conventionally a crate called `allocguard` too); crate paths
    /// in the name are the fallback for frames without debug info.
    pub fn is_machinery(&self) -> bool {
        always_machinery(&self.function)
            || match self.file.as_deref() {
                Some(file) => machinery_file(file),
                None => machinery_crate(&self.function),
            }
    }
}

impl Frame {
    /// Whether the frame is `unwind::bounded`, through which the harness
    /// and `SiteRecorder` call the user's code.
    pub(crate) fn is_recording_boundary(&self) -> bool {
        match self.file.as_deref() {
            Some(file) => file == concat!(env!("CARGO_MANIFEST_DIR"), "/src/unwind.rs"),
            None => self.function.contains("unwind::bounded"),
        }
    }

    /// Whether the frame is allocguard's own code (its sources, or by name
    /// when there is no file).
    pub(crate) fn is_allocguard(&self) -> bool {
        match self.file.as_deref() {
            Some(file) => file.starts_with(concat!(env!("CARGO_MANIFEST_DIR"), "/src/")),
            None => self
                .function
                .trim_start_matches('<')
                .starts_with("allocguard::"),
        }
    }
}

fn always_machinery(function: &str) -> bool {
    let name = function.trim_start_matches('<');
    const PREFIXES: &[&str] = &[
        "__rust",
        "__rdl_",
        "__rg_",
        "_Unwind",
        "rust_begin_unwind",
        "unknown>",
    ];
    const C_RUNTIME: &[&str] = &[
        "main",
        "_start",
        "__libc_start_main",
        "__libc_start_main_impl",
        "__libc_start_call_main",
        "start_thread",
        "clone",
        "clone3",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || C_RUNTIME.contains(&name)
}

fn machinery_crate(function: &str) -> bool {
    let name = function.trim_start_matches('<');
    const CRATES: &[&str] = &[
        "allocguard::",
        "std::",
        "core::",
        "alloc::",
        "backtrace::",
        "dhat::",
        "stats_alloc::",
        "test::",
        "libtest_mimic::",
    ];
    CRATES.iter().any(|p| name.starts_with(p))
}

fn machinery_file(file: &str) -> bool {
    // The standard library, as rustc records its paths; the C runtime.
    if file.starts_with("/rustc/")
        || file.contains("/library/std/src/")
        || file.starts_with("./csu/")
        || file.starts_with("./nptl/")
        || file.starts_with("./misc/")
    {
        return true;
    }
    // allocguard's own sources (its tests and benches are user code).
    let own_src = concat!(env!("CARGO_MANIFEST_DIR"), "/src/");
    if file.starts_with(own_src) {
        return true;
    }
    // Crates that capture or count on allocguard's behalf, from the registry.
    const HELPERS: &[&str] = &[
        "/backtrace-0.",
        "/dhat-0.",
        "/stats_alloc-0.",
        "/libtest-mimic-0.",
    ];
    file.contains("/registry/src/") && HELPERS.iter().any(|h| file.contains(h))
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.function)?;
        if let Some(file) = &self.file {
            write!(f, " at {file}")?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
        }
        Ok(())
    }
}

/// The first heap operation that broke a hot scope.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Offence {
    /// Allocation, deallocation or reallocation.
    pub kind: OpKind,
    /// Bytes requested (the new size, for a reallocation; the size freed, for
    /// a deallocation).
    pub size: u64,
    /// Alignment requested.
    pub align: u64,
    /// The call stack, innermost first, starting at the first frame of the
    /// user's code: allocator, std and allocguard frames above it are trimmed.
    /// Empty when backtraces are not captured (the `backtrace` feature is off).
    pub frames: Vec<Frame>,
    /// The library function through which the user's code allocated (the frame
    /// just above the first user frame, such as `alloc::vec::Vec<T,A>::push`),
    /// when there is one.
    pub via: Option<Frame>,
}

impl Offence {
    /// The innermost frame of the user's code: where the allocation was made.
    pub fn user_frame(&self) -> Option<&Frame> {
        self.frames.iter().find(|f| !f.is_machinery())
    }
}

/// What a hot scope saw: the operations that broke it and the first of them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Violation {
    /// Whether the guard watched one thread or the whole process.
    pub scope: Scope,
    /// Allocations inside the scope.
    pub allocs: u64,
    /// Deallocations inside the scope (zero when they were not violations).
    pub deallocs: u64,
    /// Reallocations inside the scope.
    pub reallocs: u64,
    /// Bytes allocated inside the scope: allocation sizes plus the growth of
    /// growing reallocations (as in [`Stats`](crate::Stats)).
    pub bytes_allocated: u64,
    /// Bytes freed inside the scope: deallocation sizes plus the shrinkage of
    /// shrinking reallocations (zero when deallocations were not violations).
    pub bytes_freed: u64,
    /// The first offence, symbolised. `None` only in the rare case where the
    /// offence raced with the guard's arming on another thread.
    pub first: Option<Box<Offence>>,
}

impl Violation {
    pub(crate) fn new(scope: Scope, counts: LogCounts, first: Option<FirstRecord>) -> Self {
        Self {
            scope,
            allocs: counts.allocs,
            deallocs: counts.deallocs,
            reallocs: counts.reallocs,
            bytes_allocated: counts.bytes_allocated,
            bytes_freed: counts.bytes_freed,
            first: first.map(|rec| Box::new(symbolise(rec))),
        }
    }

    /// All offending operations: allocations, reallocations and
    /// deallocations (as [`Stats::ops`](crate::Stats::ops) counts them).
    pub fn ops(&self) -> u64 {
        self.allocs + self.deallocs + self.reallocs
    }

    /// `64 bytes allocated, 64 bytes freed`, leaving out a side that is zero.
    fn bytes_text(&self) -> String {
        let allocated = plural(self.bytes_allocated, "byte") + " allocated";
        let freed = plural(self.bytes_freed, "byte") + " freed";
        match (self.bytes_allocated, self.bytes_freed) {
            (_, 0) => allocated,
            (0, _) => freed,
            _ => format!("{allocated}, {freed}"),
        }
    }

    /// The operation kinds present, in a fixed order.
    pub fn kinds(&self) -> Vec<OpKind> {
        let mut kinds = Vec::new();
        if self.allocs > 0 {
            kinds.push(OpKind::Alloc);
        }
        if self.reallocs > 0 {
            kinds.push(OpKind::Realloc);
        }
        if self.deallocs > 0 {
            kinds.push(OpKind::Dealloc);
        }
        kinds
    }
}

pub(crate) fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// How many user frames the report shows.
const SHOWN_FRAMES: usize = 8;

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.allocs > 0 {
            parts.push(plural(self.allocs, "allocation"));
        }
        if self.reallocs > 0 {
            parts.push(plural(self.reallocs, "reallocation"));
        }
        if self.deallocs > 0 {
            parts.push(plural(self.deallocs, "deallocation"));
        }
        let whose = match self.scope {
            Scope::Thread => "on this thread",
            Scope::Process => "on any thread",
        };
        write!(
            f,
            "allocguard: heap used in a hot scope: {} ({}) {whose}",
            parts.join(", "),
            self.bytes_text()
        )?;
        if let Some(first) = &self.first {
            write!(f, "\nfirst: {first}")?;
        }
        write!(
            f,
            "\nmove the allocation out of the hot scope (preallocate, reuse a buffer), or wrap \
             it in allocguard::permit_alloc if it is intended"
        )
    }
}

impl std::error::Error for Violation {}

/// `allocation of 32 bytes (align 8) via alloc::vec::Vec<T,A>::push`, then
/// the user's frames (at most eight), one function and `file:line` each, or
/// what to switch on when there are none.
impl fmt::Display for Offence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            OpKind::Alloc => "allocation",
            OpKind::Dealloc => "deallocation",
            OpKind::Realloc => "reallocation",
        };
        write!(f, "{kind} of {} bytes (align {})", self.size, self.align)?;
        if let Some(via) = &self.via {
            write!(f, " via {}", via.function)?;
        }
        let user: Vec<&Frame> = self.frames.iter().filter(|fr| !fr.is_machinery()).collect();
        if user.is_empty() {
            if cfg!(feature = "backtrace") {
                write!(
                    f,
                    "\n  (no frame of your code in the backtrace: is debug info on?)"
                )?;
            } else {
                write!(
                    f,
                    "\n  (enable allocguard's `backtrace` feature to see where it was made)"
                )?;
            }
        }
        for (i, frame) in user.iter().take(SHOWN_FRAMES).enumerate() {
            write!(f, "\n  {i:>2}: {}", frame.function)?;
            if let Some(file) = &frame.file {
                write!(f, "\n          at {file}")?;
                if let Some(line) = frame.line {
                    write!(f, ":{line}")?;
                }
            }
        }
        if user.len() > SHOWN_FRAMES {
            write!(f, "\n      … {} more frames", user.len() - SHOWN_FRAMES)?;
        }
        if !user.is_empty() && user.iter().all(|fr| fr.file.is_none()) {
            write!(
                f,
                "\n  (no file:line: this build has no debug info; add `debug = \"line-tables-only\"` \
                 to its [profile.*] in Cargo.toml)"
            )?;
        }
        Ok(())
    }
}

/// Resolves raw return addresses to frames and trims the machinery above the
/// user's code.
fn symbolise(rec: FirstRecord) -> Offence {
    let mut all = resolve(&rec.frames[..rec.len]);
    qualify_bare_closures(&mut all);
    let first_user = all.iter().position(|f| !f.is_machinery());
    let (via, frames) = match first_user {
        Some(i) => {
            let via = all[..i]
                .iter()
                .rev()
                .find(|f| {
                    let name = f.function.trim_start_matches('<');
                    name.starts_with("alloc::")
                        || name.starts_with("std::")
                        || name.starts_with("core::")
                        || f.file.as_deref().is_some_and(|p| p.starts_with("/rustc/"))
                })
                .cloned();
            (via, all[i..].to_vec())
        }
        None => (None, all),
    };
    Offence {
        kind: rec.kind,
        size: rec.size,
        align: rec.align,
        frames,
        via,
    }
}

/// With only line tables, an inlined closure is named `{closure#0}` and
/// nothing more; name it after the function it sits in: the next frame out
/// that is the user's (a guard's wrapper or an iterator adaptor between
/// them is skipped). A closure that allocguard's harness or recorder called
/// (through `unwind::bounded`) stays bare: its file and line say more.
pub(crate) fn qualify_bare_closures(frames: &mut [Frame]) {
    for i in (0..frames.len().saturating_sub(1)).rev() {
        if !frames[i].function.starts_with("{closure") {
            continue;
        }
        let outer = frames[i + 1..]
            .iter()
            .take_while(|f| !f.is_recording_boundary())
            .find(|f| !f.is_machinery())
            .map(|f| f.function.clone());
        if let Some(outer) = outer {
            frames[i].function = format!("{outer}::{}", frames[i].function);
        }
    }
}

#[cfg(feature = "backtrace")]
pub(crate) fn resolve(ips: &[usize]) -> Vec<Frame> {
    let mut out = Vec::new();
    for &ip in ips {
        let before = out.len();
        backtrace::resolve(ip as *mut std::ffi::c_void, |sym| {
            out.push(Frame {
                function: sym
                    .name()
                    .map(|n| format!("{n:#}"))
                    .unwrap_or_else(|| "<unknown>".to_string()),
                file: sym.filename().map(|p| p.display().to_string()),
                line: sym.lineno(),
            });
        });
        if out.len() == before {
            out.push(Frame {
                function: "<unknown>".to_string(),
                file: None,
                line: None,
            });
        }
    }
    out
}

#[cfg(not(feature = "backtrace"))]
pub(crate) fn resolve(_ips: &[usize]) -> Vec<Frame> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, file: Option<&str>) -> Frame {
        Frame {
            function: function.to_string(),
            file: file.map(str::to_string),
            line: Some(1),
        }
    }

    #[test]
    fn machinery_is_recognised_by_name_or_by_file() {
        assert!(frame("alloc::raw_vec::finish_grow", None).is_machinery());
        assert!(frame("<alloc::vec::Vec<T> as Clone>::clone", None).is_machinery());
        assert!(frame("allocguard::guard::check", None).is_machinery());
        assert!(frame("clone3", None).is_machinery());
        // Bare names of inlined frames in line-tables-only builds:
        assert!(frame(
            "with_capacity<u64>",
            Some("/rustc/abc/library/alloc/src/vec/mod.rs")
        )
        .is_machinery());
        let own = concat!(env!("CARGO_MANIFEST_DIR"), "/src/guard.rs");
        assert!(frame("check", Some(own)).is_machinery());
        assert!(frame(
            "trace",
            Some("/root/.cargo/registry/src/x/backtrace-0.3.77/src/lib.rs")
        )
        .is_machinery());
        // User code, including allocguard's own integration tests:
        assert!(!frame("my_game::World::tick", Some("src/world.rs")).is_machinery());
        let own_test = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/guard.rs");
        assert!(!frame("tick", Some(own_test)).is_machinery());
        assert!(!frame("clone_world", None).is_machinery());
        // A user's scenario target named `allocguard`, with debug info:
        assert!(!frame("allocguard::spawn_enemy", Some("tests/allocguard.rs")).is_machinery());
        assert!(frame("__libc_start_main_impl", Some("./csu/../csu/libc-start.c")).is_machinery());
        assert!(frame("__rustc::__rust_alloc", Some("tests/allocguard.rs")).is_machinery());
        assert!(!frame("allocguard_sim::waves::step", None).is_machinery());
    }

    #[test]
    fn bare_closures_are_named_after_their_enclosing_function() {
        let mut frames = vec![
            frame("{closure#0}", None),
            frame("{closure#1}", None),
            frame("tick", None),
            frame("{closure#0}", None),
        ];
        qualify_bare_closures(&mut frames);
        let names: Vec<&str> = frames.iter().map(|f| f.function.as_str()).collect();
        assert_eq!(
            names,
            [
                "tick::{closure#1}::{closure#0}",
                "tick::{closure#1}",
                "tick",
                "{closure#0}"
            ]
        );
        // Called by allocguard's harness (inlined into its frame): left bare.
        let own = concat!(env!("CARGO_MANIFEST_DIR"), "/src/unwind.rs");
        let mut frames = vec![
            frame("{closure#2}", Some("tests/allocguard.rs")),
            frame("bounded<(), call_tick::{closure_env#0}<u64>>", Some(own)),
        ];
        qualify_bare_closures(&mut frames);
        assert_eq!(frames[0].function, "{closure#2}");
        // Inside a guard's wrapper: named after the user's function beyond it.
        let guard = concat!(env!("CARGO_MANIFEST_DIR"), "/src/guard.rs");
        let mut frames = vec![
            frame("{closure#0}", Some("tests/guard.rs")),
            frame("try_no_alloc_with<(), {closure_env#0}>", Some(guard)),
            frame(
                "the_report_leads_with_the_users_frame",
                Some("tests/guard.rs"),
            ),
        ];
        qualify_bare_closures(&mut frames);
        assert_eq!(
            frames[0].function,
            "the_report_leads_with_the_users_frame::{closure#0}"
        );
    }
}
