//! On-demand probes: runs a configured probe's plugin now, for the aggregator (through the
//! uplink's [`OnDemand`] handler), and answers with the run's result.
//!
//! # The contract
//!
//! - **Probe.** The request names an installed plugin; the run uses a configured probe of that
//!   plugin with `on_demand` enabled (the default), preferring the one that configures the most
//!   requested target ids (config order among equals). The run has that probe's grants, secrets,
//!   limits and config, with the request's `config_json` (a JSON object) laid over the config key
//!   by key and validated against the plugin's schema like at config load.
//! - **Targets** (1 to 16): a configured target id runs with the configured address (a request
//!   address, if any, must be the same); another id runs with the request's address only when the
//!   probe has `on_demand_adhoc = true`. The host still checks every call against the grants.
//! - **Deadline**: `deadline_ms` is 1..=120000, counted from receipt; waiting for a run permit
//!   counts, and the run's own deadline is the smaller of what is left and the probe's timeout.
//! - **Concurrency**: at most `[agent.on_demand] max_concurrent` requests at once (more are refused
//!   `BUSY` at once), and every run takes the same capability permits as scheduled runs, so it
//!   delays scheduled runs no more than one more scheduled run would.
//! - **Result**: the run's [`RunResult`](vigia_core::run::RunResult) (a plugin failure or fault
//!   is a result, not a refusal), named after the probe. It is not spooled and does not touch
//!   the probe's schedule, breakers or confirmation state.
//!
//! Refusals: unknown plugin `PLUGIN_NOT_INSTALLED`; malformed request, bad overlay or address
//! mismatch `INVALID_REQUEST`; on-demand disabled or an ad-hoc target not allowed `NOT_ALLOWED`;
//! no slot, or no run permit within the deadline, `BUSY`.

mod select;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::{Instrument, info_span};
use vigia_plugin_host::{Plugin, PluginHost, RunRequest};
use vigia_uplink::{BoxFuture, OnDemand, ProbeAnswer, ProbeRequest, Refusal, RefusalReason};

use crate::config::{Config, Probe};
use crate::host;
use crate::scheduler::clock::{run_id, unix_now_ms};
use crate::scheduler::spec::Capabilities;
use crate::scheduler::{FinishedRun, Permits, PluginIdentity};
use crate::spool_sink::run_result;

pub(crate) use select::OnDemandProbe;

/// The agent's on-demand handler.
pub(crate) struct OnDemandRunner {
    host: PluginHost,
    plugins: HashMap<String, Plugin>,
    probes: Vec<OnDemandProbe>,
    permits: Arc<Permits>,
    /// One per request in progress; none left: `BUSY`.
    slots: Arc<Semaphore>,
}

impl OnDemandRunner {
    /// A handler for the probes of `config`, running `plugins` (by id) on `host` and taking run
    /// permits from `permits` (the scheduler's).
    pub(crate) fn new(
        config: &Config,
        host: PluginHost,
        plugins: HashMap<String, Plugin>,
        permits: Arc<Permits>,
    ) -> Self {
        Self {
            host,
            plugins,
            probes: config.probes.iter().map(on_demand_probe).collect(),
            permits,
            slots: Arc::new(Semaphore::new(config.on_demand_max_concurrent as usize)),
        }
    }

    /// Checks the request and takes a slot; the error is the refusal to answer at once.
    fn start(&self, request: &ProbeRequest) -> Result<Prepared, Refusal> {
        select::check_request(request)?;
        let plugin = self.plugins.get(&request.plugin_id);
        let choice = select::choose(&self.probes, plugin.is_some(), request)?;
        let Some(plugin) = plugin else {
            // `choose` refuses a plugin that is not installed.
            return Err(Refusal::new(
                RefusalReason::PluginNotInstalled,
                "not installed",
            ));
        };
        plugin.validate_config(&choice.config).map_err(|error| {
            Refusal::new(
                RefusalReason::InvalidRequest,
                format!("probe `{}`: {error}", choice.probe.name),
            )
        })?;
        let slot = self.slots.clone().try_acquire_owned().map_err(|_| {
            Refusal::new(
                RefusalReason::Busy,
                "this agent is running as many on-demand probes as it allows (agent.on_demand.max_concurrent)",
            )
        })?;
        let probe = choice.probe;
        Ok(Prepared {
            host: self.host.clone(),
            plugin: plugin.clone(),
            permits: self.permits.clone(),
            probe: probe.name.clone(),
            capabilities: Capabilities::of(&probe.grants),
            request: RunRequest {
                config: choice.config,
                targets: choice.targets,
                grants: probe.grants.clone(),
                limits: probe.limits.clone(),
            },
            deadline_at: Instant::now() + request.deadline,
            request_id: request.request_id.clone(),
            _slot: slot,
        })
    }
}

impl OnDemand for OnDemandRunner {
    fn run(&self, request: ProbeRequest) -> BoxFuture<'static, ProbeAnswer> {
        match self.start(&request) {
            Ok(prepared) => Box::pin(prepared.run()),
            Err(refusal) => {
                tracing::info!(
                    request_id = %request.request_id,
                    plugin_id = %request.plugin_id,
                    reason = ?refusal.reason,
                    message = %refusal.message,
                    "on-demand probe refused"
                );
                Box::pin(std::future::ready(ProbeAnswer::Refused(refusal)))
            }
        }
    }
}

/// An accepted request, holding its slot until it is answered.
struct Prepared {
    host: PluginHost,
    plugin: Plugin,
    permits: Arc<Permits>,
    probe: String,
    capabilities: Capabilities,
    request: RunRequest,
    deadline_at: Instant,
    request_id: String,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl Prepared {
    async fn run(mut self) -> ProbeAnswer {
        let busy = || {
            ProbeAnswer::Refused(Refusal::new(
                RefusalReason::Busy,
                "no run permit came free within the deadline (scheduled runs hold them)",
            ))
        };
        let held = match tokio::time::timeout_at(
            self.deadline_at,
            self.permits.acquire(self.capabilities),
        )
        .await
        {
            Ok(Some(held)) => held,
            Ok(None) | Err(_) => return busy(),
        };
        let left = self.deadline_at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return busy();
        }
        self.request.limits.deadline = self.request.limits.deadline.min(left);
        let started_at_ms = unix_now_ms();
        let run_id = run_id(&self.probe, started_at_ms);
        let span = info_span!(
            "on_demand",
            probe = %self.probe,
            plugin = %self.plugin.info().id,
            %run_id,
            request_id = %self.request_id
        );
        let report = self
            .host
            .run(&self.plugin, self.request)
            .instrument(span)
            .await;
        drop(held);
        ProbeAnswer::Result(run_result(FinishedRun {
            probe: self.probe,
            plugin: PluginIdentity::from(self.plugin.info()),
            run_id,
            started_at_ms,
            finished_at_ms: unix_now_ms(),
            report,
        }))
    }
}

fn on_demand_probe(probe: &Probe) -> OnDemandProbe {
    OnDemandProbe {
        name: probe.name.clone(),
        plugin: probe.plugin.clone(),
        targets: host::targets(&probe.targets),
        config: probe.config.clone(),
        grants: host::grants(&probe.grants),
        limits: host::limits(probe),
        on_demand: probe.on_demand,
        adhoc: probe.on_demand_adhoc,
    }
}

#[cfg(test)]
mod tests;
