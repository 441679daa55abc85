//! Reads of result batches, on any pooled connection.

use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_core::row::Row;
use sqlx_postgres::{PgPool, Postgres};

use super::pg_error;
use crate::int::{from_sql_count, to_sql_epoch, to_sql_limit};
use crate::{ACKED_ABOVE_LIMIT, Acked, AgentId, StoreError, StoredBatch};

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
