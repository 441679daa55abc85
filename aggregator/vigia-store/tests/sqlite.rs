//! The SQLite store against real files in a temporary directory: idempotent commits, durability
//! across reopen, the watermark with gaps, group commit from many threads, and migrations.

use std::collections::BTreeSet;
use std::sync::Arc;

use rusqlite::Connection;
use vigia_store::{ACKED_ABOVE_LIMIT, AgentId, Batch, IngestStore, SqliteStore, StoreError};

fn agent(id: &str) -> AgentId {
    AgentId::new(id).expect("valid agent id")
}

fn batch(seq: u64) -> Batch {
    Batch {
        seq,
        payload: format!("payload of batch {seq}").into_bytes(),
        live: seq.is_multiple_of(2),
    }
}

fn batches(seqs: impl IntoIterator<Item = u64>) -> Vec<Batch> {
    seqs.into_iter().map(batch).collect()
}

#[tokio::test]
async fn a_resent_batch_is_reported_as_duplicate_and_stored_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let tower = agent("tower-1");

    let first = store
        .commit(&tower, 7, batches([1, 2]))
        .await
        .expect("commit");
    assert_eq!((first.inserted, first.duplicates), (vec![1, 2], vec![]));
    assert_eq!(first.up_to, 2);

    // 2 again (resent after a lost ack), 3 new, and 3 twice in the same call.
    let mut resend = batches([2, 3]);
    resend.push(Batch {
        payload: b"a different payload for 3".to_vec(),
        ..batch(3)
    });
    let second = store.commit(&tower, 7, resend).await.expect("commit");
    assert_eq!(second.inserted, vec![3]);
    assert_eq!(second.duplicates, vec![2, 3]);
    assert_eq!(second.up_to, 3);

    assert_eq!(store.batch_count(&tower).await.expect("count"), 3);
    let stored = store.batches(&tower, 7).await.expect("read back");
    let seqs: Vec<u64> = stored.iter().map(|b| b.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    // The first copy wins; a duplicate never overwrites.
    assert_eq!(stored[2].payload, batch(3).payload);
    assert_eq!(stored[1].live, batch(2).live);
    assert!(stored.iter().all(|b| b.epoch == 7 && b.received_at_ms > 0));
    let stats = store.stats();
    assert_eq!((stats.batches_inserted, stats.duplicates), (3, 2));
}

#[tokio::test]
async fn the_same_sequence_in_another_epoch_or_agent_is_a_different_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let (a, b) = (agent("tower-a"), agent("tower-b"));
    for (who, epoch) in [(&a, 1), (&a, 2), (&b, 1)] {
        let committed = store
            .commit(who, epoch, batches([1]))
            .await
            .expect("commit");
        assert_eq!(committed.inserted, vec![1], "{who} epoch {epoch}");
    }
    assert_eq!(store.batch_count(&a).await.expect("count"), 2);
    assert_eq!(store.batch_count(&b).await.expect("count"), 1);
    // An epoch above i64::MAX is stored bit for bit and found again.
    let huge = u64::MAX - 3;
    store
        .commit(&b, huge, batches([1, 2]))
        .await
        .expect("commit");
    assert_eq!(store.acked(&b, huge).await.expect("acked").up_to, 2);
    assert_eq!(store.batches(&b, huge).await.expect("read").len(), 2);
}

#[tokio::test]
async fn committed_batches_survive_reopening_with_wal_and_full_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tower = agent("tower-1");
    {
        let store = SqliteStore::open(dir.path()).expect("open");
        let (mode, synchronous) = store.durability().expect("pragmas");
        assert_eq!(mode, "wal");
        assert_eq!(synchronous, 2, "synchronous=FULL");
        store
            .commit(&tower, 3, batches([1, 2, 4]))
            .await
            .expect("commit");
    }
    // A different process would see the same: open the file with plain SQLite, no store code.
    let path = dir.path().join(SqliteStore::FILE_NAME);
    let raw = Connection::open(&path).expect("open raw");
    let rows: i64 = raw
        .query_row("SELECT COUNT(*) FROM result_batch", [], |row| row.get(0))
        .expect("count rows");
    assert_eq!(rows, 3);
    drop(raw);

    let store = SqliteStore::open(dir.path()).expect("reopen");
    let acked = store.acked(&tower, 3).await.expect("acked");
    assert_eq!((acked.up_to, acked.above), (2, vec![4]));
    let committed = store
        .commit(&tower, 3, batches([3, 4]))
        .await
        .expect("commit");
    assert_eq!(
        (committed.inserted, committed.duplicates),
        (vec![3], vec![4])
    );
    assert_eq!(committed.up_to, 4);
    assert_eq!(store.schema_version().expect("version"), 1);
}

#[tokio::test]
async fn the_watermark_stops_at_the_first_gap_and_lists_what_is_above() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let tower = agent("tower-1");

    let empty = store.acked(&tower, 1).await.expect("acked");
    assert_eq!((empty.up_to, empty.above.len()), (0, 0));

    // Live batches first (high sequences), then the backlog fills the gaps.
    let live = store
        .commit(&tower, 1, batches([9, 10]))
        .await
        .expect("commit");
    assert_eq!((live.up_to, live.above_watermark()), (0, vec![9, 10]));
    let some = store
        .commit(&tower, 1, batches([1, 2, 5]))
        .await
        .expect("commit");
    assert_eq!((some.up_to, some.above_watermark()), (2, vec![5]));
    let acked = store.acked(&tower, 1).await.expect("acked");
    assert_eq!((acked.up_to, acked.above), (2, vec![5, 9, 10]));

    let fill = store
        .commit(&tower, 1, batches([4, 3, 6, 7, 8]))
        .await
        .expect("commit");
    assert_eq!((fill.up_to, fill.above_watermark()), (10, vec![]));
    let acked = store.acked(&tower, 1).await.expect("acked");
    assert_eq!((acked.up_to, acked.above), (10, vec![]));
}

