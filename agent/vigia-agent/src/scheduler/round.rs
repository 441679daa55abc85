//! One round of a probe: leave out targets whose breaker is open (and say so), split the rest
//! into batches, run the batches concurrently under the concurrency permits, read each report
//! target by target, label it and hand it to the sink.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info_span, warn};
use vigia_plugin_host::{RunOutcome, RunReport, RunRequest, RunStats, Target};

use super::clock::{run_id, unix_now_ms};
use super::counters::Counters;
use super::evidence::{breaker_notice, label_states, per_target};
use super::permits::Permits;
use super::sink::{FinishedRun, RunSink};
use super::spec::ProbeSpec;
use super::target_state::{Plan, TargetStates};

/// Everything the rounds of one probe share.
pub(super) struct ProbeRuntime {
    pub(super) spec: ProbeSpec,
    pub(super) states: Mutex<TargetStates>,
    pub(super) permits: Arc<Permits>,
    pub(super) sink: Arc<dyn RunSink>,
    pub(super) counters: Arc<Counters>,
    /// Cancelled when the agent stops: no run starts after that.
    pub(super) stop: CancellationToken,
}

impl ProbeRuntime {
    pub(super) fn states(&self) -> MutexGuard<'_, TargetStates> {
        // Updates of the state map are single calls that do not panic midway; a poisoned lock
        // (a panic in another batch task) still guards consistent data.
        self.states
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Runs one round to the end: every batch delivered, or not started because the agent stops.
pub(super) async fn run(rt: Arc<ProbeRuntime>) {
    let now = Instant::now();
    let now_ms = unix_now_ms();
    let mut probed: Vec<Target> = Vec::with_capacity(rt.spec.targets.len());
    let mut notices = Vec::new();
    {
        let states = rt.states();
        for target in &rt.spec.targets {
            match states.plan(&target.id, now) {
                Plan::Probe => probed.push(target.clone()),
                Plan::Skip {
                    failures,
                    verdict,
                    retry_in,
                } => notices.push(breaker_notice(
                    &target.id, failures, verdict, retry_in, now_ms,
                )),
            }
        }
    }
    if !notices.is_empty() {
        let run = FinishedRun {
            probe: rt.spec.name.clone(),
            plugin: rt.spec.plugin.clone(),
            run_id: run_id(&rt.spec.name, now_ms),
            started_at_ms: now_ms,
            finished_at_ms: now_ms,
            report: RunReport {
                outcome: RunOutcome::Completed(notices),
                stats: RunStats::default(),
                logs: Vec::new(),
            },
        };
        deliver(&rt, run).await;
    }
    let mut batches = JoinSet::new();
    for chunk in probed.chunks(rt.spec.batch_size) {
        batches.spawn(batch(rt.clone(), chunk.to_vec()));
    }
    while let Some(joined) = batches.join_next().await {
        if let Err(error) = joined {
            warn!(probe = %rt.spec.name, %error, "a batch task ended abnormally");
        }
    }
}

/// One plugin run over `targets`, once the permits are held; nothing if the agent stops first.
async fn batch(rt: Arc<ProbeRuntime>, targets: Vec<Target>) {
    let held = tokio::select! {
        biased;
        _ = rt.stop.cancelled() => return,
        held = rt.permits.acquire(rt.spec.capabilities()) => held,
    };
    let Some(held) = held else {
        return;
    };
    if rt.stop.is_cancelled() {
        return;
    }
    rt.counters.add_runs_started(1);
    let ids: Vec<String> = targets.iter().map(|t| t.id.clone()).collect();
    let started_at_ms = unix_now_ms();
    let run_id = run_id(&rt.spec.name, started_at_ms);
    let request = RunRequest {
        config: rt.spec.config.clone(),
        targets,
        grants: rt.spec.grants.clone(),
        limits: rt.spec.limits.clone(),
    };
    let span = info_span!("probe", probe = %rt.spec.name, plugin = %rt.spec.plugin.id, %run_id);
    let mut report = rt.spec.runner.run(request).instrument(span).await;
    drop(held);
    let finished_at_ms = unix_now_ms();
    record(&rt, &ids, &mut report);
    debug!(probe = %rt.spec.name, %run_id, outcome = report.outcome.label(), targets = ids.len(), "run finished");
    let run = FinishedRun {
        probe: rt.spec.name.clone(),
        plugin: rt.spec.plugin.clone(),
        run_id,
        started_at_ms,
        finished_at_ms,
        report,
    };
    rt.counters.add_runs_finished(1);
    deliver(&rt, run).await;
}

/// Updates the targets' states from the report, labels it, and counts its outcome.
fn record(rt: &ProbeRuntime, ids: &[String], report: &mut RunReport) {
    let evidence = per_target(report, ids);
    let now = Instant::now();
    let mut verdicts = HashMap::with_capacity(evidence.len());
    let (mut opened, mut closed) = (0u64, 0u64);
    {
        let mut states = rt.states();
        for (id, evidence) in evidence {
            let change = states.record(id, evidence, now);
            opened += u64::from(change.breaker_opened);
            closed += u64::from(change.breaker_closed);
            verdicts.insert(id, change.verdict);
        }
    }
    label_states(report, &verdicts);
    let counters = &rt.counters;
    counters.add_breaker_open_targets(opened);
    counters.sub_breaker_open_targets(closed);
    if opened > 0 {
        warn!(probe = %rt.spec.name, targets = opened, "circuit breaker opened");
    }
    counters.add_budget_exhaustions(u64::from(report.stats.budget_exhausted));
    match &report.outcome {
        RunOutcome::Completed(_) => {}
        RunOutcome::Failed(_) => counters.add_failed_runs(1),
        RunOutcome::Fault(_) => counters.add_faults(1),
    }
}

async fn deliver(rt: &ProbeRuntime, run: FinishedRun) {
    if let Err(error) = rt.sink.deliver(run).await {
        rt.counters.add_sink_errors(1);
        warn!(error = %format!("{:#}", anyhow::Error::new(error)), "finished run lost");
    }
}
