//! The outage correlator at run time: every `correlation.interval_ms` it builds the correlation
//! input from the live state (the topology only when it changed), runs one `vigia-correlate`
//! cycle off the async threads, and stores the changed events, their notices (one outbox row per
//! channel whose route takes it) and the checkpoint in one transaction, then wakes the notifier.
//! At start it restores the active events and the checkpoint, so a restart is neither blind nor a
//! source of duplicate events. A store failure keeps the unsaved output and retries it first.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use vigia_correlate::{
    Checkpoint, CorrelateConfig, Correlator, Event, MaintenanceWindow, Notice, Output,
};
use vigia_notify::{LoadedConfig, Wake, channels_for};
use vigia_state::{CorrelationInput, StateHandle};
use vigia_store::{EventRow, EventStore, MaintenanceRow, NoticeRow};

use crate::outbox;

/// While the topology keeps changing (a first fill), it is rebuilt at most once per this many
/// times the last rebuild took (a rebuild holds the live state's read lock), and at least once a
/// minute.
const REBUILD_SPACING: u32 = 20;
const REBUILD_AT_MOST_EVERY: Duration = Duration::from_secs(60);
/// Maintenance windows are re-read at least this often (and at once when the API changes one).
const WINDOWS_EVERY: Duration = Duration::from_secs(30);
/// Resolved events are pruned this often.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct OutageMetrics {
    cycles: AtomicU64,
    last_cycle_us: AtomicU64,
    last_input_us: AtomicU64,
    active: AtomicU64,
    opened: AtomicU64,
    notices: AtomicU64,
    store_failures: AtomicU64,
    /// Events and notices the store has not taken yet (retried every cycle).
    unsaved: AtomicU64,
}

impl OutageMetrics {
    /// Events and notices the store has not taken yet.
    pub(crate) fn unsaved(&self) -> u64 {
        self.unsaved.load(Ordering::Relaxed)
    }

    pub(crate) fn render(&self, out: &mut String) {
        for (name, kind, help, value) in [
            (
                "vigia_correlation_cycles_total",
                "counter",
                "Correlation cycles run.",
                self.cycles.load(Ordering::Relaxed),
            ),
            (
                "vigia_correlation_cycle_microseconds",
                "gauge",
                "Duration of the last correlation cycle (engine only).",
                self.last_cycle_us.load(Ordering::Relaxed),
            ),
            (
                "vigia_correlation_input_microseconds",
                "gauge",
                "Time to build the last cycle's input from the live state.",
                self.last_input_us.load(Ordering::Relaxed),
            ),
            (
                "vigia_events_active",
                "gauge",
                "Outage events active now.",
                self.active.load(Ordering::Relaxed),
            ),
            (
                "vigia_events_opened_total",
                "counter",
                "Outage events opened since start.",
                self.opened.load(Ordering::Relaxed),
            ),
            (
                "vigia_notices_queued_total",
                "counter",
                "Notification outbox rows written since start.",
                self.notices.load(Ordering::Relaxed),
            ),
            (
                "vigia_correlation_store_failures_total",
                "counter",
                "Failed attempts to store correlation output (retried).",
                self.store_failures.load(Ordering::Relaxed),
            ),
        ] {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            );
        }
    }
}

/// What the rest of the aggregator holds: a way to say the maintenance windows changed.
#[derive(Clone, Debug, Default)]
pub(crate) struct WindowsChanged(Arc<Notify>);

impl WindowsChanged {
    pub(crate) fn notify(&self) {
        self.0.notify_one();
    }
}

/// A maintenance row as the correlator reads it (a row whose entity list cannot be read covers
/// nothing, and is reported).
pub(crate) fn window(row: &MaintenanceRow) -> MaintenanceWindow {
    let entities = serde_json::from_str::<Vec<String>>(&row.entities_json).unwrap_or_else(|error| {
        tracing::error!(id = row.id, %error, "maintenance window with unreadable entities; it covers nothing");
        Vec::new()
    });
    MaintenanceWindow {
        id: row.id,
        entities,
        starts_ms: row.starts_ms,
        ends_ms: row.ends_ms,
        reason: row.reason.clone(),
        created_by: row.created_by.clone(),
    }
}

