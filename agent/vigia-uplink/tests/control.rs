//! The aggregator steering the stream: Throttle bounds the batches in flight, ProbeRequests are
//! refused, offers and config updates are ignored without breaking the stream, and heartbeats
//! carry the agent's health.

mod support;

use std::time::Duration;

use support::*;
use vigia_proto::agent::v1 as pb;

use pb::aggregator_message::Message as ToAgent;

const WAIT: Duration = Duration::from_secs(30);

fn probe_request(id: &str) -> ToAgent {
    ToAgent::ProbeRequest(pb::ProbeRequest {
        request_id: id.into(),
        plugin_id: "ping".into(),
        targets: vec![pb::Target {
            id: "cpe-1".into(),
            address: "192.0.2.1".into(),
            labels: vec![],
        }],
        config_json: "{}".into(),
        deadline_ms: 1000,
    })
}

/// Sends a ProbeRequest and waits for its answer. The agent handles aggregator messages in
/// order and sends what its window allows before reading the next one, so once this returns,
/// the agent has acted on everything sent before it.
async fn barrier(aggregator: &TestAggregator, id: &str) {
    aggregator.broadcast(probe_request(id));
    aggregator
        .wait_for("probe answer", WAIT, |s| {
            s.answers.iter().any(|a| a.request_id == id)
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_bounds_the_batches_in_flight() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        let spool = TestSpool::new();
        let uplink = RunningUplink::spawn(
            config(aggregator.endpoint(), &ca, &ca.agent("agent-1")),
            &spool,
        );
        eventually("connected", WAIT, || uplink.status.connected()).await;

        aggregator.hold_acks();
        aggregator.broadcast(ToAgent::Throttle(pb::Throttle {
            max_batches_in_flight: 2,
        }));
        barrier(&aggregator, "after-throttle").await;
        spool.append_runs(ids("run", 0..10)).await;
        // Twice: the first answer may overtake batches the commit wakes up; the second cannot.
        barrier(&aggregator, "after-append-1").await;
        barrier(&aggregator, "after-append-2").await;
        assert_eq!(aggregator.state().store().receptions.len(), 2);
        let status = uplink.status.snapshot();
        assert_eq!((status.in_flight, status.in_flight_limit), (2, 2));

        aggregator.release_acks();
        eventually("all acked", WAIT, || spool.depth() == 0).await;
        {
            let store = aggregator.state().store();
            assert_eq!(store.batches.len(), 10);
            assert_eq!(store.max_unacked, 2, "never more than two unacked");
        }
        uplink.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_requests_are_refused_and_offers_ignored() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        let spool = TestSpool::new();
        let uplink = RunningUplink::spawn(
            config(aggregator.endpoint(), &ca, &ca.agent("agent-1")),
            &spool,
        );
        eventually("connected", WAIT, || uplink.status.connected()).await;

        aggregator.broadcast(ToAgent::PluginOffer(pb::PluginOffer {
            plugin: Some(pb::PluginRef {
                plugin_id: "snmp".into(),
                version: "1.0.0".into(),
                sha256: vec![0; 32],
            }),
            size_bytes: 4,
            signature: vec![0; 64],
            key_id: "k1".into(),
            source: Some(pb::plugin_offer::Source::Chunk(pb::PluginChunk {
                offset: 0,
                data: b"\0asm".to_vec(),
            })),
        }));
        aggregator.broadcast(ToAgent::ConfigUpdate(pb::ConfigUpdate {
            config_version: 7,
            toml: "[agent]".into(),
        }));
        barrier(&aggregator, "req-1").await;

        {
            let store = aggregator.state().store();
            let answer = store
                .answers
                .iter()
                .find(|a| a.request_id == "req-1")
                .unwrap();
            let Some(pb::probe_answer::Answer::Refusal(refusal)) = &answer.answer else {
                panic!("expected a refusal, got {answer:?}");
            };
            assert_eq!(refusal.reason(), pb::ProbeRefusalReason::NotAllowed);
            assert!(
                refusal.message.contains("not enabled"),
                "{}",
                refusal.message
            );
        }
        // Still the same stream, still delivering.
        spool.append_runs(ids("run", 0..3)).await;
        eventually("acked", WAIT, || spool.depth() == 0).await;
        assert_eq!(uplink.status.snapshot().connects, 1);
        uplink.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_carry_the_agent_health_and_the_last_ack() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        let spool = TestSpool::new();
        let mut config = config(aggregator.endpoint(), &ca, &ca.agent("agent-1"));
        config.heartbeat_interval = Duration::from_millis(100);
        let uplink = RunningUplink::spawn(config, &spool);

        aggregator
            .wait_for("a heartbeat", WAIT, |s| !s.heartbeats.is_empty())
            .await;
        aggregator.hold_acks();
        spool.append_runs(ids("run", 0..4)).await;
        aggregator
            .wait_for("a heartbeat with 4 spooled", WAIT, |s| {
                s.heartbeats.iter().any(|h| h.spool_records == 4)
            })
            .await;
        aggregator.release_acks();
        eventually("acked", WAIT, || spool.depth() == 0).await;
        let acked_at = uplink.status.last_ack_at_ms().expect("an ack arrived");
        aggregator
            .wait_for("a heartbeat after the ack", WAIT, |s| {
                s.heartbeats.iter().any(|h| {
                    h.last_ack_at_ms.is_some_and(|at| at >= acked_at) && h.spool_records == 0
                })
            })
            .await;

        {
            let store = aggregator.state().store();
            let beat = store.heartbeats.last().unwrap();
            assert_eq!(
                (
                    beat.dropped_records,
                    beat.plugin_faults,
                    beat.budget_exhaustions,
                    beat.probe_runs,
                    beat.skipped_overlapping_runs,
                    beat.uptime_ms
                ),
                (2, 3, 4, 5, 6, 7)
            );
            assert!(beat.sent_at_ms >= acked_at);
        }
        uplink.stop().await;
    })
    .await;
}
