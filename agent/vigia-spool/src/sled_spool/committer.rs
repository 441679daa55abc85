//! The committer thread: gathers appends into a group, writes them, flushes and fsyncs once,
//! then answers every caller in the group.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;

use super::index::{SegInfo, Tracked};
use super::{Shared, seq_key};
use crate::error::{Result, SpoolError};
use crate::fsync;
use crate::options::Durability;
use crate::segment::SegmentWriter;

/// One caller's append.
pub(super) struct Request {
    pub(super) payloads: Vec<Vec<u8>>,
    pub(super) reply: oneshot::Sender<Result<Vec<u64>>>,
}

type Reply = oneshot::Sender<Result<Vec<u64>>>;

/// Runs until every sender is dropped and the queue is drained.
pub(super) fn run(shared: &Shared, rx: &Receiver<Request>, mut next_seq: u64) {
    while let Ok(first) = rx.recv() {
        let group = gather(shared, rx, first);
        commit(shared, &mut next_seq, group);
    }
}

/// Collects requests until the batch limits are reached or `max_delay` after the first one.
fn gather(shared: &Shared, rx: &Receiver<Request>, first: Request) -> Vec<Request> {
    let opts = &shared.options;
    let deadline = Instant::now() + opts.max_delay;
    let (mut records, mut bytes) = (0usize, 0usize);
    let mut group = Vec::new();
    let mut next = Some(first);
    while let Some(request) = next.take() {
        records += request.payloads.len();
        bytes += request.payloads.iter().map(Vec::len).sum::<usize>();
        group.push(request);
        if records >= opts.max_batch_records || bytes >= opts.max_batch_bytes {
            break;
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        next = if remaining == Duration::ZERO {
            rx.try_recv().map_err(|_: TryRecvError| ()).ok()
        } else {
            rx.recv_timeout(remaining)
                .map_err(|_: RecvTimeoutError| ())
                .ok()
        };
    }
    group
}

fn commit(shared: &Shared, next_seq: &mut u64, group: Vec<Request>) {
    let mut accepted: Vec<(Reply, Vec<u64>)> = Vec::with_capacity(group.len());
    let result = write(shared, next_seq, group, &mut accepted).and_then(|()| sync(shared));
    match result {
        Ok(()) => {
            shared.durable_next.store(*next_seq, Ordering::Release);
            shared.commits.fetch_add(1, Ordering::Relaxed);
            for (reply, seqs) in accepted {
                // A caller that stopped waiting is fine: its records are stored regardless.
                let _ = reply.send(Ok(seqs));
            }
        }
        Err(error) => {
            tracing::error!(%error, dir = %shared.dir.display(), "spool commit failed");
            for (reply, _) in accepted {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}

/// Packs each request's records into segments (dropping the oldest records to make room) and
/// stores them with the new `next_seq`.
fn write(
    shared: &Shared,
    next_seq: &mut u64,
    group: Vec<Request>,
    accepted: &mut Vec<(Reply, Vec<u64>)>,
) -> Result<()> {
    let now_ms = unix_ms();
    let max_bytes = shared.options.max_bytes;
    let mut t = shared.lock();
    let mut open = OpenSegment::new(*next_seq, shared.options.max_segment_bytes);
    let mut pending = group.into_iter();
    while let Some(Request { payloads, reply }) = pending.next() {
        let bytes: u64 = payloads.iter().map(|p| p.len() as u64).sum();
        if bytes > max_bytes {
            let _ = reply.send(Err(SpoolError::TooLarge { bytes, max_bytes }));
            continue;
        }
        // Registered before writing so that a failure below reaches this caller too.
        accepted.push((reply, Vec::with_capacity(payloads.len())));
        let seqs = &mut accepted.last_mut().expect("just pushed").1;
        let result = (|| {
            if t.depth.bytes + open.payload_bytes + bytes > max_bytes {
                open.store(shared, &mut t)?;
                let dropped = shared.drop_oldest_for(&mut t, bytes)?;
                shared.dropped_oldest.fetch_add(dropped, Ordering::Relaxed);
            }
            for payload in payloads {
                if open.is_full() {
                    open.store(shared, &mut t)?;
                }
                open.push(now_ms, &payload);
                seqs.push(*next_seq);
                *next_seq += 1;
            }
            Ok(())
        })();
        if let Err(error) = result {
            // Later requests in the group are answered with the same error.
            accepted.extend(pending.map(|r| (r.reply, Vec::new())));
            return Err(error);
        }
    }
    open.store(shared, &mut t)?;
    drop(t);
    shared
        .meta
        .insert("next_seq", &next_seq.to_be_bytes())
        .map_err(shared.sled_err("meta insert"))?;
    Ok(())
}

/// The segment being filled.
struct OpenSegment {
    first: u64,
    max_bytes: usize,
    writer: SegmentWriter,
    payload_bytes: u64,
}

impl OpenSegment {
    fn new(first: u64, max_bytes: usize) -> Self {
        Self {
            first,
            max_bytes,
            writer: SegmentWriter::with_capacity(max_bytes.min(1 << 20)),
            payload_bytes: 0,
        }
    }

    fn is_full(&self) -> bool {
        !self.writer.is_empty() && self.writer.len() >= self.max_bytes
    }

    fn push(&mut self, appended_at_ms: u64, payload: &[u8]) {
        self.writer.push(appended_at_ms, payload);
        self.payload_bytes += payload.len() as u64;
    }

    /// Stores the segment (if it holds records) and starts the next one.
    fn store(&mut self, shared: &Shared, t: &mut Tracked) -> Result<()> {
        if self.writer.is_empty() {
            return Ok(());
        }
        let count = self.writer.count();
        let next = Self::new(self.first + u64::from(count), self.max_bytes);
        let done = std::mem::replace(self, next);
        shared
            .segments
            .insert(seq_key(done.first), done.writer.finish())
            .map_err(shared.sled_err("insert"))?;
        t.index.segs.insert(
            done.first,
            SegInfo {
                count,
                live: count,
                live_bytes: done.payload_bytes,
            },
        );
        t.depth.records += u64::from(count);
        t.depth.bytes += done.payload_bytes;
        Ok(())
    }
}

/// Makes everything written so far durable.
fn sync(shared: &Shared) -> Result<()> {
    shared.db.flush().map_err(shared.sled_err("flush"))?;
    match shared.options.durability {
        Durability::FlushAndFsync => fsync::sync_tree(&shared.dir),
        Durability::FlushOnly => Ok(()),
    }
}

pub(super) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
