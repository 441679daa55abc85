//! The `ixc` plugin (wasm, in the real plugin host) against the simulated IXC Provedor: every
//! active login of the world with its session state, paged; a cut PON and a billing block as IXC
//! shows them; no secret column anywhere; and IXC outages as classified failures.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use vigia_core::{BillingState, EntityKind, ErrorClass, Observation, ObservationKind};
use vigia_plugin_host::Grants;
use vigia_sim::Fault;
use vigia_sim::world::{Billing, Vendor, VendorMode};

const SECRET: &str = "ixc-token";

fn grants(addr: std::net::SocketAddr) -> Grants {
    Grants {
        http_hosts: vec![addr.to_string()],
        secrets: vec![SECRET.into()],
        ..Grants::default()
    }
}

fn config() -> serde_json::Value {
    json!({
        "token_secret": SECRET,
        "page_size": 100,
        "timeout_ms": 2000,
        "run_budget_ms": 20000,
        "concentrators": {"10.200.0.1": "bng-centro", "10.200.0.2": "bng-norte"},
    })
}

struct Ixc {
    sim: std::sync::Arc<vigia_sim::Sim>,
    running: vigia_sim::Running,
    host: vigia_plugin_host::PluginHost,
    plugin: vigia_plugin_host::Plugin,
}

async fn start() -> Ixc {
    let (sim, running) = support::serve_example().await;
    let credentials = sim.scenario().credentials.clone();
    let token = format!("{}:{}", credentials.ixc_user_id, credentials.ixc_token);
    let host = support::host(&[(SECRET, &token)]);
    let plugin = support::load(&host, "ixc").await;
    Ixc {
        sim,
        running,
        host,
        plugin,
    }
}

impl Ixc {
    async fn run(&self, config: serde_json::Value) -> vigia_plugin_host::RunReport {
        let addr = self.running.addr("ixc").expect("ixc listens");
        let base = format!("http://{addr}");
        let targets = [("ixc-main", base.as_str())];
        support::run(&self.host, &self.plugin, config, &targets, grants(addr)).await
    }
}

/// login → (online, concentrator, last reason)
fn sessions(out: &[Observation]) -> BTreeMap<String, (bool, String, Option<String>)> {
    out.iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::PppoeSession(s) => Some((
                s.login.clone(),
                (
                    s.online,
                    s.concentrator.clone(),
                    s.last_disconnect_reason.clone(),
                ),
            )),
            _ => None,
        })
        .collect()
}

