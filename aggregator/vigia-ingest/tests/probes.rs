//! On-demand probes over real mutually authenticated TLS on loopback: the aggregator asks a
//! connected agent (a tonic client playing the agent) to run a plugin now, and gets the run
//! result, the refusal, a timeout, or at once `Offline`, `Busy` or `Disconnected`.

#[path = "support/lab.rs"]
mod lab;

use std::time::Duration;

use lab::{AgentStream, Lab, agent};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use vigia_core::run::{PluginRef, RunOutcome, RunResult};
use vigia_core::{Metric, MetricKind, Observation, ObservationKind, Reachability};
use vigia_ingest::{IngestOptions, ProbeCall, ProbeError, ProbeTarget, StaticRegistry};
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_message::Message as FromAgent;
use vigia_proto::agent::v1::aggregator_message::Message as ToAgent;
use vigia_proto::agent::v1::probe_answer::Answer;

/// A deadline no test waits for: a request answered otherwise is answered long before it.
const LONG: Duration = Duration::from_secs(60);
/// "At once": far below any deadline used here, far above a loopback round trip.
const AT_ONCE: Duration = Duration::from_secs(2);

fn ping_call() -> ProbeCall {
    ProbeCall {
        plugin_id: "ping".into(),
        targets: vec![ProbeTarget {
            id: "cpe-1".into(),
            address: "192.0.2.7".into(),
            labels: vec![("login".into(), "maria.silva".into())],
        }],
        config: serde_json::json!({ "count": 3, "interval_ms": 200 }),
    }
}

/// `lab.probes.run(...)` in its own task, so the test can play the agent meanwhile.
fn ask(lab: &Lab, id: &str, deadline: Duration) -> JoinHandle<Result<RunResult, ProbeError>> {
    let (probes, tower) = (lab.probes.clone(), agent(id));
    tokio::spawn(async move { probes.run(&tower, ping_call(), deadline).await })
}

/// Waits (bounded) for the task's result.
async fn outcome(
    asking: JoinHandle<Result<RunResult, ProbeError>>,
    within: Duration,
) -> Result<RunResult, ProbeError> {
    tokio::time::timeout(within, asking)
        .await
        .expect("run returned in time")
        .expect("run task")
}

/// The next probe request on the agent's stream (acks before it are skipped).
async fn next_request(stream: &mut AgentStream) -> pb::ProbeRequest {
    loop {
        match stream.next().await {
            Some(Ok(ToAgent::ProbeRequest(request))) => return request,
            Some(Ok(ToAgent::Ack(_))) => continue,
            other => panic!("expected a probe request, got {other:?}"),
        }
    }
}

fn answer(request_id: &str, answer: Answer) -> pb::AgentMessage {
    pb::AgentMessage {
        message: Some(FromAgent::ProbeAnswer(pb::ProbeAnswer {
            request_id: request_id.to_owned(),
            answer: Some(answer),
        })),
    }
}

fn refusal(reason: pb::ProbeRefusalReason, message: &str) -> Answer {
    Answer::Refusal(pb::ProbeRefusal {
        reason: reason.into(),
        message: message.to_owned(),
    })
}

/// A ping run over `cpe-1`: one reachability and one metric observation.
fn ping_result(run_id: &str) -> Answer {
    let reachability = pb::Observation {
        target: "cpe-1".into(),
        observed_at_ms: 1_700_000_000_100,
        labels: vec![pb::Label {
            key: "login".into(),
            value: "maria.silva".into(),
        }],
        kind: Some(pb::observation::Kind::Reachability(pb::Reachability {
            address: "192.0.2.7".into(),
            up: true,
            sent: 3,
            received: 2,
            rtt_min_us: Some(900),
            rtt_avg_us: Some(1200),
            rtt_max_us: Some(1500),
            rtt_jitter_us: Some(300),
            detail: None,
        })),
    };
    let loss = pb::Observation {
        target: "cpe-1".into(),
        observed_at_ms: 1_700_000_000_100,
        labels: vec![],
        kind: Some(pb::observation::Kind::Metric(pb::Metric {
            name: "loss_ratio".into(),
            kind: pb::MetricKind::Gauge.into(),
            value: 1.0 / 3.0,
            unit: "1".into(),
            labels: vec![],
        })),
    };
    Answer::Result(pb::RunResult {
        probe: "on-demand".into(),
        plugin: Some(pb::PluginRef {
            plugin_id: "ping".into(),
            version: "0.3.1".into(),
            sha256: vec![9; 32],
        }),
        run_id: run_id.to_owned(),
        started_at_ms: 1_700_000_000_000,
        finished_at_ms: 1_700_000_000_400,
        outcome: Some(pb::run_result::Outcome::Observations(pb::ObservationList {
            observations: vec![reachability, loss],
        })),
    })
}

