use super::*;

fn record(id: u64) -> PairRecord {
    PairRecord {
        pair_id: id,
        attacks: [id as u32, id as u32 + 1],
        overall_avg: 3.25 + id as f32,
        profile_avg: [3.0, 3.5],
        scenario_avg: [5.0, 3.0, 2.5, 2.5],
        usage_by_profile: [[3, 4], [4, 5]],
        usage_by_scenario: [[1, 2], [2, 2], [2, 2], [2, 3]],
        synergy: 68.9,
    }
}

fn write(path: &Path, n: u64) {
    let mut w = ShardWriter::create(path, n).unwrap();
    for i in 0..n {
        w.write(&record(i)).unwrap();
    }
    w.finish().unwrap();
}

fn read_all(path: &Path) -> Result<Vec<PairRecord>, ShardError> {
    let mut r = ShardReader::open(path)?;
    let mut buf = vec![0u8; RECORD_SIZE * 7];
    let mut out = Vec::new();
    while let Some(rec) = r.next(path, &mut buf)? {
        out.push(rec);
    }
    Ok(out)
}

#[test]
fn records_round_trip_in_100_bytes() {
    let r = record(42);
    assert_eq!(PairRecord::decode(&r.encode()), Some(r));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.bin");
    write(&p, 20);
    assert_eq!(
        std::fs::metadata(&p).unwrap().len(),
        (32 + 20 * RECORD_SIZE) as u64
    );
    assert_eq!(
        read_all(&p).unwrap(),
        (0..20).map(record).collect::<Vec<_>>()
    );
}

#[test]
fn every_corruption_names_the_file_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("shard_07.bin");
    write(&p, 10);
    let good = std::fs::read(&p).unwrap();

    std::fs::write(&p, &good[..32 + 4 * RECORD_SIZE + 17]).unwrap();
    let e = read_all(&p).unwrap_err().to_string();
    assert!(
        e.contains("shard_07.bin: truncated") && e.contains("ends in record 4"),
        "{e}"
    );

    let mut bad = good.clone();
    bad[32 + 6 * RECORD_SIZE + 3] ^= 0x40;
    std::fs::write(&p, &bad).unwrap();
    let e = read_all(&p).unwrap_err().to_string();
    assert_eq!(e, format!("{}: record 6: checksum mismatch", p.display()));

    let mut bad = good.clone();
    bad[0] = b'X';
    std::fs::write(&p, &bad).unwrap();
    assert!(read_all(&p)
        .unwrap_err()
        .to_string()
        .contains("not a pair shard (bad magic)"));

    let mut bad = good.clone();
    bad[8] = 1; // a shard of the 60-byte format
    std::fs::write(&p, &bad).unwrap();
    let e = read_all(&p).unwrap_err().to_string();
    assert!(
        e.contains("shard format version 1; this reducer reads version 2: write the shards again"),
        "{e}"
    );

    let mut longer = good.clone();
    longer.extend_from_slice(&good[32..32 + RECORD_SIZE]);
    std::fs::write(&p, &longer).unwrap();
    let e = read_all(&p).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}: bytes after the 10 records the header promises",
            p.display()
        )),
        "{e}"
    );
    let mut one_byte = good.clone();
    one_byte.push(0);
    std::fs::write(&p, &one_byte).unwrap();
    assert!(read_all(&p)
        .unwrap_err()
        .to_string()
        .contains("bytes after"));

    // A directory with someone's attacks.tsv: refused before any shard
    // is written.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("attacks.tsv"), "mine").unwrap();
    let e = generate_synthetic(other.path(), 10, 2, 1).unwrap_err();
    assert!(e.to_string().contains("attacks.tsv exists"), "{e}");
    assert_eq!(std::fs::read_dir(other.path()).unwrap().count(), 1);

    // A header (checksum right) that promises far more records than the
    // file holds: refused on opening, before anything is sized by it.
    for count in [1u64 << 40, u64::MAX / 100, u64::MAX] {
        let mut huge = header(count).to_vec();
        huge.extend_from_slice(&good[32..32 + RECORD_SIZE]);
        std::fs::write(&p, &huge).unwrap();
        let e = ShardReader::open(&p).err().expect("refused").to_string();
        assert_eq!(
            e,
            format!(
                "{}: truncated: the header promises {count} records, the file ends in record 1",
                p.display()
            )
        );
    }

    let mut bad = good;
    bad[17] ^= 1; // the count, without fixing the header checksum
    std::fs::write(&p, &bad).unwrap();
    assert!(read_all(&p)
        .unwrap_err()
        .to_string()
        .contains("header checksum mismatch"));
}
