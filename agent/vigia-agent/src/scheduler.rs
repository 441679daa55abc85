//! The probe scheduler: runs every configured probe on its interval, over all its targets, within
//! the agent's concurrency limits, and hands each finished run to a [`RunSink`].
//!
//! # What it does, per probe (one task each)
//!
//! 1. **Schedule.** The first round starts after a random delay of up to `jitter × interval`;
//!    each next tick comes `interval × (1 ± jitter)` after the previous one. A tick that comes
//!    while the previous round is still running is skipped and counted
//!    (`skipped_overlapping_runs`): rounds of one probe never overlap.
//! 2. **Circuit breakers.** A target whose breaker is open is left out of the round, and the round
//!    yields a notice for it instead: a `failure` observation (class `unreachable`, labelled
//!    `vigia.breaker=open` and `vigia.state`) saying it was not probed and when it will be
//!    retried, so the aggregator knows it is not measured rather than up. A breaker opens after
//!    `open_after` consecutive failed runs, stays open for `backoff_min` (± jitter), and after
//!    each failed retry twice as long, up to `backoff_max`; one success closes it.
//! 3. **Batches.** The remaining targets are split into runs of at most `batch_size` targets,
//!    which run concurrently. Each run first takes a permit of every capability its probe is
//!    granted (icmp, snmp, http, tcp) and one overall permit (see `permits`).
//! 4. **Offline confirmation.** Each report is read target by target (see `evidence`): a target
//!    is confirmed `down` only after `offline_after` consecutive failed runs, `up` after one
//!    success, and `unconfirmed` in between or before anything is known. Failures that say
//!    nothing about the target (class `config`, `denied` or `budget`) change nothing. The
//!    verdict is attached to the results as the label `vigia.state=up|down|unconfirmed` on the
//!    target's `reachability` and `failure` observations. A run that failed or faulted as a whole
//!    counts as a failure of each of its targets; its outcome carries no observations, so the
//!    verdict shows on the target's next observation or breaker notice.
//! 5. **Delivery.** Each finished run becomes a [`FinishedRun`] (probe, plugin id/version/sha256,
//!    unique run id, wall-clock start and end, the labelled report) handed to the sink as soon
//!    as it finishes. [`Counters`] count runs, failures, faults, skipped ticks, open breakers,
//!    budget exhaustions and lost deliveries for the health report.
//!
//! # Shutdown
//!
//! When the [`CancellationToken`] is cancelled no new run starts (runs waiting for a permit give
//! up). Rounds in progress get the shutdown grace to finish and deliver their results; then they
//! are dropped (their plugin runs are abandoned: wasmtime stops at the next epoch check) and
//! [`Scheduler::run`] returns.
//!
//! # Not here
//!
//! No persistence: breaker and confirmation state start fresh with the process (targets are
//! `unconfirmed` until their first run). Time comes from `tokio::time` only (tests pause it);
//! the wall-clock timestamps of results come from `clock`. Plugins run behind the [`Runner`]
//! trait, so the schedule is tested without wasm.

pub(crate) mod clock;
pub(crate) mod counters;
pub(crate) mod evidence;
mod json_lines;
pub(crate) mod permits;
mod probe_task;
mod round;
pub(crate) mod runner;
pub(crate) mod sink;
pub(crate) mod spec;
mod target_state;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::warn;

pub(crate) use counters::Counters;
pub(crate) use json_lines::JsonLinesSink;
pub(crate) use runner::BoxFuture;
pub(crate) use runner::PluginRunner;
pub(crate) use sink::{FinishedRun, RunSink, SinkError};
pub(crate) use spec::{BreakerPolicy, Concurrency, PluginIdentity, ProbeSpec};

pub(crate) use permits::Permits;
use probe_task::TaskOptions;
use round::ProbeRuntime;
use target_state::TargetStates;

/// How the scheduler runs, beyond each probe's own settings.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) concurrency: Concurrency,
    /// How long rounds in progress may take to finish once the stop is asked.
    pub(crate) shutdown_grace: Duration,
    /// Stop each probe after this many rounds (demos and tests); `None`: until stopped.
    pub(crate) max_rounds: Option<u64>,
    /// Seed of the jitter; `None`: from the operating system. Tests fix it.
    pub(crate) seed: Option<u64>,
}

/// Runs probes until stopped. Build it, keep [`Scheduler::counters`] for the health report,
/// then [`Scheduler::run`] it.
pub(crate) struct Scheduler {
    probes: Vec<ProbeSpec>,
    sink: Arc<dyn RunSink>,
    counters: Arc<Counters>,
    options: Options,
    /// Shared with on-demand runs; `None`: made from `options.concurrency` when run.
    permits: Option<Arc<Permits>>,
}

impl Scheduler {
    pub(crate) fn new(probes: Vec<ProbeSpec>, sink: Arc<dyn RunSink>, options: Options) -> Self {
        Self {
            probes,
            sink,
            counters: Arc::new(Counters::default()),
            options,
            permits: None,
        }
    }

    /// Takes run permits from `permits` (shared with whoever else runs plugins, e.g. on-demand
    /// probes) instead of its own.
    pub(crate) fn with_permits(mut self, permits: Arc<Permits>) -> Self {
        self.permits = Some(permits);
        self
    }

    /// Counts into `counters` (shared with the health report) instead of its own.
    pub(crate) fn with_counters(mut self, counters: Arc<Counters>) -> Self {
        self.counters = counters;
        self
    }

    #[cfg(test)]
    pub(crate) fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// Runs every probe until `stop` is cancelled (or each has run `max_rounds` rounds), then
    /// waits for rounds in progress up to the shutdown grace, and returns.
    pub(crate) async fn run(self, stop: CancellationToken) {
        let permits = self
            .permits
            .unwrap_or_else(|| Arc::new(Permits::new(self.options.concurrency)));
        let mut seeds = match self.options.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let mut tasks = JoinSet::new();
        for spec in self.probes {
            let states = TargetStates::new(
                spec.offline_after,
                spec.breaker,
                spec.jitter,
                StdRng::from_rng(&mut seeds),
            );
            let rt = Arc::new(ProbeRuntime {
                spec,
                states: Mutex::new(states),
                permits: permits.clone(),
                sink: self.sink.clone(),
                counters: self.counters.clone(),
                stop: stop.clone(),
            });
            let options = TaskOptions {
                rng: StdRng::from_rng(&mut seeds),
                max_rounds: self.options.max_rounds,
                shutdown_grace: self.options.shutdown_grace,
            };
            tasks.spawn(probe_task::run(rt, options));
        }
        while let Some(joined) = tasks.join_next().await {
            if let Err(error) = joined {
                warn!(%error, "probe task ended abnormally");
            }
        }
    }
}

#[cfg(test)]
mod tests;
