//! What reaches the sink: one `FinishedRun` per batch, with the plugin's identity, a unique run
//! id and wall-clock times; and the JSON line `vigia-agent run` prints for it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use vigia_plugin_host::{Fault, FaultKind, RunOutcome};

use super::support::{FakeRunner, Gauge, Script, answers, options, probe, start};
use crate::scheduler::clock::unix_now_ms;
use crate::scheduler::json_lines::line;

#[tokio::test(start_paused = true)]
async fn many_targets_run_as_concurrent_batches_each_delivered_with_its_identity() {
    let epoch = Instant::now();
    let in_flight = Arc::new(Gauge::default());
    let runner = Arc::new(
        FakeRunner::new(epoch, |targets, _| {
            answers(targets, Duration::from_secs(2), |_| false)
        })
        .counted_in(&[&in_flight]),
    );
    let ids: Vec<String> = (0..2500).map(|i| format!("cpe-{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut spec = probe("cpes", &runner, &ids);
    spec.batch_size = 1000;
    let mut options = options();
    options.max_rounds = Some(2);
    let before_ms = unix_now_ms();
    let (runs, counters) = start(vec![spec], options).finished().await;

    let mut sizes: Vec<usize> = runner.calls().iter().map(|c| c.targets.len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [500, 500, 1000, 1000, 1000, 1000]);
    assert_eq!(
        in_flight.max(),
        3,
        "the three batches of a round run at once"
    );
    let calls = runner.calls();
    let first_round: Vec<&String> = calls
        .iter()
        .filter(|c| c.at < Duration::from_secs(5))
        .flat_map(|c| c.targets.iter())
        .collect();
    let probed: HashSet<&String> = first_round.iter().copied().collect();
    assert_eq!(first_round.len(), 2500);
    assert_eq!(
        probed.len(),
        2500,
        "every target in exactly one batch of the round"
    );

    assert_eq!(runs.len(), 6);
    assert_eq!(counters.snapshot().runs_finished, 6);
    let run_ids: HashSet<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(run_ids.len(), 6, "run ids are unique");
    for run in &runs {
        assert_eq!(run.probe, "cpes");
        assert_eq!(
            (run.plugin.id.as_str(), run.plugin.version.as_str()),
            ("fake", "1.2.3")
        );
        assert_eq!(run.plugin.sha256, "ab".repeat(32));
        let parts: Vec<&str> = run.run_id.rsplitn(3, '-').collect();
        assert_eq!(parts[2], "cpes", "{}", run.run_id);
        assert_eq!(parts[1], run.started_at_ms.to_string(), "{}", run.run_id);
        assert!(before_ms <= run.started_at_ms && run.started_at_ms <= run.finished_at_ms);
    }
}

#[tokio::test(start_paused = true)]
async fn the_json_line_names_the_run_and_carries_its_outcome() {
    let epoch = Instant::now();
    let runner = Arc::new(FakeRunner::new(epoch, |targets, at| {
        if at.as_secs() < 5 {
            answers(targets, Duration::from_millis(1500), |_| false)
        } else {
            Script {
                takes: Duration::from_secs(1),
                outcome: RunOutcome::Fault(Fault {
                    kind: FaultKind::Timeout,
                    message: "run exceeded its deadline of 1000 ms".into(),
                }),
            }
        }
    }));
    let mut options = options();
    options.max_rounds = Some(2);
    let (runs, _) = start(vec![probe("lo", &runner, &["lo4"])], options)
        .finished()
        .await;
    let completed = line(&runs[0]);
    assert_eq!(completed["probe"], "lo");
    assert_eq!(completed["plugin"], "fake");
    assert_eq!(completed["plugin_version"], "1.2.3");
    assert_eq!(completed["run_id"], runs[0].run_id.as_str());
    assert_eq!(completed["outcome"], "completed");
    assert_eq!(completed["duration_us"], 1_500_000);
    assert_eq!(completed["observations"][0]["kind"], "reachability");
    assert_eq!(
        completed["observations"][0]["labels"],
        serde_json::json!([["vigia.state", "up"]])
    );
    let fault = line(&runs[1]);
    assert_eq!(fault["outcome"], "fault");
    assert_eq!(
        fault["fault"],
        "timeout: run exceeded its deadline of 1000 ms"
    );
    assert!(fault.get("observations").is_none());
}
