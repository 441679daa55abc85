//! The `ispcube` plugin (wasm, in the real plugin host) against the simulated ISPCube: every
//! customer of the world with its billing state and logins, each login under its concentrator,
//! and billing blocks and vendor outages as the plugin must report them.

mod support;

use serde_json::json;
use vigia_core::{BillingState, ErrorClass, ObservationKind};
use vigia_plugin_host::Grants;
use vigia_sim::Fault;
use vigia_sim::world::{Vendor, VendorMode};

fn grants(addr: std::net::SocketAddr) -> Grants {
    Grants {
        http_hosts: vec![addr.to_string()],
        secrets: vec!["ispcube-password".into(), "ispcube-api-key".into()],
        kv: true,
        ..Grants::default()
    }
}

fn config() -> serde_json::Value {
    json!({
        "username": "vigia",
        "password_secret": "ispcube-password",
        "api_key_secret": "ispcube-api-key",
        "client_id": "17",
        "page_size": 100,
        "timeout_ms": 2000,
    })
}

#[tokio::test]
async fn customers_logins_and_blocks_match_the_world() {
    let (sim, running) = support::serve_example().await;
    let addr = running.addr("ispcube").expect("ispcube listens");
    let credentials = sim.scenario().credentials.clone();
    let host = support::host(&[
        ("ispcube-password", &credentials.ispcube_password),
        ("ispcube-api-key", &credentials.ispcube_api_key),
    ]);
    let plugin = support::load(&host, "ispcube").await;
    let base = format!("http://{addr}/api");
    let targets = [("tenant", base.as_str())];

    let out =
        support::completed(support::run(&host, &plugin, config(), &targets, grants(addr)).await);
    let customers: Vec<_> = out
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Customer(c) => Some(c),
            _ => None,
        })
        .collect();
    let world_count = sim.world().subscribers.len();
    assert_eq!(
        customers.len(),
        world_count,
        "every customer, over {} pages",
        world_count.div_ceil(100)
    );
    let joao = customers
        .iter()
        .find(|c| c.logins == vec!["joao.silva".to_owned()])
        .expect("joao");
    assert_eq!(joao.name, "João da Silva");
    assert_eq!(joao.billing, BillingState::Active);
    assert_eq!(joao.plan.as_deref(), Some("FIBRA 300 MEGA"));
    let edges = out
        .iter()
        .filter(|o| {
            matches!(&o.kind, ObservationKind::TopologyEdge(e)
            if e.child.id == "jose.araujo" && e.parent.id == "bng-norte")
        })
        .count();
    assert_eq!(edges, 1, "jose's login hangs off the norte concentrator");

    sim.inject(Fault::BillingBlock {
        login: "joao.silva".into(),
    })
    .expect("valid");
    let out =
        support::completed(support::run(&host, &plugin, config(), &targets, grants(addr)).await);
    let joao = out
        .iter()
        .find_map(|o| match &o.kind {
            ObservationKind::Customer(c) if c.logins == vec!["joao.silva".to_owned()] => Some(c),
            _ => None,
        })
        .expect("joao again");
    assert_eq!(joao.billing, BillingState::Blocked);
    assert_eq!(joao.billing_code.as_deref(), Some("blocked"));

    sim.inject(Fault::VendorOutage {
        vendor: Vendor::Ispcube,
        mode: VendorMode::Down,
        delay_ms: 0,
    })
    .expect("valid");
    let out =
        support::completed(support::run(&host, &plugin, config(), &targets, grants(addr)).await);
    let failure = out
        .iter()
        .find_map(|o| match &o.kind {
            ObservationKind::Failure(f) => Some(f),
            _ => None,
        })
        .expect("a failure");
    assert_eq!(
        failure.class,
        ErrorClass::Unreachable,
        "{}",
        failure.message
    );
    assert!(failure.message.contains("503"), "{}", failure.message);
    running.stop();
}

#[tokio::test]
async fn wrong_credentials_and_a_hung_api_are_classified() {
    let (sim, running) = support::serve_example().await;
    let addr = running.addr("ispcube").expect("ispcube listens");
    let credentials = sim.scenario().credentials.clone();
    let host = support::host(&[
        ("ispcube-password", "not-the-password"),
        ("ispcube-api-key", &credentials.ispcube_api_key),
    ]);
    let plugin = support::load(&host, "ispcube").await;
    let base = format!("http://{addr}/api");
    let out = support::completed(
        support::run(
            &host,
            &plugin,
            config(),
            &[("tenant", base.as_str())],
            grants(addr),
        )
        .await,
    );
    let class = out.iter().find_map(|o| match &o.kind {
        ObservationKind::Failure(f) => Some(f.class),
        _ => None,
    });
    assert_eq!(class, Some(ErrorClass::Auth));

    sim.inject(Fault::VendorOutage {
        vendor: Vendor::Ispcube,
        mode: VendorMode::Hang,
        delay_ms: 0,
    })
    .expect("valid");
    let out = support::completed(
        support::run(
            &host,
            &plugin,
            config(),
            &[("tenant", base.as_str())],
            grants(addr),
        )
        .await,
    );
    let class = out.iter().find_map(|o| match &o.kind {
        ObservationKind::Failure(f) => Some(f.class),
        _ => None,
    });
    assert_eq!(class, Some(ErrorClass::Timeout));
    running.stop();
}
