//! Concurrency permits: runs never exceed the overall limit or the limit of any capability they
//! are granted, and the limits are reached (so the check is not vacuous).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use vigia_plugin_host::Grants;

use super::support::{FakeRunner, Gauge, answers, options, probe, start};
use crate::scheduler::spec::Concurrency;

#[tokio::test(start_paused = true)]
async fn runs_never_exceed_the_overall_or_per_capability_limits() {
    let epoch = Instant::now();
    let (overall, icmp, http) = (
        Arc::new(Gauge::default()),
        Arc::new(Gauge::default()),
        Arc::new(Gauge::default()),
    );
    let runner = |gauges: &[&Arc<Gauge>]| {
        Arc::new(
            FakeRunner::new(epoch, |targets, _| {
                answers(targets, Duration::from_secs(1), |_| false)
            })
            .counted_in(gauges),
        )
    };
    let pinger = runner(&[&overall, &icmp]);
    let api = runner(&[&overall, &http]);
    let both = runner(&[&overall, &icmp, &http]);
    let plain = runner(&[&overall]);
    let ids: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    // One target per run: 10 + 4 + 3 + 5 runs per round, all due at once.
    let mut specs = vec![
        probe("pinger", &pinger, &ids),
        probe("api", &api, &ids[..4]),
        probe("both", &both, &ids[..3]),
        probe("plain", &plain, &ids[..5]),
    ];
    specs[0].grants = Grants {
        icmp: true,
        ..Grants::none()
    };
    specs[1].grants = Grants {
        http_hosts: vec!["api.example.net".into()],
        ..Grants::none()
    };
    specs[2].grants = Grants {
        icmp: true,
        http_hosts: vec!["api.example.net".into()],
        ..Grants::none()
    };
    for spec in &mut specs {
        spec.batch_size = 1;
        spec.interval = Duration::from_secs(60);
    }
    let mut options = options();
    options.concurrency = Concurrency {
        overall: 3,
        icmp: 2,
        snmp: 5,
        http: 1,
        tcp: 5,
    };
    options.max_rounds = Some(2);
    let (runs, counters) = start(specs, options).finished().await;

    assert_eq!(runs.len(), 2 * (10 + 4 + 3 + 5));
    assert_eq!(counters.snapshot().runs_finished, 44);
    assert_eq!(overall.max(), 3, "overall limit reached, never exceeded");
    assert_eq!(icmp.max(), 2, "icmp limit reached, never exceeded");
    assert_eq!(http.max(), 1, "http limit reached, never exceeded");
}
