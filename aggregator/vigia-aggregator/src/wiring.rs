//! Small adapters between the aggregator's parts: every part's counters into one `/metrics`, and
//! `/health` from what the parts report. (Committed batches reach the live state through
//! `catch_up`.)

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use async_trait::async_trait;
use vigia_api::{CheckResult, HealthCheck, MetricsSource};
use vigia_ingest::{AgentsView, Metrics};
use vigia_notify::NotifyMetrics;
use vigia_state::StateHandle;

use crate::catch_up::Lag;
use crate::outages::OutageMetrics;

/// `/metrics`: the ingest's counters, the agents' connection count, and the state's metrics.
pub(crate) struct AggregatorMetrics {
    pub(crate) ingest: Arc<Metrics>,
    pub(crate) agents: Arc<AgentsView>,
    pub(crate) state: StateHandle,
    pub(crate) lag: Arc<Lag>,
    pub(crate) outages: Arc<OutageMetrics>,
    pub(crate) notify: Option<Arc<NotifyMetrics>>,
    pub(crate) search: Arc<crate::search_index::SearchIndex>,
}

impl MetricsSource for AggregatorMetrics {
    fn render(&self, out: &mut String) {
        let m = self.ingest.snapshot();
        for (name, help, value) in [
            (
                "vigia_ingest_handshakes_refused_total",
                "TLS handshakes refused.",
                m.handshakes_refused,
            ),
            (
                "vigia_ingest_streams_opened_total",
                "Agent streams opened.",
                m.streams_opened,
            ),
            (
                "vigia_ingest_streams_failed_total",
                "Agent streams ended with an error.",
                m.streams_failed,
            ),
            (
                "vigia_ingest_batches_received_total",
                "Valid result batches received.",
                m.batches_received,
            ),
            (
                "vigia_ingest_batches_stored_total",
                "Result batches newly stored.",
                m.batches_stored,
            ),
            (
                "vigia_ingest_duplicates_total",
                "Result batches received again (already stored).",
                m.duplicates,
            ),
            ("vigia_ingest_commits_total", "Store commits.", m.commits),
            (
                "vigia_ingest_commit_failures_total",
                "Store commits that failed.",
                m.commit_failures,
            ),
            (
                "vigia_ingest_heartbeats_total",
                "Agent heartbeats received.",
                m.heartbeats,
            ),
            (
                "vigia_ingest_batches_undecodable_total",
                "Stored batches the live state could not read.",
                m.batches_undecodable,
            ),
            (
                "vigia_ingest_probes_sent_total",
                "On-demand probe requests sent to agents (live diagnosis checks).",
                m.probes_sent,
            ),
            (
                "vigia_ingest_probes_answered_total",
                "On-demand probe requests answered with a result.",
                m.probes_answered,
            ),
            (
                "vigia_ingest_probes_refused_total",
                "On-demand probe requests the agent refused.",
                m.probes_refused,
            ),
            (
                "vigia_ingest_probes_timed_out_total",
                "On-demand probe requests not answered within their deadline.",
                m.probes_timed_out,
            ),
            (
                "vigia_ingest_probes_disconnected_total",
                "On-demand probe requests whose agent stream ended while waiting.",
                m.probes_disconnected,
            ),
            (
                "vigia_ingest_probes_offline_total",
                "On-demand probe requests for agents not connected.",
                m.probes_offline,
            ),
            (
                "vigia_ingest_probes_busy_total",
                "On-demand probe requests refused because the agent had too many waiting.",
                m.probes_busy,
            ),
            (
                "vigia_ingest_probe_answers_unknown_total",
                "Probe answers for no waiting request (late, duplicate or unknown).",
                m.probe_answers_unknown,
            ),
        ] {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            );
        }
        let agents = self.agents.list();
        let connected = agents.iter().filter(|a| a.open_streams > 0).count();
        let _ = write!(
            out,
            "# HELP vigia_agents_connected Agents with an open stream.\n\
             # TYPE vigia_agents_connected gauge\nvigia_agents_connected {connected}\n\
             # HELP vigia_agents_known Agents seen since the aggregator started.\n\
             # TYPE vigia_agents_known gauge\nvigia_agents_known {}\n",
            agents.len()
        );
        self.state.render_prometheus(out);
        self.lag.render(out);
        self.outages.render(out);
        self.search.render(out);
        if let Some(notify) = &self.notify {
            notify.render_prometheus(out);
        }
    }
}

/// `/health`: degraded while the live state cannot persist (its store writes fail), has had to
/// drop state changes, or is behind the stored batches, or while outage events and notices wait
/// for the store.
pub(crate) struct AggregatorHealth {
    pub(crate) state: StateHandle,
    pub(crate) lag: Arc<Lag>,
    pub(crate) outages: Arc<OutageMetrics>,
}

#[async_trait]
impl HealthCheck for AggregatorHealth {
    async fn check(&self) -> BTreeMap<String, CheckResult> {
        let counters = self.state.counters();
        let state = if counters.dropped_changes > 0 {
            CheckResult::degraded(format!(
                "{} state changes were dropped while the store failed",
                counters.dropped_changes
            ))
        } else if counters.pending_changes > 10_000 {
            CheckResult::degraded(format!(
                "{} state changes wait for the store",
                counters.pending_changes
            ))
        } else {
            CheckResult::ok()
        };
        let lag = if self.lag.lagging() {
            CheckResult::degraded("the live state is catching up with stored batches")
        } else {
            CheckResult::ok()
        };
        let unsaved = self.outages.unsaved();
        let outages = if unsaved > 0 {
            CheckResult::degraded(format!(
                "{unsaved} outage events and notices wait for the store"
            ))
        } else {
            CheckResult::ok()
        };
        BTreeMap::from([
            ("state".to_owned(), state),
            ("state_lag".to_owned(), lag),
            ("outages".to_owned(), outages),
        ])
    }
}
