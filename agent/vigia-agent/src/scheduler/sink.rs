//! Where finished runs go: the [`RunSink`] trait, the [`FinishedRun`] it receives, and
//! `MemorySink` for tests. (The JSON-lines sink of `vigia-agent run` is in `json_lines`; the
//! durable spool is wired in by the uplink.)

#[cfg(test)]
use vigia_core::Observation;
#[cfg(test)]
use vigia_plugin_host::RunOutcome;
use vigia_plugin_host::RunReport;

use super::runner::BoxFuture;
use super::spec::PluginIdentity;

/// One finished plugin run (one batch of a probe's targets), ready to be stored and shipped.
///
/// The report is the plugin host's, with the scheduler's labels added to its observations (see
/// the `scheduler` module docs). A round whose circuit breakers left targets out also yields one
/// `FinishedRun` that no plugin ran: its report is `Completed` with one `failure` observation per
/// left-out target (labelled `vigia.breaker=open`), zero stats and no logs.
#[derive(Debug, Clone)]
pub(crate) struct FinishedRun {
    pub(crate) probe: String,
    pub(crate) plugin: PluginIdentity,
    /// Unique in this agent: `<probe>-<unix ms at start>-<counter>`.
    pub(crate) run_id: String,
    pub(crate) started_at_ms: u64,
    pub(crate) finished_at_ms: u64,
    pub(crate) report: RunReport,
}

#[cfg(test)]
impl FinishedRun {
    /// The observations of a completed run; none for a failed or faulted one.
    pub(crate) fn observations(&self) -> &[Observation] {
        match &self.report.outcome {
            RunOutcome::Completed(observations) => observations,
            RunOutcome::Failed(_) | RunOutcome::Fault(_) => &[],
        }
    }
}

/// A finished run the sink could not take.
#[derive(Debug, thiserror::Error)]
#[error("run {run_id} of probe {probe} not delivered to the {sink} sink")]
pub(crate) struct SinkError {
    pub(crate) run_id: String,
    pub(crate) probe: String,
    pub(crate) sink: &'static str,
    #[source]
    pub(crate) source: Box<dyn std::error::Error + Send + Sync>,
}

/// Takes finished runs. Called from many tasks at once; a slow sink delays only the probe whose
/// run it is delivering (its next round is skipped while the delivery is pending).
pub(crate) trait RunSink: Send + Sync {
    fn deliver(&self, run: FinishedRun) -> BoxFuture<'_, Result<(), SinkError>>;
}

/// Keeps every run in memory, for tests.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct MemorySink {
    runs: std::sync::Mutex<Vec<FinishedRun>>,
}

#[cfg(test)]
impl MemorySink {
    /// Every run delivered so far, in delivery order.
    pub(crate) fn runs(&self) -> Vec<FinishedRun> {
        self.runs.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
impl RunSink for MemorySink {
    fn deliver(&self, run: FinishedRun) -> BoxFuture<'_, Result<(), SinkError>> {
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(run);
        Box::pin(std::future::ready(Ok(())))
    }
}
