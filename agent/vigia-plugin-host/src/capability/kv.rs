//! The `kv` capability: small persistent state per plugin, behind the [`KvStore`] trait.
//!
//! Two stores: [`MemoryKv`] (tests, dev CLI) and [`FileKv`] (one file per plugin, written
//! atomically). Both enforce the same [`KvLimits`] through [`Namespace`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::bindings::vigia::plugin::kv::Host;
use crate::bindings::vigia::plugin::types::HostError as WitHostError;
use crate::grants::denied_text;
use crate::state::HostState;

mod file;
mod memory;

pub use file::FileKv;
pub use memory::MemoryKv;

/// Per-plugin state store. Calls are synchronous and may block on disk: the host calls them
/// from a blocking thread.
pub trait KvStore: Send + Sync {
    fn get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    fn set(&self, plugin: &str, key: &str, value: &[u8]) -> Result<(), KvError>;
    fn delete(&self, plugin: &str, key: &str) -> Result<(), KvError>;
}

/// Size caps of one plugin's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvLimits {
    pub max_key_bytes: usize,
    pub max_value_bytes: usize,
    /// Keys plus values of one plugin.
    pub max_total_bytes: usize,
}

impl Default for KvLimits {
    fn default() -> Self {
        Self {
            max_key_bytes: 256,
            max_value_bytes: 256 << 10,
            max_total_bytes: 1 << 20,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KvError {
    #[error("kv key is empty")]
    EmptyKey,
    #[error("kv key is {len} bytes, the limit is {max}")]
    KeyTooLong { len: usize, max: usize },
    #[error("kv value is {len} bytes, the limit is {max}")]
    ValueTooLarge { len: usize, max: usize },
    #[error("kv state of plugin '{plugin}' would be {total} bytes, the limit is {max}")]
    QuotaExceeded {
        plugin: String,
        total: usize,
        max: usize,
    },
    #[error("plugin id '{plugin}' cannot name a kv file")]
    InvalidPlugin { plugin: String },
    #[error("kv {op} failed at {}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("kv file {} is corrupt: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
}

impl KvError {
    fn to_wit(&self) -> WitHostError {
        match self {
            Self::EmptyKey | Self::KeyTooLong { .. } | Self::ValueTooLarge { .. } => {
                WitHostError::InvalidArgument(self.to_string())
            }
            Self::QuotaExceeded { .. } => WitHostError::BudgetExhausted(self.to_string()),
            Self::InvalidPlugin { .. } | Self::Io { .. } | Self::Corrupt { .. } => {
                tracing::warn!(error = %crate::error_chain(self), "kv store failed");
                WitHostError::Unavailable(format!("kv store failed: {self}"))
            }
        }
    }
}

/// The state of one plugin, with the limits applied on every change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Namespace {
    pub(crate) entries: BTreeMap<String, Vec<u8>>,
}

impl Namespace {
    pub(crate) fn check_key(limits: &KvLimits, key: &str) -> Result<(), KvError> {
        if key.is_empty() {
            return Err(KvError::EmptyKey);
        }
        if key.len() > limits.max_key_bytes {
            return Err(KvError::KeyTooLong {
                len: key.len(),
                max: limits.max_key_bytes,
            });
        }
        Ok(())
    }

    fn total_bytes(&self) -> usize {
        self.entries.iter().map(|(k, v)| k.len() + v.len()).sum()
    }

    /// Sets `key`, refusing it when a cap would be passed (the namespace is then unchanged).
    pub(crate) fn set(
        &mut self,
        limits: &KvLimits,
        plugin: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), KvError> {
        Self::check_key(limits, key)?;
        if value.len() > limits.max_value_bytes {
            return Err(KvError::ValueTooLarge {
                len: value.len(),
                max: limits.max_value_bytes,
            });
        }
        let old = self.entries.get(key).map_or(0, |v| key.len() + v.len());
        let total = self.total_bytes() - old + key.len() + value.len();
        if total > limits.max_total_bytes {
            return Err(KvError::QuotaExceeded {
                plugin: plugin.to_owned(),
                total,
                max: limits.max_total_bytes,
            });
        }
        self.entries.insert(key.to_owned(), value.to_vec());
        Ok(())
    }
}

enum Op {
    Get,
    Set(Vec<u8>),
    Delete,
}

impl HostState {
    async fn kv_call(
        &mut self,
        key: String,
        op: Op,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, WitHostError>> {
        self.charge()?;
        if !self.grants.kv {
            let text = denied_text("kv", &self.plugin, "`kv = true` to this probe's grants");
            return Ok(Err(WitHostError::Denied(text)));
        }
        let kv = self.services.kv.clone();
        let plugin = self.plugin.clone();
        let result = tokio::task::spawn_blocking(move || match op {
            Op::Get => kv.get(&plugin, &key),
            Op::Set(value) => kv.set(&plugin, &key, &value).map(|()| None),
            Op::Delete => kv.delete(&plugin, &key).map(|()| None),
        })
        .await
        .map_err(|e| wasmtime::Error::msg(format!("kv store task failed: {e}")))?;
        Ok(result.map_err(|e| e.to_wit()))
    }
}

impl Host for HostState {
    async fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, WitHostError>> {
        self.kv_call(key, Op::Get).await
    }

    async fn set(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), WitHostError>> {
        Ok(self.kv_call(key, Op::Set(value)).await?.map(|_| ()))
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<(), WitHostError>> {
        Ok(self.kv_call(key, Op::Delete).await?.map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_enforces_key_value_and_total_caps() {
        let limits = KvLimits {
            max_key_bytes: 4,
            max_value_bytes: 8,
            max_total_bytes: 20,
        };
        let mut ns = Namespace::default();
        ns.set(&limits, "p", "a", b"12345678").unwrap();
        ns.set(&limits, "p", "b", b"12345678").unwrap();
        assert!(matches!(
            ns.set(&limits, "p", "c", b"1234"),
            Err(KvError::QuotaExceeded { total: 23, .. })
        ));
        // Replacing a value counts the new size only.
        ns.set(&limits, "p", "b", b"1").unwrap();
        assert!(matches!(
            ns.set(&limits, "p", "toolong", b""),
            Err(KvError::KeyTooLong { len: 7, max: 4 })
        ));
        assert!(matches!(
            ns.set(&limits, "p", "v", b"123456789"),
            Err(KvError::ValueTooLarge { .. })
        ));
        assert!(matches!(
            ns.set(&limits, "p", "", b""),
            Err(KvError::EmptyKey)
        ));
        assert_eq!(ns.entries.len(), 2);
    }
}
