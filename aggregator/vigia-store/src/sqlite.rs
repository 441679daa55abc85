//! The embedded backend: SQLite in WAL mode with `synchronous=FULL`, one writer thread doing group
//! commit (and every other write), and one read connection for reads.

mod api_keys;
mod events;
mod maintenance;
mod migrate;
mod outbox;
mod read;
mod state;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::events::{Delivery, SqlEvent, SqlFilter, SqlMaintenance, SqlNotice, lookup_id};
use crate::group::CommitRequest;
use crate::int::{ReceivedClock, to_sql_cutoff, to_sql_ms, unix_ms};
use crate::stats::{Counters, StoreStats};
use crate::{
    Acked, AgentId, ApiKeyRow, ApiKeyStore, Batch, Committed, EdgeRow, EntityRow, EventFilter,
    EventRow, EventStore, IngestStore, MaintenanceRow, NoticeRow, Pruned, ReceivedBatch,
    ReceivedCursor, StateChange, StateStore, StoreError, StoredBatch, rows,
};
use writer::{Job, Request};

/// How long a connection waits for a lock held by the other connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Limits of one group-commit transaction and of the queue in front of the writer.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Most batches in one transaction.
    pub max_group_batches: usize,
    /// Most payload bytes in one transaction (a single larger commit call still goes through).
    pub max_group_bytes: usize,
    /// Commit calls waiting for the writer before callers wait to enqueue (backpressure).
    pub queue_depth: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            max_group_batches: 8192,
            max_group_bytes: 64 * 1024 * 1024,
            queue_depth: 4096,
        }
    }
}

/// The SQLite store. Cheap to share behind an `Arc`; dropping it stops the writer thread after the
/// transaction in progress.
pub struct SqliteStore {
    path: PathBuf,
    requests: Option<mpsc::Sender<Request>>,
    reader: Arc<Mutex<Connection>>,
    counters: Arc<Counters>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// The database file inside the data directory.
    pub const FILE_NAME: &'static str = "vigia.sqlite3";

    /// Opens (creating if needed) the store in `data_dir`, applying pending migrations.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(data_dir, SqliteOptions::default())
    }

    /// Like [`open`](Self::open), with explicit limits.
    pub fn open_with(data_dir: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let dir_error = |source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(dir_error)?;
        let path = data_dir.join(Self::FILE_NAME);
        let created = !path.exists();

        let mut conn = open_connection(&path)?;
        migrate::apply(&mut conn, &path)?;
        if created {
            // The new file's directory entry must survive power loss too.
            std::fs::File::open(data_dir)
                .and_then(|dir| dir.sync_all())
                .map_err(dir_error)?;
        }
        let clock = ReceivedClock::after(
            read::latest_received(&conn).map_err(|source| open_error(&path, source))?,
        );
        let reader = open_connection(&path)?;
        reader
            .pragma_update(None, "query_only", true)
            .map_err(|source| open_error(&path, source))?;

        let counters = Arc::new(Counters::default());
        let (requests, queue) = mpsc::channel(options.queue_depth.max(1));
        let writer = {
            let counters = Arc::clone(&counters);
            std::thread::Builder::new()
                .name("vigia-store-writer".into())
                .spawn(move || writer::run(conn, queue, &options, &counters, clock))
                .map_err(dir_error)?
        };
        tracing::info!(path = %path.display(), "store opened");
        Ok(Self {
            path,
            requests: Some(requests),
            reader: Arc::new(Mutex::new(reader)),
            counters,
            writer: Some(writer),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer's counters.
    pub fn stats(&self) -> StoreStats {
        self.counters.snapshot()
    }

    /// The durability settings in effect, as SQLite reports them: the journal mode (`"wal"`) and
    /// the `synchronous` level (2 = FULL).
    pub fn durability(&self) -> Result<(String, i64), StoreError> {
        read::durability(&self.reader.lock())
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        read::schema_version(&self.reader.lock())
    }

    /// Runs a read on the read connection, off the async runtime's threads.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || f(&reader.lock()))
            .await
            .map_err(StoreError::ReadTask)?
    }

    /// Runs a write on the writer thread, in queue order with the commits, and waits for it.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let requests = self.requests.as_ref().ok_or(StoreError::WriterStopped)?;
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            // The caller may have gone away; the write is done (or failed) regardless.
            let _ = reply.send(f(conn));
        });
        requests
            .send(Request::Job(job))
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Applies a delivery outcome to a pending notice; false when there is none with this id.
    async fn deliver(&self, id: u64, delivery: Delivery) -> Result<bool, StoreError> {
        let Some(id) = lookup_id(id) else {
            return Ok(false);
        };
        self.write(move |conn| outbox::deliver(conn, id, &delivery))
            .await
    }
}

