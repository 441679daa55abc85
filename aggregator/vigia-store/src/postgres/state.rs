//! [`StateStore`](crate::StateStore) on PostgreSQL: each write call is one transaction of one
//! multi-row statement (`UNNEST` of arrays), each read one query.

use sqlx_core::query::query;
use sqlx_core::row::Row;
use sqlx_postgres::{PgPool, PgRow, Postgres};

use super::pg_error;
use crate::int::{from_sql_count, to_sql_limit};
use crate::rows::{SqlChange, SqlEdge, SqlEntity};
use crate::{EdgeRow, EntityRow, Pruned, StateChange, StoreError};

pub(super) async fn upsert_entities(pool: &PgPool, rows: &[SqlEntity]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = rows.iter().map(|e| e.id.as_str()).collect();
    let kinds: Vec<&str> = rows.iter().map(|e| e.kind.as_str()).collect();
    let names: Vec<&str> = rows.iter().map(|e| e.name.as_str()).collect();
    let sites: Vec<Option<&str>> = rows.iter().map(|e| e.site.as_deref()).collect();
    let attributes: Vec<&str> = rows.iter().map(|e| e.attributes_json.as_str()).collect();
    let firsts: Vec<i64> = rows.iter().map(|e| e.first_seen_ms).collect();
    let lasts: Vec<i64> = rows.iter().map(|e| e.last_seen_ms).collect();
    query::<Postgres>(
        "INSERT INTO entity (id, kind, name, site, attributes_json, first_seen_ms, last_seen_ms) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
             $6::int8[], $7::int8[]) \
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, \
             site = EXCLUDED.site, attributes_json = EXCLUDED.attributes_json, \
             first_seen_ms = LEAST(entity.first_seen_ms, EXCLUDED.first_seen_ms), \
             last_seen_ms = GREATEST(entity.last_seen_ms, EXCLUDED.last_seen_ms)",
    )
    .bind(&ids)
    .bind(&kinds)
    .bind(&names)
    .bind(&sites)
    .bind(&attributes)
    .bind(&firsts)
    .bind(&lasts)
    .execute(pool)
    .await
    .map_err(pg_error("entity upsert"))?;
    Ok(())
}

pub(super) async fn upsert_edges(pool: &PgPool, rows: &[SqlEdge]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let parents: Vec<&str> = rows.iter().map(|e| e.parent.as_str()).collect();
    let children: Vec<&str> = rows.iter().map(|e| e.child.as_str()).collect();
    let relations: Vec<&str> = rows.iter().map(|e| e.relation.as_str()).collect();
    let sources: Vec<&str> = rows.iter().map(|e| e.source.as_str()).collect();
    let seen: Vec<i64> = rows.iter().map(|e| e.seen_ms).collect();
    query::<Postgres>(
        "INSERT INTO topology_edge (parent, child, relation, source, seen_ms) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[]) \
         ON CONFLICT (parent, child, source) DO UPDATE SET relation = EXCLUDED.relation, \
             seen_ms = GREATEST(topology_edge.seen_ms, EXCLUDED.seen_ms)",
    )
    .bind(&parents)
    .bind(&children)
    .bind(&relations)
    .bind(&sources)
    .bind(&seen)
    .execute(pool)
    .await
    .map_err(pg_error("edge upsert"))?;
    Ok(())
}

pub(super) async fn delete_edges(
    pool: &PgPool,
    edges: &[(String, String, String)],
) -> Result<u64, StoreError> {
    if edges.is_empty() {
        return Ok(0);
    }
    let parents: Vec<&str> = edges.iter().map(|e| e.0.as_str()).collect();
    let children: Vec<&str> = edges.iter().map(|e| e.1.as_str()).collect();
    let sources: Vec<&str> = edges.iter().map(|e| e.2.as_str()).collect();
    let done = query::<Postgres>(
        "DELETE FROM topology_edge AS e \
         USING UNNEST($1::text[], $2::text[], $3::text[]) AS d(parent, child, source) \
         WHERE e.parent = d.parent AND e.child = d.child AND e.source = d.source",
    )
    .bind(&parents)
    .bind(&children)
    .bind(&sources)
    .execute(pool)
    .await
    .map_err(pg_error("edge deletion"))?;
    Ok(done.rows_affected())
}

pub(super) async fn append_changes(pool: &PgPool, rows: &[SqlChange]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let entities: Vec<&str> = rows.iter().map(|c| c.entity_id.as_str()).collect();
    let at: Vec<i64> = rows.iter().map(|c| c.at_ms).collect();
    let states: Vec<&str> = rows.iter().map(|c| c.state.as_str()).collect();
    let reasons: Vec<&str> = rows.iter().map(|c| c.reason.as_str()).collect();
    let sources: Vec<&str> = rows.iter().map(|c| c.source.as_str()).collect();
    // `WITH ORDINALITY ... ORDER BY` makes the identity (append order) follow the given order.
    query::<Postgres>(
        "INSERT INTO state_change (entity_id, at_ms, state, reason, source) \
         SELECT entity_id, at_ms, state, reason, source \
         FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[]) \
             WITH ORDINALITY AS t(entity_id, at_ms, state, reason, source, position) \
         ORDER BY position \
         ON CONFLICT (entity_id, at_ms, state) DO NOTHING",
    )
    .bind(&entities)
    .bind(&at)
    .bind(&states)
    .bind(&reasons)
    .bind(&sources)
    .execute(pool)
    .await
    .map_err(pg_error("state change append"))?;
    Ok(())
}

