//! Allocation sites: every line that used the heap in a region, with its
//! counts and the bytes it still holds at the end.
//!
//! Recording is off by default and costs nothing then (the allocator's fast
//! path is unchanged). While on, every heap operation of the process (all
//! threads that process-wide counts include) takes the slow path and is
//! attributed to its call stack (see `site_table` for the rules); after the
//! region the stacks are symbolised, trimmed to the user's frames (as a
//! violation's are), and stacks that trim to the same frames are merged.
//!
//! The sites' counts add up to the region's process-wide counts exactly:
//! the kept sites plus [`Sites::omitted`] (sites beyond the ones kept) plus
//! [`Sites::overflow`] (operations whose stack found the table full).
//!
//! ```
//! # #[global_allocator]
//! # static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();
//! let (kept, sites) = allocguard::measure_sites(|| {
//!     let a = vec![0u8; 100];
//!     let b = vec![0u8; 200];
//!     drop(a);
//!     b
//! });
//! assert_eq!(sites.totals().allocs, 2);
//! assert_eq!(sites.totals().live_bytes, 200); // `b` is still held
//! # drop(kept);
//! ```

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;

use crate::guard::violation::{qualify_bare_closures, resolve, Frame};
use crate::sites::table::{RawCounts, SiteTable};

/// Sites kept by default: the ones with the most heap operations, plus the
/// ones holding the most bytes at the end.
pub(crate) const KEPT_SITES: usize = Sites::KEPT;

/// User frames kept per site, innermost first.
const KEPT_FRAMES: usize = 8;

/// One allocation site: a call stack of the user's code and what happened
/// there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Site {
    /// The user's frames, innermost (the allocating line) first; allocator,
    /// standard library and allocguard frames trimmed. Empty when no frame of
    /// the user's code was found (no debug info, or the backtrace feature
    /// off).
    pub frames: Vec<Frame>,
    /// The counts.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub counts: SiteCounts,
}

/// What happened at a site (or at several, summed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SiteCounts {
    /// Allocations made here.
    pub allocs: u64,
    /// Reallocations made here.
    pub reallocs: u64,
    /// Deallocations of blocks this site allocated in the region, or made
    /// here of blocks from before it.
    pub deallocs: u64,
    /// Bytes allocated here: allocation sizes plus reallocation growth.
    pub bytes_allocated: u64,
    /// Bytes freed: deallocations (as above) plus reallocation shrinkage.
    pub bytes_freed: u64,
    /// Bytes of the blocks this site allocated or last resized in the region
    /// that are still live at its end: what a leak leaves.
    pub live_bytes: i64,
    /// Ticks in which the site used the heap (for a site merged from several
    /// stacks that trim to the same frames: the most of any of them). Zero
    /// in sums of several sites.
    #[cfg_attr(feature = "serde", serde(default))]
    pub ticks: u64,
}

impl SiteCounts {
    fn from_raw(c: &RawCounts) -> Self {
        Self {
            allocs: c.allocs,
            reallocs: c.reallocs,
            deallocs: c.deallocs,
            bytes_allocated: c.bytes_allocated,
            bytes_freed: c.bytes_freed,
            live_bytes: c.live,
            ticks: c.ticks,
        }
    }

    /// Merges the counts of another stack of the same site.
    fn merge(&mut self, other: &SiteCounts) {
        let ticks = self.ticks.max(other.ticks);
        self.add(other);
        self.ticks = ticks;
    }

    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &SiteCounts) {
        self.allocs += other.allocs;
        self.reallocs += other.reallocs;
        self.deallocs += other.deallocs;
        self.bytes_allocated += other.bytes_allocated;
        self.bytes_freed += other.bytes_freed;
        self.live_bytes += other.live_bytes;
        self.ticks = 0;
    }

    /// Allocations, reallocations and deallocations.
    pub fn ops(&self) -> u64 {
        self.allocs + self.reallocs + self.deallocs
    }
}

