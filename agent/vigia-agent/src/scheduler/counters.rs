//! The scheduler's health counters: atomics shared with whoever reports health (heartbeats, the
//! metrics endpoint), read with [`Counters::snapshot`].

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Counts since the scheduler started. Cheap to update from any task.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    runs_started: AtomicU64,
    runs_finished: AtomicU64,
    failed_runs: AtomicU64,
    faults: AtomicU64,
    skipped_overlapping_runs: AtomicU64,
    breaker_open_targets: AtomicU64,
    budget_exhaustions: AtomicU64,
    sink_errors: AtomicU64,
    abandoned_rounds: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct CountersSnapshot {
    /// Plugin runs started (one per batch of targets).
    pub(crate) runs_started: u64,
    /// Plugin runs finished and handed to the sink.
    pub(crate) runs_finished: u64,
    /// Runs whose plugin reported a failure of the whole run.
    pub(crate) failed_runs: u64,
    /// Runs the host ended as a fault (timeout, trap, limits).
    pub(crate) faults: u64,
    /// Ticks that came while the probe's previous round was still running, and were skipped.
    pub(crate) skipped_overlapping_runs: u64,
    /// Targets whose circuit breaker is open right now (a gauge).
    pub(crate) breaker_open_targets: u64,
    /// Plugin calls refused because a call budget was used up.
    pub(crate) budget_exhaustions: u64,
    /// Finished runs the sink refused.
    pub(crate) sink_errors: u64,
    /// Rounds still running when the shutdown grace ran out.
    pub(crate) abandoned_rounds: u64,
}

macro_rules! counter_methods {
    ($($field:ident => $add:ident),* $(,)?) => {
        impl Counters {
            $(
                pub(crate) fn $add(&self, n: u64) {
                    self.$field.fetch_add(n, Ordering::Relaxed);
                }
            )*

            pub(crate) fn snapshot(&self) -> CountersSnapshot {
                CountersSnapshot {
                    $($field: self.$field.load(Ordering::Relaxed),)*
                }
            }
        }
    };
}

counter_methods! {
    runs_started => add_runs_started,
    runs_finished => add_runs_finished,
    failed_runs => add_failed_runs,
    faults => add_faults,
    skipped_overlapping_runs => add_skipped_overlapping_runs,
    breaker_open_targets => add_breaker_open_targets,
    budget_exhaustions => add_budget_exhaustions,
    sink_errors => add_sink_errors,
    abandoned_rounds => add_abandoned_rounds,
}

impl Counters {
    /// Targets whose breaker closed (or that stopped being scheduled).
    pub(crate) fn sub_breaker_open_targets(&self, n: u64) {
        // Never below zero: every subtraction pairs with an earlier addition.
        let _ = self
            .breaker_open_targets
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(n))
            });
    }
}
