//! [`DurableMark`]: the first sequence number not yet durable, readable without locking and
//! observable by async waiters.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

/// The first sequence whose commit has not completed. Reads stop before it; the uplink waits on
/// [`subscribe`](Self::subscribe) for it to move.
///
/// It has the `load`/`store` shape of the `AtomicU64` it wraps, so the committer publishes a
/// commit with the same one call as before; every store also wakes the subscribers.
pub(super) struct DurableMark {
    value: AtomicU64,
    changed: watch::Sender<u64>,
}

impl DurableMark {
    pub(super) fn new(value: u64) -> Self {
        Self {
            value: AtomicU64::new(value),
            changed: watch::Sender::new(value),
        }
    }

    pub(super) fn load(&self, order: Ordering) -> u64 {
        self.value.load(order)
    }

    /// Publishes a new mark. Only the committer thread stores, so marks never go backwards.
    pub(super) fn store(&self, value: u64, order: Ordering) {
        self.value.store(value, order);
        // `send_replace` updates the value even when nobody is subscribed.
        self.changed.send_replace(value);
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}
