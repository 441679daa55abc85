//! Live before backlog: after a long outage the backlog is replayed at `backlog_rate`, and
//! results produced meanwhile go out live, ahead of it.

mod support;

use std::time::Duration;

use support::*;

const BACKLOG: u32 = 5_000;
const RATE: u32 = 1_000;
const LIVE: u32 = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_records_overtake_a_paced_backlog() {
    bounded(async {
        let ca = Ca::new("vigia test ca");
        let agent = ca.agent("agent-1");
        let addr = free_addr().await;
        let spool = TestSpool::new();
        let mut config = config(format!("https://{addr}"), &ca, &agent);
        config.backlog_rate = RATE;
        // The aggregator is down: the uplink keeps retrying while the backlog builds up.
        let uplink = RunningUplink::spawn(config, &spool);
        for chunk in 0..(BACKLOG / 500) {
            spool
                .append_runs(ids("backlog", chunk * 500..(chunk + 1) * 500))
                .await;
        }
        eventually("a few refused attempts", Duration::from_secs(10), || {
            uplink.status.snapshot().connect_attempts >= 2
        })
        .await;
        assert_eq!(spool.depth(), u64::from(BACKLOG));

        let aggregator = TestAggregator::start(addr, &ca, &ca).await;
        aggregator
            .wait_for("backlog replay started", Duration::from_secs(20), |s| {
                s.count(false) > 0
            })
            .await;
        // New results while the backlog replays.
        for i in 0..LIVE {
            spool.append_runs(ids("live", i..i + 1)).await;
        }
        aggregator
            .wait_for("live results arrived", Duration::from_secs(20), |s| {
                s.count(true) == LIVE as usize
            })
            .await;
        let backlog_when_live_done = aggregator.state().store().count(false);
        assert!(
            backlog_when_live_done < BACKLOG as usize / 2,
            "live results waited behind {backlog_when_live_done} backlog batches"
        );

        aggregator
            .wait_for("backlog replayed", Duration::from_secs(60), |s| {
                s.batches.len() == (BACKLOG + LIVE) as usize
            })
            .await;
        {
            let store = aggregator.state().store();
            let backlog: Vec<_> = store.receptions.iter().filter(|r| !r.live).collect();
            assert_eq!(backlog.len(), BACKLOG as usize, "each backlog record once");
            assert_eq!(store.duplicates(), 0);
            // Paced: at most a burst (a tenth of a second's worth) plus `RATE` per second, measured
            // at the receiver (with 50 ms for the first arrival to lag the first send).
            let first = backlog.first().unwrap().at;
            let last = backlog.last().unwrap().at;
            let elapsed = last.duration_since(first).as_secs_f64();
            let allowed = f64::from(RATE) * (elapsed + 0.05) + f64::from(RATE / 10);
            assert!(
                backlog.len() as f64 <= allowed,
                "{} backlog batches in {elapsed:.2} s exceeds {RATE}/s",
                backlog.len()
            );
            // And not starved either: well over half the rate on a shared machine.
            let achieved = backlog.len() as f64 / elapsed;
            assert!(
                achieved > f64::from(RATE) / 2.0,
                "replay at {achieved:.0}/s"
            );
            // Every live batch arrived before the backlog finished.
            let live_last = store
                .receptions
                .iter()
                .filter(|r| r.live)
                .map(|r| r.at)
                .max()
                .unwrap();
            assert!(live_last < last);
            println!(
                "backlog {} batches in {elapsed:.2} s = {achieved:.0}/s (limit {RATE}/s); \
                 live done after {backlog_when_live_done} backlog batches",
                backlog.len()
            );
        }
        eventually("spool drained", Duration::from_secs(20), || {
            spool.depth() == 0
        })
        .await;
        let status = uplink.status.snapshot();
        assert_eq!(status.sent_live, u64::from(LIVE));
        assert_eq!(status.sent_backlog, u64::from(BACKLOG));
        uplink.stop().await;
    })
    .await;
}
