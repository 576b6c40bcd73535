use super::*;
use std::hint::black_box;

#[test]
fn operations_after_retirement_are_counted_as_orphans() {
    std::thread::spawn(|| {
        drop(black_box(Box::new(1u8))); // registers this thread's block
        let own_before = BLOCK.with(|b| b.snapshot());
        let orphans_before = orphan_ops();
        let process_before = sum_process();
        BLOCK.with(|b| b.set_flag(EXITED, true));
        drop(black_box(vec![0u8; 300]));
        BLOCK.with(|b| b.set_flag(EXITED, false));
        let own_after = BLOCK.with(|b| b.snapshot());
        assert_eq!(own_after, own_before, "a retired block must not change");
        // Other tests run in parallel: the orphans are ours alone, the
        // process totals may include other threads' work too.
        assert_eq!(orphan_ops() - orphans_before, 2);
        let d = sum_process().since(&process_before);
        assert!(d.allocs >= 1 && d.bytes_allocated >= 300, "{d:?}");
    })
    .join()
    .unwrap();
}

#[test]
fn a_thread_links_its_block_on_first_use_and_unlinks_it_at_exit() {
    let (linked_while_running, flags_while_running) = std::thread::spawn(|| {
        drop(black_box(Box::new(1u8)));
        let me = BLOCK.with(|b| b as *const ThreadBlock as usize);
        let reg = registry();
        let mut cur = reg.head as *const ThreadBlock;
        let mut found = false;
        // SAFETY: walked under the lock, as `sum_process` does.
        while let Some(b) = unsafe { cur.as_ref() } {
            found |= cur as usize == me;
            cur = b.next();
        }
        drop(reg);
        (found, BLOCK.with(|b| b.flags.load(Relaxed)))
    })
    .join()
    .unwrap();
    assert!(linked_while_running);
    assert_eq!(
        flags_while_running & (UNREGISTERED | REGISTERING | EXITED),
        0
    );
}
