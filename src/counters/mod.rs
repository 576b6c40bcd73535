//! The bottom layer: what the allocator writes, and where.
//!
//! Rule of this folder: nothing here uses another folder of the crate. It
//! holds the counts ([`counts::Stats`], [`counts::Op`]), the per-thread
//! counter blocks and their registry (`block`), a block table usable inside
//! the allocator (`block_set`), the log a thread block keeps of hot-scope
//! offences (`offence_log`) and the per-thread depth of `permit_alloc`
//! (`hole`): plain state, written by the allocator, read by the layers above.
//!
//! The crate's folders, bottom up (each uses only those before it;
//! `tests/layers.rs` checks it): `counters`, `measure`, `guard`, `sites`,
//! then `alloc` (the allocator, whose slow path calls into all four), then
//! `harness`, and `support` (what `cargo allocguard` reads).

pub(crate) mod block;
pub(crate) mod block_set;
pub(crate) mod counts;
pub(crate) mod hole;
pub(crate) mod offence_log;
