//! A guard that unwinds inside another makes no work for it (found by
//! porting assert_no_alloc's unwinding tests). Its own binary: the test
//! silences the panic hook, which is process-wide.

use std::panic::{catch_unwind, AssertUnwindSafe};

use allocguard::{
    assert_no_alloc, permit_alloc, try_no_alloc, CountingAlloc, GuardConfig, HotGuard,
};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

/// What an outer guard sees of `inner` panicking inside it: allocations,
/// deallocations, bytes allocated, bytes freed.
fn outer_sees(inner: fn()) -> (u64, u64, u64, u64) {
    let v = try_no_alloc(|| {
        let r = catch_unwind(inner);
        permit_alloc(|| drop(r));
    })
    .expect_err("the panic's payload is allocated inside the outer guard");
    (v.allocs, v.deallocs, v.bytes_allocated, v.bytes_freed)
}

#[test]
fn an_inner_guard_unwinding_inside_an_outer_one_adds_nothing_to_it() {
    std::panic::set_hook(Box::new(|_| {}));
    let bare: fn() = || panic!("inner");
    let in_assert: fn() = || assert_no_alloc(|| panic!("inner"));
    let in_guard: fn() = || {
        let _g = HotGuard::arm(GuardConfig::thread());
        panic!("inner")
    };
    // Once each first: the first panic of a process sets things up.
    for f in [bare, in_assert, in_guard] {
        let _ = outer_sees(f);
    }
    let without = outer_sees(bare);
    let (with_assert, with_guard) = (outer_sees(in_assert), outer_sees(in_guard));
    // A report that does panic (an allocation in the inner scope) leaves
    // only its message, the panic's payload.
    let r = catch_unwind(AssertUnwindSafe(|| {
        assert_no_alloc(|| drop(std::hint::black_box(Box::new(1u8))))
    }));
    let _ = std::panic::take_hook(); // the default hook again, for the asserts
    assert_eq!(with_assert, without);
    assert_eq!(with_guard, without);
    let payload = r.expect_err("an allocation in a hot scope panics");
    let message = payload.downcast_ref::<String>().expect("a String payload");
    assert!(
        message.contains("1 allocation, 1 deallocation"),
        "{message}"
    );
}