pub(crate) fn event_row(event: &Event) -> Result<EventRow, serde_json::Error> {
    Ok(EventRow {
        id: event.id,
        kind: event.kind.as_str().to_owned(),
        status: event.status.as_str().to_owned(),
        root: event.root.clone(),
        started_ms: event.started_ms,
        updated_ms: event.updated_ms,
        resolved_ms: event.resolved_ms,
        body_json: serde_json::to_string(event)?,
    })
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Output not stored yet (the store failed): retried before the next cycle's.
#[derive(Default)]
struct Unsaved {
    events: BTreeMap<u64, Event>,
    notices: Vec<NoticeRow>,
    checkpoint: Option<Checkpoint>,
}

impl Unsaved {
    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.notices.is_empty() && self.checkpoint.is_none()
    }
}

pub(crate) struct Outages {
    pub(crate) state: StateHandle,
    pub(crate) store: Arc<dyn EventStore>,
    pub(crate) rules: CorrelateConfig,
    pub(crate) interval: Duration,
    pub(crate) notify: Option<Arc<LoadedConfig>>,
    pub(crate) wake: Option<Wake>,
    pub(crate) windows_changed: WindowsChanged,
    pub(crate) metrics: Arc<OutageMetrics>,
    pub(crate) retention: Duration,
    /// Where the diagnosis finds the active events (republished when they change).
    pub(crate) active: Arc<crate::active_outages::ActiveOutages>,
}

impl Outages {
    /// Restores the correlator from the store and starts its loop.
    pub(crate) async fn start(self, stop: CancellationToken) -> anyhow::Result<JoinHandle<()>> {
        let rows = self
            .store
            .active_events()
            .await
            .context("cannot read the active outage events")?;
        let mut active = Vec::with_capacity(rows.len());
        for row in rows {
            match serde_json::from_str::<Event>(&row.body_json) {
                Ok(event) => active.push(event),
                Err(error) => {
                    tracing::error!(id = row.id, %error, "stored event unreadable; not restored")
                }
            }
        }
        let checkpoint = match self
            .store
            .correlator_checkpoint()
            .await
            .context("cannot read the correlator checkpoint")?
        {
            None => None,
            Some(text) => serde_json::from_str::<Checkpoint>(&text)
                .map_err(|error| tracing::error!(%error, "correlator checkpoint unreadable; starting without it"))
                .ok(),
        };
        let max_id = self
            .store
            .max_event_id()
            .await
            .context("cannot read the highest event id")?;
        tracing::info!(active = active.len(), max_id, "outage correlator restored");
        self.metrics
            .active
            .store(active.len() as u64, Ordering::Relaxed);
        let correlator = Correlator::restore(self.rules.clone(), active, checkpoint, max_id);
        self.active.publish(correlator.active());
        Ok(tokio::spawn(self.run(correlator, stop)))
    }

