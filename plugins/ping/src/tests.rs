use vigia_plugin_sdk::testing::{self, Call, FakeHost};
use vigia_plugin_sdk::{ErrorClass, HostError, ObservationKind, Plugin, PluginError};

use super::*;

fn run(config: &str, targets: &[Target], host: &FakeHost) -> Result<Vec<Observation>, PluginError> {
    testing::run::<Ping>(config, targets, host)
}

fn cpe(address: &str) -> Target {
    Target::new(format!("cpe-{address}"), address).with_label("site", "sao")
}

fn reachability(observation: &Observation) -> &Reachability {
    match &observation.kind {
        ObservationKind::Reachability(reachability) => reachability,
        other => panic!("expected reachability, got {other:?}"),
    }
}

fn loss(observation: &Observation) -> f64 {
    match &observation.kind {
        ObservationKind::Metric(metric) => {
            assert_eq!(
                (metric.name.as_str(), metric.kind, metric.unit.as_str()),
                ("packet_loss_ratio", MetricKind::Gauge, "1")
            );
            metric.value
        }
        other => panic!("expected a metric, got {other:?}"),
    }
}

#[test]
fn all_replies_give_rtt_summary_and_zero_loss() {
    let host = FakeHost::new().icmp_reply("10.0.0.1", &[420, 500, 610]);
    let observations = run("{}", &[cpe("10.0.0.1")], &host).unwrap();
    assert_eq!(observations.len(), 2);
    let r = reachability(&observations[0]);
    assert!(r.up);
    assert_eq!((r.sent, r.received), (3, 3));
    assert_eq!(
        (r.rtt_min_us, r.rtt_avg_us, r.rtt_max_us, r.rtt_jitter_us),
        (Some(420), Some(510), Some(610), Some(95))
    );
    assert_eq!(r.detail, None);
    assert_eq!(loss(&observations[1]), 0.0);
    assert_eq!(observations[0].target, "cpe-10.0.0.1");
    assert_eq!(
        observations[1].labels,
        vec![("site".to_owned(), "sao".to_owned())]
    );
}

#[test]
fn one_icmp_call_for_the_batch_with_the_configured_request() {
    let host = FakeHost::new()
        .icmp_reply("10.0.0.1", &[1])
        .icmp_reply("2001:db8::1", &[2]);
    let config = r#"{"count": 5, "interval_ms": 50, "timeout_ms": 300, "payload_bytes": 0}"#;
    run(config, &[cpe("10.0.0.1"), cpe("2001:db8::1")], &host).unwrap();
    let request = |address: &str| EchoRequest {
        address: address.into(),
        count: 5,
        interval_ms: 50,
        timeout_ms: 300,
        payload_bytes: 0,
    };
    assert_eq!(
        host.calls(),
        vec![Call::IcmpEcho(vec![
            request("10.0.0.1"),
            request("2001:db8::1")
        ])]
    );
}

#[test]
fn defaults_are_three_requests_of_56_bytes() {
    let host = FakeHost::new().icmp_reply("10.0.0.1", &[1]);
    run("", &[cpe("10.0.0.1")], &host).unwrap();
    let Call::IcmpEcho(requests) = &host.calls()[0] else {
        panic!("expected icmp")
    };
    assert_eq!(
        (
            requests[0].count,
            requests[0].interval_ms,
            requests[0].timeout_ms,
            requests[0].payload_bytes
        ),
        (3, 200, 1000, 56)
    );
}