#[tokio::test]
async fn an_answered_request_returns_the_run_result_converted() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("open");
    let asking = ask(&lab, "tower-1", Duration::from_millis(1500));

    let request = next_request(&mut stream).await;
    assert!(!request.request_id.is_empty());
    assert_eq!(request.plugin_id, "ping");
    assert_eq!(request.deadline_ms, 1500);
    assert_eq!(
        request.targets,
        [pb::Target {
            id: "cpe-1".into(),
            address: "192.0.2.7".into(),
            labels: vec![pb::Label {
                key: "login".into(),
                value: "maria.silva".into()
            }],
        }]
    );
    let config: serde_json::Value =
        serde_json::from_str(&request.config_json).expect("config is JSON");
    assert_eq!(config, ping_call().config);
    stream
        .send(answer(&request.request_id, ping_result("od-1")))
        .await;

    let run = outcome(asking, lab::WAIT).await.expect("answered");
    assert_eq!(
        run,
        RunResult {
            probe: "on-demand".into(),
            plugin: PluginRef {
                plugin_id: "ping".into(),
                version: "0.3.1".into(),
                sha256: [9; 32],
            },
            run_id: "od-1".into(),
            started_at_ms: 1_700_000_000_000,
            finished_at_ms: 1_700_000_000_400,
            outcome: RunOutcome::Observations(vec![
                Observation {
                    target: "cpe-1".into(),
                    observed_at_ms: 1_700_000_000_100,
                    kind: ObservationKind::Reachability(Reachability {
                        address: "192.0.2.7".into(),
                        up: true,
                        sent: 3,
                        received: 2,
                        rtt_min_us: Some(900),
                        rtt_avg_us: Some(1200),
                        rtt_max_us: Some(1500),
                        rtt_jitter_us: Some(300),
                        detail: None,
                    }),
                    labels: vec![("login".into(), "maria.silva".into())],
                },
                Observation {
                    target: "cpe-1".into(),
                    observed_at_ms: 1_700_000_000_100,
                    kind: ObservationKind::Metric(Metric {
                        name: "loss_ratio".into(),
                        metric_kind: MetricKind::Gauge,
                        value: 1.0 / 3.0,
                        unit: "1".into(),
                        metric_labels: vec![],
                    }),
                    labels: vec![],
                },
            ]),
        }
    );
    assert_eq!(lab.probes.pending(), 0);
    let metrics = lab.metrics.snapshot();
    assert_eq!((metrics.probes_sent, metrics.probes_answered), (1, 1));
}

#[tokio::test]
async fn a_refusal_is_refused_with_its_reason_and_message() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("open");
    for (reason, name) in [
        (
            pb::ProbeRefusalReason::PluginNotInstalled,
            "plugin_not_installed",
        ),
        (pb::ProbeRefusalReason::NotAllowed, "not_allowed"),
    ] {
        let asking = ask(&lab, "tower-1", LONG);
        let request = next_request(&mut stream).await;
        let message = format!("no {name} here");
        stream
            .send(answer(&request.request_id, refusal(reason, &message)))
            .await;
        let error = outcome(asking, lab::WAIT).await.expect_err("refused");
        assert_eq!(
            error,
            ProbeError::Refused {
                reason: name.into(),
                message: message.clone()
            }
        );
        assert_eq!(error.kind(), "refused");
        assert_eq!(
            error.to_string(),
            format!("agent refused the probe ({name}): {message}")
        );
    }
    assert_eq!(lab.metrics.snapshot().probes_refused, 2);
    assert_eq!(lab.probes.pending(), 0);
}

