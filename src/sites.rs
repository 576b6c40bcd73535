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

use std::collections::HashMap;
use std::fmt;

use crate::site_table::{RawCounts, SiteTable};
use crate::violation::{qualify_bare_closures, resolve, Frame};

/// Sites kept by default: the ones with the most heap operations, plus the
/// ones holding the most bytes at the end.
pub const KEPT_SITES: usize = 20;

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
        }
    }

    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &SiteCounts) {
        self.allocs += other.allocs;
        self.reallocs += other.reallocs;
        self.deallocs += other.deallocs;
        self.bytes_allocated += other.bytes_allocated;
        self.bytes_freed += other.bytes_freed;
        self.live_bytes += other.live_bytes;
    }

    /// Allocations, reallocations and deallocations.
    pub fn ops(&self) -> u64 {
        self.allocs + self.reallocs + self.deallocs
    }

    /// `2 allocations, 1 deallocation`, leaving out kinds that did not happen.
    pub fn ops_text(&self) -> String {
        let mut parts = Vec::new();
        for (n, what) in [
            (self.allocs, "allocation"),
            (self.reallocs, "reallocation"),
            (self.deallocs, "deallocation"),
        ] {
            if n > 0 {
                parts.push(crate::violation::plural(n, what));
            }
        }
        if parts.is_empty() {
            "no heap operation".to_string()
        } else {
            parts.join(", ")
        }
    }
}

impl Site {
    /// The allocating frame: the innermost frame of the user's code.
    pub fn frame(&self) -> Option<&Frame> {
        self.frames.first()
    }

    /// `src/world.rs:42` (the allocating line), the function when there is
    /// no line, or `<no frame of your code>`.
    pub fn location(&self) -> String {
        match self.frame() {
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

    /// The allocating function, when known.
    pub fn function(&self) -> Option<&str> {
        self.frame().map(|f| f.function.as_str())
    }
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

/// `path` relative to the current directory when it is below it.
pub fn short_path(path: &str) -> String {
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rest) = std::path::Path::new(path).strip_prefix(&cwd) {
            return rest.display().to_string();
        }
    }
    path.to_string()
}

/// The allocation sites of a region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sites {
    /// The sites kept, most heap operations first: the [`KEPT_SITES`] with
    /// the most operations and those among the [`KEPT_SITES`] holding the
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
}

impl Sites {
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
            merged
                .entry(user)
                .or_default()
                .add(&SiteCounts::from_raw(&raw.counts));
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
                crate::violation::plural(rest_ops, "heap operation")
            ));
        }
        if self.overflow.ops() > 0 {
            out.push_str(&format!(
                "\n  … {} at sites beyond the table's {} (not told apart)",
                crate::violation::plural(self.overflow.ops(), "heap operation"),
                crate::site_table::SITE_SLOTS
            ));
        }
        out
    }
}

/// `src/world.rs:42 in world::spawn: 40 allocations (1 a tick), 2,560 B`.
fn describe_site(s: &Site, ticks: u64) -> String {
    let c = &s.counts;
    let mut text = s.location();
    if let Some(f) = s
        .function()
        .filter(|_| s.frame().is_some_and(|f| f.file.is_some()))
    {
        text.push_str(&format!(" in {f}"));
    }
    text.push_str(&format!(": {}", c.ops_text()));
    if ticks > 1 && c.ops() > 0 && c.ops().is_multiple_of(ticks) {
        text.push_str(&format!(" ({} a tick)", c.ops() / ticks));
    }
    if c.bytes_allocated > 0 {
        text.push_str(&format!(", {} B allocated", c.bytes_allocated));
    }
    if c.live_bytes > 0 {
        text.push_str(&format!(", {} B still held", c.live_bytes));
    }
    text
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_site(self, 1))
    }
}

/// Runs `f` and returns its result with the allocation sites of every heap
/// operation the process made meanwhile (all threads that
/// [`measure_process`](crate::measure_process) counts), symbolised after `f`
/// returns, the [`KEPT_SITES`] busiest kept.
///
/// Allocation is about ten times slower while sites are recorded (the stack
/// of every operation is taken); nothing changes before or after.
///
/// # Panics
/// When sites are already being recorded (a harness phase with sites on, or
/// another `measure_sites` on any thread): one recording at a time.
pub fn measure_sites<R>(f: impl FnOnce() -> R) -> (R, Sites) {
    crate::stats::ensure_installed();
    let mut table = SiteTable::new();
    let r = {
        let _recording = crate::site_table::start(&mut table, true).unwrap_or_else(|_| {
            panic!("allocguard: sites are already being recorded; one recording at a time")
        });
        f()
    };
    (r, Sites::from_table(&table, KEPT_SITES))
}
