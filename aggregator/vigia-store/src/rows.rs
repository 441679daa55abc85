//! State rows with their times converted to what both backends store (checked before anything is
//! written), and the folding of repeated keys within one call for multi-row statements.

use std::collections::HashMap;

use crate::int::to_sql_ms;
use crate::{EdgeRow, EntityRow, StateChange, StoreError};

pub(crate) struct SqlEntity {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) site: Option<String>,
    pub(crate) attributes_json: String,
    pub(crate) first_seen_ms: i64,
    pub(crate) last_seen_ms: i64,
}

pub(crate) struct SqlEdge {
    pub(crate) parent: String,
    pub(crate) child: String,
    pub(crate) relation: String,
    pub(crate) source: String,
    pub(crate) seen_ms: i64,
}

pub(crate) struct SqlChange {
    pub(crate) entity_id: String,
    pub(crate) at_ms: i64,
    pub(crate) state: String,
    pub(crate) reason: String,
    pub(crate) source: String,
}

pub(crate) fn entities(rows: Vec<EntityRow>) -> Result<Vec<SqlEntity>, StoreError> {
    rows.into_iter()
        .map(|e| {
            Ok(SqlEntity {
                first_seen_ms: to_sql_ms("first_seen_ms", e.first_seen_ms)?,
                last_seen_ms: to_sql_ms("last_seen_ms", e.last_seen_ms)?,
                id: e.id,
                kind: e.kind,
                name: e.name,
                site: e.site,
                attributes_json: e.attributes_json,
            })
        })
        .collect()
}

pub(crate) fn edges(rows: Vec<EdgeRow>) -> Result<Vec<SqlEdge>, StoreError> {
    rows.into_iter()
        .map(|e| {
            Ok(SqlEdge {
                seen_ms: to_sql_ms("seen_ms", e.seen_ms)?,
                parent: e.parent,
                child: e.child,
                relation: e.relation,
                source: e.source,
            })
        })
        .collect()
}

pub(crate) fn changes(rows: Vec<StateChange>) -> Result<Vec<SqlChange>, StoreError> {
    rows.into_iter()
        .map(|c| {
            Ok(SqlChange {
                at_ms: to_sql_ms("at_ms", c.at_ms)?,
                entity_id: c.entity_id,
                state: c.state,
                reason: c.reason,
                source: c.source,
            })
        })
        .collect()
}

/// Folds entities with the same id into one, as upserting them one after the other would: the
/// later one's fields, the smallest `first_seen_ms`, the largest `last_seen_ms`. First-seen order
/// is kept. (A multi-row `INSERT ... ON CONFLICT DO UPDATE` may not touch a row twice.)
pub(crate) fn merge_entities(rows: Vec<SqlEntity>) -> Vec<SqlEntity> {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    let mut merged: Vec<SqlEntity> = Vec::with_capacity(rows.len());
    for row in rows {
        match index.get(&row.id) {
            Some(&at) => {
                let kept = &mut merged[at];
                let first_seen_ms = kept.first_seen_ms.min(row.first_seen_ms);
                let last_seen_ms = kept.last_seen_ms.max(row.last_seen_ms);
                *kept = SqlEntity {
                    first_seen_ms,
                    last_seen_ms,
                    ..row
                };
            }
            None => {
                index.insert(row.id.clone(), merged.len());
                merged.push(row);
            }
        }
    }
    merged
}

/// Folds edges with the same (parent, child, source) into one, as upserting them one after the
/// other would: the later relation, the largest `seen_ms`.
pub(crate) fn merge_edges(rows: Vec<SqlEdge>) -> Vec<SqlEdge> {
    let mut index: HashMap<(String, String, String), usize> = HashMap::with_capacity(rows.len());
    let mut merged: Vec<SqlEdge> = Vec::with_capacity(rows.len());
    for row in rows {
        let key = (row.parent.clone(), row.child.clone(), row.source.clone());
        match index.get(&key) {
            Some(&at) => {
                let kept = &mut merged[at];
                let seen_ms = kept.seen_ms.max(row.seen_ms);
                *kept = SqlEdge { seen_ms, ..row };
            }
            None => {
                index.insert(key, merged.len());
                merged.push(row);
            }
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(id: &str, name: &str, first: i64, last: i64) -> SqlEntity {
        SqlEntity {
            id: id.into(),
            kind: "onu".into(),
            name: name.into(),
            site: None,
            attributes_json: "{}".into(),
            first_seen_ms: first,
            last_seen_ms: last,
        }
    }

    #[test]
    fn repeated_entities_fold_like_sequential_upserts() {
        let merged = merge_entities(vec![
            entity("b", "old", 10, 20),
            entity("a", "only", 1, 2),
            entity("b", "new", 15, 18),
        ]);
        let got: Vec<_> = merged
            .iter()
            .map(|e| {
                (
                    e.id.as_str(),
                    e.name.as_str(),
                    e.first_seen_ms,
                    e.last_seen_ms,
                )
            })
            .collect();
        assert_eq!(got, [("b", "new", 10, 20), ("a", "only", 1, 2)]);
    }
}
