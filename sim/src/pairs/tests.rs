use super::*;
use crate::combat::arena::{Arena, LeanArena};
use crate::combat::data::{lim, AttackType};
use crate::combat::{Attack, Character};
use crate::pairs::shards::ShardReader;
use crate::rng::Rng;
use crate::Variant;

fn small() -> Config {
    Config {
        stride: 60,
        sample_percent: 0.05,
        shards: 3,
        ..Config::original()
    }
}

#[test]
fn sampling_takes_the_originals_count_of_distinct_later_partners() {
    let pairs = sample_pairs(1000, 0.005, 42);
    // Later attacks 999 … 1: max(1, ⌊0.005 n⌋) each.
    let expected: usize = (1..1000)
        .map(|later| ((later as f64 * 0.005) as usize).max(1))
        .sum();
    assert_eq!(pairs.len(), expected);
    for w in pairs.windows(2) {
        assert!(w[0] < w[1], "ordered and distinct: {w:?}");
    }
    assert!(pairs.iter().all(|&(a, b)| a < b && b < 1000));
}

#[test]
fn pruning_keeps_the_best_fifth_of_every_enhancement() {
    use crate::combat::data::UPGRADES;
    let attacks: Vec<Attack> = (0..10)
        .map(|i| Attack::new(AttackType::Ranged, &[i % 2], &[]))
        .chain([Attack::basic(AttackType::Ranged)])
        .collect();
    // Lower is better: attack i scores i.
    let solos: Vec<Solo> = (0..11)
        .map(|i| Solo {
            overall: i as f64,
            ..Solo::default()
        })
        .collect();
    let kept = prune(&attacks, &solos, 0.2);
    // Five with upgrade 0 (0,2,4,6,8) keep one; five with 1 keep one;
    // the bare attack has no enhancement and is never kept.
    assert_eq!(kept, vec![0, 1]);
    assert_eq!(UPGRADES[0].name, "power_attack");
}

#[test]
fn stage2_never_lets_a_charge_up_attack_through() {
    let charger = Attack::new(AttackType::DirectDamage, &[], &[lim::CHARGE_UP]);
    let t = Traits::of(&charger);
    let mut arena = LeanArena::default();
    let (turns, usage) = play_pair(
        &mut arena,
        &mut Rng::new(1),
        [
            &Character::new([2, 2, 2, 2, 4]),
            &Character::new(PROFILES[0].stats),
        ],
        0,
        [&charger, &charger],
        [&t, &t],
        &[100],
        25,
    );
    assert_eq!((turns, usage), (25, [25, 0]));
    assert_eq!(arena.enemy(0).hp, 100);
}

#[test]
fn a_pair_always_takes_the_higher_score_ties_to_the_first() {
    let area = Attack::basic(AttackType::DirectAreaDamage);
    let single = Attack::basic(AttackType::DirectDamage);
    let (ta, ts) = (Traits::of(&area), Traits::of(&single));
    // Five or more alive: area scores 100, single −50.
    assert!(ta.score(7, 10.0, 0, 0) > ts.score(7, 10.0, 0, 0));
    // One alive: single 50, area −30.
    assert!(ts.score(1, 100.0, 0, 1) > ta.score(1, 100.0, 0, 1));
    let mut arena = LeanArena::default();
    let me = Character::new([2, 2, 2, 2, 4]);
    let (_, usage) = play_pair(
        &mut arena,
        &mut Rng::new(1),
        [&me, &Character::new(PROFILES[1].stats)],
        1,
        [&single, &single],
        [&ts, &ts],
        &[100],
        25,
    );
    assert_eq!(usage[1], 0, "ties go to the first attack");
}

#[test]
fn pairs_stream_to_shards_that_read_back_alike_in_both_variants() {
    let dir = tempfile::tempdir().unwrap();
    let pruned = stage1(&small(), 2);
    assert!(!pruned.attacks.is_empty());
    let mut records = Vec::new();
    for variant in [Variant::Lean, Variant::Naive] {
        let out = dir.path().join(variant.name());
        let mut p = Pairing::new(Config { variant, ..small() }, pruned.clone(), &out).unwrap();
        while p.step(7).unwrap() > 0 {}
        let planned = p.planned();
        let paths = p.finish().unwrap();
        assert_eq!(paths.len(), 3);
        let mut got = Vec::new();
        for path in &paths {
            let mut r = ShardReader::open(path).unwrap();
            let mut buf = vec![0u8; crate::pairs::shards::RECORD_SIZE];
            while let Some(rec) = r.next(path, &mut buf).unwrap() {
                got.push(rec);
            }
        }
        assert_eq!(got.len(), planned);
        for (i, r) in got.iter().enumerate() {
            assert_eq!(r.pair_id, i as u64);
            assert!(r.overall_avg >= 1.0 && r.overall_avg <= 25.0, "{r:?}");
            assert!(r.usage()[0] + r.usage()[1] > 0);
        }
        assert!(out.join("attacks.tsv").exists());
        records.push(got);
    }
    assert_eq!(records[0], records[1]);
}

#[test]
fn pairing_refuses_a_directory_with_shards() {
    let dir = tempfile::tempdir().unwrap();
    let pruned = stage1(&small(), 1);
    let p = Pairing::new(small(), pruned.clone(), dir.path()).unwrap();
    drop(p);
    let err = Pairing::new(small(), pruned, dir.path()).err().unwrap();
    assert!(err.to_string().contains("empty directory"), "{err}");
}
