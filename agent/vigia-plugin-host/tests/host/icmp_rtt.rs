//! Round trips measured on the wire: not zero on a veth path, and not inflated when the agent's
//! runtime is busy. The control half runs surge-ping's client under the same load: its receive
//! task stamps a reply when it gets to run, which is what the engine's kernel timestamps avoid.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::json;
use surge_ping::{Client, Config, ICMP, PingIdentifier, PingSequence};
use tokio::task::JoinSet;
use tokio::time::Instant;
use vigia_plugin_host::HostConfig;

use crate::icmp::{p50, ping};
use crate::lab::{Lab, v4_target};
use crate::support::{host_with, load};

/// The hog's time slice: it holds the runtime's only worker this long between yields.
const SLICE: Duration = Duration::from_millis(20);
const COUNT: u16 = 5;
const INTERVAL: Duration = Duration::from_millis(30);

/// Spins on the runtime in slices of [`SLICE`] until aborted.
async fn hog() {
    loop {
        let started = Instant::now();
        while started.elapsed() < SLICE {
            std::hint::spin_loop();
        }
        tokio::task::yield_now().await;
    }
}

/// The average round trip of each target, pinged with surge-ping's client (one task per target,
/// as the capability did before the engine).
async fn surge_ping_averages(addresses: &[IpAddr]) -> Vec<u32> {
    let client = Client::new(&Config::builder().kind(ICMP::V4).build()).expect("raw socket (root)");
    let mut tasks = JoinSet::new();
    for (n, &ip) in addresses.iter().enumerate() {
        let client = client.clone();
        let ident = PingIdentifier(u16::try_from(n).unwrap().wrapping_add(40_000));
        tasks.spawn(async move {
            let mut pinger = client.pinger(ip, ident).await;
            pinger.timeout(Duration::from_secs(2));
            let mut rtts = Vec::new();
            for seq in 0..COUNT {
                if let Ok((_, rtt)) = pinger.ping(PingSequence(seq), &[0; 56]).await {
                    rtts.push(u32::try_from(rtt.as_micros()).unwrap());
                }
                tokio::time::sleep(INTERVAL).await;
            }
            rtts.iter().sum::<u32>() / u32::try_from(rtts.len().max(1)).unwrap()
        });
    }
    tasks.join_all().await
}

#[test]
fn round_trips_are_not_zero_and_a_busy_runtime_does_not_inflate_them() {
    let lab = Lab::create();
    let (idle, busy, control) = lab.run(1, || async {
        let host = host_with(HostConfig::default());
        let plugin = load(&host, "ping").await;
        let addresses: Vec<IpAddr> = (0..200).map(v4_target).collect();
        let config =
            json!({"count": COUNT, "interval_ms": INTERVAL.as_millis(), "timeout_ms": 2000});
        let averages = |results: std::collections::HashMap<String, vigia_core::Reachability>| {
            results
                .values()
                .map(|r| r.rtt_avg_us.expect("answered"))
                .collect::<Vec<_>>()
        };
        let idle = averages(ping(&host, &plugin, &addresses, config.clone()).await);
        let hog = tokio::spawn(hog());
        let busy = averages(ping(&host, &plugin, &addresses, config).await);
        let control = surge_ping_averages(&addresses).await;
        hog.abort();
        (idle, busy, control)
    });
    let (idle, busy, control) = (p50(idle), p50(busy), p50(control));
    eprintln!("rtt p50: idle {idle} µs, busy {busy} µs, surge-ping busy {control} µs");
    let slice = u32::try_from(SLICE.as_micros()).unwrap();
    // A veth round trip through a second namespace takes microseconds, never nothing.
    assert!(idle >= 2, "idle p50 {idle} µs");
    assert!(
        busy < slice / 10,
        "busy p50 {busy} µs, the hog's slice is {slice} µs"
    );
    assert!(
        control >= slice / 10,
        "control: surge-ping's stamping read p50 {control} µs under the same hog; if it no longer \
         inflates, this test no longer proves anything and surge-ping's client may be enough again"
    );
}
