//! [`ApiKeyStore`](crate::ApiKeyStore) on SQLite. Scopes are stored as a JSON array of strings.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::read::read_error;
use crate::int::{from_sql_count, to_sql_ms, to_sql_ms_opt};
use crate::{ApiKeyRow, StoreError};

fn write_error(source: rusqlite::Error) -> StoreError {
    StoreError::Write {
        what: "api key",
        source,
    }
}

/// The row's values as stored, checked before the write is queued.
pub(super) struct SqlApiKey {
    key: ApiKeyRow,
    scopes_json: String,
    created_at_ms: i64,
    expires_at_ms: Option<i64>,
    revoked_at_ms: Option<i64>,
}

impl SqlApiKey {
    pub(super) fn new(key: ApiKeyRow) -> Result<Self, StoreError> {
        Ok(Self {
            scopes_json: serde_json::Value::from(key.scopes.clone()).to_string(),
            created_at_ms: to_sql_ms("created_at_ms", key.created_at_ms)?,
            expires_at_ms: to_sql_ms_opt("expires_at_ms", key.expires_at_ms)?,
            revoked_at_ms: to_sql_ms_opt("revoked_at_ms", key.revoked_at_ms)?,
            key,
        })
    }
}

pub(super) fn create(conn: &mut Connection, row: &SqlApiKey) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(write_error)?;
    let key = &row.key;
    let exists = |sql: &str, value: &dyn rusqlite::ToSql| {
        tx.query_row(sql, [value], |_| Ok(()))
            .optional()
            .map(|found| found.is_some())
            .map_err(write_error)
    };
    if exists("SELECT 1 FROM api_key WHERE id = ?1", &key.id)? {
        return Err(StoreError::Conflict {
            what: format!("api key `{}`", key.id),
        });
    }
    if exists("SELECT 1 FROM api_key WHERE hash = ?1", &key.hash)? {
        return Err(StoreError::Conflict {
            what: "an api key with the same hash".to_owned(),
        });
    }
    tx.execute(
        "INSERT INTO api_key \
         (id, name, hash, scopes_json, created_at_ms, expires_at_ms, revoked_at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            key.id,
            key.name,
            key.hash,
            row.scopes_json,
            row.created_at_ms,
            row.expires_at_ms,
            row.revoked_at_ms
        ],
    )
    .map_err(write_error)?;
    tx.commit().map_err(write_error)
}

pub(super) fn revoke(conn: &mut Connection, id: &str, at_ms: i64) -> Result<bool, StoreError> {
    conn.execute(
        "UPDATE api_key SET revoked_at_ms = COALESCE(revoked_at_ms, ?2) WHERE id = ?1",
        params![id, at_ms],
    )
    .map(|rows| rows > 0)
    .map_err(write_error)
}

const COLUMNS: &str =
    "id, name, hash, scopes_json, created_at_ms, expires_at_ms, revoked_at_ms FROM api_key";

/// A row as read, before its hash and scopes are checked.
struct RawKey {
    id: String,
    name: String,
    hash: Vec<u8>,
    scopes_json: String,
    created_at_ms: i64,
    expires_at_ms: Option<i64>,
    revoked_at_ms: Option<i64>,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawKey> {
    Ok(RawKey {
        id: row.get(0)?,
        name: row.get(1)?,
        hash: row.get(2)?,
        scopes_json: row.get(3)?,
        created_at_ms: row.get(4)?,
        expires_at_ms: row.get(5)?,
        revoked_at_ms: row.get(6)?,
    })
}

fn decode(raw: RawKey) -> Result<ApiKeyRow, StoreError> {
    let hash = <[u8; 32]>::try_from(raw.hash.as_slice()).map_err(|_| StoreError::Corrupt {
        what: "api key hash",
    })?;
    let scopes: Vec<String> =
        serde_json::from_str(&raw.scopes_json).map_err(|_| StoreError::Corrupt {
            what: "api key scopes",
        })?;
    Ok(ApiKeyRow {
        id: raw.id,
        name: raw.name,
        hash,
        scopes,
        created_at_ms: from_sql_count(raw.created_at_ms),
        expires_at_ms: raw.expires_at_ms.map(from_sql_count),
        revoked_at_ms: raw.revoked_at_ms.map(from_sql_count),
    })
}

pub(super) fn by_hash(conn: &Connection, hash: [u8; 32]) -> Result<Option<ApiKeyRow>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} WHERE hash = ?1"))
        .and_then(|mut select| select.query_row([&hash[..]], raw).optional())
        .map_err(read_error("api key"))?
        .map(decode)
        .transpose()
}

pub(super) fn list(conn: &Connection) -> Result<Vec<ApiKeyRow>, StoreError> {
    let raws: Vec<RawKey> = conn
        .prepare_cached(&format!("SELECT {COLUMNS} ORDER BY created_at_ms, id"))
        .and_then(|mut select| select.query_map([], raw)?.collect())
        .map_err(read_error("api keys"))?;
    raws.into_iter().map(decode).collect()
}
