//! Thread-armed hot-scope guards. Each test arms guards on its own thread
//! only, so the tests may run in parallel.

use std::hint::black_box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use allocguard::{
    assert_no_alloc, measure, permit_alloc, try_no_alloc, try_no_alloc_with, CountingAlloc,
    GuardConfig, HotGuard, OpKind, Scope,
};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

#[test]
fn a_clean_scope_returns_the_closures_value() {
    let mut buf: Vec<u32> = Vec::with_capacity(64);
    let r = try_no_alloc(|| {
        buf.extend(0..64);
        buf.iter().sum::<u32>()
    });
    assert_eq!(r.unwrap(), (0..64u32).sum::<u32>());
}

#[inline(never)]
fn allocating_helper_in_user_code() -> Box<[u8; 32]> {
    black_box(Box::new([0u8; 32]))
}

#[test]
#[inline(never)]
fn try_no_alloc_names_the_function_that_allocated() {
    let err = try_no_alloc(|| {
        let b = allocating_helper_in_user_code();
        std::mem::forget(b);
    })
    .unwrap_err();
    assert_eq!((err.allocs, err.deallocs, err.reallocs), (1, 0, 0));
    assert_eq!((err.bytes_allocated, err.bytes_freed), (32, 0));
    assert_eq!(err.kinds(), vec![OpKind::Alloc]);
    assert_eq!(err.scope, Scope::Thread);
    let first = err.first.as_ref().expect("first offence recorded");
    assert_eq!(
        (first.kind, first.size, first.align),
        (OpKind::Alloc, 32, 1)
    );
    if cfg!(feature = "backtrace") {
        let user = first.user_frame().expect("a user frame");
        assert!(
            user.function.contains("allocating_helper_in_user_code"),
            "first user frame: {user}"
        );
        let names: Vec<&str> = first.frames.iter().map(|f| f.function.as_str()).collect();
        assert!(
            names
                .iter()
                .any(|n| n.contains("try_no_alloc_names_the_function_that_allocated")),
            "frames: {names:#?}"
        );
        assert!(
            first.frames[0]
                .file
                .as_deref()
                .unwrap_or("")
                .ends_with("guard.rs"),
            "file of first frame: {:?}",
            first.frames[0]
        );
    }
}

#[test]
#[inline(never)]
fn the_report_leads_with_the_users_frame() {
    let err = try_no_alloc(|| {
        let v: Vec<u64> = black_box(Vec::with_capacity(3));
        std::mem::forget(v);
    })
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("1 allocation (24 bytes allocated) on this thread"),
        "{text}"
    );
    assert!(
        text.contains("first: allocation of 24 bytes (align 8)"),
        "{text}"
    );
    if cfg!(feature = "backtrace") {
        let first_frame = text
            .lines()
            .find(|l| l.trim_start().starts_with("0:"))
            .expect("a numbered frame");
        assert!(
            first_frame.contains("the_report_leads_with_the_users_frame"),
            "{text}"
        );
        assert!(text.contains("tests/guard.rs:"), "{text}");
        assert!(!first_frame.contains("allocguard::"), "{text}");
    }
}

#[test]
fn deallocation_is_a_violation_by_default_and_can_be_allowed() {
    let v = black_box(vec![1u8; 10]);
    let err = try_no_alloc(|| drop(v)).unwrap_err();
    assert_eq!(
        (
            err.allocs,
            err.deallocs,
            err.bytes_allocated,
            err.bytes_freed
        ),
        (0, 1, 0, 10)
    );
    assert!(err.to_string().contains("1 deallocation (10 bytes freed)"));
    assert_eq!(err.first.unwrap().kind, OpKind::Dealloc);

    let v = black_box(vec![1u8; 10]);
    let cfg = GuardConfig::thread().with_deallocs_as_violations(false);
    assert!(try_no_alloc_with(cfg, || drop(v)).is_ok());
}

#[test]
fn a_growing_push_is_a_reallocation_violation() {
    let mut v: Vec<u8> = Vec::with_capacity(4);
    v.extend([1, 2, 3, 4]);
    let err = try_no_alloc(|| v.push(5)).unwrap_err();
    assert_eq!((err.allocs, err.reallocs, err.deallocs), (0, 1, 0));
    // The growth is allocated: 4 bytes to 8.
    assert_eq!(v.capacity(), 8);
    assert_eq!((err.bytes_allocated, err.bytes_freed), (4, 0));
    assert_eq!(err.kinds(), vec![OpKind::Realloc]);
}

#[test]
fn every_offence_is_counted_but_only_the_first_is_traced() {
    let err = try_no_alloc(|| {
        for i in 0..10u64 {
            std::mem::forget(black_box(Box::new(i)));
        }
    })
    .unwrap_err();
    assert_eq!((err.allocs, err.bytes_allocated), (10, 80));
    assert_eq!(err.first.unwrap().size, 8);
}

#[test]
fn assert_no_alloc_panics_with_the_report() {
    let payload = catch_unwind(|| {
        assert_no_alloc(|| std::mem::forget(black_box(Box::new(5u16))));
    })
    .unwrap_err();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .expect("a formatted panic message");
    assert!(
        msg.contains("heap used in a hot scope: 1 allocation (2 bytes allocated)"),
        "{msg}"
    );
}