#[tokio::test]
async fn an_agent_that_never_answers_times_out_at_the_deadline() {
    let grace = Duration::from_millis(100);
    let options = IngestOptions {
        probe_grace: grace,
        ..IngestOptions::default()
    };
    let lab = Lab::start_with(StaticRegistry::any(), options).await;
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("open");
    let deadline = Duration::from_millis(300);
    let started = Instant::now();
    let asking = ask(&lab, "tower-1", deadline);
    let request = next_request(&mut stream).await;
    let error = outcome(asking, lab::WAIT).await.expect_err("no answer");
    let waited = started.elapsed();
    assert_eq!(error, ProbeError::Timeout);
    assert!(
        waited >= deadline + grace && waited < deadline + grace + AT_ONCE,
        "waited {waited:?}"
    );
    assert_eq!(lab.probes.pending(), 0);
    assert_eq!(lab.metrics.snapshot().probes_timed_out, 1);

    // The late answer is ignored and the stream goes on.
    stream
        .send(answer(&request.request_id, ping_result("late")))
        .await;
    stream.send_batch(1, 1).await;
    assert_eq!(stream.acks_until(1).await.last().map(|a| a.up_to), Some(1));
    lab.metrics_reach(|m| m.probe_answers_unknown == 1).await;
}

#[tokio::test]
async fn an_unknown_or_gone_agent_is_offline_at_once() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let error = outcome(ask(&lab, "tower-never", LONG), AT_ONCE).await;
    assert_eq!(error, Err(ProbeError::Offline));

    let tower = agent("tower-1");
    let mut updates = lab.agents.subscribe();
    let (stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("open");
    drop(stream);
    tokio::time::timeout(lab::WAIT, async {
        while lab.agents.get(&tower).is_some_and(|s| s.open_streams > 0) {
            updates.changed().await.expect("view alive");
        }
    })
    .await
    .expect("stream end noticed");
    let error = outcome(ask(&lab, "tower-1", LONG), AT_ONCE).await;
    assert_eq!(error, Err(ProbeError::Offline));
    let metrics = lab.metrics.snapshot();
    assert_eq!((metrics.probes_offline, metrics.probes_sent), (2, 0));
}

#[tokio::test]
async fn a_stream_that_ends_while_a_request_waits_fails_it_at_once() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("open");
    let asking = ask(&lab, "tower-1", LONG);
    next_request(&mut stream).await;
    drop(stream);
    let error = outcome(asking, AT_ONCE).await;
    assert_eq!(error, Err(ProbeError::Disconnected));
    assert_eq!(lab.probes.pending(), 0);
    assert_eq!(lab.metrics.snapshot().probes_disconnected, 1);
}

#[tokio::test]
async fn a_reconnected_agent_is_asked_on_its_newest_stream() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let tower = agent("tower-1");
    let identity = lab.identity("tower-1");
    let mut updates = lab.agents.subscribe();
    let (mut old, _) = AgentStream::open(&lab, &identity, "tower-1", 1)
        .await
        .expect("open");
    // The agent reconnects before the aggregator noticed its first stream is dead.
    let (mut new, _) = AgentStream::open(&lab, &identity, "tower-1", 1)
        .await
        .expect("reopen");

    let asking = ask(&lab, "tower-1", LONG);
    let request = next_request(&mut new).await;
    new.send(answer(&request.request_id, ping_result("od-new")))
        .await;
    assert_eq!(
        outcome(asking, lab::WAIT).await.map(|run| run.run_id),
        Ok("od-new".to_owned())
    );
    // Had the old stream been asked, the request would come before this batch's ack.
    old.send_batch(1, 1).await;
    assert_eq!(old.next_ack().await.up_to, 1);

    // The old stream ends; the new one stays registered.
    drop(old);
    tokio::time::timeout(lab::WAIT, async {
        while lab.agents.get(&tower).is_some_and(|s| s.open_streams > 1) {
            updates.changed().await.expect("view alive");
        }
    })
    .await
    .expect("old stream end noticed");
    let asking = ask(&lab, "tower-1", LONG);
    let request = next_request(&mut new).await;
    new.send(answer(&request.request_id, ping_result("od-after")))
        .await;
    assert_eq!(
        outcome(asking, lab::WAIT).await.map(|run| run.run_id),
        Ok("od-after".to_owned())
    );
}