/// `2 allocations, 1 deallocation`, leaving out kinds that did not happen.
impl fmt::Display for SiteCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (n, what) in [
            (self.allocs, "allocation"),
            (self.reallocs, "reallocation"),
            (self.deallocs, "deallocation"),
        ] {
            if n > 0 {
                parts.push(crate::guard::violation::plural(n, what));
            }
        }
        if parts.is_empty() {
            f.write_str("no heap operation")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

impl Site {
    /// The allocating frame: the innermost frame of the user's code.
    pub fn frame(&self) -> Option<&Frame> {
        self.frames.first()
    }

    /// The innermost frame outside the crates your code depends on (files
    /// under cargo's registry or git checkouts): the line of *your* code that
    /// made the allocation, directly or through a dependency. The innermost
    /// frame when every frame is a dependency's.
    pub fn own_frame(&self) -> Option<&Frame> {
        self.frames
            .iter()
            .find(|f| !f.file.as_deref().is_some_and(is_dependency))
            .or_else(|| self.frame())
    }

    /// The dependency's function the allocation was made in, when it was
    /// made inside a dependency called from [`own_frame`](Self::own_frame).
    pub fn via(&self) -> Option<&str> {
        let first = self.frame()?;
        first
            .file
            .as_deref()
            .is_some_and(is_dependency)
            .then_some(first.function.as_str())
            .filter(|_| self.own_frame() != Some(first))
    }

    /// `src/world.rs:42` (the line of your code that allocated: see
    /// [`own_frame`](Self::own_frame)), the function when there is no line,
    /// or `<no frame of your code>`.
    pub fn location(&self) -> String {
        match self.own_frame() {
            Some(Frame {
                file: Some(file),
                line,
                ..
            }) => match line {
                Some(line) => format!("{}:{line}", short_path(file)),
                None => short_path(file),
            },
            Some(f) => f.function.clone(),
            None => "<no frame of your code>".to_string(),
        }
    }

    /// Where the function of [`location`](Self::location) was called from
    /// (`src/world.rs:30`), when the stack goes on: what tells apart two
    /// sites in one helper.
    pub fn caller(&self) -> Option<String> {
        let own = self.own_frame()?;
        let i = self.frames.iter().position(|f| f == own)?;
        let next = self.frames.get(i + 1)?;
        Some(match (&next.file, next.line) {
            (Some(file), Some(line)) => format!("{}:{line}", short_path(file)),
            (Some(file), None) => short_path(file),
            (None, _) => next.function.clone(),
        })
    }

    /// `src/world.rs:42 in spawn (called from src/world.rs:30)`: the
    /// location, its function, the dependency's function it allocated
    /// inside when it did, and its caller.
    pub fn place(&self) -> String {
        let mut text = self.location();
        if let Some(f) = self
            .function()
            .filter(|_| self.own_frame().is_some_and(|f| f.file.is_some()))
        {
            text.push_str(&format!(" in {f}"));
        }
        if let Some(via) = self.via() {
            text.push_str(&format!(" (inside {via})"));
        }
        if let Some(caller) = self.caller() {
            text.push_str(&format!(" (called from {caller})"));
        }
        text
    }

    /// The function of [`location`](Self::location), when known.
    pub fn function(&self) -> Option<&str> {
        self.own_frame().map(|f| f.function.as_str())
    }
}

/// Whether `file` belongs to a crate from cargo's registry or a git checkout.
fn is_dependency(file: &str) -> bool {
    file.contains("/registry/src/") || file.contains("/git/checkouts/")
}

/// The frames from the innermost of the user's code out to where
/// allocguard called it (the harness's tick call, `measure_sites`, a guard's
/// closure): what lies beyond is whoever started the recording, the same for
/// every site, and no part of any.
fn user_part(all: Vec<Frame>) -> impl Iterator<Item = Frame> {
    let first = all.iter().position(|f| !f.is_machinery());
    let end = first.map_or(all.len(), |i| {
        all[i..]
            .iter()
            .position(Frame::is_allocguard)
            .map_or(all.len(), |j| i + j)
    });
    all.into_iter().take(end).skip(first.unwrap_or(0))
}

/// `path` as a person reads it, never a path of this machine: relative to
/// the current directory when it is below it; a dependency's file as its
/// crate and the path inside it (`serde_json-1.0.154/src/de.rs`, from
/// cargo's registry or git checkouts); the standard library's from `library/`.
pub fn short_path(path: &str) -> String {
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rest) = std::path::Path::new(path).strip_prefix(&cwd) {
            return rest.display().to_string();
        }
    }
    dependency_path(path).unwrap_or_else(|| path.to_string())
}

