//! Durable [`KvStore`]: one JSON file per plugin (`<dir>/<plugin>.kv.json`), rewritten whole and
//! atomically on every change (write a temp file, fsync it, rename it over, fsync the directory).
//!
//! The state of a plugin is small (capped by [`KvLimits`]), so a whole-file rewrite is cheap and
//! a crash leaves either the old or the new file, never a mix. Files are cached after the first
//! read; one process owns a directory.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{KvError, KvLimits, KvStore, Namespace};

/// On-disk form, version 1. Values are hex so the file stays readable JSON.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileV1 {
    version: u32,
    entries: BTreeMap<String, String>,
}

const VERSION: u32 = 1;

#[derive(Debug)]
pub struct FileKv {
    dir: PathBuf,
    limits: KvLimits,
    cache: Mutex<HashMap<String, Namespace>>,
}

impl FileKv {
    /// Uses `dir` (created if needed) with the default [`KvLimits`].
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, KvError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|source| KvError::Io {
            op: "create directory",
            path: dir.clone(),
            source,
        })?;
        Ok(Self {
            dir,
            limits: KvLimits::default(),
            cache: Mutex::default(),
        })
    }

    pub fn with_limits(self, limits: KvLimits) -> Self {
        Self { limits, ..self }
    }

    fn path(&self, plugin: &str) -> Result<PathBuf, KvError> {
        if !crate::plugin::is_valid_id(plugin) {
            return Err(KvError::InvalidPlugin {
                plugin: plugin.to_owned(),
            });
        }
        Ok(self.dir.join(format!("{plugin}.kv.json")))
    }

    /// Runs `f` on the plugin's namespace (loaded from disk on first use) with the lock held.
    fn with<R>(
        &self,
        plugin: &str,
        f: impl FnOnce(&Path, &mut Namespace) -> Result<R, KvError>,
    ) -> Result<R, KvError> {
        let path = self.path(plugin)?;
        // The cache is only replaced after a successful write, so a poisoned lock is consistent.
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !cache.contains_key(plugin) {
            cache.insert(plugin.to_owned(), read_file(&path)?);
        }
        let ns = cache.get_mut(plugin).expect("inserted above");
        f(&path, ns)
    }
}

impl KvStore for FileKv {
    fn get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Namespace::check_key(&self.limits, key)?;
        self.with(plugin, |_, ns| Ok(ns.entries.get(key).cloned()))
    }

    fn set(&self, plugin: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.with(plugin, |path, ns| {
            let mut next = ns.clone();
            next.set(&self.limits, plugin, key, value)?;
            write_file(path, &next)?;
            *ns = next;
            Ok(())
        })
    }

    fn delete(&self, plugin: &str, key: &str) -> Result<(), KvError> {
        Namespace::check_key(&self.limits, key)?;
        self.with(plugin, |path, ns| {
            if !ns.entries.contains_key(key) {
                return Ok(());
            }
            let mut next = ns.clone();
            next.entries.remove(key);
            write_file(path, &next)?;
            *ns = next;
            Ok(())
        })
    }
}

fn read_file(path: &Path) -> Result<Namespace, KvError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Namespace::default()),
        Err(source) => {
            return Err(KvError::Io {
                op: "read",
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let corrupt = |reason: String| KvError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let file: FileV1 = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if file.version != VERSION {
        return Err(corrupt(format!("unsupported version {}", file.version)));
    }
    let mut entries = BTreeMap::new();
    for (key, value) in file.entries {
        let value = hex::decode(&value)
            .map_err(|e| corrupt(format!("value of '{key}' is not hex: {e}")))?;
        entries.insert(key, value);
    }
    Ok(Namespace { entries })
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> KvError + 'a {
    move |source| KvError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

fn write_file(path: &Path, ns: &Namespace) -> Result<(), KvError> {
    let file = FileV1 {
        version: VERSION,
        entries: ns
            .entries
            .iter()
            .map(|(k, v)| (k.clone(), hex::encode(v)))
            .collect(),
    };
    let bytes = serde_json::to_vec_pretty(&file).expect("string maps always serialize");
    let tmp = path.with_extension("json.tmp");
    let mut out = fs::File::create(&tmp).map_err(io("create", &tmp))?;
    out.write_all(&bytes).map_err(io("write", &tmp))?;
    out.sync_all().map_err(io("fsync", &tmp))?;
    drop(out);
    fs::rename(&tmp, path).map_err(io("rename", path))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("fsync directory", dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_reopening_and_files_are_per_plugin() {
        let dir = tempfile::tempdir().unwrap();
        let kv = FileKv::open(dir.path()).unwrap();
        kv.set("mikrotik", "snapshot", &[0, 1, 255]).unwrap();
        kv.set("mikrotik", "gone", b"x").unwrap();
        kv.delete("mikrotik", "gone").unwrap();
        kv.set("ixc", "cursor", b"42").unwrap();
        drop(kv);

        let kv = FileKv::open(dir.path()).unwrap();
        assert_eq!(
            kv.get("mikrotik", "snapshot").unwrap(),
            Some(vec![0, 1, 255])
        );
        assert_eq!(kv.get("mikrotik", "gone").unwrap(), None);
        assert_eq!(kv.get("ixc", "cursor").unwrap(), Some(b"42".to_vec()));
        assert!(dir.path().join("mikrotik.kv.json").exists());
        assert!(!dir.path().join("mikrotik.kv.json.tmp").exists());
    }

    #[test]
    fn a_refused_set_leaves_the_file_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let limits = KvLimits {
            max_total_bytes: 16,
            ..KvLimits::default()
        };
        let kv = FileKv::open(dir.path()).unwrap().with_limits(limits);
        kv.set("p", "a", b"1234").unwrap();
        assert!(matches!(
            kv.set("p", "b", &[0; 32]),
            Err(KvError::ValueTooLarge { .. } | KvError::QuotaExceeded { .. })
        ));
        let reopened = FileKv::open(dir.path()).unwrap().with_limits(limits);
        assert_eq!(reopened.get("p", "a").unwrap(), Some(b"1234".to_vec()));
        assert_eq!(reopened.get("p", "b").unwrap(), None);
    }

    #[test]
    fn unsafe_plugin_names_and_corrupt_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let kv = FileKv::open(dir.path()).unwrap();
        assert!(matches!(
            kv.set("../etc", "k", b"v"),
            Err(KvError::InvalidPlugin { .. })
        ));
        fs::write(dir.path().join("broken.kv.json"), b"{not json").unwrap();
        let err = kv.get("broken", "k").unwrap_err();
        assert!(matches!(err, KvError::Corrupt { .. }), "{err}");
    }
}
