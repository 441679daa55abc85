//! The aggregator's storage.
//!
//! # What this crate does
//!
//! - Three object-safe async traits, and [`Store`] which is all of them (`Arc<dyn Store>`):
//!   - [`IngestStore`]: what the ingest needs: [`commit`](IngestStore::commit) result batches
//!     durably and idempotently by `(agent, epoch, sequence)`, and tell a reconnecting agent what
//!     is held ([`acked`](IngestStore::acked)); it also reads batches back, per stream or in
//!     the order they were received ([`received_after`](IngestStore::received_after), which the
//!     live state catches up from).
//!   - [`StateStore`]: what the live state persists: entities, topology edges, state-change
//!     history, and retention ([`prune`](StateStore::prune)).
//!   - [`ApiKeyStore`]: hashed REST API keys.
//!   - [`EventStore`]: what the correlator and the notifier keep: outage events, the outbox of
//!     notices about them (delivered in order per channel, throttled updates coalesced), the
//!     correlator's checkpoint (saved atomically with the events and notices it led to), and
//!     maintenance windows.
//! - Two backends with the same behaviour, held to it by one test suite (`tests/suite/`):
//!   - [`SqliteStore`]: embedded (SQLite, WAL, `synchronous=FULL`), one writer thread that
//!     group-commits the batches of many connections in one transaction and runs every other
//!     write, one read connection. Why SQLite: `docs/adr/0007-embedded-store-sqlite.md`.
//!   - [`PgStore`]: PostgreSQL through sqlx, a connection pool, one writer task that
//!     group-commits batches with multi-row statements, `synchronous_commit=on`. Why and what
//!     differs: `docs/adr/0009-postgresql-backend.md`.
//! - Versioned migrations per backend (`migrations/sqlite/`, `migrations/postgres/`, the same
//!   schema versions), applied at open; a database from a newer release is refused.
//! - [`AgentId`]: the validated agent identity batches are keyed by.
//!
//! # What it does not do
//!
//! It does not decode payloads (they are opaque bytes: the encoded `ResultBatch` as received;
//! event, notice and maintenance bodies are opaque JSON text), make or check API keys (it stores
//! their hashes), correlate events or deliver notices (it keeps them), hold the live state in
//! memory (`vigia-state` does), decide retention periods (the caller passes cut-offs to `prune`
//! and `prune_events`), or know about gRPC and HTTP. It does not replicate: high availability on
//! PostgreSQL is the server's own replication.
//!
//! # Durability
//!
//! `commit` returns only after the transaction holding the batches is committed and durable
//! (SQLite: the WAL fsync'd; PostgreSQL: the commit record flushed, `synchronous_commit=on`). The
//! watermark (`up_to`) is advanced in that same transaction, so it never claims a batch that a
//! crash could lose. The other writes are transactions with the same durability; in particular
//! [`save_events`](EventStore::save_events) stores events, their notices and the correlator
//! checkpoint in one.
//!
//! # Integers
//!
//! Both backends store signed 64-bit integers: epochs bit for bit, sequences in `1..=i64::MAX`
//! ([`StoreError::InvalidSequence`] otherwise), times in Unix ms up to `i64::MAX`
//! ([`StoreError::OutOfRange`] otherwise).

mod agent_id;
mod api_keys;
mod error;
mod events;
mod group;
mod int;
mod postgres;
mod rows;
mod sqlite;
mod state;
mod stats;
#[cfg(feature = "testing")]
pub mod testing;

use async_trait::async_trait;

pub use agent_id::{AgentId, InvalidAgentId};
pub use api_keys::{ApiKeyRow, ApiKeyStore};
pub use error::StoreError;
pub use events::{EventFilter, EventRow, EventStore, MaintenanceRow, NoticeRow};
pub use postgres::{PgOptions, PgStore};

pub use sqlite::{SqliteOptions, SqliteStore};
pub use state::{EdgeRow, EntityRow, Pruned, StateChange, StateStore};
pub use stats::StoreStats;

/// Most sequences above the watermark that [`IngestStore::acked`] lists. Above this the agent
/// simply resends a few batches that are already stored (they are de-duplicated).
pub const ACKED_ABOVE_LIMIT: usize = 4096;

/// One result batch to commit: its sequence in the stream's epoch, the payload bytes, and whether
/// it was sent live (as opposed to replayed from the agent's backlog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Position in the epoch, `1..=i64::MAX`.
    pub seq: u64,
    /// The encoded batch, opaque to the store.
    pub payload: Vec<u8>,
    /// Sent as soon as it was produced (true) or replayed from the spool (false).
    pub live: bool,
}

/// What a [`IngestStore::commit`] call did. Every sequence it was given is now stored: either
/// inserted by this call or found already stored (a duplicate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The epoch committed to.
    pub epoch: u64,
    /// The stream's watermark after the commit: every sequence in `1..=up_to` is stored.
    pub up_to: u64,
    /// Sequences this call inserted, in the order given.
    pub inserted: Vec<u64>,
    /// Sequences that were already stored (or given twice), in the order given.
    pub duplicates: Vec<u64>,
}

impl Committed {
    /// The sequences of this commit above the watermark, ascending and without repeats: what an
    /// `Ack` lists besides `up_to`.
    pub fn above_watermark(&self) -> Vec<u64> {
        let mut above: Vec<u64> = self
            .inserted
            .iter()
            .chain(&self.duplicates)
            .copied()
            .filter(|seq| *seq > self.up_to)
            .collect();
        above.sort_unstable();
        above.dedup();
        above
    }
}