/// A dependency's or the standard library's `path`, from the crate on.
fn dependency_path(path: &str) -> Option<String> {
    let after = |marker: &str, skip: usize| -> Option<String> {
        let rest = &path[path.find(marker)? + marker.len()..];
        let mut parts = rest.splitn(skip + 1, '/');
        for _ in 0..skip {
            parts.next()?;
        }
        parts.next().map(str::to_string)
    };
    // registry/src/<index>/<crate-version>/…, git/checkouts/<repo-hash>/<rev>/…
    let git = || {
        let rest = after("/git/checkouts/", 0)?;
        let (repo, rest) = rest.split_once('/')?;
        let (_, inside) = rest.split_once('/')?;
        let name = repo.rsplit_once('-').map_or(repo, |(name, _)| name);
        Some(format!("{name}/{inside}"))
    };
    after("/registry/src/", 1)
        .or_else(git)
        .or_else(|| after("/rustc/", 1))
}

/// The allocation sites of a region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Sites {
    /// The sites kept, most heap operations first: the [`Sites::KEPT`] with
    /// the most operations and those among the [`Sites::KEPT`] holding the
    /// most bytes at the end.
    pub sites: Vec<Site>,
    /// How many distinct sites there were, kept or not.
    pub distinct: u64,
    /// The sites not kept, summed.
    pub omitted: SiteCounts,
    /// Operations whose stack found the site table full (no stack).
    pub overflow: SiteCounts,
    /// Blocks not tracked because the block table was full: their frees are
    /// attributed where they happen, and their bytes to no site's live bytes.
    pub untracked_blocks: u64,
    /// Ticks recorded (1 for [`measure_sites`]).
    #[cfg_attr(feature = "serde", serde(default))]
    pub ticks: u64,
    /// Distinct stacks the recording's table held ([`Sites::SITE_SLOTS`],
    /// or more in the second run of a failing phase that overflowed it; 0
    /// in files written before it was recorded).
    #[cfg_attr(feature = "serde", serde(default))]
    pub table_slots: u64,
}

impl Sites {
    /// How many sites a report keeps by name: the busiest, and those among
    /// as many holding the most bytes at the end; the rest are summed in
    /// [`omitted`](Self::omitted).
    pub const KEPT: usize = 20;

    /// Distinct call stacks one recording can tell apart; operations of
    /// further stacks are counted in [`overflow`](Self::overflow).
    pub const SITE_SLOTS: usize = crate::sites::table::SITE_SLOTS;

    /// Blocks whose site is remembered at once (so that their frees are
    /// attributed to it); further blocks are counted in
    /// [`untracked_blocks`](Self::untracked_blocks).
    pub const BLOCK_SLOTS: usize = crate::counters::block_set::BLOCK_SLOTS;

