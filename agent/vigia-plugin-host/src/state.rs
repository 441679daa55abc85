//! The per-store host state: one fresh [`HostState`] per run (and per describe call).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::vigia::plugin::types::HostError as WitHostError;
use crate::capability::Services;
use crate::capability::log::LogBuffer;
use crate::limits::{HostCallBudgetExceeded, MAX_DEADLINE, MemoryLimiter};
use crate::{Grants, Limits};

/// Part of the run deadline kept back from host I/O, so that a plugin whose probes time out still
/// has time to return what it observed: a tenth of the deadline, at most this much.
const IO_MARGIN_MAX: Duration = Duration::from_millis(250);

pub(crate) struct HostState {
    /// Plugin id (or the load-time name hint during describe), for messages, logs and kv.
    pub(crate) plugin: String,
    pub(crate) grants: Grants,
    pub(crate) limits: Limits,
    pub(crate) started: Instant,
    /// Host I/O (ICMP, HTTP, TCP) must finish by then; a little before the run deadline.
    pub(crate) io_deadline: Instant,
    pub(crate) target_count: usize,
    pub(crate) services: Arc<Services>,
    pub(crate) table: ResourceTable,
    pub(crate) wasi: WasiCtx,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) host_calls: u32,
    pub(crate) log: LogBuffer,
    /// TCP connections currently open.
    pub(crate) tcp_open: usize,
    /// Calls refused because the probe's call budget was empty.
    pub(crate) budget_exhausted: u32,
}

impl HostState {
    pub(crate) fn new(
        plugin: String,
        grants: Grants,
        mut limits: Limits,
        target_count: usize,
        services: Arc<Services>,
    ) -> Self {
        limits.deadline = limits.deadline.min(MAX_DEADLINE);
        let started = Instant::now();
        let margin = (limits.deadline / 10).min(IO_MARGIN_MAX);
        Self {
            plugin,
            grants,
            io_deadline: started + limits.deadline - margin,
            limiter: MemoryLimiter::new(limits.memory_bytes),
            limits,
            started,
            target_count,
            services,
            table: ResourceTable::new(),
            wasi: crate::wasi::locked_down_ctx(),
            host_calls: 0,
            log: LogBuffer::default(),
            tcp_open: 0,
            budget_exhausted: 0,
        }
    }

    /// Counts one host call against the budget; past it, the guest traps.
    pub(crate) fn charge(&mut self) -> wasmtime::Result<()> {
        self.host_calls = self.host_calls.saturating_add(1);
        if self.host_calls > self.limits.max_host_calls {
            return Err(wasmtime::Error::new(HostCallBudgetExceeded {
                limit: self.limits.max_host_calls,
            }));
        }
        Ok(())
    }

    /// The time a host I/O operation may take: what the plugin asked (0: as long as the run allows),
    /// capped by the run's deadline. `timeout` when no time is left.
    pub(crate) fn io_timeout(&self, asked_ms: u32) -> Result<Duration, WitHostError> {
        let left = self.io_deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(WitHostError::Timeout);
        }
        if asked_ms == 0 {
            return Ok(left);
        }
        Ok(Duration::from_millis(u64::from(asked_ms)).min(left))
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
