//! Running a plugin: a fresh store per call, the deadline (epoch callback for guest code, a tokio
//! timeout for host calls), the memory limiter, the output caps, and the classification of every
//! way a guest can fail into a [`Fault`].

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;
use vigia_core::{ErrorClass, Label, Observation, PluginError};
use wasmtime::{Store, UpdateDeadline};

use crate::bindings::PluginPre;
use crate::bindings::vigia::plugin::types::{
    Observation as WitObservation, PluginError as WitPluginError, PluginInfo as WitPluginInfo,
    Target as WitTarget,
};
use crate::capability::log::{LogLine, truncate};
use crate::limits::{
    DeadlineExceeded, HostCallBudgetExceeded, MAX_LOG_LINE_BYTES, MemoryLimitExceeded,
};
use crate::state::HostState;
use crate::{Grants, Limits, Plugin, PluginHost, convert};

/// One thing to probe in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub id: String,
    pub address: String,
    pub labels: Vec<Label>,
}

/// Everything one run needs besides the plugin.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The probe's config; checked against the plugin's schema before the guest sees it.
    pub config: serde_json::Value,
    pub targets: Vec<Target>,
    pub grants: Grants,
    pub limits: Limits,
}

#[derive(Debug, Clone)]
pub struct RunReport {
    pub outcome: RunOutcome,
    pub stats: RunStats,
    /// The plugin's log lines (capped by [`Limits::max_log_lines`], each cut to 4 KiB).
    pub logs: Vec<LogLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// The plugin returned these observations (all about the run's targets).
    Completed(Vec<Observation>),
    /// The plugin reported a classified failure of the whole run (or the config was invalid).
    Failed(PluginError),
    /// The guest misbehaved or hit a limit; the host ended it.
    Fault(Fault),
}

impl RunOutcome {
    /// `completed`, `failed` or `fault`: for logs and metrics labels.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Completed(_) => "completed",
            Self::Failed(_) => "failed",
            Self::Fault(_) => "fault",
        }
    }
}

/// How a guest failed. Never a host crash: every guest failure ends up here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    pub kind: FaultKind,
    pub message: String,
}

/// How a run was stopped: the domain's `FaultKind`, shared with the wire contract.
pub use vigia_core::run::FaultKind;

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunStats {
    pub wall_time: Duration,
    pub host_calls: u32,
    /// Most linear memory the guest held at once.
    pub peak_memory_bytes: u64,
    pub log_lines: u32,
    pub log_lines_dropped: u32,
    /// Observations the guest returned (before dropping foreign ones).
    pub observations: u32,
    /// Approximate size of the returned observations: their JSON encoding.
    pub output_bytes: u64,
    /// Observations naming a target that is not in the run, dropped.
    pub foreign_observations_dropped: u32,
    /// HTTP requests and TCP connects refused because the probe's call budget was used up.
    pub budget_exhausted: u32,
}

/// What to call in a fresh instance.
pub(crate) enum Call {
    Describe,
    Run {
        config: String,
        targets: Vec<WitTarget>,
    },
}

pub(crate) enum CallOutput {
    Describe(WitPluginInfo),
    Run(Result<Vec<WitObservation>, WitPluginError>),
}

