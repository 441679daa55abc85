//! Waiting for durable records: `durable_next` and `subscribe` follow the group commits, and
//! `ack_each` deletes exactly what it names.

mod common;

use std::time::Duration;

use vigia_spool::{Depth, Spool};

#[test]
fn durable_next_follows_commits_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool");
    let spool = common::open(&path, common::options());
    assert_eq!(spool.durable_next(), 1);
    let mut rx = spool.subscribe();
    assert_eq!(*rx.borrow_and_update(), 1);

    let seqs = spool
        .append(vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()])
        .wait()
        .unwrap();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(spool.durable_next(), 4);
    assert!(rx.has_changed().unwrap(), "the commit notified subscribers");
    assert_eq!(*rx.borrow_and_update(), 4);
    // Everything below the mark is readable, nothing at or above it.
    assert_eq!(spool.read_from(1, common::ALL).unwrap().len(), 3);
    assert!(spool.read_from(4, common::ALL).unwrap().is_empty());

    drop(rx);
    drop(spool);
    let spool = common::open(&path, common::options());
    assert_eq!(spool.durable_next(), 4);
    assert_eq!(*spool.subscribe().borrow(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_wakes_when_an_append_becomes_durable() {
    let dir = tempfile::tempdir().unwrap();
    let spool = std::sync::Arc::new(common::open(dir.path(), common::options()));
    let mut rx = spool.subscribe();
    let waiter =
        tokio::spawn(async move { *rx.wait_for(|next| *next > 2).await.expect("spool alive") });
    let appender = std::sync::Arc::clone(&spool);
    let seqs = tokio::task::spawn_blocking(move || {
        appender.append(vec![b"x".to_vec()]).wait().unwrap();
        appender.append(vec![b"y".to_vec()]).wait().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(seqs, [2]);
    let mark = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("subscriber woke up")
        .unwrap();
    assert_eq!(mark, 3);
    // Whatever the waiter saw is readable now.
    let read = spool.read_from(0, common::ALL).unwrap();
    assert_eq!(read.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn ack_each_deletes_exactly_the_named_records() {
    let dir = tempfile::tempdir().unwrap();
    let spool = common::open(dir.path(), common::options());
    let payloads: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 10]).collect();
    assert_eq!(spool.append(payloads).wait().unwrap(), [1, 2, 3, 4, 5, 6]);

    // Out of order, one repeated, one that never existed.
    assert_eq!(spool.ack_each(&[5, 2, 5, 99]).unwrap(), 2);
    assert_eq!(
        spool.depth(),
        Depth {
            records: 4,
            bytes: 40
        }
    );
    let left: Vec<u64> = spool
        .read_from(0, common::ALL)
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(left, [1, 3, 4, 6]);
    // A cumulative ack over the gap counts only what was still there.
    assert_eq!(spool.ack(4).unwrap(), 3);
    assert_eq!(spool.ack_each(&[]).unwrap(), 0);
    assert_eq!(spool.depth().records, 1);
}
