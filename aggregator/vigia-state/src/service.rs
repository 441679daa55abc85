//! The runtime: one task owns the writes. It applies committed batches to the [`LiveState`]
//! (under a write lock held only for the in-memory apply), persists the resulting [`Changes`] in
//! order (several applies in one store call when busy), sweeps stale states, prunes history, and
//! retries store failures with backoff while keeping the pending changes (bounded).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::{RwLock, RwLockReadGuard};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use vigia_core::run::RunResult;
use vigia_store::{EdgeRow, EntityRow, StateChange, StateStore, StoreError};

use crate::config::{ServiceConfig, StateConfig};
use crate::live::{Changes, LiveState, Restored, last_up_from_history};
use crate::model::State;
use crate::overrides::Overrides;

const DAY_MS: u64 = 86_400_000;
/// Changes of the last day read per entity to find when it was last up.
const LAST_UP_HISTORY: usize = 16;

/// One committed batch of an agent's runs, as the ingest hands it over.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub agent: String,
    pub runs: Vec<RunResult>,
}

/// Why the state service could not start or take a request.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("loading the persisted state failed")]
    Restore(#[source] StoreError),
    #[error("the state service has stopped")]
    Stopped,
}

/// The service's counters, for the aggregator's `/metrics`.
#[derive(Debug, Default)]
struct Counters {
    applied_runs: AtomicU64,
    state_changes: AtomicU64,
    store_errors: AtomicU64,
    dropped_changes: AtomicU64,
    pending_changes: AtomicU64,
    prunes: AtomicU64,
}

/// A snapshot of the service's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CountersSnapshot {
    pub applied_runs: u64,
    pub state_changes: u64,
    /// Store calls that failed (each is retried).
    pub store_errors: u64,
    /// State changes dropped because too many were pending while the store failed.
    pub dropped_changes: u64,
    /// State changes waiting to be persisted.
    pub pending_changes: u64,
    /// Successful retention runs.
    pub prunes: u64,
}

/// The handle the rest of the aggregator holds: send committed batches, read the state.
#[derive(Debug, Clone)]
pub struct StateHandle {
    live: Arc<RwLock<LiveState>>,
    tx: mpsc::Sender<Committed>,
    overrides_tx: mpsc::Sender<Overrides>,
    counters: Arc<Counters>,
    shutdown: CancellationToken,
}

impl StateHandle {
    /// Where the ingest sends committed batches (bounded: back-pressure when full).
    pub fn sender(&self) -> mpsc::Sender<Committed> {
        self.tx.clone()
    }

    /// A read guard on the live state, for the API. Hold it briefly: applies wait for it.
    pub fn read(&self) -> RwLockReadGuard<'_, LiveState> {
        self.live.read()
    }

    /// Replaces the operator's overrides (e.g. after the file changed).
    pub async fn reload_overrides(&self, overrides: Overrides) -> Result<(), StateError> {
        self.overrides_tx
            .send(overrides)
            .await
            .map_err(|_| StateError::Stopped)
    }

    pub fn counters(&self) -> CountersSnapshot {
        let c = &self.counters;
        CountersSnapshot {
            applied_runs: c.applied_runs.load(Ordering::Relaxed),
            state_changes: c.state_changes.load(Ordering::Relaxed),
            store_errors: c.store_errors.load(Ordering::Relaxed),
            dropped_changes: c.dropped_changes.load(Ordering::Relaxed),
            pending_changes: c.pending_changes.load(Ordering::Relaxed),
            prunes: c.prunes.load(Ordering::Relaxed),
        }
    }

    /// The live state's exposition plus the service counters, in Prometheus text format.
    pub fn render_prometheus(&self, out: &mut String) {
        self.live.read().render_prometheus(out);
        let c = self.counters();
        for (name, kind, help, value) in [
            (
                "vigia_state_store_errors_total",
                "counter",
                "State store calls that failed.",
                c.store_errors,
            ),
            (
                "vigia_state_dropped_changes_total",
                "counter",
                "State changes dropped while the store failed.",
                c.dropped_changes,
            ),
            (
                "vigia_state_pending_changes",
                "gauge",
                "State changes waiting to be persisted.",
                c.pending_changes,
            ),
            (
                "vigia_state_prunes_total",
                "counter",
                "Successful retention runs.",
                c.prunes,
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            ));
        }
    }

    /// The token that stops the service; cancelling it flushes pending writes first.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stops the service (pending writes are flushed; await the `JoinHandle` to know when).
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }
}

