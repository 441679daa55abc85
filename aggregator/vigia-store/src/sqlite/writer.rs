//! The writer thread: takes every commit call waiting in the queue (up to the group limits), writes
//! them in one transaction, commits (one WAL fsync for all of them), then answers each caller.
//!
//! Grouping is natural rather than timed: while one transaction is being fsync'd, the next calls
//! queue up and go into the next transaction together, so a lone caller never waits for company.
//!
//! The other writes (state, API keys, retention) come through the same queue as jobs, each run in
//! its own transaction in queue order, so there is one writing connection and no lock contention.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use rusqlite::{Connection, TransactionBehavior, params};
use tokio::sync::mpsc;

use super::SqliteOptions;
use super::read::watermark;
use crate::group::CommitRequest;
use crate::int::{ReceivedClock, to_sql_epoch, to_sql_seq};
use crate::stats::Counters;
use crate::{Committed, StoreError};

/// A write other than a commit: runs on the write connection and answers its caller itself.
pub(super) type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// What the writer thread is asked to do.
pub(super) enum Request {
    Commit(CommitRequest),
    Job(Job),
}

pub(super) fn run(
    mut conn: Connection,
    mut queue: mpsc::Receiver<Request>,
    options: &SqliteOptions,
    counters: &Counters,
    mut clock: ReceivedClock,
) {
    let mut carried: Option<Request> = None;
    loop {
        let request = match carried.take() {
            Some(request) => request,
            None => match queue.blocking_recv() {
                Some(request) => request,
                None => break,
            },
        };
        let first = match request {
            Request::Commit(first) => first,
            Request::Job(job) => {
                job(&mut conn);
                continue;
            }
        };
        let mut batches = first.batches.len();
        let mut bytes = first.payload_bytes();
        let mut group = vec![first];
        while batches < options.max_group_batches && bytes < options.max_group_bytes {
            let Ok(next) = queue.try_recv() else { break };
            let next = match next {
                Request::Commit(next) => next,
                job @ Request::Job(_) => {
                    carried = Some(job);
                    break;
                }
            };
            let (next_batches, next_bytes) = (next.batches.len(), next.payload_bytes());
            if batches + next_batches > options.max_group_batches
                || bytes + next_bytes > options.max_group_bytes
            {
                carried = Some(Request::Commit(next));
                break;
            }
            batches += next_batches;
            bytes += next_bytes;
            group.push(next);
        }
        commit_and_answer(&mut conn, group, batches, counters, clock.stamp());
    }
    tracing::debug!("store writer stopped");
}

fn commit_and_answer(
    conn: &mut Connection,
    group: Vec<CommitRequest>,
    batches: usize,
    counters: &Counters,
    now_ms: i64,
) {
    match commit_group(conn, &group, now_ms) {
        Ok(outcomes) => {
            counters.committed(&outcomes);
            for (request, committed) in group.into_iter().zip(outcomes) {
                // The caller may have gone away (its stream ended); the data is stored regardless.
                let _ = request.reply.send(Ok(committed));
            }
        }
        Err(error) => {
            counters.failed_transactions.fetch_add(1, Ordering::Relaxed);
            tracing::error!(%error, batches, calls = group.len(), "group commit failed");
            let source = Arc::new(error);
            for request in group {
                let _ = request.reply.send(Err(StoreError::Commit {
                    batches,
                    source: Arc::clone(&source),
                }));
            }
        }
    }
}

/// Writes every request of the group and advances each stream's watermark, in one transaction.
fn commit_group(
    conn: &mut Connection,
    group: &[CommitRequest],
    now_ms: i64,
) -> Result<Vec<Committed>, rusqlite::Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(group.len());
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO result_batch \
             (agent_id, epoch, seq, live, payload, received_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut stored = tx.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM result_batch \
             WHERE agent_id = ?1 AND epoch = ?2 AND seq = ?3)",
        )?;
        let mut set_watermark = tx.prepare_cached(
            "INSERT INTO stream_watermark (agent_id, epoch, up_to) VALUES (?1, ?2, ?3) \
             ON CONFLICT (agent_id, epoch) DO UPDATE SET up_to = excluded.up_to",
        )?;
        for request in group {
            let agent = request.agent.as_str();
            let epoch = to_sql_epoch(request.epoch);
            let mut inserted = Vec::new();
            let mut duplicates = Vec::new();
            for batch in &request.batches {
                // Checked by `commit` before the request was queued.
                let seq = to_sql_seq(batch.seq).unwrap_or(i64::MAX);
                let rows = insert.execute(params![
                    agent,
                    epoch,
                    seq,
                    batch.live,
                    batch.payload,
                    now_ms
                ])?;
                if rows == 1 {
                    inserted.push(batch.seq);
                } else {
                    duplicates.push(batch.seq);
                }
            }
            let before = watermark(&tx, &request.agent, epoch)?;
            let mut up_to = before;
            while up_to < i64::MAX
                && stored.query_row(params![agent, epoch, up_to + 1], |row| {
                    row.get::<_, bool>(0)
                })?
            {
                up_to += 1;
            }
            if up_to != before {
                set_watermark.execute(params![agent, epoch, up_to])?;
            }
            outcomes.push(Committed {
                epoch: request.epoch,
                up_to: u64::try_from(up_to).unwrap_or(0),
                inserted,
                duplicates,
            });
        }
    }
    tx.commit()?;
    Ok(outcomes)
}
