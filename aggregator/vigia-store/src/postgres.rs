//! The server backend: PostgreSQL through sqlx, with a connection pool, one writer task doing
//! group commit of result batches, and the same schema and behaviour as the SQLite backend.

mod api_keys;
mod events;
mod maintenance;
mod migrate;
mod outbox;
mod read;
mod state;
mod writer;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use sqlx_core::pool::PoolOptions;
use sqlx_core::query_scalar::query_scalar;
use sqlx_postgres::{PgConnectOptions, PgPool, Postgres};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::events::{Delivery, SqlEvent, SqlFilter, SqlMaintenance, SqlNotice, lookup_id};
use crate::group::CommitRequest;
use crate::int::{ReceivedClock, to_sql_cutoff, to_sql_ms};
use crate::stats::{Counters, StoreStats};
use crate::{
    Acked, AgentId, ApiKeyRow, ApiKeyStore, Batch, Committed, EdgeRow, EntityRow, EventFilter,
    EventRow, EventStore, IngestStore, MaintenanceRow, NoticeRow, Pruned, ReceivedBatch,
    ReceivedCursor, StateChange, StateStore, StoreError, StoredBatch, rows,
};

/// Connection pool and group-commit limits.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Most connections to the server (the writer task uses one of them while it commits).
    pub pool_size: u32,
    /// How long an operation waits for a free connection (or for a new one to be opened) before
    /// it fails.
    pub acquire_timeout: Duration,
    /// Most batches in one transaction.
    pub max_group_batches: usize,
    /// Most payload bytes in one transaction (a single larger commit call still goes through).
    pub max_group_bytes: usize,
    /// Commit calls waiting for the writer before callers wait to enqueue (backpressure).
    pub queue_depth: usize,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            pool_size: 8,
            acquire_timeout: Duration::from_secs(10),
            max_group_batches: 8192,
            max_group_bytes: 64 * 1024 * 1024,
            queue_depth: 4096,
        }
    }
}

