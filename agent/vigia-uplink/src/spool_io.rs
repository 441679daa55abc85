//! The spool from async code: its calls touch the disk, so they run on tokio's blocking pool
//! instead of a reactor thread.

use std::sync::Arc;

use tokio::sync::watch;
use vigia_spool::{ReadLimits, Record, Spool, SpoolError};

use crate::error::LinkError;
use crate::health::{HealthSnapshot, HealthSource};

/// Records read per spool call, at most.
const READ_RECORDS: usize = 256;

#[derive(Clone)]
pub(crate) struct SpoolIo {
    spool: Arc<dyn Spool>,
    read_bytes: usize,
}

/// What one read found.
pub(crate) enum Read {
    Records(Vec<Record>),
    /// The record at this sequence is unreadable (checksum, envelope version, truncation).
    Corrupt {
        seq: u64,
        error: SpoolError,
    },
}

impl SpoolIo {
    /// `read_bytes` bounds the payload bytes of one read (at least one record is returned).
    pub(crate) fn new(spool: Arc<dyn Spool>, read_bytes: usize) -> Self {
        Self { spool, read_bytes }
    }

    pub(crate) fn durable_next(&self) -> u64 {
        self.spool.durable_next()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.spool.subscribe()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Spool) -> Result<T, SpoolError> + Send + 'static,
    ) -> Result<T, LinkError> {
        let spool = Arc::clone(&self.spool);
        tokio::task::spawn_blocking(move || f(spool.as_ref()))
            .await
            .map_err(|source| LinkError::Task {
                what: "spool",
                source,
            })?
            .map_err(|source| LinkError::Spool { source })
    }

    /// Up to `max_records` durable records from `from` on.
    pub(crate) async fn read(&self, from: u64, max_records: usize) -> Result<Read, LinkError> {
        let limits = ReadLimits {
            max_records: max_records.min(READ_RECORDS),
            max_bytes: self.read_bytes,
        };
        let spool = Arc::clone(&self.spool);
        let result = tokio::task::spawn_blocking(move || spool.read_from(from, limits))
            .await
            .map_err(|source| LinkError::Task {
                what: "spool read",
                source,
            })?;
        match result {
            Ok(records) => Ok(Read::Records(records)),
            Err(error) => match error.corrupt_record() {
                Some(seq) => Ok(Read::Corrupt { seq, error }),
                None => Err(LinkError::Spool { source: error }),
            },
        }
    }

    /// Deletes what an `Ack` covers; returns how many records went.
    pub(crate) async fn ack(&self, up_to: u64, sequences: Vec<u64>) -> Result<u64, LinkError> {
        self.blocking(move |spool| {
            let below = if up_to > 0 { spool.ack(up_to)? } else { 0 };
            let each = if sequences.is_empty() {
                0
            } else {
                spool.ack_each(&sequences)?
            };
            Ok(below + each)
        })
        .await
    }

    pub(crate) async fn quarantine(&self, seq: u64) -> Result<bool, LinkError> {
        self.blocking(move |spool| spool.quarantine(seq)).await
    }

    /// What to claim as acked in `Hello` on the first connection: everything below the oldest
    /// record still spooled (acked records are deleted; records dropped because the spool was
    /// full are gone too and will never be sent).
    pub(crate) async fn initially_acked(&self) -> u64 {
        let first = self
            .blocking(|spool| {
                let limits = ReadLimits {
                    max_records: 1,
                    max_bytes: 0,
                };
                Ok(spool
                    .read_from(0, limits)?
                    .first()
                    .map_or(spool.durable_next(), |r| r.seq))
            })
            .await;
        first.map_or(0, |seq| seq.saturating_sub(1))
    }

    pub(crate) async fn health(
        &self,
        source: Arc<dyn HealthSource>,
    ) -> Result<HealthSnapshot, LinkError> {
        tokio::task::spawn_blocking(move || source.snapshot())
            .await
            .map_err(|source| LinkError::Task {
                what: "health snapshot",
                source,
            })
    }
}
