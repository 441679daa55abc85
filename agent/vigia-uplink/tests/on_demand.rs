//! On-demand probes through the uplink: the aggregator's `ProbeRequest` reaches the agent's
//! handler, a slow run does not hold up the stream (batches keep being sent and acked), answers
//! come back with their request id in the order runs finish, and an answer whose stream ended is
//! not sent on the next one.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::*;
use tokio::sync::Semaphore;
use vigia_proto::agent::v1 as pb;
use vigia_uplink::{BoxFuture, OnDemand, ProbeAnswer, ProbeRequest, Refusal, RefusalReason};

use pb::aggregator_message::Message as ToAgent;

const WAIT: Duration = Duration::from_secs(30);

/// A handler whose requests named `slow*` wait for a gate, and all others are refused `Busy` at
/// once. It records every request it was given.
struct GatedHandler {
    gate: Arc<Semaphore>,
    requests: Mutex<Vec<ProbeRequest>>,
}

impl GatedHandler {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            gate: Arc::new(Semaphore::new(0)),
            requests: Mutex::new(Vec::new()),
        })
    }

    fn received(&self, id: &str) -> bool {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.request_id == id)
    }

    fn open_gate(&self, runs: usize) {
        self.gate.add_permits(runs);
    }
}

impl OnDemand for GatedHandler {
    fn run(&self, request: ProbeRequest) -> BoxFuture<'static, ProbeAnswer> {
        self.requests.lock().unwrap().push(request.clone());
        if !request.request_id.starts_with("slow") {
            return Box::pin(std::future::ready(ProbeAnswer::Refused(Refusal::new(
                RefusalReason::Busy,
                "busy right now",
            ))));
        }
        let gate = self.gate.clone();
        Box::pin(async move {
            gate.acquire().await.expect("gate open").forget();
            let mut result = run(&format!("answer-{}", request.request_id));
            result.probe = format!("{}@{}", request.plugin_id, request.targets[0].address);
            ProbeAnswer::Result(result)
        })
    }
}

fn probe_request(id: &str) -> ToAgent {
    ToAgent::ProbeRequest(pb::ProbeRequest {
        request_id: id.into(),
        plugin_id: "ping".into(),
        targets: vec![pb::Target {
            id: "cpe-1".into(),
            address: "192.0.2.1".into(),
            labels: vec![pb::Label {
                key: "site".into(),
                value: "sao".into(),
            }],
        }],
        config_json: "{\"count\":1}".into(),
        deadline_ms: 5000,
    })
}

fn answer(aggregator: &TestAggregator, id: &str) -> Option<pb::ProbeAnswer> {
    let store = aggregator.state().store();
    store.answers.iter().find(|a| a.request_id == id).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_probe_does_not_hold_up_acks_and_its_answer_comes_back() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        let spool = TestSpool::new();
        let handler = GatedHandler::new();
        let uplink = RunningUplink::spawn_with(
            config(aggregator.endpoint(), &ca, &ca.agent("agent-1")),
            &spool,
            Some(handler.clone()),
        );
        eventually("connected", WAIT, || uplink.status.connected()).await;

        aggregator.broadcast(probe_request("slow-1"));
        eventually("the handler got the request", WAIT, || {
            handler.received("slow-1")
        })
        .await;
        {
            let requests = handler.requests.lock().unwrap();
            let request = &requests[0];
            assert_eq!(request.plugin_id, "ping");
            assert_eq!(request.config_json, "{\"count\":1}");
            assert_eq!(request.deadline, Duration::from_millis(5000));
            assert_eq!(
                request.targets[0].labels,
                [("site".to_owned(), "sao".to_owned())]
            );
        }

        // The run is blocked; the stream is not: batches go out and are acked, and a later
        // request is answered before the slow one.
        spool.append_runs(ids("run", 0..5)).await;
        eventually("batches acked while the probe runs", WAIT, || {
            spool.depth() == 0
        })
        .await;
        aggregator.broadcast(probe_request("fast-1"));
        aggregator
            .wait_for("the fast answer", WAIT, |s| {
                s.answers.iter().any(|a| a.request_id == "fast-1")
            })
            .await;
        let fast = answer(&aggregator, "fast-1").expect("fast answered");
        let Some(pb::probe_answer::Answer::Refusal(refusal)) = &fast.answer else {
            panic!("expected a refusal, got {fast:?}");
        };
        assert_eq!(refusal.reason(), pb::ProbeRefusalReason::Busy);
        assert!(answer(&aggregator, "slow-1").is_none(), "still running");

        handler.open_gate(1);
        aggregator
            .wait_for("the slow answer", WAIT, |s| {
                s.answers.iter().any(|a| a.request_id == "slow-1")
            })
            .await;
        let slow = answer(&aggregator, "slow-1").expect("slow answered");
        let Some(pb::probe_answer::Answer::Result(result)) = &slow.answer else {
            panic!("expected a run result, got {slow:?}");
        };
        assert_eq!(result.run_id, "answer-slow-1");
        assert_eq!(result.probe, "ping@192.0.2.1");
        {
            let store = aggregator.state().store();
            let order: Vec<&str> = store
                .answers
                .iter()
                .map(|a| a.request_id.as_str())
                .collect();
            assert_eq!(order, ["fast-1", "slow-1"]);
        }
        assert_eq!(uplink.status.snapshot().connects, 1, "one stream all along");
        uplink.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_whose_stream_ended_is_not_sent_on_the_next_one() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        let spool = TestSpool::new();
        let handler = GatedHandler::new();
        let uplink = RunningUplink::spawn_with(
            config(aggregator.endpoint(), &ca, &ca.agent("agent-1")),
            &spool,
            Some(handler.clone()),
        );
        eventually("connected", WAIT, || uplink.status.connected()).await;

        aggregator.broadcast(probe_request("slow-old"));
        eventually("the handler got the request", WAIT, || {
            handler.received("slow-old")
        })
        .await;
        aggregator.drop_connections();
        eventually("reconnected", WAIT, || {
            let status = uplink.status.snapshot();
            status.connects >= 2 && status.connected
        })
        .await;
        // The old run ends now; then a run on the new stream.
        handler.open_gate(1);
        aggregator.broadcast(probe_request("slow-new"));
        eventually("the handler got the new request", WAIT, || {
            handler.received("slow-new")
        })
        .await;
        handler.open_gate(1);
        aggregator
            .wait_for("the new answer", WAIT, |s| {
                s.answers.iter().any(|a| a.request_id == "slow-new")
            })
            .await;
        assert!(
            answer(&aggregator, "slow-old").is_none(),
            "an answer for an ended stream is dropped"
        );
        uplink.stop().await;
    })
    .await;
}
