//! The figures of a whole run, merged from every agent, as one JSON line.

use std::time::Duration;

use super::session::Report;

/// Errors printed in full; beyond this only their count.
const ERRORS_SHOWN: usize = 10;

/// The merged figures.
pub struct Summary {
    pub agents_asked: usize,
    pub agents_connected: usize,
    pub duration: Duration,
    pub batches_acked: u64,
    pub observations_acked: u64,
    pub observations_in_window: u64,
    pub sends_skipped: u64,
    latencies_us: Vec<u32>,
    pub errors: Vec<String>,
}

impl Summary {
    pub fn merge(
        reports: Vec<Report>,
        agents_asked: usize,
        agents_connected: usize,
        duration: Duration,
    ) -> Self {
        let mut summary = Self {
            agents_asked,
            agents_connected,
            duration,
            batches_acked: 0,
            observations_acked: 0,
            observations_in_window: 0,
            sends_skipped: 0,
            latencies_us: Vec::new(),
            errors: Vec::new(),
        };
        for report in reports {
            summary.batches_acked += report.batches_acked;
            summary.observations_acked += report.observations_acked;
            summary.observations_in_window += report.observations_in_window;
            summary.sends_skipped += report.sends_skipped;
            summary.latencies_us.extend(report.latencies_us);
            summary.errors.extend(report.error);
        }
        summary.latencies_us.sort_unstable();
        summary
    }

    /// The run counts as good: every agent connected and no stream failed.
    pub fn succeeded(&self) -> bool {
        self.agents_connected >= self.agents_asked && self.errors.is_empty()
    }

    /// Observations acked within the window, per second of it.
    pub fn observations_per_sec(&self) -> f64 {
        self.observations_in_window as f64 / self.duration.as_secs_f64().max(1e-9)
    }

    /// The `q`-quantile (0..=1) of ack latency, ms; 0 when nothing was acked.
    pub fn latency_ms(&self, q: f64) -> f64 {
        let Some(last) = self.latencies_us.len().checked_sub(1) else {
            return 0.0;
        };
        let rank = ((last as f64) * q).round() as usize;
        f64::from(self.latencies_us[rank.min(last)]) / 1000.0
    }

    pub fn to_json(&self) -> serde_json::Value {
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        serde_json::json!({
            "agents_asked": self.agents_asked,
            "agents_connected": self.agents_connected,
            "batches_acked": self.batches_acked,
            "observations_acked": self.observations_acked,
            "observations_in_window": self.observations_in_window,
            "duration_secs": round(self.duration.as_secs_f64()),
            "obs_per_sec": self.observations_per_sec().round(),
            "ack_p50_ms": round(self.latency_ms(0.50)),
            "ack_p99_ms": round(self.latency_ms(0.99)),
            "ack_max_ms": round(self.latency_ms(1.0)),
            "sends_skipped": self.sends_skipped,
            "errors": self.errors.len(),
            "first_errors": self.errors.iter().take(ERRORS_SHOWN).collect::<Vec<_>>(),
        })
    }
}
