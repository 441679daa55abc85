//! The outbox of [`EventStore`](crate::EventStore) on SQLite: inserting (and coalescing) notices
//! inside the save transaction, what is due, and the delivery transitions.
//!
//! The SQL spells `state = 'pending'` literally so that SQLite uses the partial indexes.

use rusqlite::{Connection, Row, Transaction, params};

use super::read::read_error;
use super::state::write_error;
use crate::events::{Delivery, SqlNotice};
use crate::int::{from_sql_count, to_sql_limit};
use crate::{NoticeRow, StoreError};

const COLUMNS: &str = "id, event_id, channel, kind, created_ms, next_attempt_ms, attempts, \
                       state, last_error, sent_ms, payload_json FROM event_notice";

/// Inserts notices in order, coalescing a pending `updated` one into the latest pending
/// `updated` one of its event and channel that is not yet due at its `created_ms` (see
/// [`save_events`](crate::EventStore::save_events)).
pub(super) fn insert(tx: &Transaction<'_>, notices: &[SqlNotice]) -> rusqlite::Result<()> {
    let mut coalesce = tx.prepare_cached(
        "UPDATE event_notice SET payload_json = ?1, created_ms = ?2, next_attempt_ms = ?3 \
         WHERE id = (SELECT id FROM event_notice WHERE event_id = ?4 AND channel = ?5 \
             AND kind = 'updated' AND state = 'pending' AND next_attempt_ms > ?2 \
             ORDER BY id DESC LIMIT 1)",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO event_notice (event_id, channel, kind, created_ms, next_attempt_ms, \
         attempts, state, last_error, sent_ms, payload_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for n in notices {
        if n.coalesces()
            && coalesce.execute(params![
                n.payload_json,
                n.created_ms,
                n.next_attempt_ms,
                n.event_id,
                n.channel
            ])? == 1
        {
            continue;
        }
        insert.execute(params![
            n.event_id,
            n.channel,
            n.kind,
            n.created_ms,
            n.next_attempt_ms,
            n.attempts,
            n.state,
            n.last_error,
            n.sent_ms,
            n.payload_json
        ])?;
    }
    Ok(())
}

fn notice(row: &Row<'_>) -> rusqlite::Result<NoticeRow> {
    let sent_ms: Option<i64> = row.get(9)?;
    Ok(NoticeRow {
        id: from_sql_count(row.get(0)?),
        event_id: from_sql_count(row.get(1)?),
        channel: row.get(2)?,
        kind: row.get(3)?,
        created_ms: from_sql_count(row.get(4)?),
        next_attempt_ms: from_sql_count(row.get(5)?),
        // The schema keeps attempts in u32's range.
        attempts: u32::try_from(row.get::<_, i64>(6)?).unwrap_or(u32::MAX),
        state: row.get(7)?,
        last_error: row.get(8)?,
        sent_ms: sent_ms.map(from_sql_count),
        payload_json: row.get(10)?,
    })
}

pub(super) fn due(
    conn: &Connection,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<NoticeRow>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} AS n WHERE n.state = 'pending' AND n.next_attempt_ms <= ?1 \
         AND NOT EXISTS (SELECT 1 FROM event_notice AS h WHERE h.state = 'pending' \
             AND h.channel = n.channel AND h.id < n.id AND h.next_attempt_ms > ?1) \
         ORDER BY n.id LIMIT ?2"
    ))
    .and_then(|mut select| {
        select
            .query_map(params![now_ms, to_sql_limit(limit.max(1))], notice)?
            .collect()
    })
    .map_err(read_error("due notices"))
}

pub(super) fn next_due(conn: &Connection) -> Result<Option<u64>, StoreError> {
    conn.prepare_cached(
        "SELECT MIN(n.next_attempt_ms) FROM event_notice AS n WHERE n.state = 'pending' \
         AND NOT EXISTS (SELECT 1 FROM event_notice AS h WHERE h.state = 'pending' \
         AND h.channel = n.channel AND h.id < n.id)",
    )
    .and_then(|mut select| select.query_row([], |row| row.get::<_, Option<i64>>(0)))
    .map(|due| due.map(from_sql_count))
    .map_err(read_error("next notice due"))
}

pub(super) fn pending_count(conn: &Connection) -> Result<u64, StoreError> {
    conn.prepare_cached("SELECT COUNT(*) FROM event_notice WHERE state = 'pending'")
        .and_then(|mut select| select.query_row([], |row| row.get::<_, i64>(0)))
        .map(from_sql_count)
        .map_err(read_error("pending notices"))
}

pub(super) fn for_event(conn: &Connection, event_id: i64) -> Result<Vec<NoticeRow>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} WHERE event_id = ?1 ORDER BY id"))
        .and_then(|mut select| select.query_map([event_id], notice)?.collect())
        .map_err(read_error("event notices"))
}

/// Applies `delivery` to the pending notice `id`; false when no pending notice has this id.
pub(super) fn deliver(
    conn: &mut Connection,
    id: i64,
    delivery: &Delivery,
) -> Result<bool, StoreError> {
    let rows = match delivery {
        Delivery::Sent { at_ms } => conn.execute(
            "UPDATE event_notice SET state = 'sent', sent_ms = ?2 \
             WHERE id = ?1 AND state = 'pending'",
            params![id, at_ms],
        ),
        Delivery::Retry {
            attempts,
            next_attempt_ms,
            error,
        } => conn.execute(
            "UPDATE event_notice SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4 \
             WHERE id = ?1 AND state = 'pending'",
            params![id, attempts, next_attempt_ms, error],
        ),
        Delivery::Failed { attempts, error } => conn.execute(
            "UPDATE event_notice SET state = 'failed', attempts = ?2, last_error = ?3 \
             WHERE id = ?1 AND state = 'pending'",
            params![id, attempts, error],
        ),
    };
    rows.map(|rows| rows > 0)
        .map_err(write_error("notice delivery state"))
}
