//! [`EventStore`](crate::EventStore) on SQLite: events, the correlator checkpoint and retention.
//! Writes run on the writer thread (each call one `BEGIN IMMEDIATE` transaction), reads on the
//! read connection. The outbox is in `outbox.rs`, maintenance windows in `maintenance.rs`.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::outbox;
use super::read::read_error;
use super::state::in_transaction;
use crate::events::{SqlEvent, SqlFilter, SqlNotice};
use crate::int::from_sql_count;
use crate::{EventRow, StoreError};

const COLUMNS: &str = "id, kind, status, root, started_ms, updated_ms, resolved_ms, body_json \
                       FROM outage_event";

pub(super) fn save(
    conn: &mut Connection,
    events: &[SqlEvent],
    notices: &[SqlNotice],
    checkpoint: Option<&str>,
) -> Result<(), StoreError> {
    in_transaction(conn, "events", |tx| {
        upsert_events(tx, events)?;
        outbox::insert(tx, notices)?;
        if let Some(checkpoint) = checkpoint {
            tx.execute(
                "INSERT INTO correlator_checkpoint (id, body) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                [checkpoint],
            )?;
        }
        Ok(())
    })
}

fn upsert_events(tx: &Transaction<'_>, events: &[SqlEvent]) -> rusqlite::Result<()> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO outage_event \
         (id, kind, status, root, started_ms, updated_ms, resolved_ms, body_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, status = excluded.status, \
         root = excluded.root, started_ms = excluded.started_ms, \
         updated_ms = excluded.updated_ms, resolved_ms = excluded.resolved_ms, \
         body_json = excluded.body_json",
    )?;
    for e in events {
        upsert.execute(params![
            e.id,
            e.kind,
            e.status,
            e.root,
            e.started_ms,
            e.updated_ms,
            e.resolved_ms,
            e.body_json
        ])?;
    }
    Ok(())
}

pub(super) fn prune(conn: &mut Connection, resolved_before_ms: i64) -> Result<u64, StoreError> {
    in_transaction(conn, "event retention", |tx| {
        tx.execute(
            "DELETE FROM event_notice WHERE state <> 'pending' AND event_id IN (\
             SELECT id FROM outage_event WHERE status = 'resolved' AND resolved_ms < ?1)",
            [resolved_before_ms],
        )?;
        let events = tx.execute(
            "DELETE FROM outage_event WHERE status = 'resolved' AND resolved_ms < ?1",
            [resolved_before_ms],
        )?;
        Ok(events as u64)
    })
}

fn event(row: &Row<'_>) -> rusqlite::Result<EventRow> {
    let resolved_ms: Option<i64> = row.get(6)?;
    Ok(EventRow {
        id: from_sql_count(row.get(0)?),
        kind: row.get(1)?,
        status: row.get(2)?,
        root: row.get(3)?,
        started_ms: from_sql_count(row.get(4)?),
        updated_ms: from_sql_count(row.get(5)?),
        resolved_ms: resolved_ms.map(from_sql_count),
        body_json: row.get(7)?,
    })
}

pub(super) fn checkpoint(conn: &Connection) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT body FROM correlator_checkpoint WHERE id = 1")
        .and_then(|mut select| select.query_row([], |row| row.get(0)).optional())
        .map_err(read_error("correlator checkpoint"))
}

pub(super) fn active(conn: &Connection) -> Result<Vec<EventRow>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} WHERE status = 'active' ORDER BY id"
    ))
    .and_then(|mut select| select.query_map([], event)?.collect())
    .map_err(read_error("active events"))
}

pub(super) fn by_id(conn: &Connection, id: i64) -> Result<Option<EventRow>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} WHERE id = ?1"))
        .and_then(|mut select| select.query_row([id], event).optional())
        .map_err(read_error("event"))
}

pub(super) fn list(conn: &Connection, filter: &SqlFilter) -> Result<Vec<EventRow>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} WHERE (?1 IS NULL OR status = ?1) \
         AND (?2 IS NULL OR started_ms >= ?2 OR resolved_ms >= ?2 OR status = 'active') \
         AND (?3 IS NULL OR id < ?3) \
         ORDER BY id DESC LIMIT ?4"
    ))
    .and_then(|mut select| {
        select
            .query_map(
                params![
                    filter.status,
                    filter.since_ms,
                    filter.before_id,
                    filter.limit
                ],
                event,
            )?
            .collect()
    })
    .map_err(read_error("events"))
}

pub(super) fn max_id(conn: &Connection) -> Result<u64, StoreError> {
    conn.prepare_cached("SELECT COALESCE(MAX(id), 0) FROM outage_event")
        .and_then(|mut select| select.query_row([], |row| row.get::<_, i64>(0)))
        .map(from_sql_count)
        .map_err(read_error("highest event id"))
}