#[test]
fn permit_alloc_opens_a_hole_and_guards_inside_it_arm_again() {
    let r = try_no_alloc(|| {
        let v = permit_alloc(|| black_box(vec![0u8; 100]));
        let inner = permit_alloc(|| try_no_alloc(|| std::mem::forget(black_box(Box::new(1u8)))));
        permit_alloc(|| drop(v));
        inner
    });
    let inner = r.expect("the permitted allocations are not violations");
    let inner_err = inner.expect_err("a guard inside a permit watches again");
    assert_eq!(inner_err.allocs, 1);
}

#[test]
fn nested_guards_each_report_their_own_first_offence() {
    let outer = try_no_alloc(|| {
        std::mem::forget(black_box(Box::new([0u8; 11])));
        let inner = try_no_alloc(|| std::mem::forget(black_box(Box::new([0u8; 22]))));
        let inner = inner.expect_err("inner guard sees its allocation");
        assert_eq!((inner.allocs, inner.bytes_allocated), (1, 22));
        assert_eq!(inner.first.as_ref().unwrap().size, 22);
        permit_alloc(|| drop(inner));
    })
    .expect_err("outer guard sees both allocations");
    assert_eq!((outer.allocs, outer.bytes_allocated), (2, 33));
    assert_eq!(
        outer.first.unwrap().size,
        11,
        "outer's first is the earlier one"
    );
}

#[test]
fn an_outer_guard_without_its_own_offence_inherits_the_inner_first() {
    let outer = try_no_alloc(|| {
        let inner = try_no_alloc(|| std::mem::forget(black_box(Box::new([0u8; 7]))));
        permit_alloc(|| drop(inner));
    })
    .unwrap_err();
    assert_eq!(outer.allocs, 1);
    assert_eq!(outer.first.unwrap().size, 7);
}

#[test]
fn a_panic_inside_a_guard_leaves_the_state_clean() {
    let r = catch_unwind(AssertUnwindSafe(|| {
        assert_no_alloc(|| {
            std::mem::forget(black_box(Box::new(1u32)));
            panic!("boom inside the hot scope");
        })
    }));
    assert!(r.is_err());
    // Nothing is armed any more: allocating is not a violation...
    let ((), s) = measure(|| drop(black_box(Box::new(3u8))));
    assert_eq!(s.allocs, 1);
    // ...and the next guard starts clean, with no inherited offence.
    assert!(try_no_alloc(|| 1 + 1).is_ok());
    let err = try_no_alloc(|| std::mem::forget(black_box(Box::new(9u64)))).unwrap_err();
    assert_eq!((err.allocs, err.bytes_allocated), (1, 8));
}

#[test]
fn a_thread_armed_guard_does_not_see_other_threads() {
    let go = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let worker = {
        let (go, done) = (go.clone(), done.clone());
        std::thread::spawn(move || {
            while !go.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            for i in 0..100u64 {
                drop(black_box(Box::new(i)));
            }
            done.store(true, Ordering::Release);
        })
    };
    let r = try_no_alloc(|| {
        go.store(true, Ordering::Release);
        while !done.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
    });
    worker.join().unwrap();
    assert!(r.is_ok(), "{:?}", r.err());
}

#[test]
fn a_hot_guard_value_can_span_code_that_is_not_a_closure() {
    let guard = HotGuard::arm(GuardConfig::thread());
    let b = black_box(Box::new(1u128));
    let err = guard.finish().unwrap_err();
    assert_eq!((err.allocs, err.bytes_allocated), (1, 16));
    drop(b);

    let guard = HotGuard::arm(GuardConfig::thread());
    assert!(guard.finish().is_ok());
}

#[test]
fn dropping_a_violated_guard_panics() {
    let r = catch_unwind(|| {
        let _guard = HotGuard::arm(GuardConfig::thread());
        std::mem::forget(black_box(Box::new(0u8)));
    });
    assert!(r.is_err());
    assert!(try_no_alloc(|| ()).is_ok());
}

#[test]
fn guards_ended_out_of_order_are_reported() {
    let r = catch_unwind(|| {
        let outer = HotGuard::arm(GuardConfig::thread());
        let inner = HotGuard::arm(GuardConfig::thread());
        let _ = outer.finish();
        let _ = inner.finish();
    });
    let msg = r.unwrap_err().downcast_ref::<String>().cloned().unwrap();
    assert!(msg.contains("must end in the reverse order"), "{msg}");
}

#[test]
fn an_allocating_backtrace_capture_neither_recurses_nor_becomes_a_violation() {
    fn allocate_while_capturing() {
        std::mem::forget(black_box(vec![0u8; 77]));
    }
    allocguard::_test_support::set_capture_hook(Some(allocate_while_capturing));
    let (r, stats) = measure(|| try_no_alloc(|| std::mem::forget(black_box(Box::new(1u32)))));
    allocguard::_test_support::set_capture_hook(None);
    let err = r.unwrap_err();
    // Only the user's allocation is a violation...
    assert_eq!((err.allocs, err.bytes_allocated), (1, 4));
    // ...while the capture's own allocation is still counted (the Violation's
    // symbolised frames account for the rest of the region's allocations).
    let ((), capture_only) = measure(|| {
        let _ = try_no_alloc(|| ());
    });
    assert_eq!(capture_only.allocs, 0, "a clean guard allocates nothing");
    assert!(
        stats.allocs >= 2,
        "user allocation + capture allocation: {stats:?}"
    );
    assert!(stats.bytes_allocated >= 77 + 4);
}