impl CallOutput {
    pub(crate) fn into_describe(self) -> WitPluginInfo {
        match self {
            Self::Describe(info) => info,
            Self::Run(_) => unreachable!("invoke answers a describe call with a describe output"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Instantiate,
    Call,
}

impl PluginHost {
    /// Runs the plugin once over `req.targets`. Never fails and never panics on guest behaviour:
    /// every outcome, including faults, is in the report.
    pub async fn run(&self, plugin: &Plugin, req: RunRequest) -> RunReport {
        let started = Instant::now();
        let info = plugin.info();
        if let Err(e) = plugin.validate_config(&req.config) {
            let failed = PluginError {
                class: ErrorClass::Config,
                message: e.to_string(),
            };
            let stats = RunStats {
                wall_time: started.elapsed(),
                ..RunStats::default()
            };
            return RunReport {
                outcome: RunOutcome::Failed(failed),
                stats,
                logs: Vec::new(),
            };
        }
        let target_ids: HashSet<&str> = req.targets.iter().map(|t| t.id.as_str()).collect();
        let call = Call::Run {
            config: req.config.to_string(),
            targets: req.targets.iter().map(convert::target).collect(),
        };
        let mut store = self.new_store(info.id.clone(), req.grants, req.limits, req.targets.len());
        let result = self
            .invoke(&plugin.inner.compiled.pre, &mut store, call)
            .await;
        let state = store.data();
        let mut stats = RunStats {
            wall_time: started.elapsed(),
            host_calls: state.host_calls,
            peak_memory_bytes: state.limiter.peak,
            log_lines: state.log.lines.len() as u32,
            log_lines_dropped: state.log.dropped,
            budget_exhausted: state.budget_exhausted,
            ..RunStats::default()
        };
        let outcome = match result {
            Err(fault) => RunOutcome::Fault(fault),
            Ok(CallOutput::Run(Err(e))) => {
                let mut failed = convert::plugin_error(e);
                failed.message = truncate(failed.message, MAX_LOG_LINE_BYTES);
                RunOutcome::Failed(failed)
            }
            Ok(CallOutput::Run(Ok(observations))) => {
                match convert::observations(observations, &target_ids, &state.limits, &mut stats) {
                    Ok(observations) => RunOutcome::Completed(observations),
                    Err(fault) => RunOutcome::Fault(fault),
                }
            }
            Ok(CallOutput::Describe(_)) => {
                unreachable!("invoke answers a run call with a run output")
            }
        };
        if stats.foreign_observations_dropped > 0 {
            tracing::warn!(
                plugin = %info.id,
                dropped = stats.foreign_observations_dropped,
                "plugin returned observations for targets outside the run"
            );
        }
        if let RunOutcome::Fault(fault) = &outcome {
            tracing::warn!(plugin = %info.id, kind = fault.kind.as_str(), message = %fault.message, "plugin fault");
        }
        let logs = std::mem::take(&mut store.data_mut().log.lines);
        RunReport {
            outcome,
            stats,
            logs,
        }
    }

    /// A store with fresh host state, the memory limiter and the deadline callback installed.
    pub(crate) fn new_store(
        &self,
        plugin: String,
        grants: Grants,
        mut limits: Limits,
        target_count: usize,
    ) -> Store<HostState> {
        limits.memory_bytes = limits.memory_bytes.min(self.inner.memory_ceiling_bytes);
        let state = HostState::new(
            plugin,
            grants,
            limits,
            target_count,
            self.inner.services.clone(),
        );
        let deadline = state.started + state.limits.deadline;
        let budget = state.limits.deadline;
        let mut store = Store::new(&self.inner.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(1);
        // Every tick: yield to tokio while time remains (a busy guest never hogs a worker for
        // more than a tick), trap once the deadline has passed.
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Err(wasmtime::Error::new(DeadlineExceeded { deadline: budget }))
            } else {
                Ok(UpdateDeadline::YieldCustom(
                    1,
                    Box::pin(tokio::task::yield_now()),
                ))
            }
        });
        store
    }

    /// Instantiates `pre` in `store` and makes `call`, all within the store's deadline.
    pub(crate) async fn invoke(
        &self,
        pre: &PluginPre<HostState>,
        store: &mut Store<HostState>,
        call: Call,
    ) -> Result<CallOutput, Fault> {
        let budget = store.data().limits.deadline;
        let deadline = store.data().started + budget;
        let work = async {
            let plugin = pre
                .instantiate_async(&mut *store)
                .await
                .map_err(|e| (Stage::Instantiate, e))?;
            let probe = plugin.vigia_plugin_probe();
            let out = match call {
                Call::Describe => probe
                    .call_describe(&mut *store)
                    .await
                    .map(CallOutput::Describe),
                Call::Run { config, targets } => probe
                    .call_run(&mut *store, &config, &targets)
                    .await
                    .map(CallOutput::Run),
            };
            out.map_err(|e| (Stage::Call, e))
        };
        match tokio::time::timeout_at(deadline, work).await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err((stage, error))) => Err(classify(stage, &error, store.data())),
            Err(_) => Err(Fault {
                kind: FaultKind::Timeout,
                message: format!(
                    "run exceeded its deadline of {} ms (waiting on a host call)",
                    budget.as_millis()
                ),
            }),
        }
    }
}

/// Turns a trap or instantiation error into a fault, using what the host recorded on the way.
pub(crate) fn classify(stage: Stage, error: &wasmtime::Error, state: &HostState) -> Fault {
    let fault = |kind, message| Fault { kind, message };
    if let Some(e) = error.downcast_ref::<DeadlineExceeded>() {
        return fault(FaultKind::Timeout, e.to_string());
    }
    if let Some(e) = error
        .downcast_ref::<MemoryLimitExceeded>()
        .or(state.limiter.exceeded.as_ref())
    {
        return fault(FaultKind::MemoryLimit, e.to_string());
    }
    if let Some(e) = error.downcast_ref::<HostCallBudgetExceeded>() {
        return fault(FaultKind::HostCallBudget, e.to_string());
    }
    if let Some(panic) = &state.log.last_panic {
        return fault(FaultKind::Panic, panic.clone());
    }
    let message = match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{error:#}"),
    };
    tracing::debug!(error = ?error, "guest trapped");
    match stage {
        Stage::Instantiate => fault(FaultKind::Instantiate, message),
        Stage::Call => fault(FaultKind::Trap, message),
    }
}
