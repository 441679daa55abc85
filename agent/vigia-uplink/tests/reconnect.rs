//! Reconnecting: the delay grows exponentially with full jitter, a refused client certificate is
//! retried (and reported) without taking the agent down, and a Goodbye's delay is honoured.

mod support;

use std::time::Duration;

use support::*;
use tokio::net::TcpListener;
use tokio::time::Instant;
use vigia_proto::agent::v1 as pb;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_delays_grow_exponentially_with_jitter() {
    bounded(async {
        // A peer that accepts TCP and hangs up at once: every attempt fails in the handshake.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ca = Ca::new("vigia test ca");
        let spool = TestSpool::new();
        let mut config = config(
            format!("https://{}", listener.local_addr().unwrap()),
            &ca,
            &ca.agent("agent-1"),
        );
        config.backoff_min = Duration::from_millis(10);
        config.backoff_max = Duration::from_millis(320);
        let uplink = RunningUplink::spawn(config, &spool);

        let mut attempts = Vec::new();
        while attempts.len() < 14 {
            let (tcp, _) = listener.accept().await.unwrap();
            attempts.push(Instant::now());
            drop(tcp);
        }
        let gaps: Vec<Duration> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
        println!("gaps between attempts: {gaps:?}");

        // Each delay is at most its ceiling: 10 ms doubling up to 320 ms (plus the attempt itself
        // and scheduling on a shared machine).
        for (i, gap) in gaps.iter().enumerate() {
            let ceiling = Duration::from_millis((10u64 << i.min(5)).min(320));
            assert!(
                *gap <= ceiling + Duration::from_millis(150),
                "gap {i} {gap:?} above ceiling {ceiling:?}"
            );
        }
        // It grows: the last eight (ceiling 320 ms, mean 160 ms) far outweigh the first four
        // (ceilings 10 to 80 ms).
        let first: Duration = gaps[..4].iter().sum();
        let last: Duration = gaps[gaps.len() - 8..].iter().sum();
        assert!(
            last > first * 3,
            "first four {first:?}, last eight {last:?}"
        );
        // Full jitter: delays at the cap are spread out, not all equal.
        let capped = &gaps[gaps.len() - 8..];
        let spread = *capped.iter().max().unwrap() - *capped.iter().min().unwrap();
        assert!(spread > Duration::from_millis(30), "{capped:?}");

        let status = uplink.status.snapshot();
        assert!(status.connect_attempts >= 14);
        assert_eq!(status.connects, 0);
        assert!(status.last_error.is_some());
        uplink.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_client_certificate_is_retried_and_reported() {
    bounded(async {
        let server_ca = Ca::new("vigia aggregator ca");
        let agents_ca = Ca::new("vigia agents ca");
        let rogue_ca = Ca::new("some other ca");
        let aggregator = TestAggregator::start(free_addr().await, &server_ca, &agents_ca).await;
        let spool = TestSpool::new();
        spool.append_runs(ids("kept", 0..3)).await;
        // The agent trusts the aggregator, but its own certificate comes from a CA the
        // aggregator does not accept.
        let agent = rogue_ca.agent("agent-1");
        let uplink =
            RunningUplink::spawn(config(aggregator.endpoint(), &server_ca, &agent), &spool);

        eventually("three refused handshakes", WAIT, || {
            aggregator.handshake_failures() >= 3
        })
        .await;
        eventually("three attempts reported", WAIT, || {
            uplink.status.snapshot().connect_attempts >= 3 && uplink.status.last_error().is_some()
        })
        .await;
        let status = uplink.status.snapshot();
        let error = status.last_error.clone().unwrap();
        println!("reported: {error}");
        assert!(!status.connected);
        assert_eq!(status.connects, 0, "no stream was ever opened");
        // The TLS alert the aggregator sent is part of the report.
        assert!(error.contains("UnknownCA"), "{error}");
        assert!(uplink.is_running(), "the uplink keeps retrying");
        assert!(aggregator.state().store().hellos.is_empty());
        assert_eq!(spool.depth(), 3, "nothing is deleted without an ack");
        uplink.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goodbye_delays_the_next_connection() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        let spool = TestSpool::new();
        let uplink = RunningUplink::spawn(
            config(aggregator.endpoint(), &ca, &ca.agent("agent-1")),
            &spool,
        );
        aggregator
            .wait_for("first hello", WAIT, |s| s.hellos.len() == 1)
            .await;
        eventually("connected", WAIT, || uplink.status.connected()).await;

        let said_goodbye = Instant::now();
        aggregator.broadcast(pb::aggregator_message::Message::Goodbye(pb::Goodbye {
            reason: "rebalancing".into(),
            reconnect_after_ms: 500,
        }));
        aggregator
            .wait_for("second hello", WAIT, |s| s.hellos.len() == 2)
            .await;
        let waited = said_goodbye.elapsed();
        assert!(
            waited >= Duration::from_millis(500),
            "reconnected after {waited:?}"
        );
        assert!(
            waited < Duration::from_secs(5),
            "reconnected after {waited:?}"
        );

        // The stream works again after the goodbye.
        spool.append_runs(ids("after", 0..3)).await;
        eventually("acked", WAIT, || spool.depth() == 0).await;
        assert_eq!(uplink.status.snapshot().connects, 2);
        uplink.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_without_acks_is_replaced_and_its_batches_resent() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        let spool = TestSpool::new();
        let mut config = config(aggregator.endpoint(), &ca, &ca.agent("agent-1"));
        config.ack_timeout = Duration::from_millis(300);
        let uplink = RunningUplink::spawn(config, &spool);
        eventually("connected", WAIT, || uplink.status.connected()).await;

        // The aggregator stores but never acks (a half-dead peer): the agent gives up on the
        // stream after `ack_timeout` and resends on a new one.
        aggregator.hold_acks();
        aggregator.report_holdings(false);
        spool.append_runs(ids("run", 0..5)).await;
        aggregator
            .wait_for("a second stream", WAIT, |s| s.hellos.len() >= 2)
            .await;
        let error = uplink.status.last_error().unwrap_or_default();
        assert!(error.contains("no ack within"), "{error}");
        aggregator
            .wait_for("the batches resent", WAIT, |s| s.duplicates() >= 5)
            .await;
        aggregator.release_acks();
        eventually("acked at last", WAIT, || spool.depth() == 0).await;
        uplink.stop().await;
    })
    .await;
}
