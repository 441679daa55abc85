//! The task of one probe: ticks every interval (moved by the jitter), starts a round on each
//! tick unless the previous round is still running (then the tick is skipped and counted), and
//! on shutdown gives the round in progress the grace period to finish.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;
use tokio::time::Instant;
use tracing::{info, warn};

use super::round::{self, ProbeRuntime};
use super::runner::BoxFuture;
use super::target_state::jittered;

/// How a probe task runs: the randomness of its ticks, a round limit, the shutdown grace.
pub(super) struct TaskOptions {
    pub(super) rng: StdRng,
    /// Stop after this many rounds (demos and tests); `None`: until stopped.
    pub(super) max_rounds: Option<u64>,
    pub(super) shutdown_grace: Duration,
}

pub(super) async fn run(rt: Arc<ProbeRuntime>, options: TaskOptions) {
    let TaskOptions {
        mut rng,
        max_rounds,
        shutdown_grace,
    } = options;
    let interval = rt.spec.interval;
    let jitter = rt.spec.jitter;
    // The first round starts after a random part of the jitter, so that probes with the same
    // interval do not all fire at once when the agent starts.
    let first = interval.mul_f64(rng.random_range(0.0..=jitter));
    let mut next = Instant::now() + first;
    let mut round: Option<BoxFuture<'static, ()>> = None;
    let mut started = 0u64;
    loop {
        tokio::select! {
            biased;
            () = rt.stop.cancelled() => break,
            () = finish(&mut round) => {
                round = None;
                if max_rounds.is_some_and(|max| started >= max) {
                    break;
                }
            }
            () = tokio::time::sleep_until(next) => {
                if round.is_some() {
                    rt.counters.add_skipped_overlapping_runs(1);
                    warn!(probe = %rt.spec.name, "previous round still running: tick skipped");
                } else if max_rounds.is_some_and(|max| started >= max) {
                    break;
                } else {
                    started += 1;
                    round = Some(Box::pin(round::run(rt.clone())));
                }
                // A late wake-up (a suspended host) fires once, not once per missed tick.
                next = (next + jittered(interval, jitter, &mut rng)).max(Instant::now());
            }
        }
    }
    if let Some(round) = round {
        match tokio::time::timeout(shutdown_grace, round).await {
            Ok(()) => info!(probe = %rt.spec.name, "round in progress finished"),
            Err(_) => {
                rt.counters.add_abandoned_rounds(1);
                warn!(probe = %rt.spec.name, grace_secs = shutdown_grace.as_secs_f64(), "round abandoned at shutdown");
            }
        }
    }
    // This probe's targets are no longer scheduled: they leave the open-breaker gauge.
    let open = rt.states().open_breakers();
    rt.counters.sub_breaker_open_targets(open);
}

/// Completes when the round in progress does; never when there is none.
async fn finish(round: &mut Option<BoxFuture<'static, ()>>) {
    match round {
        Some(round) => round.await,
        None => std::future::pending().await,
    }
}
