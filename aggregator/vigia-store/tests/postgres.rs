//! The PostgreSQL store against a real server (a private throwaway cluster, or
//! `VIGIA_TEST_DATABASE_URL`; see `support/pg.rs`), one new database per test: the behaviour
//! suite every backend passes (`suite/`), then what is PostgreSQL's own: group commit, durability
//! settings, migrations and connection errors.

#[macro_use]
mod suite;
#[path = "support/pg.rs"]
mod pg;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx_core::connection::Connection;
use sqlx_core::executor::Executor;
use sqlx_postgres::PgConnection;
use suite::{Backend, agent, batches};
use vigia_store::{IngestStore, PgOptions, PgStore, Store, StoreError};

/// A store on its own new database; reopening connects to the same database.
struct Postgres {
    url: String,
}

#[async_trait]
impl Backend for Postgres {
    async fn open(&self) -> Arc<dyn Store> {
        Arc::new(connect(&self.url).await)
    }
}

async fn connect(url: &str) -> PgStore {
    let options = PgOptions {
        pool_size: 4,
        ..PgOptions::default()
    };
    PgStore::connect(url, options)
        .await
        .unwrap_or_else(|error| panic!("connect: {error:#}"))
}

async fn postgres() -> Postgres {
    Postgres {
        url: pg::fresh_database().await,
    }
}

behaviour_suite!(postgres().await);

/// Rough throughput figure for the ADR: `cargo test -p vigia-store --release --test postgres --
/// --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn throughput_of_8_committers_of_100_batch_commits() {
    let backend = postgres().await;
    let rate = suite::throughput(&backend, 8, 50, 100).await;
    println!("postgres: {rate:.0} batches/s (8 committers x 100-batch commits, 1 KiB payloads)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_are_grouped_durable_and_counted() {
    const TASKS: u64 = 8;
    const CALLS: u64 = 30;
    let store = Arc::new(connect(&pg::fresh_database().await).await);
    assert_eq!(store.synchronous_commit().await.expect("setting"), "on");
    assert_eq!(store.schema_version().await.expect("version"), 4);
    let tasks: Vec<_> = (0..TASKS)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let who = agent(&format!("tower-{n}"));
                for call in 0..CALLS {
                    let committed = store
                        .commit(&who, 1, batches([2 * call + 1, 2 * call + 2]))
                        .await
                        .expect("commit");
                    assert_eq!(committed.up_to, 2 * call + 2);
                }
                // One resend, counted as duplicates.
                store.commit(&who, 1, batches([1])).await.expect("resend");
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("committer");
    }
    let stats = store.stats();
    assert_eq!(stats.commit_calls, TASKS * (CALLS + 1));
    assert_eq!(stats.batches_inserted, TASKS * CALLS * 2);
    assert_eq!(stats.duplicates, TASKS);
    assert_eq!(stats.failed_transactions, 0);
    assert!(
        stats.transactions < stats.commit_calls,
        "expected group commit: {} transactions for {} calls",
        stats.transactions,
        stats.commit_calls
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synchronous_commit_is_on_even_when_the_database_default_is_off() {
    let url = pg::fresh_database().await;
    let mut admin = PgConnection::connect(&url).await.expect("connect");
    let database: String = sqlx_core::query_scalar::query_scalar("SELECT current_database()")
        .fetch_one(&mut admin)
        .await
        .expect("database name");
    admin
        .execute(format!("ALTER DATABASE {database} SET synchronous_commit = off").as_str())
        .await
        .expect("alter database");
    admin.close().await.ok();
    let store = connect(&url).await;
    assert_eq!(store.synchronous_commit().await.expect("setting"), "on");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_again_does_not_reapply_migrations() {
    let url = pg::fresh_database().await;
    connect(&url).await.close().await;
    let (a, b) = (connect(&url).await, connect(&url).await);
    // Two stores on one database see each other's commits.
    let tower = agent("tower-1");
    a.commit(&tower, 1, batches([1, 2]))
        .await
        .expect("commit a");
    let from_b = b
        .commit(&tower, 1, batches([2, 3]))
        .await
        .expect("commit b");
    assert_eq!(
        (from_b.inserted, from_b.duplicates, from_b.up_to),
        (vec![3], vec![2], 3)
    );
    let mut raw = PgConnection::connect(&url).await.expect("connect");
    let applied: i64 =
        sqlx_core::query_scalar::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&mut raw)
            .await
            .expect("count");
    assert_eq!(applied, 4);
    raw.close().await.ok();
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_a_newer_release_is_refused() {
    let url = pg::fresh_database().await;
    connect(&url).await.close().await;
    let mut raw = PgConnection::connect(&url).await.expect("connect");
    raw.execute(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'future', TRUE, '\\x00', 0)",
    )
    .await
    .expect("pretend a newer release migrated it");
    raw.close().await.ok();
    let error = PgStore::connect(&url, PgOptions::default())
        .await
        .expect_err("refused");
    assert!(
        matches!(
            error,
            StoreError::PgSchemaTooNew {
                found: 99,
                supported: 4
            }
        ),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_a_clear_error_without_the_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket_dir = dir.path().display().to_string();
    let url = format!("postgres://vigia:s3cret@localhost/vigia?host={socket_dir}");
    let options = PgOptions {
        acquire_timeout: Duration::from_secs(2),
        ..PgOptions::default()
    };
    let error = PgStore::connect(&url, options)
        .await
        .expect_err("nothing listens there");
    assert!(matches!(error, StoreError::PgConnect { .. }), "{error}");
    let message = format!("{error:#}");
    assert!(message.contains(&socket_dir), "{message}");
    assert!(!message.contains("s3cret"), "{message}");

    let error = PgStore::connect("postgres://[::1", PgOptions::default())
        .await
        .expect_err("not a url");
    assert!(matches!(error, StoreError::PgUrl(_)), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_private_cluster_listens_only_on_its_socket_with_fsync_on() {
    let url = pg::fresh_database().await;
    let mut raw = PgConnection::connect(&url).await.expect("connect");
    let fsync: String = sqlx_core::query_scalar::query_scalar("SHOW fsync")
        .fetch_one(&mut raw)
        .await
        .expect("fsync");
    assert_eq!(fsync, "on");
    if let Some(dir) = pg::private_socket_dir().await {
        let listen: String = sqlx_core::query_scalar::query_scalar("SHOW listen_addresses")
            .fetch_one(&mut raw)
            .await
            .expect("listen_addresses");
        assert_eq!(listen, "");
        assert!(
            dir.join(".s.PGSQL.5432").exists(),
            "socket in {}",
            dir.display()
        );
    }
    raw.close().await.ok();
}
