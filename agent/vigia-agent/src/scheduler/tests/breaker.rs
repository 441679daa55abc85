//! Circuit breakers: open after `open_after` consecutive failures, retry after a backoff that
//! doubles up to the maximum, close on one success; targets left out are reported as such.

use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::time::Instant;
use vigia_core::ObservationKind;
use vigia_plugin_host::RunStats;

use super::support::{FakeRunner, answers, options, probe, secs, start};
use crate::scheduler::spec::BreakerPolicy;
use crate::scheduler::target_state::{Evidence, Plan, TargetStates};

#[tokio::test(start_paused = true)]
async fn a_breaker_opens_backs_off_doubling_and_closes_on_success() {
    let epoch = Instant::now();
    // `x` is dead until 200 s; `y` always answers. Runs take no time; rounds every 10 s.
    let runner = Arc::new(FakeRunner::new(epoch, |targets, at| {
        answers(targets, Duration::ZERO, |id| {
            id == "x" && at.as_secs() < 200
        })
    }));
    let running = start(vec![probe("p", &runner, &["x", "y"])], options());
    tokio::time::sleep(Duration::from_secs(45)).await;
    assert_eq!(running.counters.snapshot().breaker_open_targets, 1);
    tokio::time::sleep(Duration::from_secs(160)).await; // 205 s
    assert_eq!(running.counters.snapshot().breaker_open_targets, 0);
    tokio::time::sleep(Duration::from_secs(30)).await; // 235 s
    let (runs, _) = running.stop().await;

    // Four failures (0..30 s) open it for 30 s; the trial at 60 s fails (60 s more); the trial at
    // 120 s fails (80 s, the maximum); the trial at 200 s succeeds and closes it.
    let x_probed: Vec<u64> = runner
        .calls()
        .iter()
        .filter(|c| c.targets.iter().any(|t| t == "x"))
        .map(|c| secs(c.at))
        .collect();
    assert_eq!(x_probed, [0, 10, 20, 30, 60, 120, 200, 210, 220, 230]);
    // `y` is probed every round regardless.
    let y_probed = runner
        .calls()
        .iter()
        .filter(|c| c.targets.iter().any(|t| t == "y"))
        .count();
    assert_eq!(y_probed, 24);

    // Every round that left `x` out delivered a notice for it, and only for it.
    let open = ("vigia.breaker".to_owned(), "open".to_owned());
    let notices: Vec<_> = runs
        .iter()
        .filter(|r| r.observations().iter().any(|o| o.labels.contains(&open)))
        .collect();
    assert_eq!(notices.len(), 2 + 5 + 7, "40-50, 70-110, 130-190 s");
    let first = &notices[0].observations()[0];
    assert_eq!(notices[0].observations().len(), 1);
    assert_eq!(first.target, "x");
    let ObservationKind::Failure(error) = &first.kind else {
        panic!("a failure notice, got {first:?}");
    };
    assert_eq!(
        error.message,
        "not probed: circuit breaker open after 4 consecutive failures; next attempt in 20 s"
    );
    assert!(first.labels.contains(&open));
    assert!(
        first
            .labels
            .contains(&("vigia.state".into(), "down".into()))
    );
    let later = notices[2].observations()[0].kind.clone();
    let ObservationKind::Failure(error) = later else {
        panic!("a failure notice");
    };
    assert!(
        error
            .message
            .ends_with("after 5 consecutive failures; next attempt in 50 s"),
        "{}",
        error.message
    );
    // Notices come as runs of the probe that no plugin ran: own run ids, zero stats.
    assert!(notices.iter().all(|r| r.plugin.id == "fake"
        && r.run_id.starts_with("p-")
        && r.report.stats == RunStats::default()));
}

#[test]
fn backoff_doubles_to_the_maximum_with_jitter_and_one_success_closes_the_breaker() {
    let policy = BreakerPolicy {
        open_after: 2,
        backoff_min: Duration::from_secs(100),
        backoff_max: Duration::from_secs(350),
    };
    let mut states = TargetStates::new(2, policy, 0.5, StdRng::seed_from_u64(1));
    let mut now = Instant::now();
    let mut retry_waits = Vec::new();
    let change = states.record("t", Evidence::Failure, now);
    assert!(!change.breaker_opened);
    assert_eq!(states.plan("t", now), Plan::Probe);
    for expected in [100, 200, 350, 350] {
        let change = states.record("t", Evidence::Failure, now);
        assert_eq!(change.breaker_opened, expected == 100);
        assert_eq!(states.backoff("t"), Some(Duration::from_secs(expected)));
        let Plan::Skip { retry_in, .. } = states.plan("t", now) else {
            panic!("left out while open");
        };
        let wait = retry_in.as_secs_f64();
        let base = expected as f64;
        assert!(
            (0.5 * base..=1.5 * base).contains(&wait),
            "{wait} s for a {base} s backoff"
        );
        retry_waits.push(wait);
        now += retry_in;
        assert_eq!(states.plan("t", now), Plan::Probe, "the trial is due");
    }
    // The jitter moves the waits: not exactly the backoffs.
    assert!(
        retry_waits
            .iter()
            .zip([100.0, 200.0, 350.0, 350.0])
            .any(|(w, b)| *w != b)
    );
    assert_eq!(states.open_breakers(), 1);
    let change = states.record("t", Evidence::Success, now);
    assert!(change.breaker_closed);
    assert_eq!(states.open_breakers(), 0);
    assert_eq!(states.plan("t", now), Plan::Probe);
}
