//! Corruption: a bad record is a typed error the caller can quarantine; a corrupt directory
//! is moved aside and replaced by a fresh spool.

mod common;

use std::io::{Seek, SeekFrom, Write};

use vigia_spool::{SledSpool, Spool, SpoolError};

#[test]
fn a_record_corrupted_behind_the_spools_back_is_a_checksum_error_and_can_be_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool");
    let spool = common::open(&path, common::options());
    let seqs = spool
        .append(vec![
            b"first".to_vec(),
            b"second".to_vec(),
            b"third".to_vec(),
        ])
        .wait()
        .unwrap();
    drop(spool);

    // Flip the last payload byte of the middle record directly in sled: the three records
    // share one segment, "second" ends 5 + 14 + 4 bytes ("third", its envelope header and its
    // length prefix) before the end.
    {
        let db = sled::Config::new()
            .path(&path)
            .segment_size(vigia_spool::SLED_SEGMENT_SIZE)
            .open()
            .unwrap();
        let segments = db.open_tree("segments").unwrap();
        let key = seqs[0].to_be_bytes();
        let mut value = segments.get(key).unwrap().unwrap().to_vec();
        let at = value.len() - (5 + 14 + 4) - 1;
        assert_eq!(value[at], b'd');
        value[at] ^= 0xff;
        segments.insert(key, value).unwrap();
        db.flush().unwrap();
    }

    let spool = common::open(&path, common::options());
    // Reading from the start stops before the bad record.
    let first = spool.read_from(0, common::ALL).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].payload, b"first");
    // Reading at the bad record is a typed error naming it.
    let err = spool.read_from(seqs[1], common::ALL).unwrap_err();
    assert!(matches!(err, SpoolError::Checksum { .. }), "{err:?}");
    assert_eq!(err.corrupt_record(), Some(seqs[1]));
    // The caller quarantines it and carries on.
    assert!(spool.quarantine(seqs[1]).unwrap());
    assert!(!spool.quarantine(seqs[1]).unwrap());
    assert_eq!(spool.counters().quarantined, 1);
    let rest = spool.read_from(seqs[1], common::ALL).unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].payload, b"third");
    assert_eq!(spool.depth().records, 2);
}

#[test]
fn garbage_in_the_sled_files_quarantines_the_directory_and_starts_a_fresh_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool");
    let spool = common::open(&path, common::options());
    let old_epoch = spool.epoch();
    spool.append(vec![b"lost".to_vec()]).wait().unwrap();
    drop(spool);

    for name in ["conf", "db"] {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path.join(name))
            .unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.write_all(&[0xA5; 4096]).unwrap();
    }

    let (spool, report) = SledSpool::open(&path, common::options()).expect("open recovers");
    let quarantined = report.quarantined.expect("directory quarantined");
    eprintln!("quarantine cause: {:#?}", quarantined.cause);
    assert!(report.created);
    assert_ne!(spool.epoch(), old_epoch);
    assert!(quarantined.moved_to.exists());
    let name = quarantined
        .moved_to
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with("spool.quarantined-"), "{name}");
    assert_eq!(spool.depth().records, 0);
    // The fresh spool works.
    spool.append(vec![b"new".to_vec()]).wait().unwrap();
    assert_eq!(spool.read_from(0, common::ALL).unwrap()[0].payload, b"new");
}

#[test]
fn unreadable_metadata_quarantines_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool");
    drop(common::open(&path, common::options()));
    {
        let db = sled::Config::new()
            .path(&path)
            .segment_size(vigia_spool::SLED_SEGMENT_SIZE)
            .open()
            .unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("epoch", &b"xy"[..])
            .unwrap();
        db.flush().unwrap();
    }
    let (_spool, report) = SledSpool::open(&path, common::options()).unwrap();
    let quarantined = report.quarantined.expect("quarantined");
    assert!(
        matches!(quarantined.cause, SpoolError::Metadata { .. }),
        "{:?}",
        quarantined.cause
    );
}

#[test]
fn a_spool_locked_by_another_opener_is_an_error_not_a_quarantine() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool");
    let _held = common::open(&path, common::options());
    let err = SledSpool::open(&path, common::options())
        .err()
        .expect("second open fails");
    assert!(matches!(err, SpoolError::Open { .. }), "{err:?}");
    let siblings = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(siblings, 1, "nothing was moved aside");
}
