//! Reads of result batches and of the database's settings.

use rusqlite::{Connection, OptionalExtension, params};

use crate::int::{from_sql_count, from_sql_epoch, to_sql_epoch, to_sql_limit};
use crate::{
    ACKED_ABOVE_LIMIT, Acked, AgentId, ReceivedBatch, ReceivedCursor, StoreError, StoredBatch,
};

pub(super) fn read_error(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |source| StoreError::Read { what, source }
}

/// The watermark of a stream inside a transaction or on the read connection; 0 when none.
pub(crate) fn watermark(
    conn: &Connection,
    agent: &AgentId,
    epoch: i64,
) -> Result<i64, rusqlite::Error> {
    conn.prepare_cached("SELECT up_to FROM stream_watermark WHERE agent_id = ?1 AND epoch = ?2")?
        .query_row(params![agent.as_str(), epoch], |row| row.get(0))
        .optional()
        .map(|up_to| up_to.unwrap_or(0))
}

pub(crate) fn acked(conn: &Connection, agent: &AgentId, epoch: u64) -> Result<Acked, StoreError> {
    let sql_epoch = to_sql_epoch(epoch);
    let up_to = watermark(conn, agent, sql_epoch).map_err(read_error("watermark"))?;
    let limit = i64::try_from(ACKED_ABOVE_LIMIT).unwrap_or(i64::MAX);
    let mut above = conn
        .prepare_cached(
            "SELECT seq FROM result_batch WHERE agent_id = ?1 AND epoch = ?2 AND seq > ?3 \
             ORDER BY seq LIMIT ?4",
        )
        .map_err(read_error("sequences above the watermark"))?;
    let above = above
        .query_map(params![agent.as_str(), sql_epoch, up_to, limit], |row| {
            row.get::<_, i64>(0)
        })
        .and_then(|rows| rows.map(|seq| seq.map(from_sql_count)).collect())
        .map_err(read_error("sequences above the watermark"))?;
    Ok(Acked {
        epoch,
        up_to: from_sql_count(up_to),
        above,
    })
}

pub(crate) fn batch_count(conn: &Connection, agent: &AgentId) -> Result<u64, StoreError> {
    conn.prepare_cached("SELECT COUNT(*) FROM result_batch WHERE agent_id = ?1")
        .and_then(|mut count| count.query_row([agent.as_str()], |row| row.get::<_, i64>(0)))
        .map(from_sql_count)
        .map_err(read_error("batch count"))
}

pub(crate) fn batches(
    conn: &Connection,
    agent: &AgentId,
    epoch: u64,
) -> Result<Vec<StoredBatch>, StoreError> {
    let mut select = conn
        .prepare_cached(
            "SELECT seq, live, payload, received_at_ms FROM result_batch \
             WHERE agent_id = ?1 AND epoch = ?2 ORDER BY seq",
        )
        .map_err(read_error("batches"))?;
    select
        .query_map(params![agent.as_str(), to_sql_epoch(epoch)], |row| {
            Ok(StoredBatch {
                epoch,
                seq: from_sql_count(row.get(0)?),
                live: row.get(1)?,
                payload: row.get(2)?,
                received_at_ms: from_sql_count(row.get(3)?),
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(read_error("batches"))
}

/// The latest `received_at_ms` stored (0 when none), where the writer's stamps continue from.
pub(crate) fn latest_received(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row(
        "SELECT COALESCE(MAX(received_at_ms), 0) FROM result_batch",
        [],
        |row| row.get(0),
    )
}

/// One page of batches after `cursor` in received order (see
/// [`IngestStore::received_after`](crate::IngestStore::received_after)). Rows are stepped
/// through in index order and a payload is read only once it fits the page.
pub(crate) fn received_after(
    conn: &Connection,
    cursor: &ReceivedCursor,
    limit: usize,
    max_bytes: usize,
) -> Result<Vec<ReceivedBatch>, StoreError> {
    let fail = read_error("batches in received order");
    // Stored times are at most i64::MAX: nothing is received after a later one.
    let Ok(after_ms) = i64::try_from(cursor.received_at_ms) else {
        return Ok(Vec::new());
    };
    // Stored sequences are at most i64::MAX, so a larger one compares the same as i64::MAX.
    let after_seq = i64::try_from(cursor.seq).unwrap_or(i64::MAX);
    let mut select = conn
        .prepare_cached(
            "SELECT agent_id, epoch, seq, live, received_at_ms, length(payload), payload              FROM result_batch              WHERE (received_at_ms, agent_id, epoch, seq) > (?1, ?2, ?3, ?4)              ORDER BY received_at_ms, agent_id, epoch, seq LIMIT ?5",
        )
        .map_err(&fail)?;
    let mut rows = select
        .query(params![
            after_ms,
            cursor.agent,
            to_sql_epoch(cursor.epoch),
            after_seq,
            to_sql_limit(limit.max(1)),
        ])
        .map_err(&fail)?;
    let mut page = Vec::new();
    let mut bytes: usize = 0;
    while let Some(row) = rows.next().map_err(&fail)? {
        let size = usize::try_from(row.get::<_, i64>(5).map_err(&fail)?).unwrap_or(usize::MAX);
        bytes = bytes.saturating_add(size);
        if !page.is_empty() && bytes > max_bytes {
            break;
        }
        let agent: String = row.get(0).map_err(&fail)?;
        let agent = AgentId::new(agent).map_err(|_| StoreError::Corrupt {
            what: "agent id of a result batch",
        })?;
        let batch = StoredBatch {
            epoch: from_sql_epoch(row.get(1).map_err(&fail)?),
            seq: from_sql_count(row.get(2).map_err(&fail)?),
            live: row.get(3).map_err(&fail)?,
            received_at_ms: from_sql_count(row.get(4).map_err(&fail)?),
            payload: row.get(6).map_err(&fail)?,
        };
        page.push(ReceivedBatch::new(agent, batch));
    }
    Ok(page)
}

pub(crate) fn durability(conn: &Connection) -> Result<(String, i64), StoreError> {
    let mode = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .map_err(read_error("journal_mode"))?;
    let synchronous = conn
        .pragma_query_value(None, "synchronous", |row| row.get(0))
        .map_err(read_error("synchronous"))?;
    Ok((mode, synchronous))
}

pub(crate) fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |row| row.get(0),
    )
    .map_err(read_error("schema version"))
}
