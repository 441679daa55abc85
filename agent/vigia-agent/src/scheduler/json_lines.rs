//! The sink of `vigia-agent run` without an uplink: one JSON object per finished run on stdout.

use std::io::Write;

use serde_json::json;
use vigia_plugin_host::RunOutcome;

use super::runner::BoxFuture;
use super::sink::{FinishedRun, RunSink, SinkError};

/// Prints each finished run as one JSON line on stdout.
#[derive(Debug, Default)]
pub(crate) struct JsonLinesSink;

/// The JSON line of a run: identity, timing, outcome, observations (or error/fault), stats.
pub(crate) fn line(run: &FinishedRun) -> serde_json::Value {
    let stats = &run.report.stats;
    let mut line = json!({
        "probe": run.probe,
        "plugin": run.plugin.id,
        "plugin_version": run.plugin.version,
        "plugin_sha256": run.plugin.sha256,
        "run_id": run.run_id,
        "started_at_ms": run.started_at_ms,
        "finished_at_ms": run.finished_at_ms,
        "duration_us": u64::try_from(stats.wall_time.as_micros()).unwrap_or(u64::MAX),
        "outcome": run.report.outcome.label(),
        "stats": {
            "host_calls": stats.host_calls,
            "peak_memory_bytes": stats.peak_memory_bytes,
            "budget_exhausted": stats.budget_exhausted,
        },
    });
    match &run.report.outcome {
        RunOutcome::Completed(observations) => line["observations"] = json!(observations),
        RunOutcome::Failed(error) => line["error"] = json!(error),
        RunOutcome::Fault(fault) => line["fault"] = json!(fault.to_string()),
    }
    line
}

impl RunSink for JsonLinesSink {
    fn deliver(&self, run: FinishedRun) -> BoxFuture<'_, Result<(), SinkError>> {
        let mut text = line(&run).to_string();
        text.push('\n');
        // One short write of a line; stdout is a terminal, a pipe or a file.
        let written = std::io::stdout().lock().write_all(text.as_bytes());
        let result = written.map_err(|error| SinkError {
            run_id: run.run_id,
            probe: run.probe,
            sink: "stdout",
            source: Box::new(error),
        });
        Box::pin(std::future::ready(result))
    }
}
