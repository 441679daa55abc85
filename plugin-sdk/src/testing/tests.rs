use std::io::Write;

use super::*;
use crate::TcpConnection;
use crate::icmp::EchoRequest;
use crate::snmp::{Credentials, Device, Varbind};

fn echo(address: &str, count: u16) -> EchoRequest {
    EchoRequest {
        address: address.into(),
        count,
        interval_ms: 200,
        timeout_ms: 1000,
        payload_bytes: 56,
    }
}

fn device(address: &str) -> Device {
    Device {
        address: address.into(),
        port: 161,
        credentials: Credentials::V2c("community".into()),
        timeout_ms: 1000,
        retries: 1,
    }
}

fn oids(list: &[&str]) -> Vec<String> {
    list.iter().map(|oid| (*oid).to_owned()).collect()
}

fn vb(oid: &str, value: Value) -> Varbind {
    Varbind {
        oid: oid.into(),
        value,
    }
}

#[test]
fn icmp_answers_in_request_order_and_caps_replies_at_count() {
    let host = FakeHost::new()
        .icmp_reply("10.0.0.1", &[420, 500, 610, 700])
        .icmp_error("10.0.0.2", "destination host unreachable");
    let results = host
        .icmp_echo(&[echo("10.0.0.2", 3), echo("10.0.0.1", 3)])
        .unwrap();
    assert_eq!(results[0].address, "10.0.0.2");
    assert_eq!(results[0].rtts_us, Vec::<u32>::new());
    assert_eq!(
        results[0].error.as_deref(),
        Some("destination host unreachable")
    );
    assert_eq!(
        (results[1].sent, results[1].rtts_us.clone()),
        (3, vec![420, 500, 610])
    );
    assert_eq!(
        host.calls(),
        vec![Call::IcmpEcho(vec![
            echo("10.0.0.2", 3),
            echo("10.0.0.1", 3)
        ])]
    );
}

#[test]
fn calls_without_an_answer_are_denied() {
    let host = FakeHost::new().icmp_reply("10.0.0.1", &[1]);
    assert!(matches!(
        host.icmp_echo(&[echo("10.0.0.9", 1)]),
        Err(HostError::Denied(_))
    ));
    assert!(matches!(
        host.snmp_get(&device("10.0.0.1"), &oids(&["1.3"])),
        Err(HostError::Denied(_))
    ));
    let request = crate::http::Request {
        method: Method::Get,
        url: "https://x.example/".into(),
        headers: vec![],
        body: None,
        timeout_ms: 1,
    };
    assert!(matches!(
        host.http_send(&request),
        Err(HostError::Denied(_))
    ));
    assert!(matches!(
        host.tcp_connect("x", 1, None, 1),
        Err(HostError::Denied(_))
    ));
    assert!(matches!(host.kv_get("k"), Err(HostError::Denied(_))));
    assert!(matches!(
        host.get_secret("token"),
        Err(HostError::Denied(_))
    ));
    assert_eq!(host.calls().len(), 6);
}

#[test]
fn whole_call_failures_are_returned() {
    let host = FakeHost::new().icmp_failure(HostError::Denied("icmp is not granted".into()));
    let error = host.icmp_echo(&[echo("10.0.0.1", 1)]).unwrap_err();
    assert_eq!(error, HostError::Denied("icmp is not granted".into()));
}

#[test]
fn log_and_clock_are_recorded_and_deterministic() {
    let host = FakeHost::new().clock(1_700_000_000_000);
    host.info("starting");
    assert_eq!(host.now_ms(), 1_700_000_000_000);
    let first = host.monotonic_ns();
    let second = host.monotonic_ns();
    assert_eq!(second - first, MONOTONIC_STEP_NS);
    host.log(Level::Error, "boom");
    assert_eq!(
        host.logs(),
        vec![
            (Level::Info, "starting".to_owned()),
            (Level::Error, "boom".to_owned())
        ]
    );
    assert_eq!(host.calls()[1], Call::NowMs);
}