/// Starts the state service.
pub struct StateService;

impl StateService {
    /// Restores the live state from `store`, applies `overrides`, and spawns the task. Fails
    /// only if the store cannot be read.
    pub async fn start(
        store: Arc<dyn StateStore>,
        config: StateConfig,
        overrides: Option<Overrides>,
    ) -> Result<(StateHandle, JoinHandle<()>), StateError> {
        let entities = store.load_entities().await.map_err(StateError::Restore)?;
        let edges = store.load_edges().await.map_err(StateError::Restore)?;
        let latest = store.latest_changes().await.map_err(StateError::Restore)?;
        let last_up = last_up_times(store.as_ref(), &latest, now_ms()).await?;
        let service = config.service.clone();
        let mut live = LiveState::new(config);
        let Restored {
            entities,
            edges,
            states,
            skipped,
        } = live.restore(entities, edges, latest, &last_up);
        tracing::info!(entities, edges, states, skipped, "live state restored");
        let counters = Arc::new(Counters::default());
        let mut pending = Pending::default();
        if let Some(overrides) = &overrides {
            let changes = live.apply_overrides(overrides, now_ms());
            pending.merge(changes, service.max_pending_changes, &counters);
        }
        let live = Arc::new(RwLock::new(live));
        let (tx, rx) = mpsc::channel(service.queue.max(1));
        let (overrides_tx, overrides_rx) = mpsc::channel(4);
        let shutdown = CancellationToken::new();
        let worker = Worker {
            store,
            live: live.clone(),
            counters: counters.clone(),
            config: service,
            pending,
            retry_at: None,
            backoff: Duration::ZERO,
        };
        let task = tokio::spawn(worker.run(rx, overrides_rx, shutdown.clone()));
        let handle = StateHandle {
            live,
            tx,
            overrides_tx,
            counters,
            shutdown,
        };
        Ok((handle, task))
    }
}

/// When the last up period ended, for each entity whose latest change is `down` or `unknown`
/// and happened within the last day: read from its history (at most [`LAST_UP_HISTORY`] changes
/// of that day). Entities without an up change in it have none.
async fn last_up_times(
    store: &dyn StateStore,
    latest: &[StateChange],
    now_ms: u64,
) -> Result<HashMap<String, u64>, StateError> {
    let since = now_ms.saturating_sub(DAY_MS);
    let mut out = HashMap::new();
    for change in latest {
        let up = change.state.parse::<State>().is_ok_and(State::is_up);
        if up || change.at_ms < since {
            continue;
        }
        let history = store
            .history(&change.entity_id, since, LAST_UP_HISTORY)
            .await
            .map_err(StateError::Restore)?;
        if let Some(at) = last_up_from_history(&history) {
            out.insert(change.entity_id.clone(), at);
        }
    }
    Ok(out)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Changes waiting for the store, merged so that one flush writes each row once.
#[derive(Debug, Default)]
struct Pending {
    entities: BTreeMap<String, EntityRow>,
    edges: BTreeMap<(String, String, String), EdgeRow>,
    removed: BTreeSet<(String, String, String)>,
    states: VecDeque<StateChange>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.entities.is_empty()
            && self.edges.is_empty()
            && self.removed.is_empty()
            && self.states.is_empty()
    }

    fn merge(&mut self, changes: Changes, max_states: usize, counters: &Counters) {
        for row in changes.entities {
            match self.entities.get_mut(&row.id) {
                Some(old) => {
                    let first = old.first_seen_ms.min(row.first_seen_ms);
                    *old = row;
                    old.first_seen_ms = first;
                }
                None => {
                    self.entities.insert(row.id.clone(), row);
                }
            }
        }
        for row in changes.edges {
            let key = (row.parent.clone(), row.child.clone(), row.source.clone());
            self.removed.remove(&key);
            self.edges.insert(key, row);
        }
        for key in changes.removed_edges {
            self.edges.remove(&key);
            self.removed.insert(key);
        }
        counters
            .state_changes
            .fetch_add(changes.states.len() as u64, Ordering::Relaxed);
        self.states.extend(changes.states);
        let excess = self.states.len().saturating_sub(max_states);
        if excess > 0 {
            self.states.drain(..excess);
            counters
                .dropped_changes
                .fetch_add(excess as u64, Ordering::Relaxed);
            tracing::warn!(dropped = excess, "pending state changes dropped");
        }
        counters
            .pending_changes
            .store(self.states.len() as u64, Ordering::Relaxed);
    }
}

