//! Per-run limits, the memory limiter, and the trap causes the host raises itself.
//!
//! The host ends a misbehaving guest by returning one of the error types below from a callback
//! (epoch deadline, memory growth, host call). After the run, `run::classify` finds them again
//! in the error chain and turns them into a [`crate::FaultKind`].

use std::time::Duration;

/// Hard limits of one run. Exceeding any of them ends the run as a [`crate::Fault`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget of the whole run: instantiation, guest code and host calls (at most
    /// a day; longer is cut to a day).
    pub deadline: Duration,
    /// Linear memory the guest may grow to (clamped to the host's per-instance ceiling).
    pub memory_bytes: u64,
    /// Approximate size of the observations returned (their JSON encoding).
    pub max_output_bytes: u64,
    pub max_observations: u32,
    /// Log lines kept and re-emitted; further lines are counted and dropped.
    pub max_log_lines: u32,
    /// Calls to host imports, all interfaces together (`log` and `clock` included).
    pub max_host_calls: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(10),
            memory_bytes: 64 << 20,
            max_output_bytes: 4 << 20,
            max_observations: 10_000,
            max_log_lines: 200,
            max_host_calls: 10_000,
        }
    }
}

/// Longest deadline honoured.
pub(crate) const MAX_DEADLINE: Duration = Duration::from_secs(24 * 3600);
/// Longest plugin log line kept; longer lines are truncated.
pub(crate) const MAX_LOG_LINE_BYTES: usize = 4096;
/// Table elements a guest may grow its tables to.
const MAX_TABLE_ELEMENTS: usize = 20_000;

/// The run passed its deadline (raised from the epoch callback).
#[derive(Debug, thiserror::Error)]
#[error("run exceeded its deadline of {} ms", deadline.as_millis())]
pub(crate) struct DeadlineExceeded {
    pub(crate) deadline: Duration,
}

/// The guest tried to grow its memory past the limit (raised from the limiter).
#[derive(Debug, Clone, thiserror::Error)]
#[error("memory limit exceeded: wanted {wanted} bytes, limit {limit}")]
pub(crate) struct MemoryLimitExceeded {
    pub(crate) wanted: u64,
    pub(crate) limit: u64,
}

/// The guest made more host calls than its budget (raised from a host function).
#[derive(Debug, thiserror::Error)]
#[error("host call budget exhausted: more than {limit} calls to host imports")]
pub(crate) struct HostCallBudgetExceeded {
    pub(crate) limit: u32,
}

/// A `ResourceLimiter` that refuses growth past `limit` with a trap and records why.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    limit: u64,
    /// Bytes of linear memory currently held by all memories of the store.
    current: u64,
    /// The last growth allowed, taken back if the growth then fails.
    last_growth: u64,
    pub(crate) peak: u64,
    pub(crate) exceeded: Option<MemoryLimitExceeded>,
}

impl MemoryLimiter {
    pub(crate) fn new(limit: u64) -> Self {
        Self {
            limit,
            current: 0,
            last_growth: 0,
            peak: 0,
            exceeded: None,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current) as u64;
        let wanted = self.current.saturating_add(growth);
        if wanted > self.limit {
            let exceeded = MemoryLimitExceeded {
                wanted,
                limit: self.limit,
            };
            self.exceeded = Some(exceeded.clone());
            return Err(wasmtime::Error::new(exceeded));
        }
        self.current = wanted;
        self.last_growth = growth;
        self.peak = self.peak.max(wanted);
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        // Growth we allowed failed anyway (the pool's ceiling): the guest sees -1 from memory.grow.
        tracing::debug!(error = %error, "guest memory growth failed");
        self.current = self.current.saturating_sub(self.last_growth);
        self.last_growth = 0;
        Ok(())
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

#[cfg(test)]
mod tests {
    use wasmtime::ResourceLimiter;

    use super::*;

    #[test]
    fn limiter_tracks_peak_and_refuses_growth_past_the_limit() {
        let mut l = MemoryLimiter::new(4 << 20);
        assert!(l.memory_growing(0, 1 << 20, None).unwrap());
        assert!(l.memory_growing(1 << 20, 3 << 20, None).unwrap());
        assert_eq!(l.peak, 3 << 20);
        let err = l.memory_growing(3 << 20, 5 << 20, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "memory limit exceeded: wanted 5242880 bytes, limit 4194304"
        );
        assert!(l.exceeded.is_some());
        assert_eq!(l.peak, 3 << 20);
    }
}
