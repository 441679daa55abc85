//! The agent's own health: spool depth and age, drops, plugin faults, budget exhaustions, uplink
//! state. One place computes it; heartbeats (via `vigia_uplink::HealthSource`) and the local
//! `/metrics` endpoint both read it.

use std::sync::Arc;
use std::time::Instant;

use vigia_spool::Spool;
use vigia_uplink::{HealthSnapshot, HealthSource, UplinkStatus};

use crate::metrics::Exposition;
use crate::scheduler::Counters;
use crate::scheduler::clock::unix_now_ms;

/// Everything the agent reports about itself.
pub(crate) struct AgentHealth {
    pub(crate) spool: Option<Arc<dyn Spool>>,
    pub(crate) counters: Arc<Counters>,
    /// 1 when the spool directory was found corrupt at start and moved aside.
    pub(crate) spool_quarantined_at_start: u64,
    pub(crate) started: Instant,
}

impl HealthSource for AgentHealth {
    fn snapshot(&self) -> HealthSnapshot {
        let scheduler = self.counters.snapshot();
        let (depth, counters) = self
            .spool
            .as_ref()
            .map(|s| (s.depth(), s.counters()))
            .unwrap_or_default();
        HealthSnapshot {
            spool_records: depth.records,
            spool_bytes: depth.bytes,
            oldest_unacked_age_ms: self.oldest_age_ms(),
            dropped_records: counters.dropped_oldest,
            plugin_faults: scheduler.faults,
            budget_exhaustions: scheduler.budget_exhaustions,
            probe_runs: scheduler.runs_finished,
            skipped_overlapping_runs: scheduler.skipped_overlapping_runs,
            uptime_ms: self.started.elapsed().as_millis() as u64,
        }
    }
}

impl AgentHealth {
    fn oldest_age_ms(&self) -> u64 {
        let oldest = self
            .spool
            .as_ref()
            .and_then(|s| s.oldest_appended_at_ms().ok().flatten());
        oldest.map_or(0, |at| unix_now_ms().saturating_sub(at))
    }

    /// The Prometheus exposition of this agent's health, with the uplink's figures if it runs.
    pub(crate) fn render(&self, uplink: Option<&UplinkStatus>) -> String {
        let h = self.snapshot();
        let s = self.counters.snapshot();
        let spool = self
            .spool
            .as_ref()
            .map(|s| s.counters())
            .unwrap_or_default();
        let mut e = Exposition::default();
        e.gauge(
            "vigia_agent_uptime_seconds",
            "Seconds since the agent started.",
            h.uptime_ms as f64 / 1000.0,
        );
        e.gauge(
            "vigia_agent_spool_records",
            "Result records in the spool, not yet acknowledged.",
            h.spool_records as f64,
        );
        e.gauge(
            "vigia_agent_spool_bytes",
            "Payload bytes in the spool.",
            h.spool_bytes as f64,
        );
        e.gauge(
            "vigia_agent_spool_oldest_age_seconds",
            "Age of the oldest unacknowledged record (0 when empty).",
            h.oldest_unacked_age_ms as f64 / 1000.0,
        );
        e.counter(
            "vigia_agent_spool_dropped_total",
            "Records dropped, oldest first, because the spool was full.",
            spool.dropped_oldest,
        );
        e.counter(
            "vigia_agent_spool_quarantined_records_total",
            "Unreadable spool records moved aside.",
            spool.quarantined,
        );
        e.counter(
            "vigia_agent_spool_commits_total",
            "Durable group commits of the spool.",
            spool.commits,
        );
        e.gauge(
            "vigia_agent_spool_quarantined_at_start",
            "1 if the spool was corrupt at start and was moved aside.",
            self.spool_quarantined_at_start as f64,
        );
        e.counter(
            "vigia_agent_probe_runs_total",
            "Plugin runs finished.",
            s.runs_finished,
        );
        e.counter(
            "vigia_agent_probe_failed_runs_total",
            "Plugin runs that reported a failure of the whole run.",
            s.failed_runs,
        );
        e.counter(
            "vigia_agent_plugin_faults_total",
            "Plugin runs ended by the host (timeout, trap, limits).",
            s.faults,
        );
        e.counter(
            "vigia_agent_skipped_overlapping_runs_total",
            "Rounds skipped because the previous round was still running.",
            s.skipped_overlapping_runs,
        );
        e.gauge(
            "vigia_agent_breaker_open_targets",
            "Targets left out of runs by an open circuit breaker.",
            s.breaker_open_targets as f64,
        );
        e.counter(
            "vigia_agent_budget_exhaustions_total",
            "Plugin calls refused because a vendor call budget was used up.",
            s.budget_exhaustions,
        );
        e.counter(
            "vigia_agent_sink_errors_total",
            "Finished runs that could not be stored.",
            s.sink_errors,
        );
        if let Some(uplink) = uplink {
            let u = uplink.snapshot();
            e.gauge(
                "vigia_agent_uplink_connected",
                "1 while the stream to the aggregator is up.",
                f64::from(u8::from(u.connected)),
            );
            e.counter(
                "vigia_agent_uplink_connect_attempts_total",
                "Attempts to connect to the aggregator.",
                u.connect_attempts,
            );
            e.counter(
                "vigia_agent_uplink_connects_total",
                "Streams opened to the aggregator.",
                u.connects,
            );
            e.counter_by(
                "vigia_agent_uplink_batches_sent_total",
                "Result batches sent, live or replayed from the backlog.",
                "kind",
                &[("live", u.sent_live), ("backlog", u.sent_backlog)],
            );
            e.counter(
                "vigia_agent_uplink_batches_acked_total",
                "Result batches the aggregator acknowledged as stored.",
                u.acked,
            );
            e.gauge(
                "vigia_agent_uplink_in_flight",
                "Batches sent and not yet acknowledged.",
                u.in_flight as f64,
            );
            e.gauge(
                "vigia_agent_uplink_last_ack_timestamp_seconds",
                "Unix time of the last acknowledgement (0: none yet).",
                u.last_ack_at_ms.unwrap_or(0) as f64 / 1000.0,
            );
        }
        e.finish()
    }
}
