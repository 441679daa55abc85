//! The links on their own, with real channels standing in for agent streams (the gRPC end to end
//! cases are in `tests/probes.rs`).

use std::time::Duration;

use tokio::sync::mpsc;
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::aggregator_message::Message as ToAgent;

use super::*;

fn setup() -> (Arc<Links>, Probes, Arc<Metrics>) {
    let metrics = Arc::<Metrics>::default();
    let links = Arc::new(Links::new(
        Arc::clone(&metrics),
        16,
        Duration::from_millis(50),
    ));
    let probes = Probes::new(Arc::clone(&links), Arc::clone(&metrics));
    (links, probes, metrics)
}

fn agent(id: &str) -> AgentId {
    AgentId::new(id).expect("valid agent id")
}

fn call() -> ProbeCall {
    ProbeCall {
        plugin_id: "ping".into(),
        targets: vec![],
        config: serde_json::json!({}),
    }
}

fn request_id(message: Result<pb::AggregatorMessage, tonic::Status>) -> String {
    match message.expect("not an error").message {
        Some(ToAgent::ProbeRequest(request)) => request.request_id,
        other => panic!("expected a probe request, got {other:?}"),
    }
}

const LONG: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_full_or_closed_outbound_queue_is_answered_at_once() {
    let (links, probes, metrics) = setup();
    let tower = agent("tower-1");
    let (outbound, mut written) = mpsc::channel(1);
    let _registration = links.register(&tower, outbound);
    outbound_filler(&links, &tower);
    assert_eq!(
        probes.run(&tower, call(), LONG).await,
        Err(ProbeError::Busy)
    );
    written.close();
    assert_eq!(
        probes.run(&tower, call(), LONG).await,
        Err(ProbeError::Offline)
    );
    let counted = metrics.snapshot();
    assert_eq!((counted.probes_busy, counted.probes_offline), (1, 1));
    // The caller of the request that filled the queue gave up: nothing waits.
    assert_eq!(probes.pending(), 0);
}

/// Fills the one-slot queue with a request whose caller gives up at once.
fn outbound_filler(links: &Arc<Links>, agent: &AgentId) {
    let waiting = links
        .send(agent, |id| {
            wire::request(id, call(), Duration::from_secs(1))
        })
        .expect("sent");
    drop(waiting);
}

#[tokio::test]
async fn an_old_stream_ending_leaves_the_newer_one_registered() {
    let (links, probes, _) = setup();
    let tower = agent("tower-1");
    let (old_outbound, mut old_written) = mpsc::channel(4);
    let (new_outbound, mut new_written) = mpsc::channel(4);
    let old = links.register(&tower, old_outbound);
    let new = links.register(&tower, new_outbound);
    drop(old);
    let asking = tokio::spawn({
        let (probes, tower) = (probes.clone(), tower.clone());
        async move { probes.run(&tower, call(), LONG).await }
    });
    let id = request_id(new_written.recv().await.expect("request on the new stream"));
    assert!(old_written.try_recv().is_err(), "nothing on the old stream");
    // An answer on another stream (here the old generation) does not complete it.
    let refusal = pb::ProbeAnswer {
        request_id: id.clone(),
        answer: Some(pb::probe_answer::Answer::Refusal(pb::ProbeRefusal {
            reason: pb::ProbeRefusalReason::Busy.into(),
            message: "full".into(),
        })),
    };
    links.answered(&tower, new.generation() - 1, refusal.clone());
    assert_eq!(probes.pending(), 1);
    links.answered(&tower, new.generation(), refusal);
    let refused = asking.await.expect("task").expect_err("refused");
    assert_eq!(refused.kind(), "refused");
    assert_eq!(probes.pending(), 0);
}

#[tokio::test]
async fn a_caller_that_gives_up_leaves_nothing_pending() {
    let (links, probes, _) = setup();
    let tower = agent("tower-1");
    let (outbound, mut written) = mpsc::channel(4);
    let _registration = links.register(&tower, outbound);
    let asking = tokio::spawn({
        let (probes, tower) = (probes.clone(), tower.clone());
        async move { probes.run(&tower, call(), LONG).await }
    });
    let _id = request_id(written.recv().await.expect("request"));
    assert_eq!(probes.pending(), 1);
    asking.abort();
    assert!(asking.await.expect_err("aborted").is_cancelled());
    assert_eq!(probes.pending(), 0);
}

#[tokio::test]
async fn ending_a_stream_fails_only_its_own_requests() {
    let (links, probes, metrics) = setup();
    let (one, two) = (agent("tower-1"), agent("tower-2"));
    let (outbound_one, mut written_one) = mpsc::channel(4);
    let (outbound_two, mut written_two) = mpsc::channel(4);
    let registration_one = links.register(&one, outbound_one);
    let _registration_two = links.register(&two, outbound_two);
    let ask = |agent: &AgentId| {
        let (probes, agent) = (probes.clone(), agent.clone());
        tokio::spawn(async move { probes.run(&agent, call(), LONG).await })
    };
    let (asking_one, asking_two) = (ask(&one), ask(&two));
    request_id(written_one.recv().await.expect("request"));
    request_id(written_two.recv().await.expect("request"));
    drop(registration_one);
    assert_eq!(
        asking_one.await.expect("task"),
        Err(ProbeError::Disconnected)
    );
    assert_eq!(probes.pending(), 1, "the other agent's request still waits");
    asking_two.abort();
    assert_eq!(metrics.snapshot().probes_disconnected, 1);
}
