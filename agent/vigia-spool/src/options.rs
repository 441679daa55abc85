//! Tuning knobs for [`SledSpool`](crate::SledSpool).

use std::time::Duration;

/// What a commit does after sled has written its buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `sled::Db::flush` then fsync of every file and directory: survives power loss. The default.
    FlushAndFsync,
    /// `sled::Db::flush` only (`sync_file_range`): survives a process crash but NOT power loss.
    /// Exists to measure the cost of durability; do not use it in production.
    FlushOnly,
}

/// Options for [`SledSpool::open`](crate::SledSpool::open).
#[derive(Debug, Clone)]
pub struct SpoolOptions {
    /// Upper bound on stored payload bytes; the oldest records are dropped to make room.
    pub max_bytes: u64,
    /// A group commit starts once this many records are waiting...
    pub max_batch_records: usize,
    /// ...or this many payload bytes...
    pub max_batch_bytes: usize,
    /// ...or this long after the first waiting append arrived, whichever comes first.
    /// `Duration::ZERO` commits whatever is already queued without waiting.
    pub max_delay: Duration,
    /// A group commit packs its records into segments of about this many bytes (one sled value
    /// each; see [`segment`](crate::segment)). Keep it well below sled's blob threshold
    /// (`SLED_SEGMENT_SIZE / 4`): larger values become one file each.
    pub max_segment_bytes: usize,
    /// sled's page cache size.
    pub cache_capacity_bytes: u64,
    pub durability: Durability,
}

impl Default for SpoolOptions {
    fn default() -> Self {
        Self {
            max_bytes: 512 * 1024 * 1024,
            max_batch_records: 4096,
            max_batch_bytes: 8 * 1024 * 1024,
            max_delay: Duration::from_millis(5),
            max_segment_bytes: 64 * 1024,
            cache_capacity_bytes: 8 * 1024 * 1024,
            durability: Durability::FlushAndFsync,
        }
    }
}
