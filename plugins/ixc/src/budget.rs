//! The time a run may take: each request's timeout is cut to what is left of the run's budget.

use vigia_plugin_sdk::{Host, PluginError};

/// Started once per run; `Copy`, so every client shares one deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunBudget {
    start_ns: u64,
    budget_ms: u32,
}

impl RunBudget {
    pub(crate) fn start(host: &impl Host, budget_ms: u32) -> Self {
        Self {
            start_ns: host.monotonic_ns(),
            budget_ms,
        }
    }

    /// Milliseconds left of the run.
    pub(crate) fn remaining_ms(&self, now_ns: u64) -> u32 {
        let spent_ms = now_ns.saturating_sub(self.start_ns) / 1_000_000;
        let spent_ms = u32::try_from(spent_ms).unwrap_or(u32::MAX);
        self.budget_ms.saturating_sub(spent_ms)
    }

    /// The timeout of the next request: `timeout_ms`, cut to the time left; a `timeout` error
    /// naming `what` when nothing is left.
    pub(crate) fn op_timeout(
        &self,
        host: &impl Host,
        timeout_ms: u32,
        what: &str,
    ) -> Result<u32, PluginError> {
        match self.remaining_ms(host.monotonic_ns()) {
            0 => Err(PluginError::timeout(format!(
                "{what}: the run budget of {} ms is spent (raise `run_budget_ms`)",
                self.budget_ms
            ))),
            left => Ok(timeout_ms.min(left)),
        }
    }
}