#[async_trait]
impl IngestStore for SqliteStore {
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
            .send(Request::Commit(request))
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    async fn acked(&self, agent: &AgentId, epoch: u64) -> Result<Acked, StoreError> {
        let agent = agent.clone();
        self.read(move |conn| read::acked(conn, &agent, epoch))
            .await
    }

    async fn batch_count(&self, agent: &AgentId) -> Result<u64, StoreError> {
        let agent = agent.clone();
        self.read(move |conn| read::batch_count(conn, &agent)).await
    }

    async fn batches(&self, agent: &AgentId, epoch: u64) -> Result<Vec<StoredBatch>, StoreError> {
        let agent = agent.clone();
        self.read(move |conn| read::batches(conn, &agent, epoch))
            .await
    }

    async fn received_after(
        &self,
        cursor: &ReceivedCursor,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<ReceivedBatch>, StoreError> {
        let cursor = cursor.clone();
        self.read(move |conn| read::received_after(conn, &cursor, limit, max_bytes))
            .await
    }
}

#[async_trait]
impl StateStore for SqliteStore {
    async fn upsert_entities(&self, entities: Vec<EntityRow>) -> Result<(), StoreError> {
        let entities = rows::entities(entities)?;
        self.write(move |conn| state::upsert_entities(conn, &entities))
            .await
    }

    async fn upsert_edges(&self, edges: Vec<EdgeRow>) -> Result<(), StoreError> {
        let edges = rows::edges(edges)?;
        self.write(move |conn| state::upsert_edges(conn, &edges))
            .await
    }

    async fn delete_edges(&self, edges: Vec<(String, String, String)>) -> Result<u64, StoreError> {
        self.write(move |conn| state::delete_edges(conn, &edges))
            .await
    }

    async fn append_changes(&self, changes: Vec<StateChange>) -> Result<(), StoreError> {
        let changes = rows::changes(changes)?;
        self.write(move |conn| state::append_changes(conn, &changes))
            .await
    }

    async fn load_entities(&self) -> Result<Vec<EntityRow>, StoreError> {
        self.read(state::load_entities).await
    }

    async fn load_edges(&self) -> Result<Vec<EdgeRow>, StoreError> {
        self.read(state::load_edges).await
    }

    async fn latest_changes(&self) -> Result<Vec<StateChange>, StoreError> {
        self.read(state::latest_changes).await
    }

    async fn history(
        &self,
        entity_id: &str,
        since_ms: u64,
        limit: usize,
    ) -> Result<Vec<StateChange>, StoreError> {
        let since_ms = to_sql_cutoff(since_ms);
        let entity_id = entity_id.to_owned();
        self.read(move |conn| state::history(conn, &entity_id, since_ms, limit))
            .await
    }

    async fn prune(
        &self,
        history_before_ms: u64,
        batches_before_ms: u64,
    ) -> Result<Pruned, StoreError> {
        let history_before_ms = to_sql_cutoff(history_before_ms);
        let batches_before_ms = to_sql_cutoff(batches_before_ms);
        self.write(move |conn| state::prune(conn, history_before_ms, batches_before_ms))
            .await
    }
}

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn create_api_key(&self, key: ApiKeyRow) -> Result<(), StoreError> {
        let key = api_keys::SqlApiKey::new(key)?;
        self.write(move |conn| api_keys::create(conn, &key)).await
    }

    async fn api_key_by_hash(&self, hash: [u8; 32]) -> Result<Option<ApiKeyRow>, StoreError> {
        self.read(move |conn| api_keys::by_hash(conn, hash)).await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        self.read(api_keys::list).await
    }

