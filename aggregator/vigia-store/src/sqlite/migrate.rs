//! Schema migrations: the SQL files in `migrations/sqlite/`, applied in order at open, each in its own
//! transaction together with its row in `schema_version`.

use std::path::Path;

use rusqlite::{Connection, params};

use super::unix_ms;
use crate::StoreError;

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order. A new file in `migrations/sqlite/` must be added here (a test
/// checks it).
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "result_batches",
        sql: include_str!("../../migrations/sqlite/0001_result_batches.sql"),
    },
    Migration {
        version: 2,
        name: "state_and_api_keys",
        sql: include_str!("../../migrations/sqlite/0002_state_and_api_keys.sql"),
    },
    Migration {
        version: 3,
        name: "received_order",
        sql: include_str!("../../migrations/sqlite/0003_received_order.sql"),
    },
    Migration {
        version: 4,
        name: "events",
        sql: include_str!("../../migrations/sqlite/0004_events.sql"),
    },
];

/// Brings the database to the latest schema version; returns that version. Refuses a database
/// from a newer release rather than guess at its layout.
pub(super) fn apply(conn: &mut Connection, path: &Path) -> Result<i64, StoreError> {
    let open_error = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (\
             version INTEGER PRIMARY KEY, \
             name TEXT NOT NULL, \
             applied_at_ms INTEGER NOT NULL)",
    )
    .map_err(open_error)?;
    let current: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |row| row.get(0),
        )
        .map_err(open_error)?;
    let latest = MIGRATIONS.last().map_or(0, |m| m.version);
    if current > latest {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found: current,
            supported: latest,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        let failed = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        let tx = conn.transaction().map_err(failed)?;
        tx.execute_batch(migration.sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_version (version, name, applied_at_ms) VALUES (?1, ?2, ?3)",
            params![migration.version, migration.name, unix_ms()],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "schema migration applied"
        );
    }
    Ok(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("migrations folder")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .into_string()
                    .expect("utf-8")
            })
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.name))
            .collect();
        assert_eq!(files, listed);
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                migration.version,
                index as i64 + 1,
                "versions are 1, 2, 3, ..."
            );
        }
    }
}