    /// Symbolises a table after its recording, keeping `keep` sites.
    pub(crate) fn from_table(table: &SiteTable, keep: usize) -> Self {
        let mut names: HashMap<usize, Vec<Frame>> = HashMap::new();
        let mut merged: HashMap<Vec<Frame>, SiteCounts> = HashMap::new();
        for raw in table.sites() {
            let mut all = Vec::new();
            for &ip in &raw.frames[..raw.len] {
                let frames = names.entry(ip).or_insert_with(|| resolve(&[ip]));
                all.extend(frames.iter().cloned());
            }
            qualify_bare_closures(&mut all);
            let user: Vec<Frame> = user_part(all)
                .filter(|f| !f.is_machinery())
                .take(KEPT_FRAMES)
                .collect();
            let counts = SiteCounts::from_raw(&raw.counts);
            match merged.entry(user) {
                Entry::Occupied(mut e) => e.get_mut().merge(&counts),
                Entry::Vacant(e) => {
                    e.insert(counts);
                }
            }
        }
        let mut all: Vec<Site> = merged
            .into_iter()
            .map(|(frames, counts)| Site { frames, counts })
            .collect();
        all.sort_by(|a, b| {
            b.counts
                .ops()
                .cmp(&a.counts.ops())
                .then(b.counts.bytes_allocated.cmp(&a.counts.bytes_allocated))
                .then(b.counts.live_bytes.cmp(&a.counts.live_bytes))
                .then_with(|| a.location().cmp(&b.location()))
                .then_with(|| a.frames.cmp(&b.frames))
        });
        let distinct = all.len() as u64;
        // The busiest, then whichever of the biggest holders are not among them.
        let mut by_live: Vec<usize> = (0..all.len())
            .filter(|&i| all[i].counts.live_bytes > 0)
            .collect();
        by_live.sort_by_key(|&i| std::cmp::Reverse(all[i].counts.live_bytes));
        let mut kept_index: Vec<usize> = (0..all.len().min(keep)).collect();
        kept_index.extend(by_live.into_iter().take(keep).filter(|&i| i >= keep));
        kept_index.sort_unstable();
        let mut omitted = SiteCounts::default();
        let mut sites = Vec::with_capacity(kept_index.len());
        for (i, site) in all.into_iter().enumerate() {
            if kept_index.binary_search(&i).is_ok() {
                sites.push(site);
            } else {
                omitted.add(&site.counts);
            }
        }
        Self {
            sites,
            distinct,
            omitted,
            overflow: SiteCounts::from_raw(&table.overflow),
            untracked_blocks: table.untracked_blocks,
            ticks: table.recordings,
            table_slots: table.capacity() as u64,
        }
    }

    /// Every site's counts summed, with the omitted and overflowing ones: the
    /// region's own counts.
    pub fn totals(&self) -> SiteCounts {
        let mut t = self.omitted;
        t.add(&self.overflow);
        for s in &self.sites {
            t.add(&s.counts);
        }
        t
    }

    /// The sites holding bytes at the end, most bytes first.
    pub fn holding(&self) -> Vec<&Site> {
        let mut v: Vec<&Site> = self
            .sites
            .iter()
            .filter(|s| s.counts.live_bytes > 0)
            .collect();
        v.sort_by_key(|s| std::cmp::Reverse(s.counts.live_bytes));
        v
    }

    /// Lines listing the sites (at most `limit`), each with its counts,
    /// amounts per tick when `ticks` is more than one; then what was not
    /// listed. For failure messages.
    pub fn describe(&self, limit: usize, ticks: u64) -> String {
        let mut out = String::new();
        for s in self.sites.iter().take(limit) {
            out.push_str(&format!("\n  {}", describe_site(s, ticks)));
        }
        let rest = self.sites.len().saturating_sub(limit) as u64;
        let rest_ops = self
            .sites
            .iter()
            .skip(limit)
            .map(|s| s.counts.ops())
            .sum::<u64>()
            + self.omitted.ops();
        let not_listed = rest + self.distinct - self.sites.len() as u64;
        if not_listed > 0 {
            out.push_str(&format!(
                "\n  … {} more {} ({})",
                not_listed,
                if not_listed == 1 { "site" } else { "sites" },
                crate::guard::violation::plural(rest_ops, "heap operation")
            ));
        }
        if self.overflow.ops() > 0 {
            out.push_str(&format!(
                "\n  … {} at sites beyond the table's {} (not told apart)",
                crate::guard::violation::plural(self.overflow.ops(), "heap operation"),
                match self.table_slots {
                    0 => crate::sites::table::SITE_SLOTS as u64,
                    n => n,
                }
            ));
        }
        out
    }
}

impl Site {
    /// `src/world.rs:42 in world::spawn: 40 allocations (1 a tick), 2560 B
    /// allocated, 64 B still held`: the site with its counts, and how many
    /// operations a tick when they divide evenly over `ticks`.
    pub fn summary(&self, ticks: u64) -> String {
        describe_site(self, ticks)
    }
}

fn describe_site(s: &Site, ticks: u64) -> String {
    format!("{}: {}", s.place(), s.counts.summary(ticks))
}

