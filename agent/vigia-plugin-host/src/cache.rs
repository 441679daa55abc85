//! Compiled components, keyed by the SHA-256 of their bytes: each distinct binary is compiled
//! (and linked into an `InstancePre`) once, even when loads of it race.
//!
//! Entries are never evicted: an agent loads a bounded set of plugin binaries. Failed compiles
//! are not cached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::bindings::PluginPre;
use crate::state::HostState;

pub(crate) type Sha256 = [u8; 32];

/// A component ready to instantiate, and what its exports told us.
pub(crate) struct Compiled {
    pub(crate) pre: PluginPre<HostState>,
    /// The `vigia:plugin/probe` version it exports.
    pub(crate) wit_version: String,
    pub(crate) sha256: Sha256,
}

#[derive(Default)]
pub(crate) struct CompileCache {
    entries: Mutex<HashMap<Sha256, Arc<OnceCell<Arc<Compiled>>>>>,
    compiles: AtomicU64,
}

impl CompileCache {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn compile_count(&self) -> u64 {
        self.compiles.load(Ordering::Relaxed)
    }

    pub(crate) fn note_compile(&self) {
        self.compiles.fetch_add(1, Ordering::Relaxed);
    }

    /// The compiled component for `hash`, built by `build` if nobody has built it yet.
    pub(crate) async fn get_or_build<E, F>(
        &self,
        hash: Sha256,
        build: F,
    ) -> Result<Arc<Compiled>, E>
    where
        F: AsyncFnOnce() -> Result<Compiled, E>,
    {
        let cell = self.lock().entry(hash).or_default().clone();
        let result = cell
            .get_or_try_init(async || build().await.map(Arc::new))
            .await
            .cloned();
        if result.is_err() {
            let mut entries = self.lock();
            if entries.get(&hash).is_some_and(|c| !c.initialized()) {
                entries.remove(&hash);
            }
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Sha256, Arc<OnceCell<Arc<Compiled>>>>> {
        // The map holds only cells; no invariant can be broken mid-update.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