/// The PostgreSQL store. Cheap to share behind an `Arc`. Dropping it stops the writer task after
/// the transaction in progress; [`close`](Self::close) also waits for that and closes the pool.
pub struct PgStore {
    target: String,
    pool: PgPool,
    requests: Option<mpsc::Sender<CommitRequest>>,
    counters: Arc<Counters>,
    writer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database?...`;
    /// `?host=/path/to/dir` for a unix socket), applies pending migrations and starts the writer
    /// task on the current tokio runtime.
    ///
    /// Every connection runs with `synchronous_commit=on`, whatever the server's default, so a
    /// `commit` that returned is on the server's disk (and on synchronous standbys, if the server
    /// has any).
    pub async fn connect(url: &str, options: PgOptions) -> Result<PgStore, StoreError> {
        let connect_options = PgConnectOptions::from_str(url)
            .map_err(StoreError::PgUrl)?
            .application_name("vigia")
            .options([("synchronous_commit", "on")]);
        let target = describe(&connect_options);
        let pool = PoolOptions::<Postgres>::new()
            .max_connections(options.pool_size.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect_options)
            .await
            .map_err(|source| StoreError::PgConnect {
                target: target.clone(),
                source,
            })?;
        migrate::apply(&pool).await?;
        let clock = ReceivedClock::after(read::latest_received(&pool).await?);

        let counters = Arc::new(Counters::default());
        let (requests, queue) = mpsc::channel(options.queue_depth.max(1));
        let writer = tokio::spawn(writer::run(
            pool.clone(),
            queue,
            options,
            Arc::clone(&counters),
            clock,
        ));
        tracing::info!(%target, "store connected");
        Ok(Self {
            target,
            pool,
            requests: Some(requests),
            counters,
            writer: Some(writer),
        })
    }

    /// Where the store is connected: host (or socket directory), port and database.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The writer's counters.
    pub fn stats(&self) -> StoreStats {
        self.counters.snapshot()
    }

    /// The `synchronous_commit` setting of the store's connections (`"on"`).
    pub async fn synchronous_commit(&self) -> Result<String, StoreError> {
        query_scalar::<Postgres, String>("SHOW synchronous_commit")
            .fetch_one(&self.pool)
            .await
            .map_err(pg_error("synchronous_commit"))
    }

    /// The schema version the database is at (the latest applied migration).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        query_scalar::<Postgres, i64>(
            "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(pg_error("schema version"))
    }

    /// Stops the writer after the commits already queued, then closes every connection.
    pub async fn close(mut self) {
        self.requests = None;
        if let Some(writer) = self.writer.take()
            && writer.await.is_err()
        {
            tracing::error!(target = %self.target, "store writer task panicked");
        }
        self.pool.close().await;
    }

    /// Applies a delivery outcome to a pending notice; false when there is none with this id.
    async fn deliver(&self, id: u64, delivery: Delivery) -> Result<bool, StoreError> {
        match lookup_id(id) {
            Some(id) => outbox::deliver(&self.pool, id, &delivery).await,
            None => Ok(false),
        }
    }
}

#[async_trait]
impl IngestStore for PgStore {
    async fn commit(
        &self,
        agent: &AgentId,
        epoch: u64,
        batches: Vec<Batch>,
    ) -> Result<Committed, StoreError> {
        let (request, answer) = CommitRequest::new(agent, epoch, batches)?;
        self.counters.commit_calls.fetch_add(1, Ordering::Relaxed);
        let requests = self.requests.as_ref().ok_or(StoreError::WriterStopped)?;
        requests
            .send(request)
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    async fn acked(&self, agent: &AgentId, epoch: u64) -> Result<Acked, StoreError> {
        read::acked(&self.pool, agent, epoch).await
    }

    async fn batch_count(&self, agent: &AgentId) -> Result<u64, StoreError> {
        read::batch_count(&self.pool, agent).await
    }

    async fn batches(&self, agent: &AgentId, epoch: u64) -> Result<Vec<StoredBatch>, StoreError> {
        read::batches(&self.pool, agent, epoch).await
    }

    async fn received_after(
        &self,
        cursor: &ReceivedCursor,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<ReceivedBatch>, StoreError> {
        read::received_after(&self.pool, cursor, limit, max_bytes).await
    }
}

#[async_trait]
impl StateStore for PgStore {
    async fn upsert_entities(&self, entities: Vec<EntityRow>) -> Result<(), StoreError> {
        let entities = rows::merge_entities(rows::entities(entities)?);
        state::upsert_entities(&self.pool, &entities).await
    }

    async fn upsert_edges(&self, edges: Vec<EdgeRow>) -> Result<(), StoreError> {
        let edges = rows::merge_edges(rows::edges(edges)?);
        state::upsert_edges(&self.pool, &edges).await
    }

    async fn delete_edges(&self, edges: Vec<(String, String, String)>) -> Result<u64, StoreError> {
        state::delete_edges(&self.pool, &edges).await
    }

    async fn append_changes(&self, changes: Vec<StateChange>) -> Result<(), StoreError> {
        let changes = rows::changes(changes)?;
        state::append_changes(&self.pool, &changes).await
    }

    async fn load_entities(&self) -> Result<Vec<EntityRow>, StoreError> {
        state::load_entities(&self.pool).await
    }

    async fn load_edges(&self) -> Result<Vec<EdgeRow>, StoreError> {
        state::load_edges(&self.pool).await
    }

    async fn latest_changes(&self) -> Result<Vec<StateChange>, StoreError> {
        state::latest_changes(&self.pool).await
    }

    async fn history(
        &self,
        entity_id: &str,
        since_ms: u64,
        limit: usize,
    ) -> Result<Vec<StateChange>, StoreError> {
        state::history(&self.pool, entity_id, to_sql_cutoff(since_ms), limit).await
    }

    async fn prune(
        &self,
        history_before_ms: u64,
        batches_before_ms: u64,
    ) -> Result<Pruned, StoreError> {
        state::prune(
            &self.pool,
            to_sql_cutoff(history_before_ms),
            to_sql_cutoff(batches_before_ms),
        )
        .await
    }
}

#[async_trait]
impl ApiKeyStore for PgStore {
    async fn create_api_key(&self, key: ApiKeyRow) -> Result<(), StoreError> {
        api_keys::create(&self.pool, &key).await
    }

    async fn api_key_by_hash(&self, hash: [u8; 32]) -> Result<Option<ApiKeyRow>, StoreError> {
        api_keys::by_hash(&self.pool, hash).await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        api_keys::list(&self.pool).await
    }

    async fn revoke_api_key(&self, id: &str, at_ms: u64) -> Result<bool, StoreError> {
        api_keys::revoke(&self.pool, id, at_ms).await
    }
}

#[async_trait]
impl EventStore for PgStore {
    async fn save_events(
        &self,
        events: Vec<EventRow>,
        notices: Vec<NoticeRow>,
        checkpoint: Option<String>,
    ) -> Result<(), StoreError> {
        let events = SqlEvent::all(events)?;
        let notices = SqlNotice::all(notices)?;
        events::save(&self.pool, &events, &notices, checkpoint.as_deref()).await
    }

    async fn correlator_checkpoint(&self) -> Result<Option<String>, StoreError> {
        events::checkpoint(&self.pool).await
    }

    async fn active_events(&self) -> Result<Vec<EventRow>, StoreError> {
        events::active(&self.pool).await
    }

    async fn event(&self, id: u64) -> Result<Option<EventRow>, StoreError> {
        match lookup_id(id) {
            Some(id) => events::by_id(&self.pool, id).await,
            None => Ok(None),
        }
    }

    async fn list_events(&self, filter: EventFilter) -> Result<Vec<EventRow>, StoreError> {
        events::list(&self.pool, &SqlFilter::new(filter)).await
    }

    async fn max_event_id(&self) -> Result<u64, StoreError> {
        events::max_id(&self.pool).await
    }

    async fn prune_events(&self, resolved_before_ms: u64) -> Result<u64, StoreError> {
        events::prune(&self.pool, to_sql_cutoff(resolved_before_ms)).await
    }

    async fn create_maintenance(&self, row: MaintenanceRow) -> Result<MaintenanceRow, StoreError> {
        maintenance::create(&self.pool, &SqlMaintenance::new(row)?).await
    }

    async fn update_maintenance(&self, row: MaintenanceRow) -> Result<bool, StoreError> {
        maintenance::update(&self.pool, &SqlMaintenance::new(row)?).await
    }

    async fn delete_maintenance(&self, id: u64) -> Result<bool, StoreError> {
        match lookup_id(id) {
            Some(id) => maintenance::delete(&self.pool, id).await,
            None => Ok(false),
        }
    }

    async fn maintenance(&self, id: u64) -> Result<Option<MaintenanceRow>, StoreError> {
        match lookup_id(id) {
            Some(id) => maintenance::by_id(&self.pool, id).await,
            None => Ok(None),
        }
    }

    async fn list_maintenance(&self) -> Result<Vec<MaintenanceRow>, StoreError> {
        maintenance::list(&self.pool).await
    }

    async fn due_notices(&self, now_ms: u64, limit: usize) -> Result<Vec<NoticeRow>, StoreError> {
        outbox::due(&self.pool, to_sql_cutoff(now_ms), limit).await
    }

    async fn next_notice_due_ms(&self) -> Result<Option<u64>, StoreError> {
        outbox::next_due(&self.pool).await
    }

    async fn notice_sent(&self, id: u64, at_ms: u64) -> Result<bool, StoreError> {
        let delivery = Delivery::Sent {
            at_ms: to_sql_ms("sent_ms", at_ms)?,
        };
        self.deliver(id, delivery).await
    }

    async fn notice_retry(
        &self,
        id: u64,
        attempts: u32,
        next_attempt_ms: u64,
        error: String,
    ) -> Result<bool, StoreError> {
        let delivery = Delivery::Retry {
            attempts,
            next_attempt_ms: to_sql_ms("next_attempt_ms", next_attempt_ms)?,
            error,
        };
        self.deliver(id, delivery).await
    }

    async fn notice_failed(
        &self,
        id: u64,
        attempts: u32,
        error: String,
    ) -> Result<bool, StoreError> {
        self.deliver(id, Delivery::Failed { attempts, error }).await
    }

    async fn pending_notices(&self) -> Result<u64, StoreError> {
        outbox::pending_count(&self.pool).await
    }

    async fn notices_for_event(&self, event_id: u64) -> Result<Vec<NoticeRow>, StoreError> {
        match lookup_id(event_id) {
            Some(event_id) => outbox::for_event(&self.pool, event_id).await,
            None => Ok(Vec::new()),
        }
    }
}

fn pg_error(what: &'static str) -> impl Fn(sqlx_core::Error) -> StoreError {
    move |source| StoreError::Pg { what, source }
}

/// Host (or socket directory), port and database, for messages: never the password.
fn describe(options: &PgConnectOptions) -> String {
    let host = match options.get_socket() {
        Some(dir) => dir.display().to_string(),
        None => options.get_host().to_owned(),
    };
    let database = options.get_database().unwrap_or(options.get_username());
    format!("{host}:{} database {database}", options.get_port())
}