#[test]
fn snmp_mib_answers_get_next_bulk_and_walk_in_oid_order() {
    let host = FakeHost::new()
        .snmp_value("10.0.0.9", "1.3.6.1.2.1.2.2.1.10.2", Value::Counter32(20))
        .snmp_value("10.0.0.9", "1.3.6.1.2.1.2.2.1.10.10", Value::Counter32(100))
        .snmp_value(
            "10.0.0.9",
            "1.3.6.1.2.1.2.2.1.2.1",
            Value::Octets(b"ether1".to_vec()),
        )
        .snmp_value(
            "10.0.0.9",
            "1.3.6.1.2.1.1.5.0",
            Value::Octets(b"olt".to_vec()),
        );
    let dev = device("10.0.0.9");

    let got = host
        .snmp_get(&dev, &oids(&["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.6.0"]))
        .unwrap();
    assert_eq!(got[0].value, Value::Octets(b"olt".to_vec()));
    assert_eq!(got[1].value, Value::NoSuchObject);

    // 10.2 sorts before 10.10 (numeric, not textual order).
    let walk = host.snmp_walk(&dev, "1.3.6.1.2.1.2.2.1.10", 10).unwrap();
    assert_eq!(
        walk,
        vec![
            vb("1.3.6.1.2.1.2.2.1.10.2", Value::Counter32(20)),
            vb("1.3.6.1.2.1.2.2.1.10.10", Value::Counter32(100)),
        ]
    );
    assert_eq!(
        host.snmp_walk(&dev, "1.3.6.1.2.1.2.2.1.10", 1)
            .unwrap()
            .len(),
        1
    );

    // Column 2 (ifDescr) sorts before column 10 (ifInOctets).
    let next = host
        .snmp_get_next(&dev, &oids(&["1.3.6.1.2.1.2.2.1.2.1"]))
        .unwrap();
    assert_eq!(
        next,
        vec![vb("1.3.6.1.2.1.2.2.1.10.2", Value::Counter32(20))]
    );
    let end = host
        .snmp_get_next(&dev, &oids(&["1.3.6.1.2.1.2.2.1.10.10"]))
        .unwrap();
    assert_eq!(
        end,
        vec![vb("1.3.6.1.2.1.2.2.1.10.10", Value::EndOfMibView)]
    );

    // One non-repeater, then rounds over the repeater until the end of the MIB.
    let bulk = host
        .snmp_get_bulk(&dev, 1, 5, &oids(&["1.3.6.1.2.1.1", "1.3.6.1.2.1.2.2.1.2"]))
        .unwrap();
    assert_eq!(
        bulk,
        vec![
            vb("1.3.6.1.2.1.1.5.0", Value::Octets(b"olt".to_vec())),
            vb("1.3.6.1.2.1.2.2.1.2.1", Value::Octets(b"ether1".to_vec())),
            vb("1.3.6.1.2.1.2.2.1.10.2", Value::Counter32(20)),
            vb("1.3.6.1.2.1.2.2.1.10.10", Value::Counter32(100)),
            vb("1.3.6.1.2.1.2.2.1.10.10", Value::EndOfMibView),
        ]
    );

    let bad = host.snmp_get(&dev, &oids(&["1.3.x"])).unwrap_err();
    assert!(matches!(bad, HostError::InvalidArgument(_)));
}

#[test]
fn snmp_failure_is_returned_for_that_agent() {
    let host = FakeHost::new().snmp_failure("10.0.0.10", HostError::Timeout);
    assert_eq!(
        host.snmp_walk(&device("10.0.0.10"), "1.3", 5),
        Err(HostError::Timeout)
    );
}

#[test]
fn http_routes_match_method_and_url_and_get_json_maps_statuses() {
    let host = FakeHost::new()
        .http_json("https://api.example/onus", &serde_json::json!({"count": 2}))
        .http(Method::Get, "https://api.example/locked", 401, "no")
        .http(Method::Get, "https://api.example/busy", 429, "")
        .http(Method::Get, "https://api.example/html", 200, "<html>")
        .http_failure(Method::Get, "https://api.example/slow", HostError::Timeout);

    let value: serde_json::Value = host
        .get_json("https://api.example/onus", &[("x-token", "t")])
        .unwrap();
    assert_eq!(value["count"], 2);
    let Call::HttpSend(sent) = &host.calls()[0] else {
        panic!("expected an http call")
    };
    assert!(
        sent.headers
            .contains(&("x-token".to_owned(), "t".to_owned()))
    );
    assert!(
        sent.headers
            .contains(&("accept".to_owned(), "application/json".to_owned()))
    );

    let class = |url: &str| {
        host.get_json::<serde_json::Value>(url, &[])
            .unwrap_err()
            .class
    };
    assert_eq!(class("https://api.example/locked"), crate::ErrorClass::Auth);
    assert_eq!(class("https://api.example/busy"), crate::ErrorClass::Budget);
    assert_eq!(
        class("https://api.example/html"),
        crate::ErrorClass::InvalidResponse
    );
    assert_eq!(
        class("https://api.example/slow"),
        crate::ErrorClass::Timeout
    );
    assert_eq!(
        class("https://api.example/other"),
        crate::ErrorClass::Denied
    );
}

#[test]
fn tcp_connection_replays_reads_in_chunks_and_records_writes() {
    let host = FakeHost::new().tcp("10.0.0.1", 8728, &[b"hello world"]);
    let connection = host.tcp_connect("10.0.0.1", 8728, None, 1000).unwrap();
    connection.write(b"/login", 1000).unwrap();
    assert_eq!(connection.read(5, 1000).unwrap(), b"hello");
    assert_eq!(connection.read(100, 1000).unwrap(), b" world");
    assert_eq!(connection.read(100, 1000).unwrap(), b"");
    let calls = host.calls();
    assert_eq!(
        calls[1],
        Call::TcpWrite {
            host: "10.0.0.1".into(),
            port: 8728,
            data: b"/login".to_vec()
        }
    );
    assert_eq!(calls.len(), 5);
}

