//! A scripted fake runner and helpers to build probes, run the scheduler and read what it
//! delivered.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use vigia_core::{ErrorClass, Observation, ObservationKind, PluginError, Reachability};
use vigia_plugin_host::{Grants, Limits, RunOutcome, RunReport, RunRequest, RunStats, Target};

use crate::scheduler::runner::{BoxFuture, Runner};
use crate::scheduler::sink::{FinishedRun, MemorySink};
use crate::scheduler::spec::{BreakerPolicy, Concurrency, PluginIdentity, ProbeSpec};
use crate::scheduler::{Counters, Options, Scheduler};

/// Runs in flight now, and the most ever seen at once.
#[derive(Debug, Default)]
pub(super) struct Gauge {
    now: AtomicU64,
    max: AtomicU64,
}

impl Gauge {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    pub(super) fn max(&self) -> u64 {
        self.max.load(Ordering::SeqCst)
    }
}

/// What a scripted run does: how long it takes and how it ends.
pub(super) struct Script {
    pub(super) takes: Duration,
    pub(super) outcome: RunOutcome,
}

/// One call the fake runner received: when (virtual time since the test began) and the targets.
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub(super) at: Duration,
    pub(super) ended: Option<Duration>,
    pub(super) targets: Vec<String>,
}

type Behaviour = dyn Fn(&[Target], Duration) -> Script + Send + Sync;

/// A runner whose runs follow a script: `behaviour(targets, time since the test began)`.
pub(super) struct FakeRunner {
    epoch: Instant,
    behaviour: Box<Behaviour>,
    gauges: Vec<Arc<Gauge>>,
    calls: Arc<Mutex<Vec<Call>>>,
    /// Runs whose future was dropped before it ended (abandoned).
    pub(super) dropped: Arc<AtomicU64>,
}

impl FakeRunner {
    pub(super) fn new(
        epoch: Instant,
        behaviour: impl Fn(&[Target], Duration) -> Script + Send + Sync + 'static,
    ) -> Self {
        Self {
            epoch,
            behaviour: Box::new(behaviour),
            gauges: Vec::new(),
            calls: Arc::default(),
            dropped: Arc::default(),
        }
    }

    /// Every run of this runner counts in these gauges while it runs.
    pub(super) fn counted_in(mut self, gauges: &[&Arc<Gauge>]) -> Self {
        self.gauges = gauges.iter().map(|g| Arc::clone(g)).collect();
        self
    }

