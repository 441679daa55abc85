//! The crate's error type.

use std::path::PathBuf;
use std::sync::Arc;

/// Result alias for spool operations.
pub type Result<T, E = SpoolError> = std::result::Result<T, E>;

/// Errors from the durable spool.
///
/// `Clone` so that one failed group commit can be reported to every caller in it; IO errors are
/// therefore held in an `Arc`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SpoolError {
    #[error("failed to open spool at {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("failed to create spool directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("sled panicked while opening spool at {path}")]
    OpenPanicked { path: PathBuf },
    #[error("spool metadata at {path} is unreadable: {reason}")]
    Metadata { path: PathBuf, reason: &'static str },
    #[error("failed to move corrupt spool {from} aside to {to}")]
    Quarantine {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("sled {operation} failed in spool {path}")]
    Sled {
        operation: &'static str,
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("fsync of {path} failed")]
    Fsync {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("record {seq} has unsupported envelope version {version}")]
    UnsupportedVersion { seq: u64, version: u16 },
    #[error("record {seq} is truncated ({len} bytes)")]
    Truncated { seq: u64, len: usize },
    #[error("record {seq} failed its checksum (stored {stored:#010x}, computed {computed:#010x})")]
    Checksum {
        seq: u64,
        stored: u32,
        computed: u32,
    },
    #[error("append of {bytes} payload bytes can never fit in a spool of {max_bytes} bytes")]
    TooLarge { bytes: u64, max_bytes: u64 },
    #[error("failed to start the spool committer thread")]
    SpawnCommitter {
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("spool committer has stopped")]
    Closed,
}

impl SpoolError {
    /// True for errors about one stored record (bad checksum, unknown version, truncation): the
    /// caller can [`quarantine`](crate::Spool::quarantine) that record and carry on.
    pub fn corrupt_record(&self) -> Option<u64> {
        match self {
            SpoolError::UnsupportedVersion { seq, .. }
            | SpoolError::Truncated { seq, .. }
            | SpoolError::Checksum { seq, .. } => Some(*seq),
            _ => None,
        }
    }
}
