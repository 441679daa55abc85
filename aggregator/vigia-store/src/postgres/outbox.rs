//! The outbox of [`EventStore`](crate::EventStore) on PostgreSQL: inserting (and coalescing)
//! notices inside the save transaction, what is due, and the delivery transitions.
//!
//! The SQL spells `state = 'pending'` literally so that the planner can use the partial indexes.

use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_core::row::Row;
use sqlx_postgres::{PgConnection, PgPool, PgRow, Postgres};

use super::pg_error;
use crate::events::{Delivery, SqlNotice};
use crate::int::{from_sql_count, to_sql_limit};
use crate::{NoticeRow, StoreError};

const COLUMNS: &str = "id, event_id, channel, kind, created_ms, next_attempt_ms, attempts, \
                       state, last_error, sent_ms, payload_json FROM event_notice";

/// Inserts notices in order, coalescing a pending `updated` one into the latest pending
/// `updated` one of its event and channel that is not yet due at its `created_ms` (see
/// [`save_events`](crate::EventStore::save_events)).
pub(super) async fn insert(
    conn: &mut PgConnection,
    notices: &[SqlNotice],
) -> sqlx_core::Result<()> {
    for n in notices {
        if n.coalesces() {
            let coalesced = query::<Postgres>(
                "UPDATE event_notice \
                 SET payload_json = $1, created_ms = $2, next_attempt_ms = $3 \
                 WHERE id = (SELECT id FROM event_notice WHERE event_id = $4 AND channel = $5 \
                     AND kind = 'updated' AND state = 'pending' AND next_attempt_ms > $2 \
                     ORDER BY id DESC LIMIT 1)",
            )
            .bind(&n.payload_json)
            .bind(n.created_ms)
            .bind(n.next_attempt_ms)
            .bind(n.event_id)
            .bind(&n.channel)
            .execute(&mut *conn)
            .await?;
            if coalesced.rows_affected() == 1 {
                continue;
            }
        }
        query::<Postgres>(
            "INSERT INTO event_notice (event_id, channel, kind, created_ms, next_attempt_ms, \
             attempts, state, last_error, sent_ms, payload_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(n.event_id)
        .bind(&n.channel)
        .bind(&n.kind)
        .bind(n.created_ms)
        .bind(n.next_attempt_ms)
        .bind(n.attempts)
        .bind(&n.state)
        .bind(n.last_error.as_deref())
        .bind(n.sent_ms)
        .bind(&n.payload_json)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn notice(row: &PgRow) -> Result<NoticeRow, sqlx_core::Error> {
    let sent_ms: Option<i64> = row.try_get(9)?;
    Ok(NoticeRow {
        id: from_sql_count(row.try_get(0)?),
        event_id: from_sql_count(row.try_get(1)?),
        channel: row.try_get(2)?,
        kind: row.try_get(3)?,
        created_ms: from_sql_count(row.try_get(4)?),
        next_attempt_ms: from_sql_count(row.try_get(5)?),
        // The schema keeps attempts in u32's range.
        attempts: u32::try_from(row.try_get::<i64, _>(6)?).unwrap_or(u32::MAX),
        state: row.try_get(7)?,
        last_error: row.try_get(8)?,
        sent_ms: sent_ms.map(from_sql_count),
        payload_json: row.try_get(10)?,
    })
}

fn notices(rows: &[PgRow], what: &'static str) -> Result<Vec<NoticeRow>, StoreError> {
    rows.iter()
        .map(notice)
        .collect::<Result<_, _>>()
        .map_err(pg_error(what))
}

pub(super) async fn due(
    pool: &PgPool,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<NoticeRow>, StoreError> {
    let rows = query::<Postgres>(&format!(
        "SELECT {COLUMNS} AS n WHERE n.state = 'pending' AND n.next_attempt_ms <= $1 \
         AND NOT EXISTS (SELECT 1 FROM event_notice AS h WHERE h.state = 'pending' \
             AND h.channel = n.channel AND h.id < n.id AND h.next_attempt_ms > $1) \
         ORDER BY n.id LIMIT $2"
    ))
    .bind(now_ms)
    .bind(to_sql_limit(limit.max(1)))
    .fetch_all(pool)
    .await
    .map_err(pg_error("due notices"))?;
    notices(&rows, "due notices")
}

pub(super) async fn next_due(pool: &PgPool) -> Result<Option<u64>, StoreError> {
    query_scalar::<Postgres, Option<i64>>(
        "SELECT MIN(n.next_attempt_ms) FROM event_notice AS n WHERE n.state = 'pending' \
         AND NOT EXISTS (SELECT 1 FROM event_notice AS h WHERE h.state = 'pending' \
         AND h.channel = n.channel AND h.id < n.id)",
    )
    .fetch_one(pool)
    .await
    .map(|due| due.map(from_sql_count))
    .map_err(pg_error("next notice due"))
}

pub(super) async fn pending_count(pool: &PgPool) -> Result<u64, StoreError> {
    query_scalar::<Postgres, i64>("SELECT COUNT(*) FROM event_notice WHERE state = 'pending'")
        .fetch_one(pool)
        .await
        .map(from_sql_count)
        .map_err(pg_error("pending notices"))
}

pub(super) async fn for_event(pool: &PgPool, event_id: i64) -> Result<Vec<NoticeRow>, StoreError> {
    let rows = query::<Postgres>(&format!("SELECT {COLUMNS} WHERE event_id = $1 ORDER BY id"))
        .bind(event_id)
        .fetch_all(pool)
        .await
        .map_err(pg_error("event notices"))?;
    notices(&rows, "event notices")
}

/// Applies `delivery` to the pending notice `id`; false when no pending notice has this id.
pub(super) async fn deliver(
    pool: &PgPool,
    id: i64,
    delivery: &Delivery,
) -> Result<bool, StoreError> {
    let update = match delivery {
        Delivery::Sent { at_ms } => query::<Postgres>(
            "UPDATE event_notice SET state = 'sent', sent_ms = $2 \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(id)
        .bind(*at_ms),
        Delivery::Retry {
            attempts,
            next_attempt_ms,
            error,
        } => query::<Postgres>(
            "UPDATE event_notice SET attempts = $2, next_attempt_ms = $3, last_error = $4 \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(id)
        .bind(i64::from(*attempts))
        .bind(*next_attempt_ms)
        .bind(error.as_str()),
        Delivery::Failed { attempts, error } => query::<Postgres>(
            "UPDATE event_notice SET state = 'failed', attempts = $2, last_error = $3 \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(id)
        .bind(i64::from(*attempts))
        .bind(error.as_str()),
    };
    update
        .execute(pool)
        .await
        .map(|done| done.rows_affected() > 0)
        .map_err(pg_error("notice delivery state"))
}
