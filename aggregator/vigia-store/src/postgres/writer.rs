//! The writer task: takes every commit call waiting in the queue (up to the group limits), writes
//! them in one transaction with a few multi-row statements, commits (one WAL flush for all of
//! them, `synchronous_commit=on`), then answers each caller. Grouping is natural rather than
//! timed, as in the SQLite writer.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use sqlx_core::query::query;
use sqlx_core::row::Row;
use sqlx_postgres::{PgPool, Postgres};
use tokio::sync::mpsc;

use super::PgOptions;
use crate::group::CommitRequest;
use crate::int::{ReceivedClock, from_sql_count, to_sql_epoch, to_sql_seq};
use crate::stats::Counters;
use crate::{Committed, StoreError};

/// Inserts the group's new batches; returns the keys it inserted (resends are skipped).
const INSERT_BATCHES: &str = "\
    INSERT INTO result_batch (agent_id, epoch, seq, live, payload, received_at_ms) \
    SELECT agent_id, epoch, seq, live, payload, $6 \
    FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::bool[], $5::bytea[]) \
        AS t(agent_id, epoch, seq, live, payload) \
    ON CONFLICT (agent_id, epoch, seq) DO NOTHING \
    RETURNING agent_id, epoch, seq";

/// Advances the watermark of each given stream to the end of the run of stored sequences that
/// starts at it: the smallest candidate (the watermark itself, or a stored sequence above it)
/// whose successor is not stored. `GREATEST` keeps it monotonic even if another process commits
/// to the same stream concurrently. The `CASE` avoids computing `i64::MAX + 1`.
const ADVANCE_WATERMARKS: &str = "\
    WITH stream AS ( \
        SELECT s.agent_id, s.epoch, COALESCE(w.up_to, 0) AS up_to \
        FROM UNNEST($1::text[], $2::int8[]) AS s(agent_id, epoch) \
        LEFT JOIN stream_watermark AS w ON w.agent_id = s.agent_id AND w.epoch = s.epoch \
    ), advanced AS ( \
        SELECT stream.agent_id, stream.epoch, ( \
            SELECT MIN(c.seq) FROM ( \
                SELECT stream.up_to AS seq \
                UNION ALL \
                SELECT b.seq FROM result_batch AS b \
                WHERE b.agent_id = stream.agent_id AND b.epoch = stream.epoch \
                    AND b.seq > stream.up_to \
            ) AS c \
            WHERE CASE WHEN c.seq = 9223372036854775807 THEN TRUE \
                ELSE NOT EXISTS ( \
                    SELECT 1 FROM result_batch AS n \
                    WHERE n.agent_id = stream.agent_id AND n.epoch = stream.epoch \
                        AND n.seq = c.seq + 1) \
                END \
        ) AS up_to \
        FROM stream \
    ) \
    INSERT INTO stream_watermark (agent_id, epoch, up_to) \
    SELECT agent_id, epoch, up_to FROM advanced \
    ON CONFLICT (agent_id, epoch) \
        DO UPDATE SET up_to = GREATEST(stream_watermark.up_to, EXCLUDED.up_to) \
    RETURNING agent_id, epoch, up_to";

pub(super) async fn run(
    pool: PgPool,
    mut queue: mpsc::Receiver<CommitRequest>,
    options: PgOptions,
    counters: Arc<Counters>,
    mut clock: ReceivedClock,
) {
    let mut carried: Option<CommitRequest> = None;
    loop {
        let first = match carried.take() {
            Some(request) => request,
            None => match queue.recv().await {
                Some(request) => request,
                None => break,
            },
        };
        let mut batches = first.batches.len();
        let mut bytes = first.payload_bytes();
        let mut group = vec![first];
        while batches < options.max_group_batches && bytes < options.max_group_bytes {
            let Ok(next) = queue.try_recv() else { break };
            let (next_batches, next_bytes) = (next.batches.len(), next.payload_bytes());
            if batches + next_batches > options.max_group_batches
                || bytes + next_bytes > options.max_group_bytes
            {
                carried = Some(next);
                break;
            }
            batches += next_batches;
            bytes += next_bytes;
            group.push(next);
        }
        commit_and_answer(&pool, group, batches, &counters, clock.stamp()).await;
    }
    tracing::debug!("postgres store writer stopped");
}

