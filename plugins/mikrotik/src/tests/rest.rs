//! RouterOS 7 REST through scripted HTTP answers.

use serde_json::json;
use vigia_plugin_sdk::HostError;
use vigia_plugin_sdk::http::Method;

use super::*;

const BASE: &str = "https://10.0.0.1/rest";

fn rest(extra: &str) -> String {
    if extra.is_empty() {
        config(r#""mode": "rest", "tls": true"#)
    } else {
        config(&format!(r#""mode": "rest", "tls": true, {extra}"#))
    }
}

fn url(menu: &str, properties: &[&str], filter: &str) -> String {
    format!("{BASE}/{menu}?.proplist={}{filter}", properties.join(","))
}

fn sessions_url() -> String {
    url("ppp/active", rows::SESSION_PROPERTIES, "")
}

fn secrets_url() -> String {
    url("ppp/secret", rows::SECRET_PROPERTIES, "")
}

fn interfaces_url() -> String {
    url("interface", rows::INTERFACE_PROPERTIES, "&dynamic=false")
}

fn host() -> FakeHost {
    FakeHost::new()
        .clock(NOW)
        .secret("mt-pass", "s3cr3t")
        .with_kv()
}

#[test]
fn reads_every_table_as_json_strings_with_basic_auth() {
    let host = host()
        .http_json(&sessions_url(), &json!([
            {".id": "*8A1", "name": "joao123", "service": "pppoe", "caller-id": "B0:A7:B9:9E:E2:E3",
             "address": "10.205.74.160", "uptime": "1w2d3h", "radius": "true"}
        ]))
        .http_json(&secrets_url(), &json!([
            {"name": "joao123", "password": "hunter2"},
            {"name": "pedro", "password": "hunter2", "disabled": "true",
             "last-logged-out": "2024-02-05 13:47:44", "last-disconnect-reason": "hung-up"}
        ]))
        .http_json(&interfaces_url(), &json!([
            {".id": "*2", "name": "ether2", "running": "true", "disabled": "false", "rx-byte": "42", "tx-byte": "43"}
        ]));
    let observations = run(&rest(""), &host).unwrap();
    assert!(failures(&observations).is_empty(), "{observations:#?}");

    let joao = session(&observations, "joao123");
    assert!(joao.online);
    assert_eq!(joao.since_ms, Some(NOW - (9 * 24 + 3) * 3_600_000));
    let pedro = session(&observations, "pedro");
    assert!(!pedro.online);
    assert_eq!(pedro.since_ms, Some(1_707_140_864_000));
    assert_eq!(pedro.last_disconnect_reason.as_deref(), Some("hung-up"));
    let ether2 = interfaces(&observations)[0];
    assert_eq!(
        (ether2.index, ether2.in_octets, ether2.out_octets),
        (2, Some(42), Some(43))
    );
    assert!(!format!("{observations:?}").contains("hunter2"));

    let Call::HttpSend(request) = host
        .calls()
        .into_iter()
        .find(|c| matches!(c, Call::HttpSend(_)))
        .unwrap()
    else {
        unreachable!()
    };
    // base64("vigia:s3cr3t")
    assert!(request.headers.contains(&(
        "authorization".to_owned(),
        "Basic dmlnaWE6czNjcjN0".to_owned()
    )));
    assert_eq!(request.method, Method::Get);
    assert_eq!(host.kv_value("online/bnas-1").unwrap(), b"joao123");
}

#[test]
fn unauthorized_stops_the_router_as_auth() {
    let host = host().http(Method::Get, &sessions_url(), 401, "");
    let observations = run(&rest(""), &host).unwrap();
    assert_eq!(
        failures(&observations),
        vec![(
            ErrorClass::Auth,
            "GET /rest/ppp/active: status 401".to_owned()
        )]
    );
    let requests = host
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::HttpSend(_)))
        .count();
    assert_eq!(requests, 1, "no more requests after a refused login");
}

#[test]
fn router_error_bodies_are_quoted_and_classified() {
    let not_found = r#"{"error":404,"message":"Not Found"}"#;
    let bad = r#"{"error":400,"message":"Bad Request","detail":"unknown parameter"}"#;
    let host = host()
        .http(Method::Get, &sessions_url(), 404, not_found)
        .http(Method::Get, &secrets_url(), 200, bad)
        .http(Method::Get, &interfaces_url(), 500, "<html>oops</html>");
    let observations = run(&rest(""), &host).unwrap();
    assert_eq!(
        failures(&observations),
        vec![
            (
                ErrorClass::Unsupported,
                "GET /rest/ppp/active: status 404: Not Found".to_owned()
            ),
            (
                ErrorClass::InvalidResponse,
                "GET /rest/ppp/secret: status 400: Bad Request: unknown parameter".to_owned()
            ),
            (
                ErrorClass::InvalidResponse,
                "GET /rest/interface: status 500".to_owned()
            ),
        ]
    );
}

#[test]
fn bad_json_is_an_invalid_response() {
    let host = host()
        .http(Method::Get, &sessions_url(), 200, "[{\"name\": ")
        .http_json(&secrets_url(), &json!({"name": "not an array"}));
    let observations = run(&rest(r#""read": ["sessions", "secrets"]"#), &host).unwrap();
    let found = failures(&observations);
    assert_eq!(found.len(), 2);
    assert!(
        found[0]
            .1
            .starts_with("GET /rest/ppp/active: the body is not json"),
        "{found:?}"
    );
    assert!(
        found[1]
            .1
            .starts_with("GET /rest/ppp/secret: expected a json array of objects"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .all(|(class, _)| *class == ErrorClass::InvalidResponse)
    );
    assert_eq!(host.kv_value("online/bnas-1"), None);
}

#[test]
fn http_failures_and_plain_http_on_a_custom_port() {
    let host = host().http_failure(
        Method::Get,
        &format!(
            "http://10.0.0.1:8080/rest/ppp/active?.proplist={}",
            rows::SESSION_PROPERTIES.join(",")
        ),
        HostError::Timeout,
    );
    let target = Target::new("bnas-1", "10.0.0.1:8080");
    let config = config(r#""mode": "rest", "read": ["sessions", "secrets"]"#);
    let observations = testing::run::<Mikrotik>(&config, &[target], &host).unwrap();
    assert_eq!(
        failures(&observations),
        vec![(
            ErrorClass::Timeout,
            "GET /rest/ppp/active: timed out".to_owned()
        )]
    );
}

#[test]
fn too_many_rows_is_a_budget_failure() {
    let host = host().http_json(&sessions_url(), &json!([{"name": "a"}, {"name": "b"}]));
    let observations = run(&rest(r#""read": ["sessions"], "max_rows": 1"#), &host).unwrap();
    assert_eq!(failures(&observations)[0].0, ErrorClass::Budget);
}
