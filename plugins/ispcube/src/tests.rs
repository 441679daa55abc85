//! Native tests against `FakeHost`: the tenant's lists become customers and edges; every bad
//! answer becomes one classified failure of that tenant.

use serde_json::json;
use vigia_plugin_sdk::http::Method;
use vigia_plugin_sdk::testing::{self, Call, FakeHost};
use vigia_plugin_sdk::{
    BillingState, EntityKind, ErrorClass, HostError, Observation, ObservationKind, Target,
};

use crate::Ispcube;

const BASE: &str = "https://online21.ispcube.com/api";
const CONFIG: &str = r#"{"username": "vigia", "password_secret": "ispcube-password",
    "api_key_secret": "ispcube-api-key", "client_id": "17", "page_size": 2}"#;

fn target() -> Target {
    Target::new("tenant", BASE)
}

fn url(path: &str) -> String {
    format!("{BASE}{path}")
}

/// A tenant with two nodes, two plans, three customers (one page of 2 and one of 1).
fn tenant() -> FakeHost {
    FakeHost::new()
        .secret("ispcube-password", "pw")
        .secret("ispcube-api-key", "key")
        .with_kv()
        .http(Method::Post, &url("/sanctum/token"), 200, r#"{"token":"1|abc"}"#)
        .http_json(
            &url("/nodes/nodes_list"),
            &json!({"data": [{"id": 5, "comment": "bng-centro", "ip": "10.0.0.1", "port": 8728},
                             {"id": "6", "comment": "", "ip": "10.0.0.2"}]}),
        )
        .http_json(&url("/plans/plans_list"), &json!([{"id": 10, "name": "FIBRA 300", "speed": "300/150"}]))
        .http_json(
            &url("/connections/connections_list"),
            &json!([
                {"id": 1, "user": "juan.perez", "customer_id": 1234, "node_id": 5, "plan_id": 10, "conntype": "pppoe"},
                {"id": 2, "user": "sofia.munoz", "customer_id": "1235", "node_id": "6", "plan_id": 10, "conntype": "pppoe"},
                {"id": 3, "user": "", "customer_id": 1236, "node_id": 5, "conntype": "pppoe"},
                {"id": 4, "user": "hotspot-9", "customer_id": 1236, "node_id": 5, "conntype": "hotspot"}
            ]),
        )
        .http_json(
            &url("/customers/customers_list?limit=2&offset=0"),
            &json!([
                {"id": 1234, "name": "Juan Pérez", "doc_number": 30111222, "address": "Av. España 100",
                 "status": "enabled", "debt": "0.00", "duedebt": "0.00", "deleted_at": null},
                {"id": 1235, "name": "Sofía Muñoz ", "status": "blocked", "debt": "9000.00", "duedebt": 9000}
            ]),
        )
        .http_json(
            &url("/customers/customers_list?limit=2&offset=2"),
            &json!([{"id": "1236", "name": "Ramón Díaz", "status": "enabled", "duedebt": "150.50"}]),
        )
}

fn customers(observations: &[Observation]) -> Vec<&vigia_plugin_sdk::Customer> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Customer(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn failure(
    observations: &[Observation],
) -> &vigia_plugin_sdk::bindings::vigia::plugin::types::PluginError {
    observations
        .iter()
        .find_map(|o| match &o.kind {
            ObservationKind::Failure(f) => Some(f),
            _ => None,
        })
        .expect("a failure observation")
}

#[test]
fn customers_carry_billing_plan_logins_and_document() {
    let host = tenant();
    let out = testing::run::<Ispcube>(CONFIG, &[target()], &host).expect("run completes");
    let list = customers(&out);
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].name, "Juan Pérez");
    assert_eq!(list[0].billing, BillingState::Active);
    assert_eq!(list[0].billing_code.as_deref(), Some("enabled"));
    assert_eq!(list[0].logins, vec!["juan.perez".to_owned()]);
    assert_eq!(list[0].plan.as_deref(), Some("FIBRA 300"));
    assert_eq!(list[1].billing, BillingState::Blocked);
    assert_eq!(list[1].name, "Sofía Muñoz", "names are trimmed");
    assert_eq!(
        list[2].billing,
        BillingState::Warned,
        "a due debt while enabled is a warning"
    );
    assert!(
        list[2].logins.is_empty(),
        "empty users and non-pppoe connections are not logins"
    );
    let juan = out
        .iter()
        .find(|o| matches!(&o.kind, ObservationKind::Customer(c) if c.id == "1234"))
        .expect("juan");
    assert!(
        juan.labels
            .contains(&("document".to_owned(), "30111222".to_owned()))
    );
}