pub(super) async fn prune(
    pool: &PgPool,
    history_before_ms: i64,
    batches_before_ms: i64,
) -> Result<Pruned, StoreError> {
    let failed = pg_error("retention");
    let mut tx = pool.begin().await.map_err(&failed)?;
    // A change goes only if a later one of the same entity exists: the latest stays.
    let state_changes = query::<Postgres>(
        "DELETE FROM state_change AS c WHERE c.at_ms < $1 AND EXISTS ( \
             SELECT 1 FROM state_change AS l WHERE l.entity_id = c.entity_id \
             AND (l.at_ms, l.id) > (c.at_ms, c.id))",
    )
    .bind(history_before_ms)
    .execute(&mut *tx)
    .await
    .map_err(&failed)?
    .rows_affected();
    let batches = query::<Postgres>("DELETE FROM result_batch WHERE received_at_ms < $1")
        .bind(batches_before_ms)
        .execute(&mut *tx)
        .await
        .map_err(&failed)?
        .rows_affected();
    tx.commit().await.map_err(&failed)?;
    Ok(Pruned {
        state_changes,
        batches,
    })
}

fn change(row: &PgRow) -> Result<StateChange, sqlx_core::Error> {
    Ok(StateChange {
        entity_id: row.try_get(0)?,
        at_ms: from_sql_count(row.try_get(1)?),
        state: row.try_get(2)?,
        reason: row.try_get(3)?,
        source: row.try_get(4)?,
    })
}

pub(super) async fn load_entities(pool: &PgPool) -> Result<Vec<EntityRow>, StoreError> {
    let failed = pg_error("entities");
    query::<Postgres>(
        "SELECT id, kind, name, site, attributes_json, first_seen_ms, last_seen_ms \
         FROM entity ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .map_err(&failed)?
    .iter()
    .map(|row| {
        Ok(EntityRow {
            id: row.try_get(0)?,
            kind: row.try_get(1)?,
            name: row.try_get(2)?,
            site: row.try_get(3)?,
            attributes_json: row.try_get(4)?,
            first_seen_ms: from_sql_count(row.try_get(5)?),
            last_seen_ms: from_sql_count(row.try_get(6)?),
        })
    })
    .collect::<Result<_, sqlx_core::Error>>()
    .map_err(&failed)
}

pub(super) async fn load_edges(pool: &PgPool) -> Result<Vec<EdgeRow>, StoreError> {
    let failed = pg_error("edges");
    query::<Postgres>(
        "SELECT parent, child, relation, source, seen_ms FROM topology_edge \
         ORDER BY parent, child, source",
    )
    .fetch_all(pool)
    .await
    .map_err(&failed)?
    .iter()
    .map(|row| {
        Ok(EdgeRow {
            parent: row.try_get(0)?,
            child: row.try_get(1)?,
            relation: row.try_get(2)?,
            source: row.try_get(3)?,
            seen_ms: from_sql_count(row.try_get(4)?),
        })
    })
    .collect::<Result<_, sqlx_core::Error>>()
    .map_err(&failed)
}

pub(super) async fn latest_changes(pool: &PgPool) -> Result<Vec<StateChange>, StoreError> {
    let failed = pg_error("latest state changes");
    query::<Postgres>(
        "SELECT DISTINCT ON (entity_id) entity_id, at_ms, state, reason, source \
         FROM state_change ORDER BY entity_id, at_ms DESC, id DESC",
    )
    .fetch_all(pool)
    .await
    .map_err(&failed)?
    .iter()
    .map(change)
    .collect::<Result<_, _>>()
    .map_err(&failed)
}

pub(super) async fn history(
    pool: &PgPool,
    entity_id: &str,
    since_ms: i64,
    limit: usize,
) -> Result<Vec<StateChange>, StoreError> {
    let failed = pg_error("state history");
    query::<Postgres>(
        "SELECT entity_id, at_ms, state, reason, source FROM state_change \
         WHERE entity_id = $1 AND at_ms >= $2 ORDER BY at_ms DESC, id DESC LIMIT $3",
    )
    .bind(entity_id)
    .bind(since_ms)
    .bind(to_sql_limit(limit))
    .fetch_all(pool)
    .await
    .map_err(&failed)?
    .iter()
    .map(change)
    .collect::<Result<_, _>>()
    .map_err(&failed)
}