#[test]
fn partial_loss_is_data() {
    let host = FakeHost::new().icmp_reply("10.0.0.1", &[400, 800]);
    let observations = run(r#"{"count": 4}"#, &[cpe("10.0.0.1")], &host).unwrap();
    let r = reachability(&observations[0]);
    assert!(r.up);
    assert_eq!((r.sent, r.received, r.rtt_jitter_us), (4, 2, Some(400)));
    assert_eq!(loss(&observations[1]), 0.5);
}

#[test]
fn total_loss_is_down_with_a_timeout_detail() {
    let host = FakeHost::new().icmp_reply("10.0.0.1", &[]);
    let observations = run(r#"{"timeout_ms": 700}"#, &[cpe("10.0.0.1")], &host).unwrap();
    let r = reachability(&observations[0]);
    assert!(!r.up);
    assert_eq!((r.received, r.rtt_min_us, r.rtt_avg_us), (0, None, None));
    assert_eq!(r.detail.as_deref(), Some("no echo reply within 700 ms"));
    assert_eq!(loss(&observations[1]), 1.0);
}

#[test]
fn icmp_error_becomes_the_detail() {
    let host = FakeHost::new()
        .icmp_error("10.0.0.2", "destination host unreachable")
        .icmp_reply("10.0.0.1", &[300, 300, 300]);
    let observations = run("{}", &[cpe("10.0.0.1"), cpe("10.0.0.2")], &host).unwrap();
    assert_eq!(observations.len(), 4);
    let down = reachability(&observations[2]);
    assert_eq!(
        (down.up, down.detail.as_deref()),
        (false, Some("destination host unreachable"))
    );
    assert_eq!(observations[2].target, "cpe-10.0.0.2");
    assert_eq!(loss(&observations[3]), 1.0);
}

#[test]
fn non_ip_target_is_a_config_failure_and_the_rest_still_run() {
    let host = FakeHost::new().icmp_reply("10.0.0.1", &[1]);
    let targets = [cpe("olt.example.net"), cpe("10.0.0.1")];
    let observations = run("{}", &targets, &host).unwrap();
    assert_eq!(observations.len(), 3);
    match &observations[0].kind {
        ObservationKind::Failure(error) => {
            assert_eq!(error.class, ErrorClass::Config);
            assert_eq!(
                error.message,
                "address `olt.example.net` is not an ip literal"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    let Call::IcmpEcho(requests) = &host.calls()[0] else {
        panic!("expected icmp")
    };
    assert_eq!(requests.len(), 1);
}

#[test]
fn only_bad_addresses_make_no_host_call() {
    let host = FakeHost::new();
    let observations = run("{}", &[cpe("not-an-ip")], &host).unwrap();
    assert_eq!(observations.len(), 1);
    assert!(host.calls().is_empty());
}

#[test]
fn denied_icmp_fails_the_run_as_denied() {
    let host = FakeHost::new().icmp_failure(HostError::Denied(
        "capability `icmp` is not granted to probe `cpe`".into(),
    ));
    let error = run("{}", &[cpe("10.0.0.1")], &host).unwrap_err();
    assert_eq!(error.class, ErrorClass::Denied);
    assert_eq!(
        error.message,
        "icmp echo: capability `icmp` is not granted to probe `cpe`"
    );
}

#[test]
fn bad_config_is_a_config_error_naming_the_field() {
    let host = FakeHost::new();
    for (config, expected) in [
        (r#"{"count": 0}"#, "`count` must be 1..=20, got 0"),
        (r#"{"count": 21}"#, "`count` must be 1..=20, got 21"),
        (
            r#"{"payload_bytes": 1500}"#,
            "`payload_bytes` must be 0..=1472, got 1500",
        ),
        (r#"{"timeout_ms": 0}"#, "`timeout_ms` must be at least 1"),
        (r#"{"count": "3"}"#, "invalid config at `count`"),
        (r#"{"cuont": 3}"#, "unknown field `cuont`"),
    ] {
        let error = run(config, &[cpe("10.0.0.1")], &host).unwrap_err();
        assert_eq!(error.class, ErrorClass::Config, "{config}");
        assert!(
            error.message.contains(expected),
            "{config}: {}",
            error.message
        );
    }
    assert!(host.calls().is_empty());
}

#[test]
fn describe_reports_icmp_and_a_schema_with_the_bounds() {
    let info = testing::describe::<Ping>();
    assert_eq!(info.id, "ping");
    assert_eq!(info.capabilities, vec![Capability::Icmp]);
    let schema = info.config_schema;
    for needle in [
        r#""count""#,
        r#""maximum":20"#,
        r#""minimum":1"#,
        r#""maximum":1472"#,
        r#""default":3"#,
    ] {
        assert!(schema.contains(needle), "{needle} missing from {schema}");
    }
    assert_eq!(Ping::info().version, env!("CARGO_PKG_VERSION"));
}

#[test]
fn replays_a_recorded_pop_from_a_fixture() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pop-sao.json");
    let host = FakeHost::from_fixture(fixture).unwrap();
    let targets = [
        cpe("10.20.0.1"),
        cpe("10.20.0.17"),
        cpe("10.20.0.33"),
        cpe("2001:db8:20::1"),
    ];
    let observations = run("{}", &targets, &host).unwrap();
    let summary: Vec<(String, bool, u32, Option<u32>, f64)> = observations
        .chunks(2)
        .map(|pair| {
            let r = reachability(&pair[0]);
            (
                pair[0].target.clone(),
                r.up,
                r.received,
                r.rtt_avg_us,
                loss(&pair[1]),
            )
        })
        .collect();
    let two_of_three_lost = 2.0 / 3.0;
    assert_eq!(
        summary,
        vec![
            ("cpe-10.20.0.1".to_owned(), true, 3, Some(816), 0.0),
            (
                "cpe-10.20.0.17".to_owned(),
                true,
                1,
                Some(2310),
                two_of_three_lost
            ),
            ("cpe-10.20.0.33".to_owned(), false, 0, None, 1.0),
            ("cpe-2001:db8:20::1".to_owned(), true, 3, Some(915), 0.0),
        ]
    );
}
