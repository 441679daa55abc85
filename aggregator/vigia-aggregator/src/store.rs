//! Opens the configured backend as one `Arc<dyn Store>`: the embedded SQLite store by default,
//! PostgreSQL when `[storage] backend = "postgres"`.

use std::sync::Arc;

use anyhow::Context;
use vigia_store::{PgOptions, PgStore, SqliteStore, Store};

use crate::config::{Backend, StorageConfig};

/// Opens (creating or migrating as needed) the store the config names.
pub(crate) async fn open(storage: &StorageConfig) -> anyhow::Result<Arc<dyn Store>> {
    match &storage.backend {
        Backend::Sqlite { data_dir } => {
            let dir = data_dir.value.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&dir))
                .await
                .context("store open task failed")?
                .with_context(|| {
                    format!("cannot open the store in {}", data_dir.value.display())
                })?;
            Ok(Arc::new(store))
        }
        Backend::Postgres { url, pool_size } => {
            let options = PgOptions {
                pool_size: *pool_size,
                ..PgOptions::default()
            };
            let store = PgStore::connect(url, options)
                .await
                .context("cannot open the PostgreSQL store")?;
            Ok(Arc::new(store))
        }
    }
}

/// Where the store is, for logs (never the PostgreSQL URL itself: it may hold a password).
pub(crate) fn describe(storage: &StorageConfig) -> String {
    match &storage.backend {
        Backend::Sqlite { data_dir } => format!("sqlite in {}", data_dir.value.display()),
        Backend::Postgres { .. } => "postgresql".to_owned(),
    }
}
