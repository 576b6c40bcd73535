//! Allocation sites: every call stack that used the heap in a region, with
//! its counts and the bytes it still holds. `unwind` captures a stack from
//! inside the allocator (`replay` spares it unwinding a stack twice), `table` attributes each operation to its stack
//! without allocating, `report` symbolises and merges them into
//! [`Sites`](report::Sites).
//!
//! Rule of this folder: it uses `counters`, `measure` and `guard` (frames
//! are trimmed and named as a violation's are); the allocator calls
//! [`table::record`] from its slow path.

// Used by the DWARF unwinder, which only x86-64 Linux has.
#[cfg(all(feature = "backtrace", target_os = "linux", target_arch = "x86_64"))]
pub(crate) mod replay;
pub(crate) mod report;
pub(crate) mod table;
pub(crate) mod unwind;
