//! The `Connect` stream over real mutually authenticated TLS on loopback, with a real SQLite
//! store: Hello and resume, acks only after commit, de-duplication, malformed messages ending
//! only their own stream, heartbeats, and graceful shutdown.

#[path = "support/lab.rs"]
mod lab;

use lab::{AgentStream, Lab, agent};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;
use vigia_ingest::StaticRegistry;
use vigia_ingest::testing;
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_message::Message as FromAgent;
use vigia_proto::agent::v1::aggregator_message::Message as ToAgent;
use vigia_store::{Batch, IngestStore};

#[tokio::test]
async fn hello_is_answered_with_what_the_store_holds() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let tower = agent("tower-1");
    let stored: Vec<Batch> = [1, 2, 4]
        .map(|seq| Batch {
            seq,
            payload: vec![1],
            live: false,
        })
        .into();
    lab.store.commit(&tower, 9, stored).await.expect("commit");

    let (_stream, ack) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 9)
        .await
        .expect("open");
    assert_eq!((ack.epoch, ack.up_to, ack.sequences), (9, 2, vec![4]));

    // Another epoch of the same agent holds nothing.
    let (_other, ack) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 10)
        .await
        .expect("open");
    assert_eq!((ack.epoch, ack.up_to, ack.sequences), (10, 0, vec![]));

    let status = lab.agents.get(&tower).expect("agent in view");
    assert_eq!(status.open_streams, 2);
    assert_eq!(status.hello.epoch, 10);
}

#[tokio::test]
async fn every_acked_batch_is_already_in_the_store() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let tower = agent("tower-1");
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 3)
        .await
        .expect("open");
    // Live batches out of order: 3 and 5 first, then the backlog 1, 2, 4.
    for seq in [3, 5, 1, 2, 4] {
        stream.send_batch(3, seq).await;
    }
    let mut acked_up_to = 0;
    while acked_up_to < 5 {
        let ack = stream.next_ack().await;
        assert_eq!(ack.epoch, 3);
        assert!(ack.sequences.iter().all(|seq| *seq > ack.up_to));
        // At the moment the ack arrives, every sequence it names is readable from the store.
        let stored: Vec<u64> = lab
            .store
            .batches(&tower, 3)
            .await
            .expect("read")
            .iter()
            .map(|b| b.seq)
            .collect();
        for seq in (1..=ack.up_to).chain(ack.sequences.iter().copied()) {
            assert!(
                stored.contains(&seq),
                "acked {seq} but stored only {stored:?}"
            );
        }
        acked_up_to = ack.up_to;
    }
    // The payload is the batch as sent.
    let stored = lab.store.batches(&tower, 3).await.expect("read");
    assert_eq!(stored.len(), 5);
    for batch in &stored {
        let decoded: pb::ResultBatch = vigia_proto::decode(&batch.payload).expect("decodes");
        assert_eq!(decoded, testing::result_batch(3, batch.seq, true));
    }
    let metrics = lab.metrics.snapshot();
    assert_eq!((metrics.batches_received, metrics.batches_stored), (5, 5));
}

#[tokio::test]
async fn a_resent_batch_is_acked_and_stored_once() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let tower = agent("tower-1");
    let identity = lab.identity("tower-1");
    let (mut stream, _) = AgentStream::open(&lab, &identity, "tower-1", 1)
        .await
        .expect("open");
    stream.send_batch(1, 1).await;
    stream.send_batch(1, 2).await;
    stream.acks_until(2).await;
    // The agent did not see those acks (say the link dropped): it resends on the same stream...
    stream.send_batch(1, 2).await;
    assert_eq!(stream.acks_until(2).await.last().map(|a| a.up_to), Some(2));
    drop(stream);

    // ...and after reconnecting, where the first Ack already tells it what is held.
    let (mut stream, ack) = AgentStream::open(&lab, &identity, "tower-1", 1)
        .await
        .expect("reopen");
    assert_eq!(ack.up_to, 2);
    stream.send_batch(1, 1).await;
    stream.send_batch(1, 3).await;
    stream.acks_until(3).await;

    assert_eq!(lab.store.batch_count(&tower).await.expect("count"), 3);
    let metrics = lab.metrics.snapshot();
    assert_eq!((metrics.batches_stored, metrics.duplicates), (3, 2));
}

