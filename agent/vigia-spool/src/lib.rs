//! `vigia-spool`: the agent's durable, bounded, content-agnostic queue of opaque records.
//!
//! The agent encodes each probe result batch (elsewhere) into bytes and [`Spool::append`]s them
//! here; the uplink waits for new durable records with [`Spool::subscribe`], [`Spool::read_from`]s
//! them for (re)sending and [`Spool::ack`]s / [`Spool::ack_each`]s what the aggregator confirmed
//! as durably stored, which deletes it. Records carry sequence numbers that
//! strictly increase within an [`epoch`](Spool::epoch); a new epoch starts whenever the spool is
//! created fresh (first start, or after a corrupt spool was quarantined), so `(epoch, seq)`
//! identifies a record for deduplication downstream.
//!
//! # Durability
//! `append` resolves only after its records are on stable storage. sled's own `flush` ends in
//! `sync_file_range(2)`, which does **not** survive power loss (no metadata, no drive cache
//! flush), so every commit is `sled::Db::flush` followed by an explicit `fsync` of every file in
//! the spool directory and of the directories themselves (see `fsync.rs`). Appends from many
//! callers are group-committed: one flush + fsync covers every append that arrived within
//! [`SpoolOptions::max_delay`] of the first (or until `max_batch_records`/`max_batch_bytes`).
//! Reads only return records whose commit completed, so nothing unsynced is ever sent.
//! A group's records are packed into a few [`segment`]s (one sled value each) because sled's
//! per-key cost, not the disk, is what limits a key-per-record layout.
//! Acks are not fsynced on their own (they ride along with the next commit or sled's background
//! flush): after power loss an acked record may reappear and be resent, i.e. delivery is
//! at-least-once.
//!
//! # Integrity
//! Every record is wrapped in our own envelope (version, crc32c, append time, see
//! [`envelope`]), so a bad record is a typed error ([`SpoolError::Checksum`], ...) that the caller
//! handles with [`Spool::quarantine`]. If sled cannot open the directory (corruption) or our
//! metadata is unreadable, the whole directory is moved aside to `<dir>.quarantined-<unix-ms>`
//! and a fresh spool (new epoch) is started; [`OpenReport`] says so. Lock and permission errors
//! are returned as errors, never quarantined.
//!
//! # Bounds
//! When stored payload bytes would exceed [`SpoolOptions::max_bytes`], the oldest records are
//! dropped and counted in [`Counters::dropped_oldest`].
//!
//! # What it does NOT do
//! No encoding or decoding of results (payloads are opaque bytes), no network, no retry or
//! scheduling of sends, no metrics export (it exposes [`Spool::depth`] and [`Spool::counters`]
//! for the agent to publish).

mod appended;
pub mod envelope;
mod error;
mod fsync;
mod options;
pub mod segment;
mod sled_spool;

pub use appended::Appended;
pub use error::{Result, SpoolError};
pub use options::{Durability, SpoolOptions};
pub use sled_spool::{OpenReport, QuarantinedSpool, SledSpool};

/// sled's log segment size for spool directories. sled stores any value larger than a quarter of
/// it as a separate file (which every commit would then have to fsync), so it bounds
/// [`SpoolOptions::max_segment_bytes`]. It is fixed when a directory is created and sled refuses
/// to open that directory with another value: tools that open a spool with sled directly must
/// pass it.
pub const SLED_SEGMENT_SIZE: usize = 2 * 1024 * 1024;

/// One stored record, as read back for (re)sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    pub appended_at_ms: u64,
    pub payload: Vec<u8>,
}

/// Bounds on one [`Spool::read_from`]. At least one record is returned (if any exists) even when
/// it alone is larger than `max_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    pub max_records: usize,
    pub max_bytes: usize,
}

/// How much the spool holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depth {
    pub records: u64,
    /// Payload bytes (envelope headers excluded).
    pub bytes: u64,
}

/// Event counters since this spool was opened (quarantined records: since the spool was created).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Records dropped, oldest first, to stay within `max_bytes`.
    pub dropped_oldest: u64,
    /// Records moved aside by [`Spool::quarantine`].
    pub quarantined: u64,
    /// Group commits (flush + fsync) performed.
    pub commits: u64,
}

/// A durable queue of opaque records. Object-safe: the agent holds an `Arc<dyn Spool>`.
pub trait Spool: Send + Sync {
    /// Appends payloads as consecutive records. The returned [`Appended`] resolves to their
    /// sequence numbers once they are durable.
    fn append(&self, payloads: Vec<Vec<u8>>) -> Appended;

    /// Durable records with `seq >= from`, in order, within `limits`. Stops before the first
    /// unreadable record; if the very first one is unreadable, returns its typed error (see
    /// [`SpoolError::corrupt_record`]) so the caller can quarantine it.
    fn read_from(&self, from: u64, limits: ReadLimits) -> Result<Vec<Record>>;

    /// Deletes every record with `seq <= up_to`; returns how many were deleted.
    fn ack(&self, up_to: u64) -> Result<u64>;

    /// Deletes exactly the records with these sequence numbers (acks arrive out of order, since
    /// live batches overtake the backlog); returns how many existed and were deleted. Unknown or
    /// repeated numbers are skipped.
    fn ack_each(&self, seqs: &[u64]) -> Result<u64>;

    /// Moves one record out of the queue into the quarantine area (kept for inspection).
    /// Returns false when no such record exists.
    fn quarantine(&self, seq: u64) -> Result<bool>;

    fn depth(&self) -> Depth;

    /// Append time (unix ms) of the oldest record, `None` when empty.
    fn oldest_appended_at_ms(&self) -> Result<Option<u64>>;

    fn epoch(&self) -> u64;

    /// The first sequence number that is not yet durable: [`read_from`](Spool::read_from) returns
    /// only records below it, and the next append gets it (or a later one).
    fn durable_next(&self) -> u64;

    /// Watches [`durable_next`](Spool::durable_next): the value changes after every group commit,
    /// so a reader can wait for new durable records instead of polling.
    fn subscribe(&self) -> tokio::sync::watch::Receiver<u64>;

    fn counters(&self) -> Counters;
}
