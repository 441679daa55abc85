//! What the scheduler remembers about each target between rounds: the offline confirmation
//! (consecutive failures, the confirmed verdict) and the circuit breaker. Pure logic: the time is
//! passed in, and the randomness (breaker jitter) comes from the probe's own generator.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;
use tokio::time::Instant;

use super::spec::BreakerPolicy;

/// What one run said about one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Evidence {
    /// The target answered.
    Success,
    /// The target did not answer, or the run failed for it.
    Failure,
    /// The run said nothing about the target's health (e.g. a call budget ran out).
    Nothing,
}

/// The confirmed state of a target, attached to results as the `vigia.state` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The last run with evidence succeeded.
    Up,
    /// At least `offline_after` consecutive runs failed.
    Down,
    /// Failing, but not yet `offline_after` times in a row; or never heard of.
    Unconfirmed,
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Unconfirmed => "unconfirmed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Breaker {
    Closed,
    /// Left out of runs until `retry_at`; the run after that is a trial.
    Open {
        retry_at: Instant,
        backoff: Duration,
    },
}

#[derive(Debug, Clone, Copy)]
struct Target {
    failures: u32,
    verdict: Verdict,
    breaker: Breaker,
}

impl Default for Target {
    fn default() -> Self {
        Self {
            failures: 0,
            verdict: Verdict::Unconfirmed,
            breaker: Breaker::Closed,
        }
    }
}

/// Whether to put a target in this round's runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    Probe,
    /// Its breaker is open: leave it out, and say so in the results.
    Skip {
        failures: u32,
        verdict: Verdict,
        retry_in: Duration,
    },
}

/// How recording one run changed a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) verdict: Verdict,
    pub(crate) breaker_opened: bool,
    pub(crate) breaker_closed: bool,
}

/// The state of every target of one probe.
#[derive(Debug)]
pub(crate) struct TargetStates {
    offline_after: u32,
    breaker: BreakerPolicy,
    jitter: f64,
    rng: StdRng,
    targets: HashMap<String, Target>,
}

impl TargetStates {
    pub(crate) fn new(
        offline_after: u32,
        breaker: BreakerPolicy,
        jitter: f64,
        rng: StdRng,
    ) -> Self {
        Self {
            offline_after,
            breaker,
            jitter,
            rng,
            targets: HashMap::new(),
        }
    }

    pub(crate) fn plan(&self, id: &str, now: Instant) -> Plan {
        match self.targets.get(id) {
            Some(Target {
                failures,
                verdict,
                breaker: Breaker::Open { retry_at, .. },
            }) if now < *retry_at => Plan::Skip {
                failures: *failures,
                verdict: *verdict,
                retry_in: *retry_at - now,
            },
            _ => Plan::Probe,
        }
    }

    /// Records what a run said about target `id` at `now`.
    pub(crate) fn record(&mut self, id: &str, evidence: Evidence, now: Instant) -> Change {
        let target = self.targets.entry(id.to_owned()).or_default();
        let mut change = Change {
            verdict: target.verdict,
            breaker_opened: false,
            breaker_closed: false,
        };
        match evidence {
            Evidence::Nothing => {}
            Evidence::Success => {
                target.failures = 0;
                target.verdict = Verdict::Up;
                change.breaker_closed = matches!(target.breaker, Breaker::Open { .. });
                target.breaker = Breaker::Closed;
            }
            Evidence::Failure => {
                target.failures = target.failures.saturating_add(1);
                target.verdict = if target.failures >= self.offline_after {
                    Verdict::Down
                } else {
                    Verdict::Unconfirmed
                };
                let backoff = match target.breaker {
                    // A trial run failed: wait twice as long.
                    Breaker::Open { backoff, .. } => {
                        Some((backoff * 2).min(self.breaker.backoff_max))
                    }
                    Breaker::Closed if target.failures >= self.breaker.open_after => {
                        change.breaker_opened = true;
                        Some(self.breaker.backoff_min)
                    }
                    Breaker::Closed => None,
                };
                if let Some(backoff) = backoff {
                    let wait = jittered(backoff, self.jitter, &mut self.rng);
                    target.breaker = Breaker::Open {
                        retry_at: now + wait,
                        backoff,
                    };
                }
            }
        }
        change.verdict = target.verdict;
        change
    }

    /// Targets whose breaker is open now.
    pub(crate) fn open_breakers(&self) -> u64 {
        self.targets
            .values()
            .filter(|t| matches!(t.breaker, Breaker::Open { .. }))
            .count() as u64
    }

    /// The backoff of target `id`'s open breaker.
    #[cfg(test)]
    pub(crate) fn backoff(&self, id: &str) -> Option<Duration> {
        match self.targets.get(id)?.breaker {
            Breaker::Open { backoff, .. } => Some(backoff),
            Breaker::Closed => None,
        }
    }
}

/// `base` moved at random by up to `jitter` of itself, either way.
pub(crate) fn jittered(base: Duration, jitter: f64, rng: &mut StdRng) -> Duration {
    if jitter <= 0.0 {
        return base;
    }
    base.mul_f64(1.0 + rng.random_range(-jitter..=jitter))
}
