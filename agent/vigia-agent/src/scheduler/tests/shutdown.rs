//! Graceful shutdown: no run starts after the stop; runs in progress get the grace period to
//! finish and deliver; past it they are dropped and the scheduler returns.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::support::{FakeRunner, answers, options, probe, start};
use crate::scheduler::spec::Concurrency;

#[tokio::test(start_paused = true)]
async fn a_run_in_progress_finishes_within_the_grace_and_reaches_the_sink() {
    let epoch = Instant::now();
    let runner = Arc::new(FakeRunner::new(epoch, |targets, _| {
        answers(targets, Duration::from_secs(3), |_| false)
    }));
    let running = start(vec![probe("p", &runner, &["a"])], options());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (runs, counters) = running.stop().await;
    assert_eq!(
        epoch.elapsed(),
        Duration::from_secs(3),
        "returned as the run ended"
    );
    assert_eq!(runs.len(), 1);
    assert_eq!(counters.snapshot().abandoned_rounds, 0);
    assert_eq!(runner.dropped.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn a_run_outlasting_the_grace_is_abandoned() {
    let epoch = Instant::now();
    let runner = Arc::new(FakeRunner::new(epoch, |targets, _| {
        answers(targets, Duration::from_secs(60), |_| false)
    }));
    let running = start(vec![probe("p", &runner, &["a"])], options());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (runs, counters) = running.stop().await;
    // Stopped at 1 s, 5 s of grace.
    assert_eq!(epoch.elapsed(), Duration::from_secs(6));
    assert!(runs.is_empty());
    assert_eq!(counters.snapshot().abandoned_rounds, 1);
    assert_eq!(
        runner.dropped.load(Ordering::SeqCst),
        1,
        "the run's future was dropped"
    );
}

#[tokio::test(start_paused = true)]
async fn runs_waiting_for_a_permit_do_not_start_after_the_stop() {
    let epoch = Instant::now();
    let runner = Arc::new(FakeRunner::new(epoch, |targets, _| {
        answers(targets, Duration::from_secs(10), |_| false)
    }));
    let mut spec = probe("p", &runner, &["a", "b", "c"]);
    spec.batch_size = 1;
    let mut options = options();
    options.concurrency = Concurrency {
        overall: 1,
        ..Concurrency::default()
    };
    options.shutdown_grace = Duration::from_secs(30);
    let running = start(vec![spec], options);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (runs, counters) = running.stop().await;
    // The first batch runs 0-10 s and is delivered; the other two were queued and never start.
    assert_eq!(runner.calls().len(), 1);
    assert_eq!(runs.len(), 1);
    assert_eq!(epoch.elapsed(), Duration::from_secs(10));
    assert_eq!(counters.snapshot().runs_started, 1);
}
