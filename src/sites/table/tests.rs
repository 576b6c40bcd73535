use super::*;

#[test]
fn stacks_beyond_the_table_are_counted_as_overflow_and_nothing_is_lost() {
    let mut table = SiteTable::with_capacity(2);
    let mut blocks = BlockSet::new();
    table.recordings = 1;
    // Three stacks, two slots: each allocates two blocks.
    for (k, size) in [8u64, 16, 32].into_iter().enumerate() {
        for base in [0x10_000, 0x20_000] {
            let op = Op::Alloc { size };
            attribute(
                &mut table,
                &mut blocks,
                op,
                base + k * 64,
                0,
                |t: &mut SiteTable| t.slot(&[0x1000 + k, 0x2000]),
            );
        }
    }
    // Frees go to the block's site, the overflow entry included; a free
    // of an unknown block to where it happens (here: the overflow).
    for (k, size) in [8u64, 16, 32].into_iter().enumerate() {
        let op = Op::Dealloc { size };
        attribute(
            &mut table,
            &mut blocks,
            op,
            0x10_000 + k * 64,
            0,
            |_: &mut SiteTable| unreachable!("a tracked block's site is known"),
        );
    }
    attribute(
        &mut table,
        &mut blocks,
        Op::Dealloc { size: 4 },
        0x99,
        0,
        |t: &mut SiteTable| t.slot(&[0x1000 + 2, 0x2000]),
    );
    let used: Vec<RawCounts> = table.sites().map(|s| s.counts).collect();
    assert_eq!(used.len(), 2);
    assert_eq!(
        (
            table.overflow.allocs,
            table.overflow.deallocs,
            table.overflow.live
        ),
        (2, 2, 32),
        "{:?}",
        table.overflow
    );
    let allocs: u64 = used.iter().map(|c| c.allocs).sum::<u64>() + table.overflow.allocs;
    let live: i64 = used.iter().map(|c| c.live).sum::<i64>() + table.overflow.live;
    let deallocs: u64 = used.iter().map(|c| c.deallocs).sum::<u64>() + table.overflow.deallocs;
    assert_eq!((allocs, deallocs, live), (6, 4, 8 + 16 + 32));
}

#[test]
fn the_tables_take_what_the_docs_say() {
    let sites = std::mem::size_of::<RawSite>() * SITE_SLOTS;
    assert_eq!(sites, 344 * 4096, "about 1.3 MiB");
    assert_eq!(
        std::mem::size_of::<[u64; 2]>() * crate::counters::block_set::BLOCK_SLOTS,
        4 << 20
    );
}
