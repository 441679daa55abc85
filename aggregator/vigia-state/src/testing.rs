//! An in-memory [`StateStore`] for tests (feature `testing`): it keeps rows as the trait
//! documents (upsert keys, idempotent appends, latest-change retention), records `prune` calls
//! and can be told to fail the next writes. [`fixtures`] builds runs and observations.

pub mod fixtures;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::Notify;
use vigia_store::{EdgeRow, EntityRow, Pruned, StateChange, StateStore, StoreError};

#[derive(Debug, Default)]
struct Inner {
    entities: BTreeMap<String, EntityRow>,
    edges: BTreeMap<(String, String, String), EdgeRow>,
    changes: Vec<StateChange>,
    prunes: Vec<(u64, u64)>,
}

/// An in-memory state store.
#[derive(Debug, Default)]
pub struct MemoryStateStore {
    inner: Mutex<Inner>,
    fail_writes: AtomicU64,
    failed_writes: AtomicU64,
    writes: AtomicU64,
    changed: Notify,
}

impl MemoryStateStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `n` write calls fail (with [`StoreError::WriterStopped`]).
    pub fn fail_next_writes(&self, n: u64) {
        self.fail_writes.store(n, Ordering::SeqCst);
    }

    /// Write calls that failed on purpose so far.
    pub fn failed_writes(&self) -> u64 {
        self.failed_writes.load(Ordering::SeqCst)
    }

    /// Successful write calls so far.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    pub fn entity_rows(&self) -> Vec<EntityRow> {
        self.inner.lock().entities.values().cloned().collect()
    }

    pub fn edge_rows(&self) -> Vec<EdgeRow> {
        self.inner.lock().edges.values().cloned().collect()
    }

    /// Every stored change, in append order.
    pub fn all_changes(&self) -> Vec<StateChange> {
        self.inner.lock().changes.clone()
    }

    /// `(history_before_ms, batches_before_ms)` of every `prune` call.
    pub fn prune_calls(&self) -> Vec<(u64, u64)> {
        self.inner.lock().prunes.clone()
    }

    /// Waits until `check` holds on the store (re-checked after every write), at most `timeout`.
    /// Returns whether it held.
    pub async fn wait_for(
        &self,
        timeout: std::time::Duration,
        check: impl Fn(&Self) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if check(self) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return check(self);
            }
        }
    }

    fn write<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> Result<T, StoreError> {
        let failing = self
            .fail_writes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            self.failed_writes.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::WriterStopped);
        }
        let out = f(&mut self.inner.lock());
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
        Ok(out)
    }
}

#[async_trait]
impl StateStore for MemoryStateStore {
    async fn upsert_entities(&self, entities: Vec<EntityRow>) -> Result<(), StoreError> {
        self.write(|inner| {
            for row in entities {
                match inner.entities.get_mut(&row.id) {
                    Some(old) => {
                        let first = old.first_seen_ms.min(row.first_seen_ms);
                        let last = old.last_seen_ms.max(row.last_seen_ms);
                        *old = row;
                        old.first_seen_ms = first;
                        old.last_seen_ms = last;
                    }
                    None => {
                        inner.entities.insert(row.id.clone(), row);
                    }
                }
            }
        })
    }

    async fn upsert_edges(&self, edges: Vec<EdgeRow>) -> Result<(), StoreError> {
        self.write(|inner| {
            for row in edges {
                let key = (row.parent.clone(), row.child.clone(), row.source.clone());
                let seen = inner.edges.get(&key).map_or(0, |e| e.seen_ms);
                let mut row = row;
                row.seen_ms = row.seen_ms.max(seen);
                inner.edges.insert(key, row);
            }
        })
    }

    async fn delete_edges(&self, edges: Vec<(String, String, String)>) -> Result<u64, StoreError> {
        self.write(|inner| {
            edges
                .into_iter()
                .filter(|key| inner.edges.remove(key).is_some())
                .count() as u64
        })
    }

    async fn append_changes(&self, changes: Vec<StateChange>) -> Result<(), StoreError> {
        self.write(|inner| {
            for change in changes {
                let stored = inner.changes.iter().any(|c| {
                    c.entity_id == change.entity_id
                        && c.at_ms == change.at_ms
                        && c.state == change.state
                });
                if !stored {
                    inner.changes.push(change);
                }
            }
        })
    }

    async fn load_entities(&self) -> Result<Vec<EntityRow>, StoreError> {
        Ok(self.entity_rows())
    }

    async fn load_edges(&self) -> Result<Vec<EdgeRow>, StoreError> {
        Ok(self.edge_rows())
    }

    async fn latest_changes(&self) -> Result<Vec<StateChange>, StoreError> {
        let inner = self.inner.lock();
        let mut latest: BTreeMap<&str, &StateChange> = BTreeMap::new();
        for change in &inner.changes {
            let newer = latest
                .get(change.entity_id.as_str())
                .is_none_or(|c| change.at_ms >= c.at_ms);
            if newer {
                latest.insert(&change.entity_id, change);
            }
        }
        Ok(latest.into_values().cloned().collect())
    }

    async fn history(
        &self,
        entity_id: &str,
        since_ms: u64,
        limit: usize,
    ) -> Result<Vec<StateChange>, StoreError> {
        let inner = self.inner.lock();
        let mut out: Vec<StateChange> = inner
            .changes
            .iter()
            .filter(|c| c.entity_id == entity_id && c.at_ms >= since_ms)
            .cloned()
            .collect();
        out.sort_by_key(|c| std::cmp::Reverse(c.at_ms));
        out.truncate(limit);
        Ok(out)
    }

    async fn prune(
        &self,
        history_before_ms: u64,
        batches_before_ms: u64,
    ) -> Result<Pruned, StoreError> {
        let latest: Vec<StateChange> = self.latest_changes().await?;
        self.write(|inner| {
            inner.prunes.push((history_before_ms, batches_before_ms));
            let before = inner.changes.len();
            inner
                .changes
                .retain(|c| c.at_ms >= history_before_ms || latest.contains(c));
            Pruned {
                state_changes: (before - inner.changes.len()) as u64,
                batches: 0,
            }
        })
    }
}
