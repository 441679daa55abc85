//! fsync of every file and directory under the sled directory.
//!
//! sled 0.34's `flush` ends in `sync_file_range(2)`, which writes dirty pages but neither
//! persists file metadata nor flushes the drive's volatile cache, so it does not survive power
//! loss. After each flush we `fsync` (`File::sync_all`) every file in the directory tree and then
//! the directories themselves, which does both.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Result, SpoolError};

/// fsyncs every regular file under `dir` (recursively), then each directory, then `dir` itself.
pub fn sync_tree(dir: &Path) -> Result<()> {
    let err = |path: &Path, source: std::io::Error| SpoolError::Fsync {
        path: path.to_path_buf(),
        source: Arc::new(source),
    };
    let entries = std::fs::read_dir(dir).map_err(|e| err(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| err(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| err(&path, e))?;
        if file_type.is_dir() {
            sync_tree(&path)?;
        } else if file_type.is_file() {
            match File::open(&path) {
                Ok(file) => file.sync_all().map_err(|e| err(&path, e))?,
                // sled may delete a file (an old snapshot) between read_dir and open.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(err(&path, e)),
            }
        }
    }
    sync_dir(dir)
}

/// fsyncs one directory, making the entries in it (created or renamed files) durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| SpoolError::Fsync {
            path: dir.to_path_buf(),
            source: Arc::new(source),
        })
}
