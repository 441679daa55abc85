//! Config validation, addresses, RouterOS durations and dates, base64, the kv snapshot.

use std::collections::BTreeSet;

use crate::endpoint::Endpoint;
use crate::rest::base64;
use crate::time::{parse_duration_ms, parse_router_time_ms};

use super::*;

#[test]
fn durations_in_every_routeros_form() {
    let cases = [
        ("3d4h12m5s", Some(((3 * 24 + 4) * 60 + 12) * 60_000 + 5_000)),
        ("1w2d", Some(9 * 86_400_000)),
        ("5s", Some(5_000)),
        ("500ms", Some(500)),
        ("1m30s500ms", Some(90_500)),
        ("00:01:02", Some(62_000)),
        ("1d02:03:04", Some(86_400_000 + 7_384_000)),
        ("2w3d04:05:06.25", Some(17 * 86_400_000 + 14_706_250)),
        ("", None),
        ("3x", None),
        ("d", None),
        ("00:61:00", None),
        ("1:2", None),
        ("99999999999999999999w", None),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_duration_ms(text), expected, "{text}");
    }
}

#[test]
fn router_dates_v6_and_v7_with_the_router_offset() {
    let utc = 1_707_140_864_000; // 2024-02-05 13:47:44 UTC
    assert_eq!(parse_router_time_ms("feb/05/2024 13:47:44", 0), Some(utc));
    assert_eq!(parse_router_time_ms("Feb/05/2024 13:47:44", 0), Some(utc));
    assert_eq!(parse_router_time_ms("2024-02-05 13:47:44", 0), Some(utc));
    assert_eq!(
        parse_router_time_ms("2024-02-05 13:47:44", 60),
        Some(utc - 3_600_000)
    );
    assert_eq!(
        parse_router_time_ms("2000-03-01 00:00:00", 0),
        Some(951_868_800_000)
    );
    assert_eq!(
        parse_router_time_ms("dec/31/2023 23:59:59", 0),
        Some(1_704_067_199_000)
    );
    for never in [
        "jan/01/1970 00:00:00",
        "1970-01-01 00:00:00",
        "",
        "never",
        "2024-13-01 00:00:00",
        "feb/05/2024",
    ] {
        assert_eq!(parse_router_time_ms(never, 0), None, "{never}");
    }
}

#[test]
fn addresses_get_the_default_port_of_the_mode() {
    let parse = |address: &str, extra: &str| {
        let config: Config = vigia_plugin_sdk::parse_config(&config(extra)).unwrap();
        Endpoint::parse(address, &config)
    };
    let endpoint = |host: &str, port| Endpoint {
        host: host.into(),
        port,
    };
    assert_eq!(parse("10.0.0.1", ""), Ok(endpoint("10.0.0.1", 8728)));
    assert_eq!(
        parse("10.0.0.1", r#""tls": true"#),
        Ok(endpoint("10.0.0.1", 8729))
    );
    assert_eq!(parse("bnas.pop:9000", ""), Ok(endpoint("bnas.pop", 9000)));
    assert_eq!(parse("2001:db8::1", ""), Ok(endpoint("2001:db8::1", 8728)));
    assert_eq!(
        parse("[2001:db8::1]:8729", ""),
        Ok(endpoint("2001:db8::1", 8729))
    );
    assert_eq!(
        parse("[2001:db8::1]:8729", "").unwrap().authority(),
        "[2001:db8::1]:8729"
    );
    assert_eq!(
        parse("10.0.0.1", r#""mode": "rest""#),
        Ok(endpoint("10.0.0.1", 80))
    );
    assert_eq!(
        parse("10.0.0.1", r#""mode": "rest", "tls": true"#),
        Ok(endpoint("10.0.0.1", 443))
    );
    for bad in [
        "",
        "10.0.0.1:0",
        "10.0.0.1:x",
        "[::1",
        "https://10.0.0.1/",
        "[::1]8728",
    ] {
        let error = parse(bad, "").unwrap_err();
        assert_eq!(error.class, ErrorClass::Config, "{bad}");
    }
}

#[test]
fn a_bad_address_fails_only_its_target() {
    let host = router(&[LOGIN_OK.to_vec(), replies(&[done("1")])]);
    let targets = [Target::new("bad", "http://x/"), bnas()];
    let observations =
        testing::run::<Mikrotik>(&config(r#""read": ["sessions"]"#), &targets, &host).unwrap();
    assert_eq!(
        failures(&observations),
        vec![(
            ErrorClass::Config,
            "address `http://x/`: expected `host` or `host:port`".to_owned()
        )]
    );
    assert_eq!(observations[0].target, "bad");
}

#[test]
fn bad_configs_are_config_errors_before_any_call() {
    let host = router(&[]);
    for (extra, expected) in [
        (
            r#""listen_ms": 1000, "mode": "rest""#,
            "`listen_ms` needs `mode` \"api\"",
        ),
        (
            r#""listen_ms": 1000, "read": ["secrets"]"#,
            "`listen_ms` needs `sessions` in `read`",
        ),
        (r#""read": []"#, "`read` names nothing to read"),
        (r#""read": ["routes"]"#, "unknown variant `routes`"),
        (r#""timezone_offset_minutes": 900"#, "-720..=840"),
        (r#""timeout_ms": 0"#, "`timeout_ms` must be at least 1"),
        (r#""mode": "ssh""#, "unknown variant `ssh`"),
        (r#""pasword_secret": "x""#, "unknown field `pasword_secret`"),
    ] {
        let error = run(&config(extra), &host).unwrap_err();
        assert_eq!(error.class, ErrorClass::Config, "{extra}");
        assert!(
            error.message.contains(expected),
            "{extra}: {}",
            error.message
        );
    }
    let error = run(r#"{"password_secret": "mt-pass"}"#, &host).unwrap_err();
    assert!(
        error.message.contains("missing field `user`"),
        "{}",
        error.message
    );
    assert!(host.calls().is_empty());
}

#[test]
fn an_ungranted_password_secret_fails_the_run_as_denied() {
    let error = run(&config(""), &FakeHost::new()).unwrap_err();
    assert_eq!(error.class, ErrorClass::Denied);
    assert!(
        error.message.starts_with("secret `mt-pass`: "),
        "{}",
        error.message
    );
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    for (plain, encoded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
    }
}

#[test]
fn snapshot_round_trips_and_drops_unstorable_logins() {
    let logins: BTreeSet<String> = ["b", "a", "bad\nlogin"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let bytes = snapshot::encode(&logins);
    assert_eq!(bytes, b"a\nb");
    let back = snapshot::decode(&bytes);
    assert_eq!(back, ["a", "b"].into_iter().map(str::to_owned).collect());
    assert!(snapshot::decode(b"").is_empty());
}

#[test]
fn describe_declares_the_grants_and_a_schema() {
    let info = testing::describe::<Mikrotik>();
    assert_eq!(info.id, "mikrotik");
    assert_eq!(
        info.capabilities,
        vec![
            Capability::Tcp(vec![]),
            Capability::Http(vec![]),
            Capability::Secrets(vec![]),
            Capability::Kv
        ]
    );
    let schema: serde_json::Value = serde_json::from_str(&info.config_schema).unwrap();
    assert_eq!(
        schema["required"],
        serde_json::json!(["user", "password_secret"])
    );
    for field in [
        "listen_ms",
        "mode",
        "read",
        "timezone_offset_minutes",
        "max_rows",
    ] {
        assert!(schema["properties"].get(field).is_some(), "{field} missing");
    }
}