async fn commit_and_answer(
    pool: &PgPool,
    group: Vec<CommitRequest>,
    batches: usize,
    counters: &Counters,
    now_ms: i64,
) {
    match commit_group(pool, &group, now_ms).await {
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
                let _ = request.reply.send(Err(StoreError::PgCommit {
                    batches,
                    source: Arc::clone(&source),
                }));
            }
        }
    }
}

type Key<'a> = (&'a str, i64, i64);

/// Writes every request of the group and advances each stream's watermark, in one transaction.
async fn commit_group(
    pool: &PgPool,
    group: &[CommitRequest],
    now_ms: i64,
) -> Result<Vec<Committed>, sqlx_core::Error> {
    // The first copy of each key in the group is sent; later copies are duplicates whatever the
    // database holds (as in SQLite, where the first insert wins).
    let mut sent: HashSet<Key<'_>> = HashSet::new();
    let mut first_copy: Vec<Vec<bool>> = Vec::with_capacity(group.len());
    let (mut agents, mut epochs, mut seqs, mut lives, mut payloads) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut streams: Vec<(&str, i64)> = Vec::new();
    let mut stream_seen: HashSet<(&str, i64)> = HashSet::new();
    for request in group {
        let agent = request.agent.as_str();
        let epoch = to_sql_epoch(request.epoch);
        if stream_seen.insert((agent, epoch)) {
            streams.push((agent, epoch));
        }
        let mut firsts = Vec::with_capacity(request.batches.len());
        for batch in &request.batches {
            // Checked by `commit` before the request was queued.
            let seq = to_sql_seq(batch.seq).unwrap_or(i64::MAX);
            let first = sent.insert((agent, epoch, seq));
            if first {
                agents.push(agent);
                epochs.push(epoch);
                seqs.push(seq);
                lives.push(batch.live);
                payloads.push(batch.payload.as_slice());
            }
            firsts.push(first);
        }
        first_copy.push(firsts);
    }

    let mut tx = pool.begin().await?;
    let inserted_rows = query::<Postgres>(INSERT_BATCHES)
        .bind(&agents)
        .bind(&epochs)
        .bind(&seqs)
        .bind(&lives)
        .bind(&payloads)
        .bind(now_ms)
        .fetch_all(&mut *tx)
        .await?;
    let mut inserted: HashSet<(String, i64, i64)> = HashSet::with_capacity(inserted_rows.len());
    for row in &inserted_rows {
        inserted.insert((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
    }

    let stream_agents: Vec<&str> = streams.iter().map(|s| s.0).collect();
    let stream_epochs: Vec<i64> = streams.iter().map(|s| s.1).collect();
    let watermark_rows = query::<Postgres>(ADVANCE_WATERMARKS)
        .bind(&stream_agents)
        .bind(&stream_epochs)
        .fetch_all(&mut *tx)
        .await?;
    let mut watermarks: HashMap<(String, i64), i64> = HashMap::with_capacity(streams.len());
    for row in &watermark_rows {
        watermarks.insert((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?);
    }
    tx.commit().await?;

    let outcomes = group
        .iter()
        .zip(first_copy)
        .map(|(request, firsts)| {
            let agent = request.agent.as_str().to_owned();
            let epoch = to_sql_epoch(request.epoch);
            let mut committed = Committed {
                epoch: request.epoch,
                up_to: from_sql_count(
                    watermarks
                        .get(&(agent.clone(), epoch))
                        .copied()
                        .unwrap_or(0),
                ),
                inserted: Vec::new(),
                duplicates: Vec::new(),
            };
            for (batch, first) in request.batches.iter().zip(firsts) {
                let seq = to_sql_seq(batch.seq).unwrap_or(i64::MAX);
                if first && inserted.contains(&(agent.clone(), epoch, seq)) {
                    committed.inserted.push(batch.seq);
                } else {
                    committed.duplicates.push(batch.seq);
                }
            }
            committed
        })
        .collect();
    Ok(outcomes)
}
