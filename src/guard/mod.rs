//! Hot scopes: [`assert_no_alloc`](hot_scope::assert_no_alloc),
//! [`try_no_alloc`](hot_scope::try_no_alloc), [`HotGuard`](hot_scope::HotGuard)
//! (`hot_scope`), and what they report: a [`Violation`](violation::Violation)
//! with its first offence symbolised (`violation`).
//!
//! Rule of this folder: it uses `counters` and `measure`; the allocator calls
//! [`hot_scope::check`] from its slow path.

pub(crate) mod hot_scope;
pub(crate) mod violation;
