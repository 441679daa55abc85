//! A round never overlaps the previous one: ticks that come while it runs are skipped and counted.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::support::{FakeRunner, answers, options, probe, secs, start};

#[tokio::test(start_paused = true)]
async fn a_round_outlasting_its_interval_skips_ticks_and_never_overlaps() {
    let epoch = Instant::now();
    // Interval 10 s, each run takes 25 s.
    let runner = Arc::new(FakeRunner::new(epoch, |targets, _| {
        answers(targets, Duration::from_secs(25), |_| false)
    }));
    let running = start(vec![probe("slow", &runner, &["a"])], options());
    tokio::time::sleep(Duration::from_secs(95)).await;
    let (runs, counters) = running.stop().await;

    let calls = runner.calls();
    let started: Vec<u64> = calls.iter().map(|c| secs(c.at)).collect();
    // Ticks at 0, 10, 20, ...: a round starts on the first tick after the previous one ended.
    assert_eq!(started, [0, 30, 60, 90]);
    for pair in calls.windows(2) {
        let ended = pair[0].ended.expect("ended before the next began");
        assert!(ended <= pair[1].at, "{calls:?}");
    }
    // Skipped: 10, 20 (first round), 40, 50, 70, 80.
    let counters = counters.snapshot();
    assert_eq!(counters.skipped_overlapping_runs, 6);
    // The round started at 90 s would end at 115 s; the stop at 95 s gives it 5 s of grace, so
    // it is abandoned. The three before reached the sink.
    assert_eq!(runs.len(), 3);
    assert_eq!(counters.abandoned_rounds, 1);
    assert_eq!((counters.runs_started, counters.runs_finished), (4, 3));
}

#[tokio::test(start_paused = true)]
async fn a_quick_round_runs_on_every_tick() {
    let epoch = Instant::now();
    let runner = Arc::new(FakeRunner::new(epoch, |targets, _| {
        answers(targets, Duration::from_secs(2), |_| false)
    }));
    let mut options = options();
    options.max_rounds = Some(5);
    let (runs, counters) = start(vec![probe("quick", &runner, &["a"])], options)
        .finished()
        .await;
    let started: Vec<u64> = runner.calls().iter().map(|c| secs(c.at)).collect();
    assert_eq!(started, [0, 10, 20, 30, 40]);
    assert_eq!(runs.len(), 5);
    assert_eq!(counters.snapshot().skipped_overlapping_runs, 0);
}
