//! Reads of result batches, on any pooled connection.

use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_core::row::Row;
use sqlx_postgres::{PgPool, Postgres};

use super::pg_error;
use crate::int::{from_sql_count, from_sql_epoch, to_sql_epoch, to_sql_limit};
use crate::{
    ACKED_ABOVE_LIMIT, Acked, AgentId, ReceivedBatch, ReceivedCursor, StoreError, StoredBatch,
};

pub(super) async fn acked(pool: &PgPool, agent: &AgentId, epoch: u64) -> Result<Acked, StoreError> {
    let sql_epoch = to_sql_epoch(epoch);
    let up_to: i64 = query_scalar::<Postgres, i64>(
        "SELECT up_to FROM stream_watermark WHERE agent_id = $1 AND epoch = $2",
    )
    .bind(agent.as_str())
    .bind(sql_epoch)
    .fetch_optional(pool)
    .await
    .map_err(pg_error("watermark"))?
    .unwrap_or(0);
    let above: Vec<i64> = query_scalar::<Postgres, i64>(
        "SELECT seq FROM result_batch WHERE agent_id = $1 AND epoch = $2 AND seq > $3 \
         ORDER BY seq LIMIT $4",
    )
    .bind(agent.as_str())
    .bind(sql_epoch)
    .bind(up_to)
    .bind(to_sql_limit(ACKED_ABOVE_LIMIT))
    .fetch_all(pool)
    .await
    .map_err(pg_error("sequences above the watermark"))?;
    Ok(Acked {
        epoch,
        up_to: from_sql_count(up_to),
        above: above.into_iter().map(from_sql_count).collect(),
    })
}

pub(super) async fn batch_count(pool: &PgPool, agent: &AgentId) -> Result<u64, StoreError> {
    query_scalar::<Postgres, i64>("SELECT COUNT(*) FROM result_batch WHERE agent_id = $1")
        .bind(agent.as_str())
        .fetch_one(pool)
        .await
        .map(from_sql_count)
        .map_err(pg_error("batch count"))
}

pub(super) async fn batches(
    pool: &PgPool,
    agent: &AgentId,
    epoch: u64,
) -> Result<Vec<StoredBatch>, StoreError> {
    let rows = query::<Postgres>(
        "SELECT seq, live, payload, received_at_ms FROM result_batch \
         WHERE agent_id = $1 AND epoch = $2 ORDER BY seq",
    )
    .bind(agent.as_str())
    .bind(to_sql_epoch(epoch))
    .fetch_all(pool)
    .await
    .map_err(pg_error("batches"))?;
    rows.iter()
        .map(|row| {
            Ok(StoredBatch {
                epoch,
                seq: from_sql_count(row.try_get(0)?),
                live: row.try_get(1)?,
                payload: row.try_get(2)?,
                received_at_ms: from_sql_count(row.try_get(3)?),
            })
        })
        .collect::<Result<_, sqlx_core::Error>>()
        .map_err(pg_error("batches"))
}

/// The latest `received_at_ms` stored (0 when none), where the writer's stamps continue from.
pub(super) async fn latest_received(pool: &PgPool) -> Result<i64, StoreError> {
    query_scalar::<Postgres, i64>("SELECT COALESCE(MAX(received_at_ms), 0) FROM result_batch")
        .fetch_one(pool)
        .await
        .map_err(pg_error("latest received batch"))
}

/// One page of batches after `cursor` in received order (see
/// [`IngestStore::received_after`](crate::IngestStore::received_after)). The running payload
/// total is summed on the server, so only the payloads of the page are sent.
pub(super) async fn received_after(
    pool: &PgPool,
    cursor: &ReceivedCursor,
    limit: usize,
    max_bytes: usize,
) -> Result<Vec<ReceivedBatch>, StoreError> {
    let fail = pg_error("batches in received order");
    // Stored times are at most i64::MAX: nothing is received after a later one.
    let Ok(after_ms) = i64::try_from(cursor.received_at_ms) else {
        return Ok(Vec::new());
    };
    // Stored sequences are at most i64::MAX, so a larger one compares the same as i64::MAX.
    let after_seq = i64::try_from(cursor.seq).unwrap_or(i64::MAX);
    let rows = query::<Postgres>(
        "SELECT agent_id, epoch, seq, live, received_at_ms, payload FROM ( \
             SELECT agent_id, epoch, seq, live, received_at_ms, payload, \
                    ROW_NUMBER() OVER w AS n, SUM(octet_length(payload)) OVER w AS through \
             FROM result_batch \
             WHERE (received_at_ms, agent_id, epoch, seq) > ($1, $2, $3, $4) \
             WINDOW w AS (ORDER BY received_at_ms, agent_id, epoch, seq ROWS UNBOUNDED PRECEDING) \
             ORDER BY received_at_ms, agent_id, epoch, seq LIMIT $5 \
         ) page \
         WHERE n = 1 OR through <= $6 \
         ORDER BY received_at_ms, agent_id, epoch, seq",
    )
    .bind(after_ms)
    .bind(cursor.agent.as_str())
    .bind(to_sql_epoch(cursor.epoch))
    .bind(after_seq)
    .bind(to_sql_limit(limit.max(1)))
    .bind(to_sql_limit(max_bytes))
    .fetch_all(pool)
    .await
    .map_err(&fail)?;
    rows.iter()
        .map(|row| {
            let agent: String = row.try_get(0).map_err(&fail)?;
            let agent = AgentId::new(agent).map_err(|_| StoreError::Corrupt {
                what: "agent id of a result batch",
            })?;
            let batch = StoredBatch {
                epoch: from_sql_epoch(row.try_get(1).map_err(&fail)?),
                seq: from_sql_count(row.try_get(2).map_err(&fail)?),
                live: row.try_get(3).map_err(&fail)?,
                received_at_ms: from_sql_count(row.try_get(4).map_err(&fail)?),
                payload: row.try_get(5).map_err(&fail)?,
            };
            Ok(ReceivedBatch::new(agent, batch))
        })
        .collect()
}