impl SiteCounts {
    /// `40 allocations (1 a tick), 2560 B allocated, 64 B still held`: the
    /// operations, how many a tick (over `ticks` recorded) when they came
    /// evenly or in how many ticks, the bytes allocated and still held.
    pub fn summary(&self, ticks: u64) -> String {
        let mut text = self.to_string();
        if ticks > 1 && self.ticks == ticks && self.ops().is_multiple_of(ticks) {
            text.push_str(&format!(" ({} a tick)", self.ops() / ticks));
        } else if ticks > 1 && self.ticks == ticks {
            text.push_str(" (every tick)");
        } else if ticks > 1 && self.ticks > 0 {
            text.push_str(&format!(" (in {} of {ticks} ticks)", self.ticks));
        }
        if self.bytes_allocated > 0 {
            text.push_str(&format!(", {} B allocated", self.bytes_allocated));
        }
        if self.live_bytes > 0 {
            text.push_str(&format!(", {} B still held", self.live_bytes));
        }
        text
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_site(self, 1))
    }
}

/// Runs `f` and returns its result with the allocation sites of every heap
/// operation the process made meanwhile (all threads that
/// [`measure_process`](crate::measure_process) counts), symbolised after `f`
/// returns, the [`Sites::KEPT`] busiest kept.
///
/// Allocation is about ten times slower while sites are recorded (the stack
/// of every operation is taken); nothing changes before or after.
///
/// # Panics
/// When sites are already being recorded (a harness phase with sites on, or
/// another `measure_sites` on any thread): one recording at a time.
pub fn measure_sites<R>(f: impl FnOnce() -> R) -> (R, Sites) {
    let mut recorder = SiteRecorder::new();
    let r = recorder.record(f);
    (r, recorder.finish())
}

/// Records allocation sites over several regions, as the harness does over
/// a phase's ticks: whatever runs between them (a progress bar, logging) is
/// left out, and a block allocated in one region and freed in a later one is
/// still its site's.
///
/// ```
/// # #[global_allocator]
/// # static ALLOC: allocguard::CountingAlloc = allocguard::CountingAlloc::system();
/// let mut recorder = allocguard::SiteRecorder::new();
/// let mut kept = Vec::with_capacity(3);
/// for step in 0..3 {
///     recorder.record(|| kept.push(vec![step; 4]));
///     let _not_recorded = format!("step {step} done");
/// }
/// let sites = recorder.finish();
/// assert_eq!(sites.totals().allocs, 3);
/// assert_eq!(sites.ticks, 3);
/// ```
pub struct SiteRecorder {
    table: SiteTable,
    started: bool,
}

impl SiteRecorder {
    /// A recorder with its tables allocated (about 1.3 MiB for the sites, and
    /// once per process 4 MiB for the blocks, from the system allocator).
    pub fn new() -> Self {
        crate::measure::stats::ensure_installed();
        Self {
            table: SiteTable::new(),
            started: false,
        }
    }

    /// Runs `f`, recording the sites of every heap operation the process
    /// makes meanwhile. Each call counts as one tick.
    ///
    /// # Panics
    /// When sites are already being recorded (a harness phase with sites on,
    /// or another recorder on any thread): one recording at a time.
    pub fn record<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let fresh = !std::mem::replace(&mut self.started, true);
        let _recording = crate::sites::table::start(&mut self.table, fresh).unwrap_or_else(|_| {
            panic!("allocguard: sites are already being recorded; one recording at a time")
        });
        crate::sites::unwind::bounded(f)
    }

    /// The sites, symbolised, the [`Sites::KEPT`] busiest kept.
    pub fn finish(self) -> Sites {
        Sites::from_table(&self.table, KEPT_SITES)
    }
}

impl Default for SiteRecorder {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_files_are_named_by_crate_never_by_a_path_of_the_machine() {
        assert_eq!(
            short_path(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde_json-1.0.154/src/de.rs"
            ),
            "serde_json-1.0.154/src/de.rs"
        );
        assert_eq!(
            short_path("/home/u/.cargo/git/checkouts/framehop-0a1b2c3d/4e5f6a7/src/lib.rs"),
            "framehop/src/lib.rs"
        );
        assert_eq!(
            short_path(
                "/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/alloc/src/vec/mod.rs"
            ),
            "library/alloc/src/vec/mod.rs"
        );
        let here = std::env::current_dir().unwrap().join("src/world.rs");
        assert_eq!(short_path(&here.display().to_string()), "src/world.rs");
        assert_eq!(short_path("/elsewhere/src/x.rs"), "/elsewhere/src/x.rs");
    }
}