#[test]
fn each_pppoe_login_depends_on_its_node() {
    let host = tenant();
    let out = testing::run::<Ispcube>(CONFIG, &[target()], &host).expect("run completes");
    let edges: Vec<(String, String)> = out
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::TopologyEdge(e) => {
                assert_eq!(e.child.kind, EntityKind::Subscriber);
                assert_eq!(e.parent.kind, EntityKind::Concentrator);
                Some((e.child.id.clone(), e.parent.id.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        edges,
        vec![
            ("juan.perez".to_owned(), "bng-centro".to_owned()),
            ("sofia.munoz".to_owned(), "node-6".to_owned()),
        ]
    );
}

#[test]
fn logs_in_with_the_api_headers_and_keeps_the_token() {
    let host = tenant();
    testing::run::<Ispcube>(CONFIG, &[target()], &host).expect("run completes");
    let calls = host.calls();
    let login = calls
        .iter()
        .find_map(|c| match c {
            Call::HttpSend(r) if r.url.ends_with("/sanctum/token") => Some(r.clone()),
            _ => None,
        })
        .expect("a login");
    for header in [
        ("api-key", "key"),
        ("client-id", "17"),
        ("login-type", "api"),
    ] {
        assert!(
            login
                .headers
                .contains(&(header.0.to_owned(), header.1.to_owned())),
            "{header:?}"
        );
    }
    let body: serde_json::Value =
        serde_json::from_slice(login.body.as_deref().unwrap_or_default()).expect("json body");
    assert_eq!(body, json!({"username": "vigia", "password": "pw"}));
    assert_eq!(
        host.kv_value("token/tenant").as_deref(),
        Some(&b"1|abc"[..])
    );
    let bearer = calls.iter().any(|c| matches!(c, Call::HttpSend(r)
        if r.url.ends_with("/nodes/nodes_list") && r.headers.contains(&("authorization".to_owned(), "Bearer 1|abc".to_owned()))));
    assert!(bearer, "lists are read with the bearer token");
}

#[test]
fn a_refused_stored_token_leads_to_exactly_one_new_login() {
    let host = FakeHost::new()
        .secret("ispcube-password", "pw")
        .secret("ispcube-api-key", "key")
        .kv("token/tenant", b"9|expired")
        .http(
            Method::Get,
            &url("/nodes/nodes_list"),
            401,
            r#"{"message":"Unauthenticated."}"#,
        )
        .http(
            Method::Post,
            &url("/sanctum/token"),
            200,
            r#"{"token":"2|new"}"#,
        );
    let out = testing::run::<Ispcube>(CONFIG, &[target()], &host).expect("run completes");
    let logins = host
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::HttpSend(r) if r.url.ends_with("/sanctum/token")))
        .count();
    assert_eq!(logins, 1, "one re-login, then the 401 is final");
    let f = failure(&out);
    assert_eq!(f.class, ErrorClass::Auth);
    assert!(f.message.contains("Unauthenticated."), "{}", f.message);
}

#[test]
fn bad_answers_are_classified_failures_of_the_tenant() {
    let html = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
    let cases: Vec<(FakeHost, ErrorClass, &str)> = vec![
        (
            FakeHost::new().http(
                Method::Post,
                &url("/sanctum/token"),
                401,
                r#"{"message":"The provided credentials are incorrect."}"#,
            ),
            ErrorClass::Auth,
            "credentials are incorrect",
        ),
        (
            FakeHost::new().http(Method::Post, &url("/sanctum/token"), 503, html),
            ErrorClass::Unreachable,
            "503 Service Temporarily Unavailable",
        ),
        (
            FakeHost::new().http(
                Method::Post,
                &url("/sanctum/token"),
                429,
                r#"{"message":"Too Many Attempts."}"#,
            ),
            ErrorClass::Budget,
            "Too Many Attempts",
        ),
        (
            FakeHost::new().http(Method::Post, &url("/sanctum/token"), 200, r#"{"tok"#),
            ErrorClass::InvalidResponse,
            "unexpected body",
        ),
        (
            FakeHost::new()
                .http(
                    Method::Post,
                    &url("/sanctum/token"),
                    200,
                    r#"{"token":"1|a"}"#,
                )
                .http_json(
                    &url("/nodes/nodes_list"),
                    &json!([{"id": {"nested": true}}]),
                ),
            ErrorClass::InvalidResponse,
            "expected an id",
        ),
        (
            FakeHost::new().http_failure(Method::Post, &url("/sanctum/token"), HostError::Timeout),
            ErrorClass::Timeout,
            "sanctum/token",
        ),
    ];
    for (host, class, text) in cases {
        let host = host
            .secret("ispcube-password", "pw")
            .secret("ispcube-api-key", "key");
        let out = testing::run::<Ispcube>(CONFIG, &[target()], &host).expect("run completes");
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
fn config_and_address_mistakes_are_config_errors() {
    let host = tenant();
    let err = testing::run::<Ispcube>(r#"{"username": "vigia"}"#, &[target()], &host).unwrap_err();
    assert_eq!(err.class, ErrorClass::Config);
    let bad = Target::new("tenant", "online21.ispcube.com");
    let out = testing::run::<Ispcube>(CONFIG, &[bad], &host).expect("run completes");
    assert_eq!(failure(&out).class, ErrorClass::Config);
    let no_secret = FakeHost::new();
    let err = testing::run::<Ispcube>(CONFIG, &[target()], &no_secret).unwrap_err();
    assert_eq!(err.class, ErrorClass::Denied);
}

#[test]
fn too_many_pages_is_a_budget_failure() {
    let config = CONFIG.replace(r#""page_size": 2"#, r#""page_size": 2, "max_pages": 1"#);
    let host = tenant();
    let out = testing::run::<Ispcube>(&config, &[target()], &host).expect("run completes");
    assert_eq!(failure(&out).class, ErrorClass::Budget);
}

#[test]
fn describe_declares_http_secrets_and_kv() {
    let info = testing::describe::<Ispcube>();
    assert_eq!(info.id, "ispcube");
    assert!(info.config_schema.contains("password_secret"));
    assert_eq!(info.capabilities.len(), 3);
}
