//! The ping plugin end to end: describe, config validation, loopback reachability (v4 and v6),
//! and loss against a local address that never answers. ICMP needs root: these tests fail loudly
//! without it.

use serde_json::json;
use vigia_core::{ObservationKind, Reachability};
use vigia_plugin_host::{Capability, Grants, RunOutcome, RunReport};

use crate::netns::SilentPeer;
use crate::support::{host, load, request, target};

fn icmp() -> Grants {
    Grants {
        icmp: true,
        ..Grants::none()
    }
}

fn observations(report: &RunReport) -> &[vigia_core::Observation] {
    match &report.outcome {
        RunOutcome::Completed(observations) => observations,
        other => panic!(
            "expected a completed run, got {other:?} (logs: {:?})",
            report.logs
        ),
    }
}

fn reachability<'a>(report: &'a RunReport, target_id: &str) -> &'a Reachability {
    observations(report)
        .iter()
        .find_map(|o| match &o.kind {
            ObservationKind::Reachability(r) if o.target == target_id => Some(r),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no reachability for {target_id} in {:?}", report.outcome))
}

#[tokio::test]
async fn describe_says_who_ping_is() {
    let host = host();
    let ping = load(&host, "ping").await;
    let info = ping.info();
    assert_eq!(info.id, "ping");
    assert!(semver_like(&info.version), "{}", info.version);
    assert_eq!(info.capabilities, vec![Capability::Icmp]);
    assert_eq!(info.wit_version, "0.1.0");
    assert_eq!(info.sha256.len(), 64);
    assert_eq!(info.config_schema["type"], "object");
    assert!(
        info.config_schema["properties"]["count"].is_object(),
        "{}",
        info.config_schema
    );
    // Serializes for the dev CLI and the aggregator.
    let json = serde_json::to_value(info).unwrap();
    assert_eq!(json["capabilities"], json!(["icmp"]));
}

fn semver_like(v: &str) -> bool {
    v.split('.').count() == 3 && v.split('.').all(|p| p.chars().all(|c| c.is_ascii_digit()))
}

#[tokio::test]
async fn config_errors_carry_the_json_pointer() {
    let host = host();
    let ping = load(&host, "ping").await;
    assert!(ping.validate_config(&json!({})).is_ok());
    assert!(
        ping.validate_config(&json!({"count": 5, "timeout_ms": 300}))
            .is_ok()
    );

    let err = ping
        .validate_config(&json!({"count": "three"}))
        .unwrap_err();
    assert_eq!(err.plugin, "ping");
    assert_eq!(err.violations.len(), 1, "{err}");
    assert_eq!(err.violations[0].pointer, "/count");
    assert!(err.violations[0].message.contains("integer"), "{err}");

    let err = ping.validate_config(&json!({"cuont": 3})).unwrap_err();
    assert_eq!(err.violations[0].pointer, "", "{err}");
    assert!(err.to_string().contains("cuont"), "{err}");

    // A run with an invalid config fails as `config` without starting the guest.
    let report = host
        .run(
            &ping,
            request(json!({"count": 0}), vec![target("lo", "127.0.0.1")], icmp()),
        )
        .await;
    match report.outcome {
        RunOutcome::Failed(e) => {
            assert_eq!(e.class, vigia_core::ErrorClass::Config);
            assert!(e.message.contains("/count"), "{}", e.message);
        }
        other => panic!("expected a config failure, got {other:?}"),
    }
    assert_eq!(report.stats.host_calls, 0);
}

#[tokio::test]
async fn loopback_v4_and_v6_are_up_with_rtts() {
    let host = host();
    let ping = load(&host, "ping").await;
    let config = json!({"count": 3, "interval_ms": 20, "timeout_ms": 1000});
    let targets = vec![target("lo4", "127.0.0.1"), target("lo6", "::1")];
    let report = host.run(&ping, request(config, targets, icmp())).await;
    for (id, address) in [("lo4", "127.0.0.1"), ("lo6", "::1")] {
        let r = reachability(&report, id);
        assert!(
            r.up,
            "{address} must answer; if the detail says the socket cannot be opened, this test needs root: {r:?}"
        );
        assert_eq!(r.address, address);
        assert_eq!((r.sent, r.received), (3, 3), "{r:?}");
        let (min, avg, max) = (
            r.rtt_min_us.unwrap(),
            r.rtt_avg_us.unwrap(),
            r.rtt_max_us.unwrap(),
        );
        assert!(min <= avg && avg <= max && max < 1_000_000, "{r:?}");
    }
    let obs = observations(&report);
    assert!(
        obs.iter().all(|o| o.observed_at_ms > 1_600_000_000_000),
        "{obs:?}"
    );
    assert!(report.stats.host_calls >= 1);
}

#[tokio::test]
async fn an_address_that_never_answers_is_down_within_the_timeout() {
    let peer = SilentPeer::create();
    let host = host();
    let ping = load(&host, "ping").await;
    let config = json!({"count": 2, "interval_ms": 50, "timeout_ms": 300});
    let targets = vec![target("silent", &peer.address), target("lo", "127.0.0.1")];
    let report = host.run(&ping, request(config, targets, icmp())).await;
    let silent = reachability(&report, "silent");
    assert!(!silent.up, "{silent:?}");
    assert_eq!((silent.sent, silent.received), (2, 0), "{silent:?}");
    assert_eq!(silent.rtt_avg_us, None);
    assert!(reachability(&report, "lo").up);
    // Two timeouts of 300 ms, paced 50 ms apart, run concurrently with the loopback target.
    assert!(
        report.stats.wall_time.as_millis() < 2000,
        "{:?}",
        report.stats
    );
}

#[tokio::test]
async fn ping_without_the_icmp_grant_is_denied() {
    let host = host();
    let ping = load(&host, "ping").await;
    let report = host
        .run(
            &ping,
            request(json!({}), vec![target("lo", "127.0.0.1")], Grants::none()),
        )
        .await;
    match report.outcome {
        RunOutcome::Failed(e) => {
            assert_eq!(e.class, vigia_core::ErrorClass::Denied, "{e}");
            assert!(
                e.message.contains("icmp is not granted to plugin 'ping'"),
                "{e}"
            );
        }
        other => panic!("expected a denied failure, got {other:?}"),
    }
}