#[test]
fn kv_is_a_store_once_granted() {
    let host = FakeHost::new().kv("a", b"1");
    assert_eq!(host.kv_get("a").unwrap(), Some(b"1".to_vec()));
    host.kv_set("b", b"2").unwrap();
    host.kv_delete("a").unwrap();
    assert_eq!(host.kv_value("a"), None);
    assert_eq!(host.kv_value("b"), Some(b"2".to_vec()));
    assert_eq!(FakeHost::new().with_kv().kv_get("a").unwrap(), None);
}

#[test]
fn fixture_file_scripts_every_capability() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let fixture = serde_json::json!({
        "now_ms": 42,
        "icmp": { "10.0.0.1": { "rtts_us": [420, 500] }, "10.0.0.2": { "error": "unreachable" } },
        "snmp": {
            "10.0.0.9": { "values": { "1.3.6.1.2.1.1.5.0": { "octets": "olt" },
                                      "1.3.6.1.2.1.4.20.1.1.1": { "ip_address": "10.1.2.3" },
                                      "1.3.6.1.2.1.1.3.0": { "timeticks": 100 } } },
            "10.0.0.10": { "failure": "timeout" }
        },
        "http": [
            { "url": "https://api.example/onus", "json": { "onus": [] } },
            { "method": "post", "url": "https://api.example/login", "status": 401, "body": "no" },
            { "url": "https://api.example/slow", "failure": { "unreachable": "no route" } }
        ],
        "tcp": [ { "host": "10.0.0.1", "port": 8728, "reads": ["!done"] } ],
        "kv": { "k": "v" },
        "secrets": { "token": "s3cr3t" }
    });
    write!(file, "{fixture}").unwrap();
    let host = FakeHost::from_fixture(file.path()).unwrap();

    assert_eq!(host.now_ms(), 42);
    let echo = host
        .icmp_echo(&[echo("10.0.0.1", 3), echo("10.0.0.2", 3)])
        .unwrap();
    assert_eq!((echo[0].sent, echo[0].rtts_us.clone()), (3, vec![420, 500]));
    assert_eq!(echo[1].error.as_deref(), Some("unreachable"));
    let walk = host
        .snmp_walk(&device("10.0.0.9"), "1.3.6.1.2.1", 10)
        .unwrap();
    assert_eq!(walk[0], vb("1.3.6.1.2.1.1.3.0", Value::Timeticks(100)));
    assert_eq!(walk[2].value, Value::IpAddress((10, 1, 2, 3)));
    assert_eq!(
        host.snmp_get(&device("10.0.0.10"), &oids(&["1.3"])),
        Err(HostError::Timeout)
    );
    let onus: serde_json::Value = host.get_json("https://api.example/onus", &[]).unwrap();
    assert_eq!(onus, serde_json::json!({ "onus": [] }));
    let login = host
        .post_json::<_, serde_json::Value>("https://api.example/login", &[], &1)
        .unwrap_err();
    assert_eq!(login.class, crate::ErrorClass::Auth);
    let slow = host
        .get_json::<serde_json::Value>("https://api.example/slow", &[])
        .unwrap_err();
    assert_eq!(
        slow.to_string(),
        "unreachable: GET https://api.example/slow: no route"
    );
    let connection = host.tcp_connect("10.0.0.1", 8728, None, 10).unwrap();
    assert_eq!(connection.read(64, 10).unwrap(), b"!done");
    assert_eq!(host.kv_get("k").unwrap(), Some(b"v".to_vec()));
    assert_eq!(host.get_secret("token").unwrap(), "s3cr3t");
}

#[test]
fn bad_fixtures_are_clear_errors() {
    let missing = FakeHost::from_fixture("/nonexistent/fixture.json").unwrap_err();
    assert!(matches!(missing, FixtureError::Read { .. }));

    let cases = [
        (r#"{"icmpp": {}}"#, "unknown field"),
        (
            r#"{"http": [{"method": "fetch", "url": "u"}]}"#,
            "unknown http method `fetch`",
        ),
        (
            r#"{"snmp": {"a": {"values": {"1.x": "null"}}}}"#,
            "malformed oid `1.x`",
        ),
        (
            r#"{"http": [{"url": "u", "body": "", "json": 1}]}"#,
            "not both",
        ),
    ];
    for (json, expected) in cases {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(json.as_bytes()).unwrap();
        let error = FakeHost::from_fixture(file.path()).unwrap_err();
        let text = format!(
            "{error}: {}",
            std::error::Error::source(&error)
                .map(|s| s.to_string())
                .unwrap_or_default()
        );
        assert!(text.contains(expected), "{json}: {text}");
    }
}
