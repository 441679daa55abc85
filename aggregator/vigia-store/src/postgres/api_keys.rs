//! [`ApiKeyStore`](crate::ApiKeyStore) on PostgreSQL. Scopes are a `text[]`.

use sqlx_core::query::query;
use sqlx_core::row::Row;
use sqlx_postgres::{PgPool, PgRow, Postgres};

use super::pg_error;
use crate::int::{from_sql_count, to_sql_ms, to_sql_ms_opt};
use crate::{ApiKeyRow, StoreError};

pub(super) async fn create(pool: &PgPool, key: &ApiKeyRow) -> Result<(), StoreError> {
    let created_at_ms = to_sql_ms("created_at_ms", key.created_at_ms)?;
    let expires_at_ms = to_sql_ms_opt("expires_at_ms", key.expires_at_ms)?;
    let revoked_at_ms = to_sql_ms_opt("revoked_at_ms", key.revoked_at_ms)?;
    let inserted = query::<Postgres>(
        "INSERT INTO api_key \
         (id, name, hash, scopes, created_at_ms, expires_at_ms, revoked_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&key.id)
    .bind(&key.name)
    .bind(&key.hash[..])
    .bind(&key.scopes)
    .bind(created_at_ms)
    .bind(expires_at_ms)
    .bind(revoked_at_ms)
    .execute(pool)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(sqlx_core::Error::Database(db)) if db.is_unique_violation() => {
            let what = if db.constraint() == Some("api_key_pkey") {
                format!("api key `{}`", key.id)
            } else {
                "an api key with the same hash".to_owned()
            };
            Err(StoreError::Conflict { what })
        }
        Err(source) => Err(StoreError::Pg {
            what: "api key insert",
            source,
        }),
    }
}

pub(super) async fn revoke(pool: &PgPool, id: &str, at_ms: u64) -> Result<bool, StoreError> {
    let at_ms = to_sql_ms("revoked_at_ms", at_ms)?;
    query::<Postgres>(
        "UPDATE api_key SET revoked_at_ms = COALESCE(revoked_at_ms, $2) WHERE id = $1",
    )
    .bind(id)
    .bind(at_ms)
    .execute(pool)
    .await
    .map(|done| done.rows_affected() > 0)
    .map_err(pg_error("api key revocation"))
}

const COLUMNS: &str =
    "id, name, hash, scopes, created_at_ms, expires_at_ms, revoked_at_ms FROM api_key";

fn decode(row: &PgRow) -> Result<ApiKeyRow, StoreError> {
    let failed = pg_error("api key");
    let hash: Vec<u8> = row.try_get(2).map_err(&failed)?;
    let hash = <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| StoreError::Corrupt {
        what: "api key hash",
    })?;
    let expires: Option<i64> = row.try_get(5).map_err(&failed)?;
    let revoked: Option<i64> = row.try_get(6).map_err(&failed)?;
    Ok(ApiKeyRow {
        id: row.try_get(0).map_err(&failed)?,
        name: row.try_get(1).map_err(&failed)?,
        hash,
        scopes: row.try_get(3).map_err(&failed)?,
        created_at_ms: from_sql_count(row.try_get(4).map_err(&failed)?),
        expires_at_ms: expires.map(from_sql_count),
        revoked_at_ms: revoked.map(from_sql_count),
    })
}

pub(super) async fn by_hash(
    pool: &PgPool,
    hash: [u8; 32],
) -> Result<Option<ApiKeyRow>, StoreError> {
    query::<Postgres>(&format!("SELECT {COLUMNS} WHERE hash = $1"))
        .bind(&hash[..])
        .fetch_optional(pool)
        .await
        .map_err(pg_error("api key"))?
        .as_ref()
        .map(decode)
        .transpose()
}

pub(super) async fn list(pool: &PgPool) -> Result<Vec<ApiKeyRow>, StoreError> {
    query::<Postgres>(&format!("SELECT {COLUMNS} ORDER BY created_at_ms, id"))
        .fetch_all(pool)
        .await
        .map_err(pg_error("api keys"))?
        .iter()
        .map(decode)
        .collect()
}