#[tokio::test]
async fn a_malformed_message_ends_only_its_own_stream() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let (good, bad) = (agent("tower-good"), agent("tower-bad"));
    let (mut steady, _) = AgentStream::open(&lab, &lab.identity("tower-good"), "tower-good", 1)
        .await
        .expect("open steady agent");
    let oversized = {
        let mut batch = testing::result_batch(5, 1, true);
        batch.results[0].run_id = "x".repeat(17 * 1024 * 1024);
        batch
    };
    let cases = [
        (
            testing::result_batch(6, 1, true),
            Code::InvalidArgument,
            "epoch 6 differs from the stream's epoch 5",
        ),
        (
            testing::result_batch(5, 0, true),
            Code::InvalidArgument,
            "sequence 0 is invalid",
        ),
        (oversized, Code::OutOfRange, "message too large"),
    ];
    let mut steady_seq = 0;
    for (malformed, code, reason) in cases {
        let (mut broken, _) = AgentStream::open(&lab, &lab.identity("tower-bad"), "tower-bad", 5)
            .await
            .expect("open");
        steady_seq += 1;
        steady.send_batch(1, steady_seq).await;
        broken.send(testing::batch_message(malformed)).await;
        let status = broken.error().await;
        assert_eq!(status.code(), code, "{reason}: {status:?}");
        assert!(status.message().contains(reason), "{reason}: {status:?}");
        // The other agent's stream kept going: its batch is acked, and so is the next one.
        assert_eq!(
            steady.acks_until(steady_seq).await.last().map(|a| a.up_to),
            Some(steady_seq)
        );
        steady_seq += 1;
        steady.send_batch(1, steady_seq).await;
        assert_eq!(
            steady.acks_until(steady_seq).await.last().map(|a| a.up_to),
            Some(steady_seq)
        );
    }
    assert_eq!(lab.store.batch_count(&bad).await.expect("count"), 0);
    assert_eq!(lab.store.batch_count(&good).await.expect("count"), 6);
    lab.metrics_reach(|m| m.streams_failed == 3).await;
}

/// Wire-compatible with `AgentMessage`, except that field 2 (`result_batch`) is raw bytes, so a
/// test can send bytes that do not decode as a `ResultBatch`.
#[derive(Clone, PartialEq, prost::Message)]
struct RawAgentMessage {
    #[prost(message, optional, tag = "1")]
    hello: Option<pb::Hello>,
    #[prost(bytes = "vec", optional, tag = "2")]
    result_batch: Option<Vec<u8>>,
}

#[tokio::test]
async fn undecodable_bytes_end_only_their_stream() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let (mut steady, _) = AgentStream::open(&lab, &lab.identity("tower-good"), "tower-good", 1)
        .await
        .expect("open steady agent");
    let channel = testing::channel(lab.addr, "localhost", &lab.identity("tower-bad"))
        .await
        .expect("connect");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("channel ready");
    let Some(FromAgent::Hello(hello)) = testing::hello("tower-bad", 1, 0).message else {
        unreachable!("testing::hello builds a hello");
    };
    let (to_server, outbound) = tokio::sync::mpsc::channel(4);
    to_server
        .send(RawAgentMessage {
            hello: Some(hello),
            result_batch: None,
        })
        .await
        .expect("queue hello");
    let codec = tonic_prost::ProstCodec::<RawAgentMessage, pb::AggregatorMessage>::default();
    let mut from_server = grpc
        .streaming(
            tonic::Request::new(ReceiverStream::new(outbound)),
            PathAndQuery::from_static("/vigia.agent.v1.AgentLink/Connect"),
            codec,
        )
        .await
        .expect("stream opened")
        .into_inner();
    to_server
        .send(RawAgentMessage {
            hello: None,
            result_batch: Some(vec![0xff; 8]),
        })
        .await
        .expect("send garbage");
    let status = loop {
        match tokio::time::timeout(lab::WAIT, from_server.message())
            .await
            .expect("answer in time")
        {
            Ok(Some(_)) => continue, // the first Ack and the Throttle
            Ok(None) => panic!("stream ended cleanly, expected an error"),
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status
            .message()
            .starts_with("malformed message: failed to decode"),
        "{status:?}"
    );
    steady.send_batch(1, 1).await;
    assert_eq!(steady.acks_until(1).await.last().map(|a| a.up_to), Some(1));
    let bad = agent("tower-bad");
    assert_eq!(lab.store.batch_count(&bad).await.expect("count"), 0);
}

