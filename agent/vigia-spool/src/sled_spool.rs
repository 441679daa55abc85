//! [`SledSpool`]: the [`Spool`] on sled 0.34.
//!
//! Layout (format 2): tree `segments` (key: first seq as u64 big-endian, value: a
//! [`segment`](crate::segment) of consecutive records), tree `removed` (key: seq; records removed
//! one by one from segments that still hold live records), tree `meta` (`format`, `epoch`,
//! `next_seq`), tree `quarantine` (key: seq, value: the record's raw envelope, kept for
//! inspection). One committer thread owns all appends; reads, acks and quarantines run on the
//! caller's thread under the index lock.

mod committer;
mod durable_mark;
mod index;
mod open;
mod remove;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;

use tokio::sync::{oneshot, watch};

use durable_mark::DurableMark;

use crate::error::{Result, SpoolError};
use crate::options::SpoolOptions;
use crate::segment::{self, RawRecords};
use crate::{Appended, Counters, Depth, ReadLimits, Record, Spool};
use index::Tracked;

pub use open::{OpenReport, QuarantinedSpool};

const SEGMENTS_TREE: &str = "segments";
const REMOVED_TREE: &str = "removed";
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
    segments: sled::Tree,
    removed: sled::Tree,
    meta: sled::Tree,
    quarantine: sled::Tree,
    /// Guards every change to `segments` and `removed` so index, trees and depth agree.
    tracked: Mutex<Tracked>,
    /// First sequence number whose commit has not completed: reads stop before it.
    durable_next: DurableMark,
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
    fn lock(&self) -> MutexGuard<'_, Tracked> {
        // Every change under this lock is applied to the trees first and then to memory, so a
        // panic in between leaves memory behind sled at worst: acked records could be resent,
        // never lost. Carry on rather than poison every later call.
        self.tracked
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
        let t = s.lock();
        let start = t.index.segment_of(from).map_or(from, |(first, _)| first);
        let mut bytes = 0usize;
        for (&first, _) in t.index.segs.range(start..durable_next) {
            let Some(value) = s.segments.get(seq_key(first)).map_err(s.sled_err("read"))? else {
                continue;
            };
            for item in RawRecords::new(first, &value) {
                let decoded = item.and_then(|(seq, raw)| {
                    if seq < from || seq >= durable_next || t.index.removed.contains(&seq) {
                        return Ok(None);
                    }
                    segment::decode_record(seq, raw).map(|env| Some((seq, env)))
                });
                let (seq, env) = match decoded {
                    Ok(Some(found)) => found,
                    Ok(None) => continue,
                    Err(e) if out.is_empty() => return Err(e),
                    Err(_) => return Ok(out),
                };
                if out.len() >= limits.max_records
                    || (!out.is_empty() && bytes + env.payload.len() > limits.max_bytes)
                {
                    return Ok(out);
                }
                bytes += env.payload.len();
                out.push(Record {
                    seq,
                    appended_at_ms: env.appended_at_ms,
                    payload: env.payload,
                });
            }
        }
        Ok(out)
    }

    fn ack(&self, up_to: u64) -> Result<u64> {
        let s = &self.shared;
        let mut t = s.lock();
        let mut deleted = 0;
        while let Some((&first, info)) = t.index.segs.first_key_value() {
            if first > up_to {
                break;
            }
            let end = first + u64::from(info.count);
            if end - 1 <= up_to {
                deleted += s.delete_segment(&mut t, first)?;
            } else {
                deleted += s.remove_seqs(&mut t, first..=up_to)?;
                break;
            }
        }
        Ok(deleted)
    }

    fn ack_each(&self, seqs: &[u64]) -> Result<u64> {
        let mut sorted = seqs.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let s = &self.shared;
        let mut t = s.lock();
        s.remove_seqs(&mut t, sorted)
    }

    fn quarantine(&self, seq: u64) -> Result<bool> {
        let s = &self.shared;
        let mut t = s.lock();
        let Some((first, _)) = t.index.segment_of(seq).filter(|_| t.index.is_live(seq)) else {
            return Ok(false);
        };
        let value = s
            .segments
            .get(seq_key(first))
            .map_err(s.sled_err("quarantine read"))?
            .unwrap_or_default();
        // The record's own bytes when it can be framed; otherwise the segment from the damage on
        // is unreadable, and those records go together (their raw bytes kept once).
        let mut framed = None;
        let mut unframed_from = None;
        for item in RawRecords::new(first, &value) {
            match item {
                Ok((at, raw)) if at == seq => {
                    framed = Some(raw.to_vec());
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    unframed_from = e.corrupt_record();
                    break;
                }
            }
        }
        let (kept, gone): (Vec<u8>, Vec<u64>) = match (framed, unframed_from) {
            (Some(raw), _) => (raw, vec![seq]),
            (None, from) => {
                let count = t.index.segs[&first].count;
                let from = from.unwrap_or(seq).min(seq);
                (value.to_vec(), (from..first + u64::from(count)).collect())
            }
        };
        s.quarantine
            .insert(seq_key(seq), kept)
            .map_err(s.sled_err("quarantine insert"))?;
        s.remove_seqs(&mut t, gone)?;
        tracing::warn!(seq, epoch = s.epoch, dir = %s.dir.display(), "spool record quarantined");
        Ok(true)
    }

    fn depth(&self) -> Depth {
        self.shared.lock().depth
    }

    fn oldest_appended_at_ms(&self) -> Result<Option<u64>> {
        let s = &self.shared;
        let t = s.lock();
        for &first in t.index.segs.keys() {
            let Some(value) = s
                .segments
                .get(seq_key(first))
                .map_err(s.sled_err("first"))?
            else {
                continue;
            };
            for item in RawRecords::new(first, &value) {
                let (seq, raw) = item?;
                if !t.index.removed.contains(&seq) {
                    return crate::envelope::appended_at_ms(seq, raw).map(Some);
                }
            }
        }
        Ok(None)
    }

    fn epoch(&self) -> u64 {
        self.shared.epoch
    }

    fn durable_next(&self) -> u64 {
        self.shared.durable_next.load(Ordering::Acquire)
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.durable_next.subscribe()
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
