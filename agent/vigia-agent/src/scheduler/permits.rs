//! Concurrency permits: a run holds one permit of each capability its probe is granted, and one
//! overall permit, for as long as the plugin runs.
//!
//! Permits are taken in one fixed order (icmp, snmp, http, tcp, then overall), so two runs can
//! never each hold what the other waits for. The overall permit comes last: a run queued behind
//! a busy capability does not hold an overall slot that runs of other capabilities could use.
//! tokio's semaphores are fair, so queued runs start in the order they asked.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::spec::{Capabilities, Concurrency};

/// The agent's semaphores, shared by every probe.
#[derive(Debug)]
pub(crate) struct Permits {
    overall: Arc<Semaphore>,
    icmp: Arc<Semaphore>,
    snmp: Arc<Semaphore>,
    http: Arc<Semaphore>,
    tcp: Arc<Semaphore>,
}

/// Permits held by one run; released on drop.
#[derive(Debug)]
pub(crate) struct Held {
    _permits: Vec<OwnedSemaphorePermit>,
}

impl Permits {
    pub(crate) fn new(limits: Concurrency) -> Self {
        let semaphore = |n: u32| Arc::new(Semaphore::new(n as usize));
        Self {
            overall: semaphore(limits.overall),
            icmp: semaphore(limits.icmp),
            snmp: semaphore(limits.snmp),
            http: semaphore(limits.http),
            tcp: semaphore(limits.tcp),
        }
    }

    /// Waits for the permits a run with these capabilities needs. `None` only if a semaphore
    /// was closed, which this module never does.
    pub(crate) async fn acquire(&self, capabilities: Capabilities) -> Option<Held> {
        let wanted = [
            (capabilities.icmp, &self.icmp),
            (capabilities.snmp, &self.snmp),
            (capabilities.http, &self.http),
            (capabilities.tcp, &self.tcp),
            (true, &self.overall),
        ];
        let mut permits = Vec::with_capacity(wanted.len());
        for (needed, semaphore) in wanted {
            if needed {
                permits.push(semaphore.clone().acquire_owned().await.ok()?);
            }
        }
        Some(Held { _permits: permits })
    }
}