    pub(super) fn calls(&self) -> Vec<Call> {
        lock(&self.calls).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Leaves the gauges when the run ends or is dropped; counts drops of unfinished runs.
struct InFlight {
    gauges: Vec<Arc<Gauge>>,
    finished: bool,
    dropped: Arc<AtomicU64>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        for g in &self.gauges {
            g.leave();
        }
        if !self.finished {
            self.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl Runner for FakeRunner {
    fn run(&self, request: RunRequest) -> BoxFuture<'static, RunReport> {
        let at = self.epoch.elapsed();
        let script = (self.behaviour)(&request.targets, at);
        let index = {
            let mut calls = lock(&self.calls);
            calls.push(Call {
                at,
                ended: None,
                targets: request.targets.iter().map(|t| t.id.clone()).collect(),
            });
            calls.len() - 1
        };
        for g in &self.gauges {
            g.enter();
        }
        let in_flight = InFlight {
            gauges: self.gauges.clone(),
            finished: false,
            dropped: self.dropped.clone(),
        };
        let calls = self.calls.clone();
        let epoch = self.epoch;
        Box::pin(async move {
            // Moved in whole, so that dropping this future (abandoning the run) drops it.
            let mut in_flight = in_flight;
            tokio::time::sleep(script.takes).await;
            in_flight.finished = true;
            lock(&calls)[index].ended = Some(epoch.elapsed());
            RunReport {
                outcome: script.outcome,
                stats: RunStats {
                    wall_time: script.takes,
                    ..RunStats::default()
                },
                logs: Vec::new(),
            }
        })
    }
}

pub(super) fn reachability(target: &str, up: bool) -> Observation {
    Observation {
        target: target.to_owned(),
        observed_at_ms: 1,
        kind: ObservationKind::Reachability(Reachability {
            address: target.to_owned(),
            up,
            sent: 1,
            received: u32::from(up),
            rtt_min_us: None,
            rtt_avg_us: None,
            rtt_max_us: None,
            rtt_jitter_us: None,
            detail: None,
        }),
        labels: Vec::new(),
    }
}

pub(super) fn failed(class: ErrorClass) -> RunOutcome {
    RunOutcome::Failed(PluginError {
        class,
        message: "scripted".into(),
    })
}

/// A run of `takes` reporting each target up unless `down(id)`.
pub(super) fn answers(targets: &[Target], takes: Duration, down: impl Fn(&str) -> bool) -> Script {
    let observations = targets
        .iter()
        .map(|t| reachability(&t.id, !down(&t.id)))
        .collect();
    Script {
        takes,
        outcome: RunOutcome::Completed(observations),
    }
}

/// A probe of `targets` on `runner`: interval 10 s, no jitter, offline after 2, breaker after 4
/// (30 s doubling to 80 s), one batch.
pub(super) fn probe(name: &str, runner: &Arc<FakeRunner>, targets: &[&str]) -> ProbeSpec {
    ProbeSpec {
        name: name.to_owned(),
        plugin: PluginIdentity {
            id: "fake".into(),
            version: "1.2.3".into(),
            sha256: "ab".repeat(32),
        },
        runner: runner.clone(),
        interval: Duration::from_secs(10),
        jitter: 0.0,
        offline_after: 2,
        breaker: BreakerPolicy {
            open_after: 4,
            backoff_min: Duration::from_secs(30),
            backoff_max: Duration::from_secs(80),
        },
        batch_size: 1000,
        targets: targets
            .iter()
            .map(|id| Target {
                id: (*id).to_owned(),
                address: (*id).to_owned(),
                labels: Vec::new(),
            })
            .collect(),
        config: serde_json::json!({}),
        grants: Grants::none(),
        limits: Limits::default(),
    }
}

pub(super) fn options() -> Options {
    Options {
        concurrency: Concurrency::default(),
        shutdown_grace: Duration::from_secs(5),
        max_rounds: None,
        seed: Some(7),
    }
}

/// A scheduler running in a task, with its sink, counters and stop token.
pub(super) struct Running {
    pub(super) sink: Arc<MemorySink>,
    pub(super) counters: Arc<Counters>,
    pub(super) stop: CancellationToken,
    pub(super) task: tokio::task::JoinHandle<()>,
}

pub(super) fn start(probes: Vec<ProbeSpec>, options: Options) -> Running {
    let sink = Arc::new(MemorySink::default());
    let scheduler = Scheduler::new(probes, sink.clone(), options);
    let counters = scheduler.counters();
    let stop = CancellationToken::new();
    let task = tokio::spawn(scheduler.run(stop.clone()));
    Running {
        sink,
        counters,
        stop,
        task,
    }
}

impl Running {
    /// Stops the scheduler and waits for it to return.
    pub(super) async fn stop(self) -> (Vec<FinishedRun>, Arc<Counters>) {
        self.stop.cancel();
        self.task.await.expect("the scheduler task ends normally");
        (self.sink.runs(), self.counters)
    }

    /// Waits for the scheduler to return by itself (max_rounds).
    pub(super) async fn finished(self) -> (Vec<FinishedRun>, Arc<Counters>) {
        self.task.await.expect("the scheduler task ends normally");
        (self.sink.runs(), self.counters)
    }
}

/// The `vigia.state` label of each target's reachability/failure observation in one run.
pub(super) fn states(run: &FinishedRun) -> HashMap<String, String> {
    run.observations()
        .iter()
        .filter_map(|o| {
            let state = o.labels.iter().find(|(k, _)| k == "vigia.state")?;
            Some((o.target.clone(), state.1.clone()))
        })
        .collect()
}

/// Whole seconds of a duration, for readable assertions.
pub(super) fn secs(d: Duration) -> u64 {
    d.as_secs()
}