#[tokio::test]
async fn unknown_and_duplicate_answers_are_ignored_and_batches_keep_flowing() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("open");
    stream
        .send(answer("no-such-request", ping_result("stray")))
        .await;
    stream.send_batch(1, 1).await;
    assert_eq!(stream.acks_until(1).await.last().map(|a| a.up_to), Some(1));

    let asking = ask(&lab, "tower-1", LONG);
    let request = next_request(&mut stream).await;
    stream
        .send(answer(&request.request_id, ping_result("first")))
        .await;
    stream
        .send(answer(&request.request_id, ping_result("second")))
        .await;
    assert_eq!(
        outcome(asking, lab::WAIT).await.map(|run| run.run_id),
        Ok("first".to_owned())
    );
    stream.send_batch(1, 2).await;
    assert_eq!(stream.acks_until(2).await.last().map(|a| a.up_to), Some(2));
    lab.metrics_reach(|m| m.probe_answers_unknown == 2).await;
    let metrics = lab.metrics.snapshot();
    assert_eq!((metrics.streams_failed, metrics.probes_answered), (0, 1));
}

#[tokio::test]
async fn the_seventeenth_waiting_request_to_one_agent_is_busy() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let (mut busy, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("open");
    let (mut other, _) = AgentStream::open(&lab, &lab.identity("tower-2"), "tower-2", 1)
        .await
        .expect("open");
    // The first request is asked (and read) alone, so the test knows which task it belongs to.
    let first = ask(&lab, "tower-1", LONG);
    let first_request = next_request(&mut busy).await;
    let asking: Vec<_> = (1..16).map(|_| ask(&lab, "tower-1", LONG)).collect();
    for _ in 1..16 {
        next_request(&mut busy).await;
    }
    assert_eq!(lab.probes.pending(), 16);

    let error = outcome(ask(&lab, "tower-1", LONG), AT_ONCE).await;
    assert_eq!(error, Err(ProbeError::Busy));
    assert_eq!(lab.metrics.snapshot().probes_busy, 1);

    // The bound is per agent: another agent is still asked.
    let elsewhere = ask(&lab, "tower-2", LONG);
    let request = next_request(&mut other).await;
    other
        .send(answer(&request.request_id, ping_result("elsewhere")))
        .await;
    assert!(outcome(elsewhere, lab::WAIT).await.is_ok());

    // One answer frees one place.
    busy.send(answer(&first_request.request_id, ping_result("first")))
        .await;
    assert_eq!(
        outcome(first, lab::WAIT).await.map(|run| run.run_id),
        Ok("first".to_owned())
    );
    assert_eq!(lab.probes.pending(), 15);
    let seventeenth = ask(&lab, "tower-1", LONG);
    next_request(&mut busy).await;
    assert_eq!(lab.probes.pending(), 16);

    // The stream ends: every waiting request fails at once.
    drop(busy);
    for task in asking.into_iter().chain([seventeenth]) {
        assert_eq!(outcome(task, AT_ONCE).await, Err(ProbeError::Disconnected));
    }
    assert_eq!(lab.probes.pending(), 0);
    let metrics = lab.metrics.snapshot();
    assert_eq!(
        (metrics.probes_answered, metrics.probes_disconnected),
        (2, 16)
    );
}