/// What the store holds for one (agent, epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acked {
    /// The epoch asked about.
    pub epoch: u64,
    /// Every sequence in `1..=up_to` is stored; 0 when sequence 1 is not.
    pub up_to: u64,
    /// Stored sequences above `up_to`, ascending, at most [`ACKED_ABOVE_LIMIT`] (the lowest ones).
    pub above: Vec<u64>,
}

/// A batch read back from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBatch {
    /// The epoch it belongs to.
    pub epoch: u64,
    /// Its sequence in the epoch.
    pub seq: u64,
    /// Whether it was sent live.
    pub live: bool,
    /// The payload, exactly as committed.
    pub payload: Vec<u8>,
    /// When the store committed it, Unix milliseconds.
    pub received_at_ms: u64,
}

/// Where a reader of [`IngestStore::received_after`] is: the last batch it read, in the order
/// (received_at_ms, agent, epoch, seq). `ReceivedCursor::start(ms)` starts before every batch
/// received at or after `ms`.
///
/// The order is the store's: agents compare bytewise, and epochs compare as stored (the same 64
/// bits read as a signed integer, so an epoch above `i64::MAX` sorts before epoch 0). A cursor is
/// meant to be handed back to the store as it came, not compared by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedCursor {
    /// When the last batch read was received, Unix milliseconds.
    pub received_at_ms: u64,
    /// Its agent, or `""` (before every agent) for a [`start`](Self::start) cursor.
    pub agent: String,
    /// Its epoch.
    pub epoch: u64,
    /// Its sequence, or 0 (before every sequence) for a [`start`](Self::start) cursor.
    pub seq: u64,
}

impl ReceivedCursor {
    /// A cursor before every batch received at or after `received_at_ms`: agent `""`, epoch 0,
    /// sequence 0 (no agent id is empty, so the epoch does not matter).
    pub fn start(received_at_ms: u64) -> Self {
        Self {
            received_at_ms,
            agent: String::new(),
            epoch: 0,
            seq: 0,
        }
    }
}

/// A batch read back with who sent it and its cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedBatch {
    /// The agent that sent it.
    pub agent: AgentId,
    /// The batch as stored.
    pub batch: StoredBatch,
    /// This batch's place in the received order: pass it to
    /// [`received_after`](IngestStore::received_after) to read on after it.
    pub cursor: ReceivedCursor,
}

impl ReceivedBatch {
    /// A batch read back, with the cursor that points at it.
    pub(crate) fn new(agent: AgentId, batch: StoredBatch) -> Self {
        let cursor = ReceivedCursor {
            received_at_ms: batch.received_at_ms,
            agent: agent.as_str().to_owned(),
            epoch: batch.epoch,
            seq: batch.seq,
        };
        Self {
            agent,
            batch,
            cursor,
        }
    }
}

/// Storage for agent result batches, as the ingest uses it.
///
/// Implementations must make `commit` durable before it returns and idempotent by
/// `(agent, epoch, seq)`: a batch is stored at most once, and a resent batch is reported as a
/// duplicate, not an error.
#[async_trait]
pub trait IngestStore: Send + Sync + 'static {
    /// Stores `batches` of `agent`'s `epoch` durably. On `Ok`, every given sequence is stored.
    /// On `Err`, none of them was stored by this call (the caller may retry or let the agent resend).
    async fn commit(
        &self,
        agent: &AgentId,
        epoch: u64,
        batches: Vec<Batch>,
    ) -> Result<Committed, StoreError>;

    /// What is stored for `agent`'s `epoch`: the watermark and (bounded) the sequences above it.
    async fn acked(&self, agent: &AgentId, epoch: u64) -> Result<Acked, StoreError>;

    /// How many batches of `agent` are stored, over all epochs.
    async fn batch_count(&self, agent: &AgentId) -> Result<u64, StoreError>;

    /// Every stored batch of `agent`'s `epoch`, ascending by sequence.
    async fn batches(&self, agent: &AgentId, epoch: u64) -> Result<Vec<StoredBatch>, StoreError>;

    /// Batches received after `cursor` in (received_at_ms, agent, epoch, seq) order, at most `limit`
    /// and at most about `max_bytes` of payload (always at least one when any is left).
    ///
    /// A page takes batches in order while their payloads add up to at most `max_bytes`; its
    /// first batch is taken whatever its size, so a `max_bytes` of 0 reads one batch at a time. A
    /// `limit` of 0 counts as 1. An empty page means nothing was received after `cursor` (yet):
    /// reading on from the last batch's [`cursor`](ReceivedBatch::cursor) sees every batch
    /// exactly once, as long as batches are not committed with an earlier `received_at_ms` than
    /// those already read (the store stamps them with its wall clock at commit).
    async fn received_after(
        &self,
        cursor: &ReceivedCursor,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<ReceivedBatch>, StoreError>;
}

/// Everything the aggregator keeps, on one backend: what `vigia-aggregator` opens and shares as
/// `Arc<dyn Store>` (upcast to `Arc<dyn IngestStore>` etc. where one part is enough).
pub trait Store: IngestStore + StateStore + ApiKeyStore + EventStore {}

impl<T: IngestStore + StateStore + ApiKeyStore + EventStore> Store for T {}
