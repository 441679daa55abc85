//! The SQLite store against real files in a temporary directory: the behaviour suite every backend
//! passes (`suite/`), then what is SQLite's own: WAL and full sync, group commit from many
//! threads, and migrations.

#[macro_use]
mod suite;

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::Connection;
use suite::{Backend, agent, batches};
use vigia_store::{IngestStore, SqliteStore, Store, StoreError};

/// A store in its own temporary directory; reopening opens the same file.
struct Sqlite {
    dir: tempfile::TempDir,
}

#[async_trait]
impl Backend for Sqlite {
    async fn open(&self) -> Arc<dyn Store> {
        Arc::new(SqliteStore::open(self.dir.path()).expect("open sqlite store"))
    }
}

fn sqlite() -> Sqlite {
    Sqlite {
        dir: tempfile::tempdir().expect("tempdir"),
    }
}

behaviour_suite!(sqlite());

/// Rough throughput figure for the ADR: `cargo test -p vigia-store --release --test sqlite --
/// --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn throughput_of_8_committers_of_100_batch_commits() {
    let backend = sqlite();
    let rate = suite::throughput(&backend, 8, 50, 100).await;
    println!("sqlite: {rate:.0} batches/s (8 committers x 100-batch commits, 1 KiB payloads)");
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
    assert_eq!(store.schema_version().expect("version"), 4);
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
                supported: 4,
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
    assert_eq!(applied, 4);
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
