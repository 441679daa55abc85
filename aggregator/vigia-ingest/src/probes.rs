//! On-demand probes: ask a connected agent, over its existing stream, to run a plugin now.
//!
//! [`Probes::run`] sends a `ProbeRequest` on the agent's newest stream and waits, bounded by the
//! deadline plus a network grace, for the `ProbeAnswer` with the same request id. It never waits
//! for an agent that cannot answer: an agent without a stream is [`ProbeError::Offline`] and one
//! with too many requests waiting (or a full outbound queue) is [`ProbeError::Busy`], both at
//! once; a stream that ends fails its waiting requests with [`ProbeError::Disconnected`] at once.

mod error;
mod links;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use vigia_core::Label;
use vigia_core::run::RunResult;
use vigia_store::AgentId;

use crate::metrics::Metrics;

pub use error::ProbeError;
pub(crate) use links::{Links, Outbound, Registration};

/// What to run on the agent.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeCall {
    /// The installed plugin to run.
    pub plugin_id: String,
    /// What to probe.
    pub targets: Vec<ProbeTarget>,
    /// The plugin config, a JSON object; the agent validates it against the plugin's schema
    /// (and refuses it as `invalid_request` if it does not fit).
    pub config: serde_json::Value,
}

/// One thing to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// Stable id chosen by the operator; the run's observations name it.
    pub id: String,
    /// IP literal, host name or URL, as the plugin documents.
    pub address: String,
    /// Operator labels, in order.
    pub labels: Vec<Label>,
}

/// A handle to ask connected agents for on-demand probe runs. Cheap to clone; get it from
/// [`Ingest::probes`](crate::Ingest::probes). It keeps working after `serve` returns (every agent
/// is then offline).
#[derive(Debug, Clone)]
pub struct Probes {
    links: Arc<Links>,
    metrics: Arc<Metrics>,
}

impl Probes {
    pub(crate) fn new(links: Arc<Links>, metrics: Arc<Metrics>) -> Self {
        Self { links, metrics }
    }

    /// Asks `agent` to run `request` within `deadline` and returns the run's result (whose
    /// outcome may itself be a plugin error or a fault: those are measurements, not errors).
    ///
    /// The agent gets `deadline` as the request's `deadline_ms`; the wait is bounded by
    /// `deadline` plus [`IngestOptions::probe_grace`](crate::IngestOptions::probe_grace).
    /// Dropping the returned future forgets the request (a late answer is then counted as
    /// unknown and ignored).
    pub async fn run(
        &self,
        agent: &AgentId,
        request: ProbeCall,
        deadline: Duration,
    ) -> Result<RunResult, ProbeError> {
        let plugin_id = request.plugin_id.clone();
        let mut waiting = self
            .links
            .send(agent, |id| wire::request(id, request, deadline))?;
        tracing::debug!(agent_id = %agent, request_id = waiting.id(), %plugin_id, ?deadline,
            "probe request sent");
        let wait = deadline.saturating_add(self.links.grace());
        let reply = match tokio::time::timeout(wait, waiting.answer()).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => {
                Metrics::add(&self.metrics.probes_disconnected, 1);
                return Err(ProbeError::Disconnected);
            }
            Err(_) => {
                Metrics::add(&self.metrics.probes_timed_out, 1);
                tracing::info!(agent_id = %agent, request_id = waiting.id(), %plugin_id, ?deadline,
                    "probe request not answered in time");
                return Err(ProbeError::Timeout);
            }
        };
        let result = wire::answer(reply, &plugin_id);
        match &result {
            Ok(_) => Metrics::add(&self.metrics.probes_answered, 1),
            Err(ProbeError::Refused { .. }) => Metrics::add(&self.metrics.probes_refused, 1),
            Err(error) => {
                Metrics::add(&self.metrics.probes_answered, 1);
                tracing::warn!(agent_id = %agent, request_id = waiting.id(), %error,
                    "probe answer is invalid");
            }
        }
        result
    }

    /// Requests sent and waiting for their answer now, over every agent.
    pub fn pending(&self) -> usize {
        self.links.pending()
    }
}

#[cfg(test)]
mod tests;
