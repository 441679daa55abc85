//! Schema migrations: the SQL files in `migrations/postgres/`, embedded in the binary and applied
//! at connect by sqlx's migrator (each in its own transaction, recorded with a checksum in
//! `_sqlx_migrations`, under an advisory lock so that two aggregators starting together do not
//! race).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx_core::error::BoxDynError;
use sqlx_core::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};
use sqlx_postgres::PgPool;

use crate::StoreError;

struct File {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order. A new file in `migrations/postgres/` must be added here (a test
/// checks it). Applied files must never change: the migrator refuses a changed checksum.
const MIGRATIONS: &[File] = &[
    File {
        version: 1,
        name: "result_batches",
        sql: include_str!("../../migrations/postgres/0001_result_batches.sql"),
    },
    File {
        version: 2,
        name: "state_and_api_keys",
        sql: include_str!("../../migrations/postgres/0002_state_and_api_keys.sql"),
    },
    File {
        version: 3,
        name: "received_order",
        sql: include_str!("../../migrations/postgres/0003_received_order.sql"),
    },
    File {
        version: 4,
        name: "events",
        sql: include_str!("../../migrations/postgres/0004_events.sql"),
    },
];

/// The latest schema version this release knows.
pub(super) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The embedded files as a migration source (rather than a folder read at run time).
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        let migrations = MIGRATIONS
            .iter()
            .map(|file| {
                Migration::new(
                    file.version,
                    Cow::Borrowed(file.name),
                    MigrationType::Simple,
                    Cow::Borrowed(file.sql),
                    false,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

/// Brings the database to the latest schema version. Refuses a database from a newer release
/// (one with a migration this release does not know) rather than guess at its layout.
pub(super) async fn apply(pool: &PgPool) -> Result<(), StoreError> {
    let migrator = Migrator::new(Embedded)
        .await
        .map_err(StoreError::PgMigrate)?;
    migrator.run(pool).await.map_err(|error| match error {
        MigrateError::VersionMissing(found) => StoreError::PgSchemaTooNew {
            found,
            supported: latest(),
        },
        error => StoreError::PgMigrate(error),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
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

    #[test]
    fn both_backends_have_the_same_schema_versions() {
        let names = |dir: &str| -> Vec<String> {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .expect("migrations folder")
                .map(|entry| entry.expect("entry").file_name().to_string_lossy().into())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names("migrations/postgres"), names("migrations/sqlite"));
    }
}
