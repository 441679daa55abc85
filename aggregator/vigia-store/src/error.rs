//! The store's error type.

use std::path::PathBuf;
use std::sync::Arc;

use crate::AgentId;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created or synced.
    #[error("cannot prepare data directory {path}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// SQLite refused to open the database or to set it up.
    #[error("cannot open database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite kept another journal mode than WAL (e.g. the file is on a filesystem without
    /// shared memory support), so the durability settings would not be what the ADR says.
    #[error("database {path} refused WAL mode (journal_mode is {mode})")]
    NotWal { path: PathBuf, mode: String },
    /// The database was written by a newer release (its schema version is unknown to this one).
    #[error(
        "database {path} has schema version {found}, newer than the {supported} this release knows"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// Applying a migration failed; the database stays at the previous version.
    #[error("migration {version} ({name}) failed")]
    Migration {
        version: i64,
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// A sequence outside `1..=i64::MAX`.
    #[error("agent {agent} epoch {epoch}: sequence {seq} is outside 1..=9223372036854775807")]
    InvalidSequence {
        agent: AgentId,
        epoch: u64,
        seq: u64,
    },
    /// The group-commit transaction failed; nothing of it was stored. Every commit call in the
    /// group gets this error (hence the shared source).
    #[error("group commit of {batches} batches failed")]
    Commit {
        batches: usize,
        #[source]
        source: Arc<rusqlite::Error>,
    },
    /// A read failed.
    #[error("reading {what} failed")]
    Read {
        what: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// A write other than a batch commit (state, API keys, retention) failed and was rolled back.
    #[error("writing {what} failed")]
    Write {
        what: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// A row with the same unique key exists (e.g. an API key id).
    #[error("{what} already exists")]
    Conflict { what: String },
    /// A time (Unix ms) or a caller-given id (an event's) above `i64::MAX`, which neither
    /// backend can store ordered.
    #[error("{field} {value} is outside 0..=9223372036854775807")]
    OutOfRange { field: &'static str, value: u64 },
    /// A maintenance window that does not end after it starts.
    #[error("maintenance window ends at {ends_ms}, not after it starts at {starts_ms}")]
    InvalidWindow { starts_ms: u64, ends_ms: u64 },
    /// A stored value is not what this release writes (e.g. an API key hash that is not 32 bytes).
    #[error("stored {what} is malformed")]
    Corrupt { what: &'static str },
    /// The PostgreSQL URL could not be parsed.
    #[error("invalid PostgreSQL URL")]
    PgUrl(#[source] sqlx_core::Error),
    /// The PostgreSQL server could not be reached or refused the login. `target` is host, port
    /// and database (never the password).
    #[error("cannot connect to PostgreSQL at {target}")]
    PgConnect {
        target: String,
        #[source]
        source: sqlx_core::Error,
    },
    /// The PostgreSQL database was migrated by a newer release (it has a migration this one does
    /// not know).
    #[error(
        "PostgreSQL database has schema version {found}, newer than the {supported} this release knows"
    )]
    PgSchemaTooNew { found: i64, supported: i64 },
    /// Applying the PostgreSQL migrations failed; each migration is in its own transaction.
    #[error("PostgreSQL migrations failed")]
    PgMigrate(#[source] sqlx_core::migrate::MigrateError),
    /// The PostgreSQL group-commit transaction failed; nothing of it was stored. Every commit
    /// call in the group gets this error (hence the shared source).
    #[error("PostgreSQL group commit of {batches} batches failed")]
    PgCommit {
        batches: usize,
        #[source]
        source: Arc<sqlx_core::Error>,
    },
    /// A PostgreSQL statement (read or write, other than a batch commit) failed.
    #[error("PostgreSQL {what} failed")]
    Pg {
        what: &'static str,
        #[source]
        source: sqlx_core::Error,
    },
    /// The writer thread (SQLite) or task (PostgreSQL) is gone: the store was closed, its
    /// runtime shut down, or the writer panicked.
    #[error("the store's writer has stopped")]
    WriterStopped,
    /// A blocking read task could not run (the runtime is shutting down).
    #[error("read task did not complete")]
    ReadTask(#[source] tokio::task::JoinError),
}
