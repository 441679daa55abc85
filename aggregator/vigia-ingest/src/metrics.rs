//! Ingest counters: plain atomics, read as a snapshot (issue 4 exports them to Prometheus).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of the ingest, cumulative since start.
#[derive(Debug, Default)]
pub struct Metrics {
    pub(crate) handshakes_refused: AtomicU64,
    pub(crate) streams_opened: AtomicU64,
    pub(crate) streams_failed: AtomicU64,
    pub(crate) batches_received: AtomicU64,
    pub(crate) batches_stored: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) commits: AtomicU64,
    pub(crate) commit_failures: AtomicU64,
    pub(crate) heartbeats: AtomicU64,
    pub(crate) batches_undecodable: AtomicU64,
    pub(crate) probes_sent: AtomicU64,
    pub(crate) probes_answered: AtomicU64,
    pub(crate) probes_refused: AtomicU64,
    pub(crate) probes_timed_out: AtomicU64,
    pub(crate) probes_disconnected: AtomicU64,
    pub(crate) probes_offline: AtomicU64,
    pub(crate) probes_busy: AtomicU64,
    pub(crate) probe_answers_unknown: AtomicU64,
}

/// A copy of the [`Metrics`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// TLS handshakes that failed (bad, expired or refused certificates, timeouts, garbage).
    pub handshakes_refused: u64,
    /// `Connect` streams that passed the Hello.
    pub streams_opened: u64,
    /// Streams ended with an error status (malformed message, store failure, missing Hello).
    pub streams_failed: u64,
    /// Valid result batches received.
    pub batches_received: u64,
    /// Batches newly stored.
    pub batches_stored: u64,
    /// Batches that were already stored (resent).
    pub duplicates: u64,
    /// Store commits done (one per group of batches of a stream).
    pub commits: u64,
    /// Store commits that failed.
    pub commit_failures: u64,
    /// Heartbeats received.
    pub heartbeats: u64,
    /// Batches stored whose results could not be converted to the domain types (so the live
    /// state did not see them).
    pub batches_undecodable: u64,
    /// On-demand probe requests sent to agents.
    pub probes_sent: u64,
    /// Probe requests answered with a run result (including results that did not convert).
    pub probes_answered: u64,
    /// Probe requests the agent refused.
    pub probes_refused: u64,
    /// Probe requests not answered within their deadline.
    pub probes_timed_out: u64,
    /// Probe requests whose stream ended before the answer.
    pub probes_disconnected: u64,
    /// Probe requests not sent because the agent had no open stream.
    pub probes_offline: u64,
    /// Probe requests not sent because too many waited for the agent or its queue was full.
    pub probes_busy: u64,
    /// Probe answers that matched no waiting request (unknown id, duplicate, or too late).
    pub probe_answers_unknown: u64,
}

impl Metrics {
    /// Reads every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        MetricsSnapshot {
            handshakes_refused: get(&self.handshakes_refused),
            streams_opened: get(&self.streams_opened),
            streams_failed: get(&self.streams_failed),
            batches_received: get(&self.batches_received),
            batches_stored: get(&self.batches_stored),
            duplicates: get(&self.duplicates),
            commits: get(&self.commits),
            commit_failures: get(&self.commit_failures),
            heartbeats: get(&self.heartbeats),
            batches_undecodable: get(&self.batches_undecodable),
            probes_sent: get(&self.probes_sent),
            probes_answered: get(&self.probes_answered),
            probes_refused: get(&self.probes_refused),
            probes_timed_out: get(&self.probes_timed_out),
            probes_disconnected: get(&self.probes_disconnected),
            probes_offline: get(&self.probes_offline),
            probes_busy: get(&self.probes_busy),
            probe_answers_unknown: get(&self.probe_answers_unknown),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}
