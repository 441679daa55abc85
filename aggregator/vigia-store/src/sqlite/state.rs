//! [`StateStore`](crate::StateStore) on SQLite: writes run on the writer thread (each call one
//! `BEGIN IMMEDIATE` transaction), reads on the read connection.

use rusqlite::{Connection, Row, Transaction, TransactionBehavior, params};

use super::read::read_error;
use crate::int::{from_sql_count, to_sql_limit};
use crate::rows::{SqlChange, SqlEdge, SqlEntity};
use crate::{EdgeRow, EntityRow, Pruned, StateChange, StoreError};

pub(super) fn write_error(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |source| StoreError::Write { what, source }
}

/// Runs `f` in one immediate transaction and commits it.
pub(super) fn in_transaction<T>(
    conn: &mut Connection,
    what: &'static str,
    f: impl FnOnce(&Transaction<'_>) -> Result<T, rusqlite::Error>,
) -> Result<T, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(write_error(what))?;
    let value = f(&tx).map_err(write_error(what))?;
    tx.commit().map_err(write_error(what))?;
    Ok(value)
}

pub(super) fn upsert_entities(
    conn: &mut Connection,
    entities: &[SqlEntity],
) -> Result<(), StoreError> {
    in_transaction(conn, "entities", |tx| {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO entity \
             (id, kind, name, site, attributes_json, first_seen_ms, last_seen_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
             site = excluded.site, attributes_json = excluded.attributes_json, \
             first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms), \
             last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)",
        )?;
        for e in entities {
            upsert.execute(params![
                e.id,
                e.kind,
                e.name,
                e.site,
                e.attributes_json,
                e.first_seen_ms,
                e.last_seen_ms
            ])?;
        }
        Ok(())
    })
}

pub(super) fn upsert_edges(conn: &mut Connection, edges: &[SqlEdge]) -> Result<(), StoreError> {
    in_transaction(conn, "edges", |tx| {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO topology_edge (parent, child, relation, source, seen_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (parent, child, source) DO UPDATE SET relation = excluded.relation, \
             seen_ms = MAX(seen_ms, excluded.seen_ms)",
        )?;
        for e in edges {
            upsert.execute(params![e.parent, e.child, e.relation, e.source, e.seen_ms])?;
        }
        Ok(())
    })
}

pub(super) fn delete_edges(
    conn: &mut Connection,
    edges: &[(String, String, String)],
) -> Result<u64, StoreError> {
    in_transaction(conn, "edge deletion", |tx| {
        let mut delete = tx.prepare_cached(
            "DELETE FROM topology_edge WHERE parent = ?1 AND child = ?2 AND source = ?3",
        )?;
        let mut deleted = 0;
        for (parent, child, source) in edges {
            deleted += delete.execute(params![parent, child, source])? as u64;
        }
        Ok(deleted)
    })
}

pub(super) fn append_changes(
    conn: &mut Connection,
    changes: &[SqlChange],
) -> Result<(), StoreError> {
    in_transaction(conn, "state changes", |tx| {
        let mut insert = tx.prepare_cached(
            "INSERT INTO state_change (entity_id, at_ms, state, reason, source) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (entity_id, at_ms, state) DO NOTHING",
        )?;
        for c in changes {
            insert.execute(params![c.entity_id, c.at_ms, c.state, c.reason, c.source])?;
        }
        Ok(())
    })
}

pub(super) fn prune(
    conn: &mut Connection,
    history_before_ms: i64,
    batches_before_ms: i64,
) -> Result<Pruned, StoreError> {
    in_transaction(conn, "retention", |tx| {
        // A change goes only if a later one of the same entity exists: the latest stays.
        let state_changes = tx.execute(
            "DELETE FROM state_change AS c WHERE c.at_ms < ?1 AND EXISTS (\
             SELECT 1 FROM state_change AS l WHERE l.entity_id = c.entity_id \
             AND (l.at_ms, l.id) > (c.at_ms, c.id))",
            [history_before_ms],
        )?;
        let batches = tx.execute(
            "DELETE FROM result_batch WHERE received_at_ms < ?1",
            [batches_before_ms],
        )?;
        Ok(Pruned {
            state_changes: state_changes as u64,
            batches: batches as u64,
        })
    })
}

fn entity(row: &Row<'_>) -> rusqlite::Result<EntityRow> {
    Ok(EntityRow {
        id: row.get(0)?,
        kind: row.get(1)?,
        name: row.get(2)?,
        site: row.get(3)?,
        attributes_json: row.get(4)?,
        first_seen_ms: from_sql_count(row.get(5)?),
        last_seen_ms: from_sql_count(row.get(6)?),
    })
}

fn change(row: &Row<'_>) -> rusqlite::Result<StateChange> {
    Ok(StateChange {
        entity_id: row.get(0)?,
        at_ms: from_sql_count(row.get(1)?),
        state: row.get(2)?,
        reason: row.get(3)?,
        source: row.get(4)?,
    })
}

pub(super) fn load_entities(conn: &Connection) -> Result<Vec<EntityRow>, StoreError> {
    conn.prepare_cached(
        "SELECT id, kind, name, site, attributes_json, first_seen_ms, last_seen_ms \
         FROM entity ORDER BY id",
    )
    .and_then(|mut select| select.query_map([], entity)?.collect())
    .map_err(read_error("entities"))
}

pub(super) fn load_edges(conn: &Connection) -> Result<Vec<EdgeRow>, StoreError> {
    conn.prepare_cached(
        "SELECT parent, child, relation, source, seen_ms FROM topology_edge \
         ORDER BY parent, child, source",
    )
    .and_then(|mut select| {
        select
            .query_map([], |row| {
                Ok(EdgeRow {
                    parent: row.get(0)?,
                    child: row.get(1)?,
                    relation: row.get(2)?,
                    source: row.get(3)?,
                    seen_ms: from_sql_count(row.get(4)?),
                })
            })?
            .collect()
    })
    .map_err(read_error("edges"))
}

pub(super) fn latest_changes(conn: &Connection) -> Result<Vec<StateChange>, StoreError> {
    conn.prepare_cached(
        "SELECT entity_id, at_ms, state, reason, source FROM state_change AS c \
         WHERE NOT EXISTS (SELECT 1 FROM state_change AS l WHERE l.entity_id = c.entity_id \
         AND (l.at_ms, l.id) > (c.at_ms, c.id)) \
         ORDER BY entity_id",
    )
    .and_then(|mut select| select.query_map([], change)?.collect())
    .map_err(read_error("latest state changes"))
}

pub(super) fn history(
    conn: &Connection,
    entity_id: &str,
    since_ms: i64,
    limit: usize,
) -> Result<Vec<StateChange>, StoreError> {
    conn.prepare_cached(
        "SELECT entity_id, at_ms, state, reason, source FROM state_change \
         WHERE entity_id = ?1 AND at_ms >= ?2 ORDER BY at_ms DESC, id DESC LIMIT ?3",
    )
    .and_then(|mut select| {
        select
            .query_map(params![entity_id, since_ms, to_sql_limit(limit)], change)?
            .collect()
    })
    .map_err(read_error("state history"))
}
