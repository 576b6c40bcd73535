//! [`permit_alloc`]: a hole in the hot scopes of the calling thread. Below
//! the guards (which use its nesting depth), so that the layers between
//! (`libtest`, `stats`) can open one without depending on the guards.

use crate::counters::block::{self, ThreadScope};
use crate::counters::offence_log::{FirstRecord, LogCounts};

thread_local! {
    /// Nesting depth of guards and permits on this thread, to catch
    /// out-of-order ends.
    pub(crate) static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs `f` with guards suspended on this thread: a hole in a hot scope for
/// work that may allocate (logging an error, say).
///
/// Guards armed inside `f` watch again, but what they see stays inside the
/// hole: enclosing guards on this thread see nothing of it. Allocations that
/// other threads make meanwhile are still seen by process-armed guards.
pub fn permit_alloc<R>(f: impl FnOnce() -> R) -> R {
    struct Restore {
        scope: ThreadScope,
        counts: LogCounts,
        first: Option<FirstRecord>,
    }
    impl Drop for Restore {
        fn drop(&mut self) {
            block::with_block(|b| {
                b.replace_scope(self.scope);
                b.log.reset_counts(self.counts);
                let _inside = b.log.take_first();
                if let Some(first) = self.first.take() {
                    b.log.restore_first(first);
                }
            });
            DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        }
    }
    DEPTH.with(|d| d.set(d.get() + 1));
    let _restore = block::with_block(|b| Restore {
        first: b.log.take_first(),
        counts: b.log.counts(),
        scope: b.replace_scope(ThreadScope::Permit),
    });
    f()
}
