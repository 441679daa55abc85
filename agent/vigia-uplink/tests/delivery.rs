//! At-least-once delivery from a real spool to a real mTLS aggregator: records are deleted only
//! once acked, survive the aggregator going away, are resent when unacked, and a record that
//! cannot be sent is quarantined without stopping the others.

mod support;

use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use support::*;
use vigia_spool::Spool;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_deleted_from_the_spool_only_after_their_ack() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let agent = ca.agent("agent-1");
        let aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        aggregator.hold_acks();
        let spool = TestSpool::new();
        let uplink = RunningUplink::spawn(config(aggregator.endpoint(), &ca, &agent), &spool);
        eventually("connected", WAIT, || uplink.status.connected()).await;

        let seqs = spool.append_runs(ids("run", 0..20)).await;
        aggregator
            .wait_for("20 batches stored", WAIT, |s| s.batches.len() == 20)
            .await;
        // Everything arrived, nothing was acked: nothing may be gone from the spool.
        assert_eq!(spool.depth(), 20);
        assert_eq!(uplink.status.snapshot().acked, 0);

        aggregator.release_acks();
        eventually("spool drained", WAIT, || spool.depth() == 0).await;

        {
            let store = aggregator.state().store();
            let epoch = spool.spool.epoch();
            let keys: Vec<(u64, u64)> = store.batches.keys().copied().collect();
            assert_eq!(keys, seqs.iter().map(|s| (epoch, *s)).collect::<Vec<_>>());
            assert_eq!(sorted(store.run_ids()), sorted(ids("run", 0..20)));
            assert!(
                store.receptions.iter().all(|r| r.live),
                "sent while connected: live"
            );
            assert_eq!(store.duplicates(), 0);
            // The agent's identity is its client certificate.
            let agent_der = CertificateDer::from_pem_slice(agent.cert.as_bytes()).unwrap();
            assert_eq!(store.peer_certs, [agent_der.to_vec()]);
            assert_eq!(store.hellos[0].epoch, epoch);
            assert_eq!(store.hellos[0].agent_id, "agent-1");
        }

        let status = uplink.status.snapshot();
        assert_eq!((status.sent_live, status.acked), (20, 20));
        assert!(status.connected && status.last_ack_at_ms.is_some());
        uplink.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_spooled_while_the_aggregator_is_down_all_arrive_once() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let agent = ca.agent("agent-1");
        let mut aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        let spool = TestSpool::new();
        let uplink = RunningUplink::spawn(config(aggregator.endpoint(), &ca, &agent), &spool);
        eventually("connected", WAIT, || uplink.status.connected()).await;

        spool.append_runs(ids("before", 0..10)).await;
        eventually("first records acked", WAIT, || spool.depth() == 0).await;

        aggregator.stop().await;
        eventually("uplink notices", WAIT, || !uplink.status.connected()).await;
        spool.append_runs(ids("outage", 0..30)).await;
        assert_eq!(spool.depth(), 30);

        aggregator.restart().await;
        eventually("backlog acked", WAIT, || spool.depth() == 0).await;

        {
            let store = aggregator.state().store();
            let mut expected = ids("before", 0..10);
            expected.extend(ids("outage", 0..30));
            assert_eq!(sorted(store.run_ids()), sorted(expected));
            assert_eq!(store.receptions.len(), 40, "each record sent exactly once");
            assert!(store.received_after_ack().is_empty());
            assert_eq!(store.count(false), 30, "spooled during the outage: backlog");
            assert_eq!(store.hellos.len(), 2);
            assert_eq!(store.hellos[1].last_acked_sequence, 10);
        }
        assert!(uplink.status.snapshot().connects >= 2);
        uplink.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacked_records_are_resent_after_a_dropped_connection() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let agent = ca.agent("agent-1");
        let aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        let spool = TestSpool::new();
        let uplink = RunningUplink::spawn(config(aggregator.endpoint(), &ca, &agent), &spool);
        eventually("connected", WAIT, || uplink.status.connected()).await;

        // Five acked, then fifteen received but never acked before the connection drops.
        spool.append_runs(ids("acked", 0..5)).await;
        eventually("first five acked", WAIT, || spool.depth() == 0).await;
        aggregator.hold_acks();
        spool.append_runs(ids("held", 0..15)).await;
        aggregator
            .wait_for("held batches stored", WAIT, |s| s.batches.len() == 20)
            .await;
        // A fresh aggregator would not know what it holds: make it claim nothing, so the agent
        // must resend everything it has not seen acked.
        aggregator.report_holdings(false);
        let dropped_at = aggregator.state().store().receptions.len();
        aggregator.drop_connections();
        aggregator.release_acks();
        eventually("resent and acked", WAIT, || spool.depth() == 0).await;

        {
            let store = aggregator.state().store();
            let mut expected = ids("acked", 0..5);
            expected.extend(ids("held", 0..15));
            assert_eq!(sorted(store.run_ids()), sorted(expected));
            assert_eq!(store.duplicates(), 15, "each unacked record resent once");
            // Only what had not been acked when the connection dropped is resent.
            for resent in &store.receptions[dropped_at..] {
                let acked_at = store.acked_at[&(resent.epoch, resent.seq)];
                assert!(
                    acked_at >= dropped_at,
                    "{resent:?} was acked before the drop"
                );
            }
            assert!(
                store
                    .receptions
                    .iter()
                    .filter(|r| r.duplicate)
                    .all(|r| !r.live)
            );
        }
        assert_eq!(uplink.status.snapshot().sent_backlog, 15);
        uplink.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_record_is_quarantined_and_the_rest_delivered() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let agent = ca.agent("agent-1");
        let aggregator = TestAggregator::start(free_addr().await, &ca, &ca).await;
        let spool = TestSpool::new();
        let uplink = RunningUplink::spawn(config(aggregator.endpoint(), &ca, &agent), &spool);
        eventually("connected", WAIT, || uplink.status.connected()).await;

        spool.append_runs(ids("good", 0..2)).await;
        let garbage = spool
            .append_raw(b"\xff\xfe not a protobuf ResultBatch".to_vec())
            .await;
        let empty = spool.append_raw(vigia_uplink::encode_batch(vec![])).await;
        spool.append_runs(ids("good", 2..4)).await;
        eventually("spool drained", WAIT, || spool.depth() == 0).await;

        {
            let store = aggregator.state().store();
            assert_eq!(sorted(store.run_ids()), sorted(ids("good", 0..4)));
            let stored: Vec<u64> = store.batches.keys().map(|k| k.1).collect();
            assert!(!stored.contains(&garbage) && !stored.contains(&empty));
        }
        assert_eq!(uplink.status.snapshot().quarantined, 2);
        assert_eq!(spool.spool.counters().quarantined, 2);
        assert!(uplink.is_running());
        uplink.stop().await;
    })
    .await;
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}
