//! [`EventStore`](crate::EventStore) on PostgreSQL: events, the correlator checkpoint and
//! retention. A save is one transaction of a statement per row (a correlator step changes a few
//! events); reads are one query each. The outbox is in `outbox.rs`, maintenance windows in
//! `maintenance.rs`.

use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_core::row::Row;
use sqlx_postgres::{PgConnection, PgPool, PgRow, Postgres};

use super::{outbox, pg_error};
use crate::events::{SqlEvent, SqlFilter, SqlNotice};
use crate::int::from_sql_count;
use crate::{EventRow, StoreError};

const COLUMNS: &str = "id, kind, status, root, started_ms, updated_ms, resolved_ms, body_json \
                       FROM outage_event";

pub(super) async fn save(
    pool: &PgPool,
    events: &[SqlEvent],
    notices: &[SqlNotice],
    checkpoint: Option<&str>,
) -> Result<(), StoreError> {
    let failed = pg_error("event save");
    let mut tx = pool.begin().await.map_err(&failed)?;
    upsert_events(&mut tx, events).await.map_err(&failed)?;
    outbox::insert(&mut tx, notices).await.map_err(&failed)?;
    if let Some(checkpoint) = checkpoint {
        query::<Postgres>(
            "INSERT INTO correlator_checkpoint (id, body) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body",
        )
        .bind(checkpoint)
        .execute(&mut *tx)
        .await
        .map_err(&failed)?;
    }
    tx.commit().await.map_err(&failed)
}

async fn upsert_events(conn: &mut PgConnection, events: &[SqlEvent]) -> sqlx_core::Result<()> {
    for e in events {
        query::<Postgres>(
            "INSERT INTO outage_event \
             (id, kind, status, root, started_ms, updated_ms, resolved_ms, body_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, \
                 root = EXCLUDED.root, started_ms = EXCLUDED.started_ms, \
                 updated_ms = EXCLUDED.updated_ms, resolved_ms = EXCLUDED.resolved_ms, \
                 body_json = EXCLUDED.body_json",
        )
        .bind(e.id)
        .bind(&e.kind)
        .bind(&e.status)
        .bind(&e.root)
        .bind(e.started_ms)
        .bind(e.updated_ms)
        .bind(e.resolved_ms)
        .bind(&e.body_json)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(super) async fn prune(pool: &PgPool, resolved_before_ms: i64) -> Result<u64, StoreError> {
    let failed = pg_error("event retention");
    let mut tx = pool.begin().await.map_err(&failed)?;
    query::<Postgres>(
        "DELETE FROM event_notice WHERE state <> 'pending' AND event_id IN ( \
             SELECT id FROM outage_event WHERE status = 'resolved' AND resolved_ms < $1)",
    )
    .bind(resolved_before_ms)
    .execute(&mut *tx)
    .await
    .map_err(&failed)?;
    let events = query::<Postgres>(
        "DELETE FROM outage_event WHERE status = 'resolved' AND resolved_ms < $1",
    )
    .bind(resolved_before_ms)
    .execute(&mut *tx)
    .await
    .map_err(&failed)?
    .rows_affected();
    tx.commit().await.map_err(&failed)?;
    Ok(events)
}

fn event(row: &PgRow) -> Result<EventRow, sqlx_core::Error> {
    let resolved_ms: Option<i64> = row.try_get(6)?;
    Ok(EventRow {
        id: from_sql_count(row.try_get(0)?),
        kind: row.try_get(1)?,
        status: row.try_get(2)?,
        root: row.try_get(3)?,
        started_ms: from_sql_count(row.try_get(4)?),
        updated_ms: from_sql_count(row.try_get(5)?),
        resolved_ms: resolved_ms.map(from_sql_count),
        body_json: row.try_get(7)?,
    })
}

fn events(rows: &[PgRow], what: &'static str) -> Result<Vec<EventRow>, StoreError> {
    rows.iter()
        .map(event)
        .collect::<Result<_, _>>()
        .map_err(pg_error(what))
}

pub(super) async fn checkpoint(pool: &PgPool) -> Result<Option<String>, StoreError> {
    query_scalar::<Postgres, String>("SELECT body FROM correlator_checkpoint WHERE id = 1")
        .fetch_optional(pool)
        .await
        .map_err(pg_error("correlator checkpoint"))
}

pub(super) async fn active(pool: &PgPool) -> Result<Vec<EventRow>, StoreError> {
    let rows = query::<Postgres>(&format!(
        "SELECT {COLUMNS} WHERE status = 'active' ORDER BY id"
    ))
    .fetch_all(pool)
    .await
    .map_err(pg_error("active events"))?;
    events(&rows, "active events")
}

pub(super) async fn by_id(pool: &PgPool, id: i64) -> Result<Option<EventRow>, StoreError> {
    query::<Postgres>(&format!("SELECT {COLUMNS} WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(pg_error("event"))?
        .as_ref()
        .map(event)
        .transpose()
        .map_err(pg_error("event"))
}

pub(super) async fn list(pool: &PgPool, filter: &SqlFilter) -> Result<Vec<EventRow>, StoreError> {
    let rows = query::<Postgres>(&format!(
        "SELECT {COLUMNS} WHERE ($1::text IS NULL OR status = $1) \
         AND ($2::int8 IS NULL OR started_ms >= $2 OR resolved_ms >= $2 OR status = 'active') \
         AND ($3::int8 IS NULL OR id < $3) \
         ORDER BY id DESC LIMIT $4"
    ))
    .bind(filter.status.as_deref())
    .bind(filter.since_ms)
    .bind(filter.before_id)
    .bind(filter.limit)
    .fetch_all(pool)
    .await
    .map_err(pg_error("events"))?;
    events(&rows, "events")
}

pub(super) async fn max_id(pool: &PgPool) -> Result<u64, StoreError> {
    query_scalar::<Postgres, i64>("SELECT COALESCE(MAX(id), 0) FROM outage_event")
        .fetch_one(pool)
        .await
        .map(from_sql_count)
        .map_err(pg_error("highest event id"))
}
