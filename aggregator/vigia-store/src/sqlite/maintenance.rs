//! Maintenance windows of [`EventStore`](crate::EventStore) on SQLite.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::read::read_error;
use super::state::{in_transaction, write_error};
use crate::events::SqlMaintenance;
use crate::int::from_sql_count;
use crate::{MaintenanceRow, StoreError};

const COLUMNS: &str = "id, entities_json, starts_ms, ends_ms, reason, created_by, created_ms \
                       FROM maintenance_window";

pub(super) fn create(
    conn: &mut Connection,
    window: &SqlMaintenance,
) -> Result<MaintenanceRow, StoreError> {
    let id = in_transaction(conn, "maintenance window", |tx| {
        tx.execute(
            "INSERT INTO maintenance_window \
             (entities_json, starts_ms, ends_ms, reason, created_by, created_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                window.entities_json,
                window.starts_ms,
                window.ends_ms,
                window.reason,
                window.created_by,
                window.created_ms
            ],
        )?;
        Ok(tx.last_insert_rowid())
    })?;
    Ok(window.row(id))
}

pub(super) fn update(conn: &mut Connection, window: &SqlMaintenance) -> Result<bool, StoreError> {
    let Some(id) = window.id else {
        return Ok(false);
    };
    conn.execute(
        "UPDATE maintenance_window SET entities_json = ?2, starts_ms = ?3, ends_ms = ?4, \
         reason = ?5, created_by = ?6, created_ms = ?7 WHERE id = ?1",
        params![
            id,
            window.entities_json,
            window.starts_ms,
            window.ends_ms,
            window.reason,
            window.created_by,
            window.created_ms
        ],
    )
    .map(|rows| rows > 0)
    .map_err(write_error("maintenance window"))
}

pub(super) fn delete(conn: &mut Connection, id: i64) -> Result<bool, StoreError> {
    conn.execute("DELETE FROM maintenance_window WHERE id = ?1", [id])
        .map(|rows| rows > 0)
        .map_err(write_error("maintenance window deletion"))
}

fn window(row: &Row<'_>) -> rusqlite::Result<MaintenanceRow> {
    Ok(MaintenanceRow {
        id: from_sql_count(row.get(0)?),
        entities_json: row.get(1)?,
        starts_ms: from_sql_count(row.get(2)?),
        ends_ms: from_sql_count(row.get(3)?),
        reason: row.get(4)?,
        created_by: row.get(5)?,
        created_ms: from_sql_count(row.get(6)?),
    })
}

pub(super) fn by_id(conn: &Connection, id: i64) -> Result<Option<MaintenanceRow>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} WHERE id = ?1"))
        .and_then(|mut select| select.query_row([id], window).optional())
        .map_err(read_error("maintenance window"))
}

pub(super) fn list(conn: &Connection) -> Result<Vec<MaintenanceRow>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} ORDER BY starts_ms, id"))
        .and_then(|mut select| select.query_map([], window)?.collect())
        .map_err(read_error("maintenance windows"))
}
