//! Opening a spool: create or recover, and quarantine a corrupt directory instead of failing
//! forever (a crash loop on a tower host is worse than losing a corrupt backlog).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use super::committer::unix_ms;
use super::index::{Index, SegInfo, Tracked};
use super::{
    DurableMark, META_TREE, QUARANTINE_TREE, REMOVED_TREE, SEGMENTS_TREE, Shared, SledSpool,
    key_seq, seq_key,
};
use crate::error::{Result, SpoolError};
use crate::fsync;
use crate::options::SpoolOptions;
use crate::segment::{self, RawRecords};

/// Version of our layout inside sled (trees and meta keys), independent of the envelope version.
/// Format 1 (one key per record) was never released.
const FORMAT: u16 = 2;

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
        .segment_size(crate::SLED_SEGMENT_SIZE)
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
    let sled_err = |operation| sled_error(dir, operation);
    let segments = db
        .open_tree(SEGMENTS_TREE)
        .map_err(sled_err("open segments"))?;
    let removed = db
        .open_tree(REMOVED_TREE)
        .map_err(sled_err("open removed"))?;
    let meta = db.open_tree(META_TREE).map_err(sled_err("open meta"))?;
    let quarantine = db
        .open_tree(QUARANTINE_TREE)
        .map_err(sled_err("open quarantine"))?;

    let bad_meta = |reason| SpoolError::Metadata {
        path: dir.to_path_buf(),
        reason,
    };
    let created = meta.is_empty() && segments.is_empty();
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

    let index = rebuild_index(&segments, &removed, stored_next, dir)?;
    let next_seq = index
        .segs
        .last_key_value()
        .map_or(stored_next, |(first, info)| {
            stored_next.max(first + u64::from(info.count))
        });
    let tracked = Tracked::new(index);
    let recovered = tracked.depth.records;

    let shared = Shared {
        dir: dir.to_path_buf(),
        options,
        epoch,
        db,
        segments,
        removed,
        meta,
        quarantine,
        tracked: Mutex::new(tracked),
        durable_next: DurableMark::new(next_seq),
        dropped_oldest: AtomicU64::new(0),
        commits: AtomicU64::new(0),
    };
    let report = OpenReport {
        created,
        quarantined: None,
        recovered,
    };
    Ok((SledSpool::from_shared(shared, next_seq)?, report))
}

/// Rebuilds the in-memory index from the `segments` and `removed` trees. A segment whose header
/// is damaged is taken to cover the sequences up to the next segment; its records then fail to
/// read and are quarantined one by one by the reader. Markers that match no segment (left by a
/// crash between deleting a segment and its markers) are deleted.
fn rebuild_index(
    segments: &sled::Tree,
    removed: &sled::Tree,
    stored_next: u64,
    dir: &Path,
) -> Result<Index> {
    let sled_err = |operation| sled_error(dir, operation);
    let bad_key = || SpoolError::Metadata {
        path: dir.to_path_buf(),
        reason: "segment or marker key malformed",
    };
    let mut firsts = Vec::new();
    for key in segments.iter().keys() {
        let key = key.map_err(sled_err("scan"))?;
        firsts.push(key_seq(&key).ok_or_else(bad_key)?);
    }
    let mut index = Index::default();
    for key in removed.iter().keys() {
        let key = key.map_err(sled_err("scan"))?;
        index.removed.insert(key_seq(&key).ok_or_else(bad_key)?);
    }
    for (i, &first) in firsts.iter().enumerate() {
        let limit = firsts.get(i + 1).copied().unwrap_or(u64::MAX);
        let Some(value) = segments.get(seq_key(first)).map_err(sled_err("scan"))? else {
            continue;
        };
        let gap = limit.saturating_sub(first);
        let count = match segment::count(first, &value) {
            Ok(count) if u64::from(count) <= gap => count,
            _ => {
                u32::try_from(gap.min(stored_next.saturating_sub(first)).max(1)).unwrap_or(u32::MAX)
            }
        };
        let end = first + u64::from(count);
        let mut info = SegInfo {
            count,
            live: 0,
            live_bytes: 0,
        };
        for (seq, raw) in RawRecords::new(first, &value).map_while(Result::ok) {
            if !index.removed.contains(&seq) {
                info.live_bytes += segment::payload_len(raw);
            }
        }
        info.live = (first..end)
            .filter(|seq| !index.removed.contains(seq))
            .count() as u32;
        if info.live == 0 {
            segments
                .remove(seq_key(first))
                .map_err(sled_err("segment remove"))?;
            continue;
        }
        index.segs.insert(first, info);
    }
    let stale: Vec<u64> = index
        .removed
        .iter()
        .copied()
        .filter(|seq| index.segment_of(*seq).is_none())
        .collect();
    for seq in stale {
        index.removed.remove(&seq);
        removed
            .remove(seq_key(seq))
            .map_err(sled_err("marker remove"))?;
    }
    Ok(index)
}

/// Maps a sled error of `operation` on the spool in `dir`.
fn sled_error(dir: &Path, operation: &'static str) -> impl Fn(sled::Error) -> SpoolError {
    let path = dir.to_path_buf();
    move |source| SpoolError::Sled {
        operation,
        path: path.clone(),
        source,
    }
}