#[tokio::test]
async fn the_watermark_matches_a_plain_set_model_over_random_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let tower = agent("tower-1");
    let mut model = BTreeSet::new();
    let mut x: u64 = 0x5eed;
    for _ in 0..150 {
        let mut call = Vec::new();
        for _ in 0..(1 + x % 5) {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            call.push(1 + (x >> 33) % 200);
        }
        let committed = store
            .commit(&tower, 1, batches(call.iter().copied()))
            .await
            .expect("commit");
        let mut new_in_call = BTreeSet::new();
        for seq in &call {
            let fresh = !model.contains(seq) && new_in_call.insert(*seq);
            assert_eq!(committed.inserted.contains(seq), fresh, "seq {seq}");
        }
        model.extend(call);
        let contiguous = (1..).take_while(|s| model.contains(s)).count() as u64;
        assert_eq!(committed.up_to, contiguous);
        let acked = store.acked(&tower, 1).await.expect("acked");
        let above: Vec<u64> = model.range(contiguous + 1..).copied().collect();
        assert_eq!((acked.up_to, acked.above), (contiguous, above));
    }
    assert_eq!(
        store.batch_count(&tower).await.expect("count"),
        model.len() as u64
    );
}

#[tokio::test]
async fn acked_lists_at_most_the_limit_above_the_watermark() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let tower = agent("tower-1");
    let above = ACKED_ABOVE_LIMIT as u64 + 10;
    store
        .commit(&tower, 1, batches(2..=above + 1))
        .await
        .expect("commit");
    let acked = store.acked(&tower, 1).await.expect("acked");
    assert_eq!(acked.up_to, 0);
    assert_eq!(acked.above.len(), ACKED_ABOVE_LIMIT);
    assert_eq!(acked.above.first(), Some(&2));
}

#[tokio::test]
async fn sequences_outside_the_stored_range_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let tower = agent("tower-1");
    for bad in [0, i64::MAX as u64 + 1] {
        let error = store
            .commit(&tower, 1, vec![batch(1), batch(bad)])
            .await
            .expect_err("refused");
        assert!(
            matches!(error, StoreError::InvalidSequence { seq, .. } if seq == bad),
            "{error}"
        );
    }
    assert_eq!(store.batch_count(&tower).await.expect("count"), 0);
}

#[test]
fn commits_from_many_threads_are_grouped_into_fewer_transactions() {
    const THREADS: u64 = 8;
    const CALLS: u64 = 60;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(dir.path()).expect("open"));
    let workers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("runtime");
                let tower = agent(&format!("tower-{thread}"));
                runtime.block_on(async {
                    for call in 0..CALLS {
                        let seqs = [2 * call + 1, 2 * call + 2];
                        let committed = store
                            .commit(&tower, 1, batches(seqs))
                            .await
                            .expect("commit");
                        assert_eq!(committed.up_to, 2 * call + 2);
                    }
                });
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker thread");
    }
    let stats = store.stats();
    assert_eq!(stats.commit_calls, THREADS * CALLS);
    assert_eq!(stats.batches_inserted, THREADS * CALLS * 2);
    assert!(
        stats.transactions < stats.commit_calls,
        "expected group commit: {} transactions for {} calls",
        stats.transactions,
        stats.commit_calls
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    for thread in 0..THREADS {
        let tower = agent(&format!("tower-{thread}"));
        let count = runtime.block_on(store.batch_count(&tower)).expect("count");
        assert_eq!(count, CALLS * 2, "{tower}");
    }
}

#[test]
fn a_database_from_a_newer_release_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(SqliteStore::open(dir.path()).expect("create"));
    let raw = Connection::open(dir.path().join(SqliteStore::FILE_NAME)).expect("open raw");
    raw.execute(
        "INSERT INTO schema_version (version, name, applied_at_ms) VALUES (99, 'future', 0)",
        [],
    )
    .expect("pretend a newer release migrated it");
    drop(raw);
    let error = SqliteStore::open(dir.path()).expect_err("refused");
    assert!(
        matches!(
            error,
            StoreError::SchemaTooNew {
                found: 99,
                supported: 1,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn reopening_does_not_reapply_migrations() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(SqliteStore::open(dir.path()).expect("create"));
    drop(SqliteStore::open(dir.path()).expect("reopen"));
    let raw = Connection::open(dir.path().join(SqliteStore::FILE_NAME)).expect("open raw");
    let applied: i64 = raw
        .query_row("SELECT COUNT(*) FROM schema_version", [], |row| row.get(0))
        .expect("count");
    assert_eq!(applied, 1);
}

#[test]
fn an_unusable_data_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    let error = SqliteStore::open(&file).expect_err("refused");
    assert!(matches!(error, StoreError::DataDir { .. }), "{error}");
    assert!(error.to_string().contains("not-a-dir"), "{error}");
}