    async fn revoke_api_key(&self, id: &str, at_ms: u64) -> Result<bool, StoreError> {
        let at_ms = to_sql_ms("revoked_at_ms", at_ms)?;
        let id = id.to_owned();
        self.write(move |conn| api_keys::revoke(conn, &id, at_ms))
            .await
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn save_events(
        &self,
        events: Vec<EventRow>,
        notices: Vec<NoticeRow>,
        checkpoint: Option<String>,
    ) -> Result<(), StoreError> {
        let events = SqlEvent::all(events)?;
        let notices = SqlNotice::all(notices)?;
        self.write(move |conn| events::save(conn, &events, &notices, checkpoint.as_deref()))
            .await
    }

    async fn correlator_checkpoint(&self) -> Result<Option<String>, StoreError> {
        self.read(events::checkpoint).await
    }

    async fn active_events(&self) -> Result<Vec<EventRow>, StoreError> {
        self.read(events::active).await
    }

    async fn event(&self, id: u64) -> Result<Option<EventRow>, StoreError> {
        let Some(id) = lookup_id(id) else {
            return Ok(None);
        };
        self.read(move |conn| events::by_id(conn, id)).await
    }

    async fn list_events(&self, filter: EventFilter) -> Result<Vec<EventRow>, StoreError> {
        let filter = SqlFilter::new(filter);
        self.read(move |conn| events::list(conn, &filter)).await
    }

    async fn max_event_id(&self) -> Result<u64, StoreError> {
        self.read(events::max_id).await
    }

    async fn prune_events(&self, resolved_before_ms: u64) -> Result<u64, StoreError> {
        let resolved_before_ms = to_sql_cutoff(resolved_before_ms);
        self.write(move |conn| events::prune(conn, resolved_before_ms))
            .await
    }

    async fn create_maintenance(&self, row: MaintenanceRow) -> Result<MaintenanceRow, StoreError> {
        let window = SqlMaintenance::new(row)?;
        self.write(move |conn| maintenance::create(conn, &window))
            .await
    }

    async fn update_maintenance(&self, row: MaintenanceRow) -> Result<bool, StoreError> {
        let window = SqlMaintenance::new(row)?;
        self.write(move |conn| maintenance::update(conn, &window))
            .await
    }

    async fn delete_maintenance(&self, id: u64) -> Result<bool, StoreError> {
        let Some(id) = lookup_id(id) else {
            return Ok(false);
        };
        self.write(move |conn| maintenance::delete(conn, id)).await
    }

    async fn maintenance(&self, id: u64) -> Result<Option<MaintenanceRow>, StoreError> {
        let Some(id) = lookup_id(id) else {
            return Ok(None);
        };
        self.read(move |conn| maintenance::by_id(conn, id)).await
    }

    async fn list_maintenance(&self) -> Result<Vec<MaintenanceRow>, StoreError> {
        self.read(maintenance::list).await
    }

    async fn due_notices(&self, now_ms: u64, limit: usize) -> Result<Vec<NoticeRow>, StoreError> {
        let now_ms = to_sql_cutoff(now_ms);
        self.read(move |conn| outbox::due(conn, now_ms, limit))
            .await
    }

    async fn next_notice_due_ms(&self) -> Result<Option<u64>, StoreError> {
        self.read(outbox::next_due).await
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
        self.read(outbox::pending_count).await
    }

    async fn notices_for_event(&self, event_id: u64) -> Result<Vec<NoticeRow>, StoreError> {
        let Some(event_id) = lookup_id(event_id) else {
            return Ok(Vec::new());
        };
        self.read(move |conn| outbox::for_event(conn, event_id))
            .await
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the queue lets the writer finish what it holds and exit.
        self.requests = None;
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            tracing::error!(path = %self.path.display(), "store writer thread panicked");
        }
    }
}

fn open_error(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Open {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens a connection with the durability settings: WAL, `synchronous=FULL` (the WAL is fsync'd
/// at every commit), and a busy timeout for the rare lock conflict between the two connections.
fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let fail = |source| open_error(path, source);
    let conn = Connection::open(path).map_err(fail)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(fail)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::NotWal {
            path: path.to_path_buf(),
            mode,
        });
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(fail)?;
    Ok(conn)
}