    async fn run(self, mut correlator: Correlator, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut input: Option<Arc<CorrelationInput>> = None;
        let mut version = u64::MAX;
        let mut built_at: Option<Instant> = None;
        let mut build_took = Duration::ZERO;
        let mut windows: Vec<MaintenanceWindow> = Vec::new();
        let mut windows_at: Option<Instant> = None;
        let mut pruned_at = Instant::now();
        let mut unsaved = Unsaved::default();
        loop {
            let reread = tokio::select! {
                _ = stop.cancelled() => break,
                _ = ticks.tick() => false,
                _ = self.windows_changed.0.notified() => true,
            };
            if reread || windows_at.is_none_or(|at| at.elapsed() >= WINDOWS_EVERY) {
                match self.store.list_maintenance().await {
                    Ok(rows) => {
                        windows = rows.iter().map(window).collect();
                        windows_at = Some(Instant::now());
                    }
                    Err(error) => {
                        tracing::warn!(%error, "cannot read maintenance windows; keeping the last ones")
                    }
                }
            }
            let state = self.state.clone();
            let rules = self.rules.clone();
            let last_input = input.take();
            let last_version = version;
            let spacing = (build_took * REBUILD_SPACING).min(REBUILD_AT_MOST_EVERY);
            let rebuild_allowed = built_at.is_none_or(|at| at.elapsed() >= spacing);
            let windows_now = windows.clone();
            let metrics = Arc::clone(&self.metrics);
            let joined = tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                let live = state.read();
                let current = live.topology_version();
                let (input, rebuilt) = match last_input {
                    Some(input) if current == last_version || !rebuild_allowed => (input, None),
                    _ => {
                        let build = Instant::now();
                        let input = Arc::new(live.correlation_input(&rules));
                        (input, Some(build.elapsed()))
                    }
                };
                let mut cycle = live.correlation_cycle(&input, now_ms());
                drop(live);
                cycle.maintenance = windows_now;
                metrics
                    .last_input_us
                    .store(micros(started), Ordering::Relaxed);
                let engine = Instant::now();
                let output = correlator.cycle(input.topology(), &cycle);
                metrics
                    .last_cycle_us
                    .store(micros(engine), Ordering::Relaxed);
                (
                    correlator,
                    input,
                    rebuilt.map(|took| (current, took)),
                    output,
                )
            })
            .await;
            let (back, new_input, rebuilt, output) = match joined {
                Ok(result) => result,
                Err(error) => {
                    tracing::error!(%error, "correlation cycle failed; correlation stops until restart");
                    break;
                }
            };
            correlator = back;
            input = Some(new_input);
            if let Some((current, took)) = rebuilt {
                version = current;
                built_at = Some(Instant::now());
                build_took = took;
                tracing::debug!(
                    took_ms = took.as_millis() as u64,
                    "correlation topology rebuilt"
                );
            }
            self.metrics.cycles.fetch_add(1, Ordering::Relaxed);
            self.metrics
                .active
                .store(correlator.active().count() as u64, Ordering::Relaxed);
            if !output.events.is_empty() {
                self.active.publish(correlator.active());
            }
            self.absorb(&mut unsaved, output, &correlator);
            self.save(&mut unsaved).await;
            if pruned_at.elapsed() >= PRUNE_EVERY {
                pruned_at = Instant::now();
                let cut = now_ms().saturating_sub(self.retention.as_millis() as u64);
                match self.store.prune_events(cut).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(events = n, "old resolved events pruned"),
                    Err(error) => tracing::warn!(%error, "cannot prune old events"),
                }
            }
        }
        // One last attempt for what the store refused.
        if !unsaved.is_empty() {
            self.save(&mut unsaved).await;
        }
    }

    /// Adds a cycle's output to what must be stored.
    fn absorb(&self, unsaved: &mut Unsaved, output: Output, correlator: &Correlator) {
        let now = now_ms();
        for event in output.events {
            if event.started_ms == event.updated_ms {
                self.metrics.opened.fetch_add(1, Ordering::Relaxed);
                tracing::info!(id = event.id, kind = event.kind.as_str(), root = %event.root, "outage event opened");
            }
            if !event.is_active() {
                tracing::info!(id = event.id, root = %event.root, resolution = ?event.resolution, "outage event resolved");
            }
            unsaved.events.insert(event.id, event);
        }
        for notice in output.notices {
            unsaved.notices.extend(self.outbox_rows(&notice, now));
        }
        if output.checkpoint_changed {
            unsaved.checkpoint = Some(correlator.checkpoint());
        }
    }

    fn outbox_rows(&self, notice: &Notice, now: u64) -> Vec<NoticeRow> {
        let Some(config) = &self.notify else {
            return Vec::new();
        };
        let channels = channels_for(notice, config);
        match outbox::rows_for(notice, &channels, now) {
            Ok(rows) => rows,
            Err(error) => {
                tracing::error!(id = notice.event.id, %error, "cannot encode a notice; it is not sent");
                Vec::new()
            }
        }
    }

    async fn save(&self, unsaved: &mut Unsaved) {
        if unsaved.is_empty() {
            return;
        }
        let mut rows = Vec::with_capacity(unsaved.events.len());
        for event in unsaved.events.values() {
            match event_row(event) {
                Ok(row) => rows.push(row),
                Err(error) => {
                    tracing::error!(id = event.id, %error, "cannot encode an event; skipped")
                }
            }
        }
        let checkpoint = match &unsaved.checkpoint {
            None => None,
            Some(c) => serde_json::to_string(c).ok(),
        };
        let notices = unsaved.notices.len();
        match self
            .store
            .save_events(rows, unsaved.notices.clone(), checkpoint)
            .await
        {
            Ok(()) => {
                *unsaved = Unsaved::default();
                self.metrics.unsaved.store(0, Ordering::Relaxed);
                if notices > 0 {
                    self.metrics
                        .notices
                        .fetch_add(notices as u64, Ordering::Relaxed);
                    if let Some(wake) = &self.wake {
                        wake.wake();
                    }
                }
            }
            Err(error) => {
                self.metrics.store_failures.fetch_add(1, Ordering::Relaxed);
                self.metrics.unsaved.store(
                    (unsaved.events.len() + unsaved.notices.len()) as u64,
                    Ordering::Relaxed,
                );
                tracing::warn!(%error, events = unsaved.events.len(), notices, "cannot store correlation output; retrying next cycle");
            }
        }
    }
}
