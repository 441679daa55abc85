//! Native tests against `FakeHost`: the lists become radio links, tower → AP edges, AP metrics
//! and alarms; tokens are kept and renewed; every bad answer becomes one classified failure of
//! that cnMaestro.

use serde_json::{Value, json};
use vigia_plugin_sdk::http::Method;
use vigia_plugin_sdk::testing::{self, Call, FakeHost};
use vigia_plugin_sdk::{
    EntityKind, ErrorClass, HostError, Observation, ObservationKind, RadioStatus, Severity, Target,
};

use crate::Cnmaestro;
use crate::model::{ALARM_FIELDS, DEVICE_FIELDS, STATISTICS_FIELDS};

const BASE: &str = "https://cnm.example.net/api/v2";
const CONFIG: &str = r#"{"client_id": "vigia-client", "client_secret_secret": "cnm-secret",
    "page_size": 2, "link_subscribers": true}"#;
const NOW_MS: u64 = 1_750_000_000_000;
const TOKEN: &str = r#"{"access_token":"tok-1","token_type":"bearer","expires_in":3600}"#;

fn target() -> Target {
    Target::new("cnm", BASE)
}

fn url(path: &str, offset: usize, fields: &str) -> String {
    format!("{BASE}{path}?limit=2&offset={offset}&fields={fields}")
}

fn page(offset: usize, total: usize, data: Value) -> Value {
    json!({"paging": {"offset": offset, "limit": 2, "total": total}, "data": data})
}

const AP1: &str = "00:04:56:AA:00:01";
const SM1: &str = "00:04:56:BB:00:01";
const AP2: &str = "00:04:56:AA:00:02";
const SM2: &str = "00:04:56:BB:00:02";

/// One tower, a PMP AP with an online SM, an ePMP AP whose SM is offline (with its alarm), and
/// a PTP link the plugin ignores: devices in two pages, statistics in three.
fn cnmaestro() -> FakeHost {
    let devices = [
        json!({"type": "pmp", "mode": "ap", "name": "AP-1", "mac": AP1, "tower": "Torre Serra", "network": "default", "status": "online"}),
        json!({"type": "pmp", "mode": "sm", "name": "jose.araujo", "mac": SM1, "ap_mac": AP1, "tower": "Torre Serra", "network": "default", "ip": "10.210.1.11", "status": "online", "product": "PMP 450"}),
        json!({"type": "epmp", "mode": "ap", "name": "AP-2", "mac": AP2, "tower": "Torre Serra", "online": true}),
        json!({"type": "epmp", "mode": "sm", "name": "ana.lima", "mac": SM2, "ap_mac": AP2, "tower": "Torre Serra", "online": false}),
        json!({"type": "ptp", "mode": "bhm", "name": "PTP-1", "mac": "00:04:56:CC:00:01", "tower": "Torre Serra"}),
    ];
    let stats = [
        json!({"type": "pmp", "mode": "ap", "mac": AP1, "status": "online", "connected_sms": 1, "radio": {}}),
        json!({"type": "pmp", "mode": "sm", "mac": SM1, "status": "online", "ap_mac": AP1, "distance": 1200,
               "radio": {"dl_rssi": -61.5, "ul_rssi": "-63.0", "dl_snr_v": 31.0, "dl_snr_h": 29.5, "dl_modulation": "6X MIMO-B"}}),
        json!({"type": "epmp", "mode": "ap", "mac": AP2, "status": "online", "connected_sms": 0, "radio": {}}),
        json!({"type": "epmp", "mode": "sm", "mac": SM2, "status": "offline", "ap_mac": AP2,
               "radio": {"dl_rssi": -70.0, "dl_snr": 20.0, "dl_mcs": 11, "ul_snr": null}}),
        json!({"type": "ptp", "mode": "bhm", "mac": "00:04:56:CC:00:01", "status": "online"}),
    ];
    let alarm = json!({"id": "a1", "code": "STATUS", "name": "Status", "message": "Device is offline.",
        "severity": "major", "source_type": "epmp", "source": "ana.lima", "status": "active",
        "time_raised": "2025-06-15T12:06:40-03:00", "mac": SM2, "tower": "Torre Serra"});
    FakeHost::new()
        .clock(NOW_MS)
        .secret("cnm-secret", "s3cret")
        .with_kv()
        .http(Method::Post, &format!("{BASE}/access/token"), 200, TOKEN)
        .http_json(
            &url("/devices", 0, DEVICE_FIELDS),
            &page(0, 5, json!(devices[0..2])),
        )
        .http_json(
            &url("/devices", 2, DEVICE_FIELDS),
            &page(2, 5, json!(devices[2..4])),
        )
        .http_json(
            &url("/devices", 4, DEVICE_FIELDS),
            &page(4, 5, json!(devices[4..])),
        )
        .http_json(
            &url("/devices/statistics", 0, STATISTICS_FIELDS),
            &page(0, 5, json!(stats[0..2])),
        )
        .http_json(
            &url("/devices/statistics", 2, STATISTICS_FIELDS),
            &page(2, 5, json!(stats[2..4])),
        )
        .http_json(
            &url("/devices/statistics", 4, STATISTICS_FIELDS),
            &page(4, 5, json!(stats[4..])),
        )
        .http_json(
            &url("/alarms", 0, ALARM_FIELDS),
            &page(0, 1, json!([alarm])),
        )
}

