//! [`UplinkStatus`]: what the uplink is doing, cheap to read from anywhere (the agent's
//! `/metrics`, its heartbeat), updated by the uplink task.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A shared handle; clones see the same figures. Counters are cumulative since the uplink
/// started.
#[derive(Debug, Clone, Default)]
pub struct UplinkStatus {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    connected: AtomicBool,
    connect_attempts: AtomicU64,
    connects: AtomicU64,
    /// 0 = never.
    last_ack_at_ms: AtomicU64,
    sent_live: AtomicU64,
    sent_backlog: AtomicU64,
    acked: AtomicU64,
    quarantined: AtomicU64,
    in_flight: AtomicU64,
    in_flight_limit: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// The figures at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusSnapshot {
    /// A stream is open (the aggregator answered `Connect`).
    pub connected: bool,
    /// Dial attempts, successful or not.
    pub connect_attempts: u64,
    /// Streams opened.
    pub connects: u64,
    /// When the last `Ack` arrived, Unix milliseconds.
    pub last_ack_at_ms: Option<u64>,
    /// Batches sent as live (produced while connected).
    pub sent_live: u64,
    /// Batches replayed from the backlog (including resends after a reconnect).
    pub sent_backlog: u64,
    /// Spool records deleted because the aggregator acked them.
    pub acked: u64,
    /// Spool records moved aside because they could not be sent.
    pub quarantined: u64,
    /// Batches sent and not yet acked on the current stream.
    pub in_flight: u64,
    /// The current in-flight limit (config, or lower after a `Throttle`).
    pub in_flight_limit: u64,
    /// Why the last connection failed or ended, with its causes. Kept after the link recovers
    /// (`connected` and `last_ack_at_ms` tell the current state).
    pub last_error: Option<String>,
}

impl UplinkStatus {
    pub fn snapshot(&self) -> StatusSnapshot {
        let i = &self.inner;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatusSnapshot {
            connected: i.connected.load(Ordering::Relaxed),
            connect_attempts: get(&i.connect_attempts),
            connects: get(&i.connects),
            last_ack_at_ms: Some(get(&i.last_ack_at_ms)).filter(|ms| *ms != 0),
            sent_live: get(&i.sent_live),
            sent_backlog: get(&i.sent_backlog),
            acked: get(&i.acked),
            quarantined: get(&i.quarantined),
            in_flight: get(&i.in_flight),
            in_flight_limit: get(&i.in_flight_limit),
            last_error: self.last_error(),
        }
    }

    pub fn connected(&self) -> bool {
        self.inner.connected.load(Ordering::Relaxed)
    }

    pub fn last_ack_at_ms(&self) -> Option<u64> {
        Some(self.inner.last_ack_at_ms.load(Ordering::Relaxed)).filter(|ms| *ms != 0)
    }

    pub fn last_error(&self) -> Option<String> {
        self.lock_error().clone()
    }

    fn lock_error(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // A plain Option<String>: a panic while it was held cannot leave it half-written.
        self.inner
            .last_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // === updates, by the uplink task ===

    pub(crate) fn attempt(&self) {
        self.inner.connect_attempts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn opened(&self) {
        self.inner.connects.fetch_add(1, Ordering::Relaxed);
        self.inner.connected.store(true, Ordering::Relaxed);
    }

    pub(crate) fn closed(&self, error: Option<String>) {
        self.inner.connected.store(false, Ordering::Relaxed);
        self.inner.in_flight.store(0, Ordering::Relaxed);
        if let Some(error) = error {
            *self.lock_error() = Some(error);
        }
    }

    pub(crate) fn sent(&self, live: bool) {
        let counter = if live {
            &self.inner.sent_live
        } else {
            &self.inner.sent_backlog
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn acked(&self, deleted: u64, at_ms: u64) {
        self.inner.acked.fetch_add(deleted, Ordering::Relaxed);
        self.inner.last_ack_at_ms.store(at_ms, Ordering::Relaxed);
    }

    pub(crate) fn quarantined(&self) {
        self.inner.quarantined.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn window(&self, in_flight: usize, limit: usize) {
        self.inner
            .in_flight
            .store(in_flight as u64, Ordering::Relaxed);
        self.inner
            .in_flight_limit
            .store(limit as u64, Ordering::Relaxed);
    }
}
