//! In-memory [`KvStore`]: state lives as long as the process (tests, the dev CLI).

use std::collections::HashMap;
use std::sync::Mutex;

use super::{KvError, KvLimits, KvStore, Namespace};

#[derive(Debug, Default)]
pub struct MemoryKv {
    limits: KvLimits,
    plugins: Mutex<HashMap<String, Namespace>>,
}

impl MemoryKv {
    pub fn new(limits: KvLimits) -> Self {
        Self {
            limits,
            plugins: Mutex::default(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Namespace>) -> R) -> R {
        // A panic while holding the lock cannot leave a namespace half-changed
        // (`Namespace::set` checks before it inserts), so a poisoned lock is still consistent.
        let mut guard = self
            .plugins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }
}

impl KvStore for MemoryKv {
    fn get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Namespace::check_key(&self.limits, key)?;
        Ok(self.with(|p| p.get(plugin).and_then(|ns| ns.entries.get(key).cloned())))
    }

    fn set(&self, plugin: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.with(|p| {
            p.entry(plugin.to_owned())
                .or_default()
                .set(&self.limits, plugin, key, value)
        })
    }

    fn delete(&self, plugin: &str, key: &str) -> Result<(), KvError> {
        Namespace::check_key(&self.limits, key)?;
        self.with(|p| {
            if let Some(ns) = p.get_mut(plugin) {
                ns.entries.remove(key);
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_do_not_see_each_other() {
        let kv = MemoryKv::default();
        kv.set("ping", "last", b"1").unwrap();
        kv.set("snmp", "last", b"2").unwrap();
        assert_eq!(kv.get("ping", "last").unwrap().as_deref(), Some(&b"1"[..]));
        assert_eq!(kv.get("snmp", "last").unwrap().as_deref(), Some(&b"2"[..]));
        kv.delete("ping", "last").unwrap();
        assert_eq!(kv.get("ping", "last").unwrap(), None);
        assert_eq!(kv.get("snmp", "last").unwrap().as_deref(), Some(&b"2"[..]));
    }
}