fn failures(out: &[Observation]) -> Vec<(ErrorClass, String)> {
    out.iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Failure(e) => Some((e.class, e.message.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn every_active_login_comes_back_as_the_world_has_it_without_secrets() {
    let ixc = start().await;
    let report = ixc.run(config()).await;
    let logs = format!("{:?}", report.logs);
    let out = support::completed(report);
    assert!(failures(&out).is_empty(), "{:?}", failures(&out));
    let seen = sessions(&out);

    let world = ixc.sim.world();
    let active: Vec<_> = world
        .subscribers
        .iter()
        .filter(|s| !s.churned && s.billing != Billing::Cancelled)
        .collect();
    assert!(active.len() > 200, "more than two pages of 100");
    let expected: BTreeSet<&str> = active.iter().map(|s| s.login.as_str()).collect();
    let got: BTreeSet<&str> = seen.keys().map(String::as_str).collect();
    assert_eq!(got, expected);
    for s in &active {
        let (online, concentrator, _) = &seen[&s.login];
        assert_eq!(*online, s.live.session.is_some(), "{}", s.login);
        assert_eq!(concentrator, &world.concentrators[s.concentrator].id);
    }
    let edges: BTreeMap<&str, &str> = out
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::TopologyEdge(e) if e.parent.kind == EntityKind::CrmGroup => {
                Some((e.child.id.as_str(), e.parent.id.as_str()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(edges.len(), active.len());
    assert_eq!(edges["joao.silva"], "OLT-HW-CENTRO-B1-P1");
    assert_eq!(edges["jose.araujo"], "TORRE-SERRA-AP1");

    let customers = out
        .iter()
        .filter(|o| matches!(o.kind, ObservationKind::Customer(_)))
        .count();
    assert_eq!(customers, active.len());

    let everything = format!("{out:?} {logs}");
    assert!(!everything.contains("senha"), "a secret column leaked");
    for s in &world.subscribers {
        assert!(
            !everything.contains(&s.password),
            "the password of {} leaked",
            s.login
        );
    }
    assert!(!everything.contains(&ixc.sim.scenario().credentials.ixc_token));
}

#[tokio::test]
async fn a_cut_pon_goes_offline_and_a_billing_block_shows_ca() {
    let ixc = start().await;
    ixc.sim
        .inject(Fault::PonCut {
            pon: "olt-centro/1/1".into(),
        })
        .expect("a known PON");
    ixc.sim
        .inject(Fault::BillingBlock {
            login: "ana.pereira".into(),
        })
        .expect("a known login");
    let out = support::completed(ixc.run(config()).await);
    assert!(failures(&out).is_empty(), "{:?}", failures(&out));
    let seen = sessions(&out);

    let world = ixc.sim.world();
    let pon = world.pon_index("olt-centro/1/1").expect("the PON");
    let on_pon: Vec<&str> = world
        .subscribers
        .iter()
        .filter(|s| !s.churned && s.onu().is_some_and(|o| o.pon == pon))
        .map(|s| s.login.as_str())
        .collect();
    assert!(on_pon.len() > 50);
    for login in &on_pon {
        let (online, _, reason) = &seen[*login];
        assert!(!online, "{login} is on the cut PON");
        assert_eq!(reason.as_deref(), Some("Lost-Carrier"), "{login}");
    }
    assert!(
        seen["ana.pereira"].0,
        "a blocked login keeps a (captive) session"
    );

    let ana_id = world
        .subscriber("ana.pereira")
        .expect("pinned")
        .customer_id
        .to_string();
    let ana = out
        .iter()
        .find_map(|o| match &o.kind {
            ObservationKind::Customer(c) if c.id == ana_id => Some(c),
            _ => None,
        })
        .expect("ana's customer");
    assert_eq!(ana.billing, BillingState::Blocked);
    assert_eq!(ana.billing_code.as_deref(), Some("CA"));
    assert_eq!(ana.logins, vec!["ana.pereira".to_owned()]);
}

#[tokio::test]
async fn ixc_outages_become_classified_failures() {
    let ixc = start().await;
    let down = ixc
        .sim
        .inject(Fault::VendorOutage {
            vendor: Vendor::Ixc,
            mode: VendorMode::Down,
            delay_ms: 0,
        })
        .expect("a valid fault");
    let out = support::completed(ixc.run(config()).await);
    let failures_down = failures(&out);
    assert_eq!(
        failures_down.len(),
        1,
        "one request, then the install stops"
    );
    assert_eq!(
        failures_down[0].0,
        ErrorClass::Unreachable,
        "{failures_down:?}"
    );
    assert!(
        failures_down[0].1.contains("status 503 (an html page)"),
        "{failures_down:?}"
    );
    assert!(ixc.sim.repair(down));

    let slow = ixc
        .sim
        .inject(Fault::VendorOutage {
            vendor: Vendor::Ixc,
            mode: VendorMode::Slow,
            delay_ms: 50,
        })
        .expect("a valid fault");
    let out = support::completed(ixc.run(config()).await);
    assert!(failures(&out).is_empty(), "slow but within the timeout");
    assert!(!sessions(&out).is_empty());
    assert!(ixc.sim.repair(slow));

    ixc.sim
        .inject(Fault::VendorOutage {
            vendor: Vendor::Ixc,
            mode: VendorMode::Hang,
            delay_ms: 0,
        })
        .expect("a valid fault");
    let mut hang = config();
    hang["timeout_ms"] = json!(500);
    let out = support::completed(ixc.run(hang).await);
    let failures_hang = failures(&out);
    assert_eq!(
        failures_hang.len(),
        1,
        "one request, then the install stops"
    );
    assert_eq!(failures_hang[0].0, ErrorClass::Timeout, "{failures_hang:?}");
}

#[tokio::test]
async fn a_wrong_token_is_an_auth_failure() {
    let (sim, running) = support::serve_example().await;
    let host = support::host(&[(SECRET, "7:not-the-token")]);
    let plugin = support::load(&host, "ixc").await;
    let addr = running.addr("ixc").expect("ixc listens");
    let base = format!("http://{addr}/webservice/v1");
    let out = support::completed(
        support::run(
            &host,
            &plugin,
            config(),
            &[("ixc-main", &base)],
            grants(addr),
        )
        .await,
    );
    let failures = failures(&out);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, ErrorClass::Auth);
    drop(sim);
}