struct Worker {
    store: Arc<dyn StateStore>,
    live: Arc<RwLock<LiveState>>,
    counters: Arc<Counters>,
    config: ServiceConfig,
    pending: Pending,
    /// While the store fails: when to try again.
    retry_at: Option<Instant>,
    backoff: Duration,
}

impl Worker {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Committed>,
        mut overrides_rx: mpsc::Receiver<Overrides>,
        shutdown: CancellationToken,
    ) {
        let sweep_every = Duration::from_millis(self.config.sweep_every_ms.max(1));
        let mut sweep = tokio::time::interval_at(Instant::now() + sweep_every, sweep_every);
        sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut prune =
            tokio::time::interval(Duration::from_millis(self.config.prune_every_ms.max(1)));
        prune.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let retry_at = self.retry_at;
            let retry = async move {
                match retry_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                Some(overrides) = overrides_rx.recv() => {
                    let changes = self.live.write().apply_overrides(&overrides, now_ms());
                    self.queue(changes);
                }
                committed = rx.recv() => {
                    let Some(committed) = committed else { break };
                    // Applying is CPU work without awaits: tell the runtime, so the API's and
                    // the ingest's tasks queued on this worker move to another one meanwhile.
                    cpu_bound(|| {
                        self.apply(committed);
                        // Batch what is already queued into the same store write.
                        for _ in 1..self.config.max_batches_per_write.max(1) {
                            match rx.try_recv() {
                                Ok(committed) => self.apply(committed),
                                Err(_) => break,
                            }
                        }
                    });
                }
                _ = sweep.tick() => {
                    // Found under the read lock (API reads go on), changed under the write lock.
                    let now = now_ms();
                    let stale = self.live.read().stale_entities(now);
                    let changes = self.live.write().sweep_entities(&stale, now);
                    self.queue(changes);
                }
                _ = prune.tick() => self.prune().await,
                () = retry => self.retry_at = None,
            }
            if self.retry_at.is_none() && !self.pending.is_empty() {
                self.flush().await;
            }
        }
        self.drain_and_flush(&mut rx).await;
    }

    fn apply(&mut self, committed: Committed) {
        let runs = committed.runs.len() as u64;
        let changes = self
            .live
            .write()
            .apply_owned(&committed.agent, committed.runs, now_ms());
        self.counters
            .applied_runs
            .fetch_add(runs, Ordering::Relaxed);
        self.queue(changes);
    }

    fn queue(&mut self, changes: Changes) {
        if !changes.is_empty() {
            self.pending
                .merge(changes, self.config.max_pending_changes, &self.counters);
        }
    }

    /// Writes the pending changes in order; on a failure keeps what was not written and sets
    /// the next retry time.
    async fn flush(&mut self) {
        match self.try_flush().await {
            Ok(()) => self.backoff = Duration::ZERO,
            Err(error) => {
                self.counters.store_errors.fetch_add(1, Ordering::Relaxed);
                let initial = Duration::from_millis(self.config.retry_initial_ms.max(1));
                let max = Duration::from_millis(self.config.retry_max_ms.max(1));
                self.backoff = if self.backoff.is_zero() {
                    initial
                } else {
                    (self.backoff * 2).min(max)
                };
                self.retry_at = Some(Instant::now() + self.backoff);
                tracing::warn!(
                    error = %error,
                    retry_in_ms = self.backoff.as_millis() as u64,
                    pending = self.pending.states.len(),
                    "persisting live state failed"
                );
            }
        }
        self.counters
            .pending_changes
            .store(self.pending.states.len() as u64, Ordering::Relaxed);
    }

    async fn try_flush(&mut self) -> Result<(), StoreError> {
        if !self.pending.entities.is_empty() {
            let rows = std::mem::take(&mut self.pending.entities);
            if let Err(error) = self
                .store
                .upsert_entities(rows.values().cloned().collect())
                .await
            {
                self.pending.entities = rows;
                return Err(error);
            }
        }
        if !self.pending.edges.is_empty() {
            let rows = std::mem::take(&mut self.pending.edges);
            if let Err(error) = self
                .store
                .upsert_edges(rows.values().cloned().collect())
                .await
            {
                self.pending.edges = rows;
                return Err(error);
            }
        }
        if !self.pending.removed.is_empty() {
            let keys = std::mem::take(&mut self.pending.removed);
            if let Err(error) = self
                .store
                .delete_edges(keys.iter().cloned().collect())
                .await
            {
                self.pending.removed = keys;
                return Err(error);
            }
        }
        if !self.pending.states.is_empty() {
            let changes = std::mem::take(&mut self.pending.states);
            if let Err(error) = self
                .store
                .append_changes(changes.iter().cloned().collect())
                .await
            {
                self.pending.states = changes;
                return Err(error);
            }
        }
        Ok(())
    }

    async fn prune(&mut self) {
        let now = now_ms();
        let history_before = now.saturating_sub(self.config.history_days.saturating_mul(DAY_MS));
        let batches_before = now.saturating_sub(self.config.batches_days.saturating_mul(DAY_MS));
        match self.store.prune(history_before, batches_before).await {
            Ok(pruned) => {
                self.counters.prunes.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    state_changes = pruned.state_changes,
                    batches = pruned.batches,
                    "retention pruned"
                );
            }
            Err(error) => {
                self.counters.store_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%error, "retention prune failed");
            }
        }
    }

    /// On shutdown: applies what is already queued, then keeps trying to persist everything
    /// until it is written or the shutdown deadline passes.
    async fn drain_and_flush(&mut self, rx: &mut mpsc::Receiver<Committed>) {
        rx.close();
        while let Ok(committed) = rx.try_recv() {
            self.apply(committed);
        }
        let seen = self.live.write().unpersisted_seen();
        self.queue(seen);
        let deadline = Instant::now() + Duration::from_millis(self.config.shutdown_flush_ms);
        while !self.pending.is_empty() {
            if let Some(at) = self.retry_at.take() {
                if at > deadline {
                    break;
                }
                tokio::time::sleep_until(at).await;
            }
            self.flush().await;
            if Instant::now() >= deadline {
                break;
            }
        }
        if !self.pending.is_empty() {
            tracing::error!(
                pending = self.pending.states.len(),
                "shutdown with live state changes not persisted"
            );
        }
    }
}

/// Runs `work` with [`tokio::task::block_in_place`] on a multi-thread runtime (other tasks of this
/// worker move elsewhere meanwhile), directly on a current-thread one (where that is not allowed).
fn cpu_bound<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}
