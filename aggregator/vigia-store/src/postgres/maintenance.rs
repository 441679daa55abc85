//! Maintenance windows of [`EventStore`](crate::EventStore) on PostgreSQL.

use sqlx_core::query::query;
use sqlx_core::query_scalar::query_scalar;
use sqlx_core::row::Row;
use sqlx_postgres::{PgPool, PgRow, Postgres};

use super::pg_error;
use crate::events::SqlMaintenance;
use crate::int::from_sql_count;
use crate::{MaintenanceRow, StoreError};

const COLUMNS: &str = "id, entities_json, starts_ms, ends_ms, reason, created_by, created_ms \
                       FROM maintenance_window";

pub(super) async fn create(
    pool: &PgPool,
    window: &SqlMaintenance,
) -> Result<MaintenanceRow, StoreError> {
    let id = query_scalar::<Postgres, i64>(
        "INSERT INTO maintenance_window \
         (entities_json, starts_ms, ends_ms, reason, created_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&window.entities_json)
    .bind(window.starts_ms)
    .bind(window.ends_ms)
    .bind(&window.reason)
    .bind(&window.created_by)
    .bind(window.created_ms)
    .fetch_one(pool)
    .await
    .map_err(pg_error("maintenance window insert"))?;
    Ok(window.row(id))
}

pub(super) async fn update(pool: &PgPool, window: &SqlMaintenance) -> Result<bool, StoreError> {
    let Some(id) = window.id else {
        return Ok(false);
    };
    query::<Postgres>(
        "UPDATE maintenance_window SET entities_json = $2, starts_ms = $3, ends_ms = $4, \
         reason = $5, created_by = $6, created_ms = $7 WHERE id = $1",
    )
    .bind(id)
    .bind(&window.entities_json)
    .bind(window.starts_ms)
    .bind(window.ends_ms)
    .bind(&window.reason)
    .bind(&window.created_by)
    .bind(window.created_ms)
    .execute(pool)
    .await
    .map(|done| done.rows_affected() > 0)
    .map_err(pg_error("maintenance window update"))
}

pub(super) async fn delete(pool: &PgPool, id: i64) -> Result<bool, StoreError> {
    query::<Postgres>("DELETE FROM maintenance_window WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected() > 0)
        .map_err(pg_error("maintenance window deletion"))
}

fn window(row: &PgRow) -> Result<MaintenanceRow, sqlx_core::Error> {
    Ok(MaintenanceRow {
        id: from_sql_count(row.try_get(0)?),
        entities_json: row.try_get(1)?,
        starts_ms: from_sql_count(row.try_get(2)?),
        ends_ms: from_sql_count(row.try_get(3)?),
        reason: row.try_get(4)?,
        created_by: row.try_get(5)?,
        created_ms: from_sql_count(row.try_get(6)?),
    })
}

pub(super) async fn by_id(pool: &PgPool, id: i64) -> Result<Option<MaintenanceRow>, StoreError> {
    let failed = pg_error("maintenance window");
    query::<Postgres>(&format!("SELECT {COLUMNS} WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(&failed)?
        .as_ref()
        .map(window)
        .transpose()
        .map_err(&failed)
}

pub(super) async fn list(pool: &PgPool) -> Result<Vec<MaintenanceRow>, StoreError> {
    let failed = pg_error("maintenance windows");
    query::<Postgres>(&format!("SELECT {COLUMNS} ORDER BY starts_ms, id"))
        .fetch_all(pool)
        .await
        .map_err(&failed)?
        .iter()
        .map(window)
        .collect::<Result<_, _>>()
        .map_err(&failed)
}
