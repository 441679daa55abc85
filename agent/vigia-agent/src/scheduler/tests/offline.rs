//! Offline confirmation: `down` only after `offline_after` consecutive failed runs, `up` after one
//! success, the verdict attached as `vigia.state` to each target's observations.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use vigia_core::{ErrorClass, Metric, MetricKind, Observation, ObservationKind, PluginError};
use vigia_plugin_host::{Fault, FaultKind, RunOutcome, RunReport, RunStats};

use super::support::{
    FakeRunner, Script, answers, failed, options, probe, reachability, start, states,
};
use crate::scheduler::evidence::per_target;
use crate::scheduler::target_state::Evidence;

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn a_target_is_down_only_after_consecutive_failures_and_up_after_one_success() {
    let epoch = Instant::now();
    // Rounds every 10 s; `b` does not answer in rounds 0, 1, 2 and 4.
    let runner = Arc::new(FakeRunner::new(epoch, |targets, at| {
        let round = at.as_secs() / 10;
        answers(targets, SECOND, |id| {
            id == "b" && [0, 1, 2, 4].contains(&round)
        })
    }));
    let mut spec = probe("p", &runner, &["a", "b"]);
    spec.breaker.open_after = 10;
    let mut options = options();
    options.max_rounds = Some(6);
    let (runs, _) = start(vec![spec], options).finished().await;

    let of = |target: &str| -> Vec<String> {
        runs.iter()
            .map(|run| states(run).remove(target).expect("labelled"))
            .collect()
    };
    assert_eq!(
        of("b"),
        ["unconfirmed", "down", "down", "up", "unconfirmed", "up"]
    );
    assert_eq!(of("a"), ["up"; 6]);
}

fn completed(observations: Vec<Observation>) -> RunOutcome {
    RunOutcome::Completed(observations)
}

fn failure_observation(target: &str, class: ErrorClass) -> Observation {
    Observation {
        target: target.into(),
        observed_at_ms: 1,
        kind: ObservationKind::Failure(PluginError {
            class,
            message: "scripted".into(),
        }),
        labels: Vec::new(),
    }
}

fn metric(target: &str) -> Observation {
    Observation {
        target: target.into(),
        observed_at_ms: 1,
        kind: ObservationKind::Metric(Metric {
            name: "uptime".into(),
            metric_kind: MetricKind::Gauge,
            value: 1.0,
            unit: "s".into(),
            metric_labels: Vec::new(),
        }),
        labels: Vec::new(),
    }
}

#[tokio::test(start_paused = true)]
async fn faults_and_failed_runs_count_as_failures_but_config_denied_and_budget_do_not() {
    let epoch = Instant::now();
    let runner = Arc::new(FakeRunner::new(epoch, |_, at| {
        let outcome = match at.as_secs() / 10 {
            0 => completed(vec![reachability("t", true)]),
            1 => RunOutcome::Fault(Fault {
                kind: FaultKind::Timeout,
                message: "scripted".into(),
            }), // failure 1
            2 => failed(ErrorClass::Budget),  // nothing
            3 => failed(ErrorClass::Timeout), // failure 2
            4 => completed(vec![failure_observation("t", ErrorClass::Denied)]), // nothing
            5 => completed(vec![failure_observation("t", ErrorClass::Unreachable)]), // failure 3
            6 => failed(ErrorClass::Config),  // nothing
            7 => completed(vec![reachability("t", false)]), // failure 4: down
            _ => completed(vec![
                metric("t"),
                failure_observation("t", ErrorClass::Unsupported),
            ]), // it answered
        };
        Script {
            takes: SECOND,
            outcome,
        }
    }));
    let mut spec = probe("p", &runner, &["t"]);
    spec.offline_after = 4;
    spec.breaker.open_after = 10;
    let mut options = options();
    options.max_rounds = Some(9);
    let (runs, counters) = start(vec![spec], options).finished().await;

    let labels: Vec<Option<String>> = runs.iter().map(|r| states(r).remove("t")).collect();
    let state = |s: &str| Some(s.to_owned());
    assert_eq!(
        labels,
        [
            state("up"),
            None, // a fault carries no observations
            None,
            None,
            // Denied says nothing: the verdict since the fault. Had budget/config/denied counted,
            // this would be the 4th failure in a row, and the next one "down".
            state("unconfirmed"),
            state("unconfirmed"),
            None,
            state("down"),
            state("up"),
        ]
    );
    let counters = counters.snapshot();
    assert_eq!((counters.faults, counters.failed_runs), (1, 3));
}

#[test]
fn evidence_is_read_target_by_target() {
    let ids: Vec<String> = ["down", "partial", "silent", "failing", "budget"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let report = RunReport {
        outcome: completed(vec![
            reachability("down", false),
            metric("down"),
            metric("partial"),
            failure_observation("partial", ErrorClass::Timeout),
            failure_observation("failing", ErrorClass::Auth),
            failure_observation("budget", ErrorClass::Budget),
        ]),
        stats: RunStats::default(),
        logs: Vec::new(),
    };
    let got: HashMap<&str, Evidence> = per_target(&report, &ids).into_iter().collect();
    assert_eq!(got["down"], Evidence::Failure, "reachability down wins");
    assert_eq!(got["partial"], Evidence::Success, "it answered something");
    assert_eq!(got["silent"], Evidence::Nothing);
    assert_eq!(got["failing"], Evidence::Failure);
    assert_eq!(got["budget"], Evidence::Nothing);
}
