//! Opening a spool: create or recover, and quarantine a corrupt directory instead of failing
//! forever (a crash loop on a tower host is worse than losing a corrupt backlog).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use super::committer::unix_ms;
use super::{META_TREE, QUARANTINE_TREE, RECORDS_TREE, Shared, SledSpool, key_seq, payload_len};
use crate::Depth;
use crate::error::{Result, SpoolError};
use crate::fsync;
use crate::options::SpoolOptions;

/// Version of our layout inside sled (trees and meta keys), independent of the envelope version.
const FORMAT: u16 = 1;

/// What happened while opening.
#[derive(Debug)]
pub struct OpenReport {
    /// True when no usable spool existed and a fresh one (new epoch) was created.
    pub created: bool,
    /// Set when a corrupt spool was moved aside; the agent should raise an event.
    pub quarantined: Option<QuarantinedSpool>,
    /// Records found on open.
    pub recovered: u64,
}

/// A spool directory that was moved aside.
#[derive(Debug)]
pub struct QuarantinedSpool {
    pub moved_to: PathBuf,
    pub cause: SpoolError,
}

pub(super) fn open(dir: &Path, options: SpoolOptions) -> Result<(SledSpool, OpenReport)> {
    match try_open(dir, options.clone()) {
        Ok(ok) => Ok(ok),
        Err(cause) if is_corruption(&cause) => {
            let moved_to = move_aside(dir)?;
            tracing::error!(error = %cause, dir = %dir.display(), moved_to = %moved_to.display(), "corrupt spool quarantined, starting a fresh one");
            // A second failure is returned as is: no loop.
            let (spool, mut report) = try_open(dir, options)?;
            report.quarantined = Some(QuarantinedSpool { moved_to, cause });
            Ok((spool, report))
        }
        Err(e) => Err(e),
    }
}

/// Errors that a fresh directory would fix. IO errors (lock held, permissions, disk) are not.
fn is_corruption(error: &SpoolError) -> bool {
    match error {
        SpoolError::Open { source, .. } | SpoolError::Sled { source, .. } => !matches!(
            source,
            sled::Error::Io(_) | sled::Error::CollectionNotFound(_)
        ),
        SpoolError::OpenPanicked { .. } | SpoolError::Metadata { .. } => true,
        _ => false,
    }
}

fn move_aside(dir: &Path) -> Result<PathBuf> {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".quarantined-{}", unix_ms()));
    let to = dir.with_file_name(name);
    std::fs::rename(dir, &to).map_err(|source| SpoolError::Quarantine {
        from: dir.to_path_buf(),
        to: to.clone(),
        source: Arc::new(source),
    })?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fsync::sync_dir(parent)?;
    }
    Ok(to)
}

fn try_open(dir: &Path, options: SpoolOptions) -> Result<(SledSpool, OpenReport)> {
    let existed = dir.join("conf").exists() || dir.join("db").exists();
    std::fs::create_dir_all(dir).map_err(|source| SpoolError::CreateDir {
        path: dir.to_path_buf(),
        source: Arc::new(source),
    })?;
    let config = sled::Config::new()
        .path(dir)
        .cache_capacity(options.cache_capacity_bytes);
    // sled 0.34 can panic on some corrupt inputs instead of returning an error.
    let db = catch_unwind(AssertUnwindSafe(|| config.open()))
        .map_err(|_| SpoolError::OpenPanicked {
            path: dir.to_path_buf(),
        })?
        .map_err(|source| SpoolError::Open {
            path: dir.to_path_buf(),
            source,
        })?;
    let sled_err = |operation| {
        let path = dir.to_path_buf();
        move |source| SpoolError::Sled {
            operation,
            path: path.clone(),
            source,
        }
    };
    let records = db
        .open_tree(RECORDS_TREE)
        .map_err(sled_err("open records"))?;
    let meta = db.open_tree(META_TREE).map_err(sled_err("open meta"))?;
    let quarantine = db
        .open_tree(QUARANTINE_TREE)
        .map_err(sled_err("open quarantine"))?;

    let bad_meta = |reason| SpoolError::Metadata {
        path: dir.to_path_buf(),
        reason,
    };
    let created = meta.is_empty() && records.is_empty();
    let (epoch, stored_next) = if created {
        if existed {
            return Err(bad_meta("sled files exist but hold no spool metadata"));
        }
        let epoch = loop {
            let e: u64 = rand::random();
            if e != 0 {
                break e;
            }
        };
        meta.insert("format", &FORMAT.to_be_bytes())
            .map_err(sled_err("meta insert"))?;
        meta.insert("epoch", &epoch.to_be_bytes())
            .map_err(sled_err("meta insert"))?;
        meta.insert("next_seq", &1u64.to_be_bytes())
            .map_err(sled_err("meta insert"))?;
        db.flush().map_err(sled_err("flush"))?;
        fsync::sync_tree(dir)?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fsync::sync_dir(parent)?;
        }
        (epoch, 1)
    } else {
        let read = |key: &'static str| -> Result<Option<sled::IVec>> {
            meta.get(key).map_err(sled_err("meta read"))
        };
        let format = read("format")?.ok_or_else(|| bad_meta("format missing"))?;
        let format =
            <[u8; 2]>::try_from(format.as_ref()).map_err(|_| bad_meta("format malformed"))?;
        if u16::from_be_bytes(format) != FORMAT {
            return Err(bad_meta("unsupported format version"));
        }
        let u64_of = |key: &'static str| -> Result<u64> {
            let v = read(key)?.ok_or_else(|| bad_meta("epoch or next_seq missing"))?;
            key_seq(&v).ok_or_else(|| bad_meta("epoch or next_seq malformed"))
        };
        (u64_of("epoch")?, u64_of("next_seq")?)
    };

    // Recompute depth; also guards against a next_seq older than the records (defence in depth).
    let mut depth = Depth::default();
    let mut last_seq = 0;
    for item in records.iter() {
        let (key, value) = item.map_err(sled_err("scan"))?;
        last_seq = key_seq(&key).ok_or_else(|| bad_meta("record key malformed"))?;
        depth.records += 1;
        depth.bytes += payload_len(&value);
    }
    let next_seq = stored_next.max(last_seq + 1);

    let shared = Shared {
        dir: dir.to_path_buf(),
        options,
        epoch,
        db,
        records,
        meta,
        quarantine,
        depth: Mutex::new(depth),
        durable_next: AtomicU64::new(next_seq),
        dropped_oldest: AtomicU64::new(0),
        commits: AtomicU64::new(0),
    };
    let report = OpenReport {
        created,
        quarantined: None,
        recovered: depth.records,
    };
    Ok((SledSpool::from_shared(shared, next_seq)?, report))
}
