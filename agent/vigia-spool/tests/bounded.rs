//! Bounded size: the oldest records are dropped to make room, and counted.

mod common;

use vigia_spool::{Depth, Spool, SpoolError, SpoolOptions};

fn small() -> SpoolOptions {
    SpoolOptions {
        max_bytes: 100,
        ..common::options()
    }
}

#[test]
fn oldest_records_are_dropped_to_fit_max_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let spool = common::open(dir.path(), small());
    let mut seqs = Vec::new();
    for i in 0..5u8 {
        seqs.extend(spool.append(vec![vec![i; 30]]).wait().unwrap());
    }
    // 5 x 30 bytes into 100: the two oldest went.
    assert_eq!(spool.counters().dropped_oldest, 2);
    assert_eq!(
        spool.depth(),
        Depth {
            records: 3,
            bytes: 90
        }
    );
    let left = spool.read_from(0, common::ALL).unwrap();
    let left_seqs: Vec<u64> = left.iter().map(|r| r.seq).collect();
    assert_eq!(left_seqs, seqs[2..]);
    assert_eq!(left[0].payload, vec![2u8; 30]);
}

#[test]
fn a_batch_that_can_never_fit_is_refused_and_nothing_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let spool = common::open(dir.path(), small());
    spool.append(vec![vec![1; 60]]).wait().unwrap();
    let err = spool
        .append(vec![vec![2; 60], vec![3; 60]])
        .wait()
        .unwrap_err();
    assert!(
        matches!(
            err,
            SpoolError::TooLarge {
                bytes: 120,
                max_bytes: 100
            }
        ),
        "{err:?}"
    );
    assert_eq!(spool.counters().dropped_oldest, 0);
    assert_eq!(
        spool.depth(),
        Depth {
            records: 1,
            bytes: 60
        }
    );
    // The spool keeps working after the refusal.
    spool.append(vec![vec![4; 10]]).wait().unwrap();
    assert_eq!(spool.depth().records, 2);
}

#[test]
fn concurrent_appenders_are_group_committed_with_unique_ordered_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let options = SpoolOptions {
        max_delay: std::time::Duration::from_millis(20),
        ..common::options()
    };
    let spool = common::open(dir.path(), options);
    let threads = 16;
    let per_thread = 20;
    let results: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let spool = &spool;
                scope.spawn(move || {
                    (0..per_thread)
                        .map(|i| {
                            let payload = format!("{t}-{i}").into_bytes();
                            spool.append(vec![payload]).wait().unwrap()[0]
                        })
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<u64> = results.iter().flatten().copied().collect();
    for seqs in &results {
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "per-thread order {seqs:?}"
        );
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), threads * per_thread);
    let records = spool.read_from(0, common::ALL).unwrap();
    assert_eq!(records.len(), threads * per_thread);
    let commits = spool.counters().commits;
    // 320 appends from 16 threads with a 20 ms window cannot need one commit each.
    assert!(
        commits < (threads * per_thread) as u64 / 2,
        "commits {commits}"
    );
}
