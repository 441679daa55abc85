//! An in-memory cache of key lookups in front of the [`ApiKeyStore`], so an authenticated
//! request does not touch the database. Found keys and unknown hashes are both cached for the
//! TTL: a revocation (or a new key) takes effect within it. The cache is bounded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use vigia_store::{ApiKeyRow, ApiKeyStore};

use crate::ApiError;

/// Most cached lookups (found and not found together).
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    /// `None`: no key has this hash.
    row: Option<ApiKeyRow>,
    fetched: Instant,
}

pub(crate) struct KeyCache {
    store: Arc<dyn ApiKeyStore>,
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

impl KeyCache {
    pub(crate) fn new(store: Arc<dyn ApiKeyStore>, ttl: Duration) -> Self {
        Self {
            store,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The key with this secret hash (revoked or expired ones included: the caller decides).
    pub(crate) async fn lookup(&self, hash: [u8; 32]) -> Result<Option<ApiKeyRow>, ApiError> {
        if let Some(cached) = self.cached(&hash) {
            return Ok(cached);
        }
        let row = self.store.api_key_by_hash(hash).await.map_err(|error| {
            tracing::warn!(%error, "api key lookup failed");
            ApiError::Unavailable("the key store is unavailable".to_owned())
        })?;
        self.insert(hash, row.clone());
        Ok(row)
    }

    fn cached(&self, hash: &[u8; 32]) -> Option<Option<ApiKeyRow>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(hash)?;
        (entry.fetched.elapsed() < self.ttl).then(|| entry.row.clone())
    }

    fn insert(&self, hash: [u8; 32], row: Option<ApiKeyRow>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&hash) {
            let ttl = self.ttl;
            entries.retain(|_, e| e.fetched.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                // Mostly guessed secrets: forget unknown hashes first, then everything.
                entries.retain(|_, e| e.row.is_some());
            }
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            hash,
            Entry {
                row,
                fetched: Instant::now(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use vigia_store::StoreError;

    use super::*;

    /// Knows no key; counts lookups.
    #[derive(Default)]
    struct Empty(AtomicUsize);

    #[async_trait]
    impl ApiKeyStore for Empty {
        async fn create_api_key(&self, _key: ApiKeyRow) -> Result<(), StoreError> {
            Ok(())
        }
        async fn api_key_by_hash(&self, _hash: [u8; 32]) -> Result<Option<ApiKeyRow>, StoreError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(None)
        }
        async fn list_api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
            Ok(Vec::new())
        }
        async fn revoke_api_key(&self, _id: &str, _at_ms: u64) -> Result<bool, StoreError> {
            Ok(false)
        }
    }

    fn hash(n: usize) -> [u8; 32] {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&(n as u64).to_le_bytes());
        h
    }

    #[tokio::test]
    async fn stays_bounded_under_a_flood_of_guessed_keys() {
        let store = Arc::new(Empty::default());
        let cache = KeyCache::new(store.clone(), Duration::from_secs(60));
        for n in 0..MAX_ENTRIES + 10 {
            assert_eq!(cache.lookup(hash(n)).await.ok(), Some(None));
        }
        let len = cache.entries.lock().map(|e| e.len()).unwrap_or(usize::MAX);
        assert!(len <= MAX_ENTRIES, "{len} entries");
        // The newest lookup is cached: asking again does not reach the store.
        let before = store.0.load(Ordering::SeqCst);
        assert_eq!(cache.lookup(hash(MAX_ENTRIES + 9)).await.ok(), Some(None));
        assert_eq!(store.0.load(Ordering::SeqCst), before);
    }
}