#[tokio::test]
async fn a_stream_must_start_with_hello() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let mut client = testing::connect(lab.addr, "localhost", &lab.identity("tower-1"))
        .await
        .expect("connect");
    let status = client
        .connect(tokio_stream::iter([testing::heartbeat(1)]))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(
        status.message(),
        "first message must be hello, got heartbeat"
    );
}

#[tokio::test]
async fn the_certificate_not_the_hello_names_the_agent() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-impostor", 1)
        .await
        .expect("open");
    stream.send_batch(1, 1).await;
    stream.acks_until(1).await;
    assert_eq!(
        lab.store
            .batch_count(&agent("tower-1"))
            .await
            .expect("count"),
        1
    );
    let impostor = agent("tower-impostor");
    assert_eq!(lab.store.batch_count(&impostor).await.expect("count"), 0);
    let status = lab.agents.get(&agent("tower-1")).expect("in view");
    assert_eq!(status.hello.claimed_id, "tower-impostor");
}

#[tokio::test]
async fn heartbeats_update_the_agents_view() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let tower = agent("tower-1");
    let mut updates = lab.agents.subscribe();
    let (stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("open");
    stream.send(testing::heartbeat(42)).await;
    let health = tokio::time::timeout(lab::WAIT, async {
        loop {
            if let Some((health, _)) = lab.agents.get(&tower).and_then(|s| s.health) {
                return health;
            }
            updates.changed().await.expect("view alive");
        }
    })
    .await
    .expect("heartbeat seen");
    assert_eq!((health.spool_records, health.uptime_ms), (42, 1234));

    drop(stream);
    tokio::time::timeout(lab::WAIT, async {
        while lab.agents.get(&tower).is_some_and(|s| s.open_streams > 0) {
            updates.changed().await.expect("view alive");
        }
    })
    .await
    .expect("stream closed in the view");
    assert!(
        lab.agents
            .get(&tower)
            .and_then(|s| s.disconnected_at)
            .is_some()
    );
}

#[tokio::test]
async fn shutdown_says_goodbye_after_acking_and_serve_returns() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 1)
        .await
        .expect("open");
    stream.send_batch(1, 1).await;
    stream.acks_until(1).await;
    let shutdown = tokio::spawn(lab.shutdown());
    let goodbye = loop {
        match stream.next().await {
            Some(Ok(ToAgent::Goodbye(goodbye))) => break goodbye,
            Some(Ok(ToAgent::Ack(_))) => continue,
            other => panic!("expected goodbye, got {other:?}"),
        }
    };
    assert_eq!(goodbye.reason, "aggregator shutting down");
    assert!(goodbye.reconnect_after_ms > 0);
    let end = stream.next().await;
    assert!(end.is_none(), "stream ends cleanly, got {end:?}");
    shutdown
        .await
        .expect("shutdown task")
        .expect("serve returned without error");
}

#[tokio::test]
async fn newly_committed_runs_reach_the_listener_once() {
    let lab = Lab::start(StaticRegistry::any()).await;
    let (mut stream, _) = AgentStream::open(&lab, &lab.identity("tower-1"), "tower-1", 4)
        .await
        .expect("open");
    stream.send_batch(4, 1).await;
    stream.send_batch(4, 2).await;
    stream.acks_until(2).await;
    // A resend after a lost ack: acked again, stored once, not passed on again.
    stream.send_batch(4, 1).await;
    stream.send_batch(4, 3).await;
    stream.acks_until(3).await;
    lab.committed.wait_for(3).await;
    assert_eq!(
        lab.committed.runs(),
        [1, 2, 3].map(|seq| ("tower-1".to_owned(), format!("run-4-{seq}")))
    );
    assert_eq!(lab.metrics.snapshot().duplicates, 1);
}
