//! The committer thread: gathers appends into a group, writes them, flushes and fsyncs once,
//! then answers every caller in the group.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;

use super::{Shared, payload_len, seq_key};
use crate::envelope;
use crate::error::{Result, SpoolError};
use crate::fsync;
use crate::options::Durability;

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

/// Inserts each request's records (dropping the oldest to make room) and the new `next_seq`.
fn write(
    shared: &Shared,
    next_seq: &mut u64,
    group: Vec<Request>,
    accepted: &mut Vec<(Reply, Vec<u64>)>,
) -> Result<()> {
    let now_ms = unix_ms();
    let max_bytes = shared.options.max_bytes;
    let mut depth = shared.lock_depth();
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
            while depth.bytes + bytes > max_bytes {
                let Some((_, old)) = shared
                    .records
                    .pop_min()
                    .map_err(shared.sled_err("drop oldest"))?
                else {
                    break;
                };
                depth.records -= 1;
                depth.bytes -= payload_len(&old);
                shared.dropped_oldest.fetch_add(1, Ordering::Relaxed);
            }
            for payload in payloads {
                let seq = *next_seq;
                shared
                    .records
                    .insert(seq_key(seq), envelope::encode(now_ms, &payload))
                    .map_err(shared.sled_err("insert"))?;
                *next_seq += 1;
                depth.records += 1;
                depth.bytes += payload.len() as u64;
                seqs.push(seq);
            }
            Ok(())
        })();
        if let Err(error) = result {
            // Later requests in the group are answered with the same error.
            accepted.extend(pending.map(|r| (r.reply, Vec::new())));
            return Err(error);
        }
    }
    drop(depth);
    shared
        .meta
        .insert("next_seq", &next_seq.to_be_bytes())
        .map_err(shared.sled_err("meta insert"))?;
    Ok(())
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
