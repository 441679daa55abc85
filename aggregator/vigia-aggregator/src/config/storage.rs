//! `[storage]`: the embedded SQLite store (default) or PostgreSQL, and retention.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Located, Resolve};

/// Environment variable that supplies (or overrides) `storage.url`, so the database password
/// need not sit in the config file.
pub(crate) const DATABASE_URL_ENV: &str = "VIGIA_DATABASE_URL";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    backend: Option<Spanned<String>>,
    data_dir: Option<Spanned<PathBuf>>,
    url: Option<Spanned<String>>,
    pool_size: Option<Spanned<u64>>,
    history_days: Option<Spanned<u64>>,
    batch_days: Option<Spanned<u64>>,
}

#[derive(Debug)]
pub(crate) enum Backend {
    Sqlite {
        data_dir: Located<PathBuf>,
    },
    Postgres {
        /// From the file or from [`DATABASE_URL_ENV`]; may hold a password: never log it.
        url: String,
        pool_size: u32,
    },
}

#[derive(Debug)]
pub(crate) struct StorageConfig {
    pub(crate) backend: Backend,
    /// State changes older than this are deleted (each entity's current state is kept).
    pub(crate) history_days: u64,
    /// Result batches older than this are deleted (the live state and history keep what they
    /// derived from them).
    pub(crate) batch_days: u64,
}

pub(super) fn resolve(
    raw: Spanned<RawStorage>,
    cx: &Resolve<'_>,
    errors: &mut Vec<ConfigError>,
) -> StorageConfig {
    let section_at = cx.at(raw.span().start);
    let raw = raw.into_inner();
    let history_days = cx.ranged(
        raw.history_days,
        "storage.history_days",
        90,
        1..=3650,
        errors,
    );
    let batch_days = cx.ranged(raw.batch_days, "storage.batch_days", 7, 1..=3650, errors);
    let pool_size = cx.ranged(raw.pool_size, "storage.pool_size", 16, 1..=1024, errors);
    let (name, name_at) = match raw.backend {
        Some(spanned) => {
            let at = cx.at(spanned.span().start);
            (spanned.into_inner(), Some(at))
        }
        None => ("sqlite".to_owned(), None),
    };
    let section_line = Some(name_at.unwrap_or(section_at));
    let backend = match name.as_str() {
        "sqlite" => match raw.data_dir {
            Some(dir) => Backend::Sqlite {
                data_dir: cx.path(dir),
            },
            None => {
                errors.push(missing(
                    section_line,
                    cx,
                    "storage.data_dir is required for the sqlite backend",
                ));
                Backend::Sqlite {
                    data_dir: cx.path(Spanned::new(0..0, PathBuf::new())),
                }
            }
        },
        "postgres" => {
            let from_env = std::env::var(DATABASE_URL_ENV)
                .ok()
                .filter(|u| !u.is_empty());
            let url = from_env.or_else(|| raw.url.map(Spanned::into_inner));
            match url {
                Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                    Backend::Postgres {
                        url,
                        pool_size: u32::try_from(pool_size).unwrap_or(16),
                    }
                }
                Some(_) => {
                    errors.push(missing(
                        section_line,
                        cx,
                        "storage.url must start with postgres:// or postgresql://",
                    ));
                    Backend::Postgres {
                        url: String::new(),
                        pool_size: 1,
                    }
                }
                None => {
                    errors.push(missing(
                        section_line,
                        cx,
                        &format!(
                            "the postgres backend needs storage.url or the {DATABASE_URL_ENV} \
                             environment variable"
                        ),
                    ));
                    Backend::Postgres {
                        url: String::new(),
                        pool_size: 1,
                    }
                }
            }
        }
        other => {
            errors.push(missing(
                section_line,
                cx,
                &format!("storage.backend `{other}` is unknown: use \"sqlite\" or \"postgres\""),
            ));
            Backend::Postgres {
                url: String::new(),
                pool_size: 1,
            }
        }
    };
    StorageConfig {
        backend,
        history_days,
        batch_days,
    }
}

fn missing(at: Option<super::Location>, cx: &Resolve<'_>, message: &str) -> ConfigError {
    ConfigError::new(&at.unwrap_or_else(|| cx.at(0)), message)
}