fn links(out: &[Observation]) -> Vec<&vigia_plugin_sdk::RadioLink> {
    out.iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::RadioLink(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn failure(out: &[Observation]) -> &vigia_plugin_sdk::bindings::vigia::plugin::types::PluginError {
    out.iter()
        .find_map(|o| match &o.kind {
            ObservationKind::Failure(f) => Some(f),
            _ => None,
        })
        .expect("a failure observation")
}

fn sends(host: &FakeHost, suffix: &str) -> usize {
    host.calls()
        .iter()
        .filter(|c| matches!(c, Call::HttpSend(r) if r.url.ends_with(suffix)))
        .count()
}

#[test]
fn subscriber_modules_become_radio_links_with_readings() {
    let host = cnmaestro();
    let out = testing::run::<Cnmaestro>(CONFIG, &[target()], &host).expect("run completes");
    let links = links(&out);
    assert_eq!(
        links.len(),
        2,
        "two SMs; APs and the PTP link are not radio links"
    );
    let jose = links.iter().find(|l| l.sm_mac == SM1).expect("jose's SM");
    assert_eq!(jose.ap_mac.as_deref(), Some(AP1));
    assert_eq!(jose.tower.as_deref(), Some("Torre Serra"));
    assert_eq!(jose.status, RadioStatus::Connected);
    assert_eq!(jose.rssi_dbm, Some(-61.5));
    assert_eq!(jose.snr_db, Some(29.5), "the worse polarisation");
    assert_eq!(jose.modulation.as_deref(), Some("6X MIMO-B"));
    let jose_obs = out
        .iter()
        .find(|o| matches!(&o.kind, ObservationKind::RadioLink(r) if r.sm_mac == SM1))
        .expect("jose");
    for label in [
        ("name", "jose.araujo"),
        ("ul_rssi_dbm", "-63"),
        ("distance", "1200"),
    ] {
        assert!(
            jose_obs
                .labels
                .contains(&(label.0.to_owned(), label.1.to_owned())),
            "{label:?} in {:?}",
            jose_obs.labels
        );
    }
    let ana = links.iter().find(|l| l.sm_mac == SM2).expect("ana's SM");
    assert_eq!(ana.status, RadioStatus::Disconnected);
    assert_eq!(
        ana.rssi_dbm, None,
        "an offline SM's last readings are not readings"
    );
    assert_eq!(ana.modulation, None);
    assert_eq!(ana.ap_mac.as_deref(), Some(AP2));
}

#[test]
fn epmp_readings_use_dl_snr_and_mcs() {
    let stats = json!({"type": "epmp", "mode": "sm", "mac": SM2, "status": "online",
        "radio": {"dl_rssi": -58, "dl_snr": 33, "dl_mcs": 15}});
    let device = json!({"type": "epmp", "mode": "sm", "name": "x", "mac": SM2, "ap_mac": AP2, "status": "online"});
    let config = r#"{"client_id": "c", "client_secret_secret": "cnm-secret", "alarms": false,
        "project_fields": false, "tower": "Torre Serra"}"#;
    let host = FakeHost::new()
        .secret("cnm-secret", "s")
        .http(Method::Post, &format!("{BASE}/access/token"), 200, TOKEN)
        .http_json(
            &format!("{BASE}/devices?limit=100&offset=0&tower=Torre%20Serra"),
            &json!({"paging": {"offset": 0, "limit": 100, "total": 1}, "data": [device]}),
        )
        .http_json(
            &format!("{BASE}/devices/statistics?limit=100&offset=0&tower=Torre%20Serra"),
            &json!({"paging": {"offset": 0, "limit": 100, "total": 1}, "data": [stats]}),
        );
    let out = testing::run::<Cnmaestro>(config, &[target()], &host).expect("run completes");
    let links = links(&out);
    assert_eq!(links.len(), 1, "{out:?}");
    assert_eq!(links[0].snr_db, Some(33.0));
    assert_eq!(links[0].rssi_dbm, Some(-58.0));
    assert_eq!(links[0].modulation.as_deref(), Some("MCS15"));
    assert_eq!(sends(&host, "/alarms"), 0, "alarms off: not read");
}

#[test]
fn towers_aps_subscribers_and_alarms_line_up() {
    let host = cnmaestro();
    let out = testing::run::<Cnmaestro>(CONFIG, &[target()], &host).expect("run completes");
    let edges: Vec<(EntityKind, String, EntityKind, String)> = out
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::TopologyEdge(e) => Some((
                e.child.kind.clone(),
                e.child.id.clone(),
                e.parent.kind.clone(),
                e.parent.id.clone(),
            )),
            _ => None,
        })
        .collect();
    let tower = |mac: &str| {
        (
            EntityKind::AccessPoint,
            mac.to_owned(),
            EntityKind::Tower,
            "Torre Serra".to_owned(),
        )
    };
    assert!(edges.contains(&tower(AP1)), "{edges:?}");
    assert!(edges.contains(&tower(AP2)), "{edges:?}");
    assert!(edges.contains(&(
        EntityKind::Subscriber,
        "jose.araujo".to_owned(),
        EntityKind::SubscriberModule,
        SM1.to_owned()
    )));
    assert_eq!(
        edges.len(),
        4,
        "two APs under the tower, two SMs under their logins"
    );

    let connected: Vec<(f64, Vec<(String, String)>)> = out
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Metric(m) if m.name == "connected_sms" => {
                Some((m.value, o.labels.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(connected.len(), 2);
    assert_eq!(connected[0].0, 1.0);
    assert!(
        connected[0]
            .1
            .contains(&("vigia.entity".to_owned(), format!("access_point:{AP1}")))
    );

    let alarm = out
        .iter()
        .find_map(|o| match &o.kind {
            ObservationKind::Alarm(a) => Some(a),
            _ => None,
        })
        .expect("an alarm");
    assert_eq!(alarm.source.kind, EntityKind::SubscriberModule);
    assert_eq!(alarm.source.id, SM2);
    assert_eq!(alarm.severity, Severity::Major);
    assert_eq!(alarm.code, "STATUS");
    assert_eq!(alarm.text, "Device is offline.");
    assert_eq!(alarm.raised_ms, Some(1_750_000_000_000));
}

#[test]
fn gets_a_token_by_basic_auth_and_keeps_it_with_its_expiry() {
    let host = cnmaestro();
    testing::run::<Cnmaestro>(CONFIG, &[target()], &host).expect("run completes");
    let calls = host.calls();
    let login = calls
        .iter()
        .find_map(|c| match c {
            Call::HttpSend(r) if r.url.ends_with("/access/token") => Some(r.clone()),
            _ => None,
        })
        .expect("a token request");
    assert_eq!(login.method, Method::Post);
    let basic = format!("Basic {}", crate::client::base64("vigia-client:s3cret"));
    assert_eq!(basic, "Basic dmlnaWEtY2xpZW50OnMzY3JldA==");
    assert!(login.headers.contains(&("authorization".to_owned(), basic)));
    assert_eq!(
        login.body.as_deref(),
        Some(&b"grant_type=client_credentials"[..])
    );
    let stored: Value =
        serde_json::from_slice(&host.kv_value("token/cnm").expect("kept")).expect("json");
    assert_eq!(stored["token"], "tok-1");
    assert_eq!(stored["expires_at_ms"], NOW_MS + 3_600_000);
    assert!(calls.iter().any(|c| matches!(c, Call::HttpSend(r)
        if r.url.contains("/devices?") && r.headers.contains(&("authorization".to_owned(), "Bearer tok-1".to_owned())))));
    assert_eq!(
        sends(&host, "/access/token"),
        1,
        "one token for the whole run"
    );
}

#[test]
fn a_live_stored_token_is_reused_and_an_expired_one_is_not() {
    let live = json!({"token": "kept", "expires_at_ms": NOW_MS + 600_000}).to_string();
    let host = cnmaestro().kv("token/cnm", live.as_bytes());
    // The fake answers any bearer: what matters is which one is sent.
    testing::run::<Cnmaestro>(CONFIG, &[target()], &host).expect("run completes");
    assert_eq!(sends(&host, "/access/token"), 0);
    assert!(host.calls().iter().any(|c| matches!(c, Call::HttpSend(r)
        if r.headers.contains(&("authorization".to_owned(), "Bearer kept".to_owned())))));

    let near_expiry = json!({"token": "old", "expires_at_ms": NOW_MS + 30_000}).to_string();
    let host = cnmaestro().kv("token/cnm", near_expiry.as_bytes());
    testing::run::<Cnmaestro>(CONFIG, &[target()], &host).expect("run completes");
    assert_eq!(
        sends(&host, "/access/token"),
        1,
        "a token about to expire is renewed"
    );
}

#[test]
fn a_refused_stored_token_leads_to_exactly_one_new_token() {
    let stored = json!({"token": "revoked", "expires_at_ms": NOW_MS + 600_000}).to_string();
    let host = FakeHost::new()
        .clock(NOW_MS)
        .secret("cnm-secret", "s3cret")
        .kv("token/cnm", stored.as_bytes())
        .http(
            Method::Get,
            &url("/devices", 0, DEVICE_FIELDS),
            401,
            r#"{"error":"invalid_token","error_description":"The access token expired"}"#,
        )
        .http(Method::Post, &format!("{BASE}/access/token"), 200, TOKEN);
    let out = testing::run::<Cnmaestro>(CONFIG, &[target()], &host).expect("run completes");
    assert_eq!(
        sends(&host, "/access/token"),
        1,
        "one renewal, then the 401 is final"
    );
    let f = failure(&out);
    assert_eq!(f.class, ErrorClass::Auth);
    assert!(f.message.contains("invalid_token"), "{}", f.message);
}

#[test]
fn bad_answers_are_classified_failures_of_the_cnmaestro() {
    let token = format!("{BASE}/access/token");
    let devices = url("/devices", 0, DEVICE_FIELDS);
    let html = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
    let ok_token = || FakeHost::new().http(Method::Post, &token, 200, TOKEN);
    let cases: Vec<(FakeHost, ErrorClass, &str)> =
        vec![
        (
            FakeHost::new().http(
                Method::Post,
                &token,
                401,
                r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
            ),
            ErrorClass::Auth,
            "invalid_client",
        ),
        (
            FakeHost::new().http(Method::Post, &token, 503, html),
            ErrorClass::Unreachable,
            "503 Service Temporarily Unavailable",
        ),
        (
            ok_token().http(Method::Get, &devices, 200, "<html>Login portal</html>"),
            ErrorClass::Unreachable,
            "HTML page",
        ),
        (
            ok_token().http(Method::Get, &devices, 429, r#"{"error":"rate limited"}"#),
            ErrorClass::Budget,
            "rate limited",
        ),
        (
            FakeHost::new().http(Method::Post, &token, 200, r#"{"access_tok"#),
            ErrorClass::InvalidResponse,
            "unexpected body",
        ),
        (
            FakeHost::new().http(
                Method::Post,
                &token,
                200,
                r#"{"access_token":"t","token_type":"mac"}"#,
            ),
            ErrorClass::InvalidResponse,
            "token_type",
        ),
        (
            ok_token().http_json(&devices, &json!({"paging": {"total": 1}, "data": [{"mac": 7}]})),
            ErrorClass::InvalidResponse,
            "GET /devices",
        ),
        (
            ok_token().http_json(&devices, &json!({"paging": {"total": 0}, "data": []})).http_json(
                &url("/devices/statistics", 0, STATISTICS_FIELDS),
                &json!({"data": [{"mac": SM1, "radio": {"dl_rssi": "strong"}}]}),
            ),
            ErrorClass::InvalidResponse,
            "expected a number",
        ),
        (
            ok_token().http_failure(Method::Get, &devices, HostError::Timeout),
            ErrorClass::Timeout,
            "GET /devices",
        ),
        (
            ok_token().http(Method::Get, &devices, 404, r#"{"error":"not_found"}"#),
            ErrorClass::Config,
            "not_found",
        ),
    ];
    for (host, class, text) in cases {
        let host = host.secret("cnm-secret", "s3cret");
        let out = testing::run::<Cnmaestro>(CONFIG, &[target()], &host).expect("run completes");
        let f = failure(&out);
        assert_eq!(f.class, class, "{}", f.message);
        assert!(
            f.message.contains(text),
            "{} should mention {text}",
            f.message
        );
    }
}

#[test]
fn paging_is_bounded() {
    let config = CONFIG.replace(r#""page_size": 2"#, r#""page_size": 2, "max_pages": 2"#);
    let host = cnmaestro();
    let out = testing::run::<Cnmaestro>(&config, &[target()], &host).expect("run completes");
    let f = failure(&out);
    assert_eq!(f.class, ErrorClass::Budget, "{}", f.message);
    let later = host
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::HttpSend(r) if r.url.contains("/statistics?") || r.url.contains("/alarms?")))
        .count();
    assert_eq!(later, 0, "the run stops at the first list over budget");
    let pages = host
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::HttpSend(r) if r.url.contains("/devices?")))
        .count();
    assert_eq!(pages, 2);
}

#[test]
fn one_failing_cnmaestro_does_not_stop_the_others() {
    let other = Target::new("down", "https://down.example.net/api/v2");
    let host = cnmaestro().http_failure(
        Method::Post,
        "https://down.example.net/api/v2/access/token",
        HostError::Unreachable("connection refused".into()),
    );
    let out = testing::run::<Cnmaestro>(CONFIG, &[other, target()], &host).expect("run completes");
    assert_eq!(failure(&out).class, ErrorClass::Unreachable);
    assert_eq!(links(&out).len(), 2);
}

#[test]
fn config_and_address_mistakes_are_config_errors() {
    let host = cnmaestro();
    let err = testing::run::<Cnmaestro>(r#"{"client_id": "x"}"#, &[target()], &host).unwrap_err();
    assert_eq!(err.class, ErrorClass::Config);
    let err = testing::run::<Cnmaestro>(
        r#"{"client_id": "x", "client_secret_secret": "cnm-secret", "page_size": 500}"#,
        &[target()],
        &host,
    )
    .unwrap_err();
    assert_eq!(err.class, ErrorClass::Config);
    let bad = Target::new("cnm", "cnm.example.net");
    let out = testing::run::<Cnmaestro>(CONFIG, &[bad], &host).expect("run completes");
    assert_eq!(failure(&out).class, ErrorClass::Config);
    let err = testing::run::<Cnmaestro>(CONFIG, &[target()], &FakeHost::new()).unwrap_err();
    assert_eq!(err.class, ErrorClass::Denied);
}

#[test]
fn describe_declares_http_secrets_and_kv() {
    let info = testing::describe::<Cnmaestro>();
    assert_eq!(info.id, "cnmaestro");
    assert!(info.config_schema.contains("client_secret_secret"));
    assert_eq!(info.capabilities.len(), 3);
}
