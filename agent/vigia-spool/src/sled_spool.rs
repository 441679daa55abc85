//! [`SledSpool`]: the [`Spool`] on sled 0.34.
//!
//! Layout: tree `records` (key: seq as u64 big-endian, value: envelope), tree `meta` (`format`,
//! `epoch`, `next_seq`), tree `quarantine` (records moved aside, same keys and values).
//! One committer thread owns all appends; reads, acks and quarantines run on the caller's thread.

mod committer;
mod open;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::envelope::{self, HEADER_LEN};
use crate::error::{Result, SpoolError};
use crate::options::SpoolOptions;
use crate::{Appended, Counters, Depth, ReadLimits, Record, Spool};

pub use open::{OpenReport, QuarantinedSpool};

const RECORDS_TREE: &str = "records";
const META_TREE: &str = "meta";
const QUARANTINE_TREE: &str = "quarantine";

/// A [`Spool`] stored in a sled database directory. Dropping it stops the committer after it
/// finished the appends already queued; there is no other close step.
pub struct SledSpool {
    shared: Arc<Shared>,
    tx: Option<mpsc::Sender<committer::Request>>,
    committer: Option<JoinHandle<()>>,
}

/// State shared by the caller-facing handle and the committer thread.
struct Shared {
    dir: PathBuf,
    options: SpoolOptions,
    epoch: u64,
    db: sled::Db,
    records: sled::Tree,
    meta: sled::Tree,
    quarantine: sled::Tree,
    /// Guards every removal/insertion in `records` so the counts stay exact.
    depth: Mutex<Depth>,
    /// First sequence number whose commit has not completed: reads stop before it.
    durable_next: AtomicU64,
    dropped_oldest: AtomicU64,
    commits: AtomicU64,
}

impl SledSpool {
    /// Opens (or creates) the spool in `dir`. A corrupt spool is moved aside and replaced by a
    /// fresh one; the report says so. Errors are returned for problems that moving aside would
    /// not fix (lock held by another process, permissions, a failing disk).
    pub fn open(dir: impl AsRef<Path>, options: SpoolOptions) -> Result<(Self, OpenReport)> {
        open::open(dir.as_ref(), options)
    }

    fn from_shared(shared: Shared, next_seq: u64) -> Result<Self> {
        let shared = Arc::new(shared);
        let (tx, rx) = mpsc::channel();
        let thread_shared = Arc::clone(&shared);
        let committer = std::thread::Builder::new()
            .name("vigia-spool-commit".into())
            .spawn(move || committer::run(&thread_shared, &rx, next_seq))
            .map_err(|source| SpoolError::SpawnCommitter {
                source: Arc::new(source),
            })?;
        Ok(Self {
            shared,
            tx: Some(tx),
            committer: Some(committer),
        })
    }

    /// The spool's directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }
}

impl Drop for SledSpool {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(handle) = self.committer.take() {
            // A panicking committer already dropped its requests' replies; nothing to add.
            let _ = handle.join();
        }
    }
}

impl Shared {
    fn lock_depth(&self) -> MutexGuard<'_, Depth> {
        // Depth is plain counters; a panic elsewhere cannot leave them half-updated.
        self.depth
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn sled_err(&self, operation: &'static str) -> impl Fn(sled::Error) -> SpoolError + '_ {
        move |source| SpoolError::Sled {
            operation,
            path: self.dir.clone(),
            source,
        }
    }
}

fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

fn key_seq(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}

fn payload_len(value: &[u8]) -> u64 {
    value.len().saturating_sub(HEADER_LEN) as u64
}

impl Spool for SledSpool {
    fn append(&self, payloads: Vec<Vec<u8>>) -> Appended {
        let Some(tx) = &self.tx else {
            return Appended::failed(SpoolError::Closed);
        };
        let (reply, rx) = oneshot::channel();
        match tx.send(committer::Request { payloads, reply }) {
            Ok(()) => Appended::new(rx),
            Err(_) => Appended::failed(SpoolError::Closed),
        }
    }

    fn read_from(&self, from: u64, limits: ReadLimits) -> Result<Vec<Record>> {
        let s = &self.shared;
        let durable_next = s.durable_next.load(Ordering::Acquire);
        let mut out = Vec::new();
        if from >= durable_next {
            return Ok(out);
        }
        let mut bytes = 0usize;
        for item in s.records.range(seq_key(from)..seq_key(durable_next)) {
            let (key, value) = item.map_err(s.sled_err("read"))?;
            let seq = key_seq(&key).ok_or(SpoolError::Truncated {
                seq: from,
                len: key.len(),
            })?;
            let env = match envelope::decode(seq, &value) {
                Ok(env) => env,
                Err(e) if out.is_empty() => return Err(e),
                Err(_) => break,
            };
            if out.len() >= limits.max_records
                || (!out.is_empty() && bytes + env.payload.len() > limits.max_bytes)
            {
                break;
            }
            bytes += env.payload.len();
            out.push(Record {
                seq,
                appended_at_ms: env.appended_at_ms,
                payload: env.payload,
            });
        }
        Ok(out)
    }

    fn ack(&self, up_to: u64) -> Result<u64> {
        let s = &self.shared;
        let mut depth = s.lock_depth();
        let mut deleted = 0;
        for key in s.records.range(..=seq_key(up_to)).keys() {
            let key = key.map_err(s.sled_err("ack scan"))?;
            if let Some(old) = s.records.remove(&key).map_err(s.sled_err("ack remove"))? {
                depth.records -= 1;
                depth.bytes -= payload_len(&old);
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    fn quarantine(&self, seq: u64) -> Result<bool> {
        let s = &self.shared;
        let mut depth = s.lock_depth();
        let Some(old) = s
            .records
            .remove(seq_key(seq))
            .map_err(s.sled_err("quarantine remove"))?
        else {
            return Ok(false);
        };
        depth.records -= 1;
        depth.bytes -= payload_len(&old);
        s.quarantine
            .insert(seq_key(seq), old)
            .map_err(s.sled_err("quarantine insert"))?;
        tracing::warn!(seq, epoch = s.epoch, dir = %s.dir.display(), "spool record quarantined");
        Ok(true)
    }

    fn depth(&self) -> Depth {
        *self.shared.lock_depth()
    }

    fn oldest_appended_at_ms(&self) -> Result<Option<u64>> {
        let s = &self.shared;
        let Some((key, value)) = s.records.first().map_err(s.sled_err("first"))? else {
            return Ok(None);
        };
        let seq = key_seq(&key).unwrap_or(0);
        envelope::appended_at_ms(seq, &value).map(Some)
    }

    fn epoch(&self) -> u64 {
        self.shared.epoch
    }

    fn counters(&self) -> Counters {
        let s = &self.shared;
        Counters {
            dropped_oldest: s.dropped_oldest.load(Ordering::Relaxed),
            quarantined: s.quarantine.len() as u64,
            commits: s.commits.load(Ordering::Relaxed),
        }
    }
}
