//! The `smartolt` plugin (the built wasm component, in the real plugin host) against the
//! simulated SmartOLT API: statuses, signals and splitters of the example ISP, a cut PON and a
//! power outage, the hex-id quirk, a vendor outage, and the account's call limit.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use vigia_core::{Alarm, ErrorClass, Observation, ObservationKind, Onu, OnuStatus, Severity};
use vigia_plugin_host::{Grants, Plugin, PluginHost};
use vigia_sim::Sim;
use vigia_sim::vendor::smartolt::{self, Settings};
use vigia_sim::world::{Fault, Vendor, VendorMode};

const SECRET: &str = "smartolt-token";

struct Account {
    sim: Arc<Sim>,
    addr: SocketAddr,
    host: PluginHost,
    plugin: Plugin,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Account {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The example ISP's SmartOLT account with a short full-status delay (and `settings`' limit).
async fn account(calls_per_window: u32) -> Account {
    let sim = Sim::new(support::example());
    let settings = Settings {
        calls_per_window,
        full_status_delay: Duration::from_millis(300),
        ..Settings::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("has an address");
    let router = smartolt::service(sim.clone(), settings);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let token = sim.scenario().credentials.smartolt_token.clone();
    let host = support::host(&[(SECRET, token.as_str())]);
    let plugin = support::load(&host, "smartolt").await;
    Account {
        sim,
        addr,
        host,
        plugin,
        server,
    }
}

impl Account {
    async fn run(&self, config: Value) -> Vec<Observation> {
        let grants = Grants {
            http_hosts: vec![self.addr.to_string()],
            secrets: vec![SECRET.to_owned()],
            kv: true,
            ..Grants::default()
        };
        let address = format!("http://{}/api", self.addr);
        let report = support::run(
            &self.host,
            &self.plugin,
            config,
            &[("smartolt-sim", address.as_str())],
            grants,
        )
        .await;
        support::completed(report)
    }
}

fn config(extra: Value) -> Value {
    let mut config = json!({"token_secret": SECRET, "timezone_offset_minutes": -180});
    if let (Value::Object(base), Value::Object(extra)) = (&mut config, extra) {
        base.extend(extra);
    }
    config
}

fn onus(observations: &[Observation]) -> Vec<&Onu> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Onu(onu) => Some(onu),
            _ => None,
        })
        .collect()
}

fn alarms(observations: &[Observation]) -> Vec<&Alarm> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Alarm(alarm) => Some(alarm),
            _ => None,
        })
        .collect()
}

fn failures(observations: &[Observation]) -> Vec<(ErrorClass, String)> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Failure(error) => Some((error.class, error.message.clone())),
            _ => None,
        })
        .collect()
}

fn metric(observations: &[Observation], name: &str) -> Option<f64> {
    observations.iter().find_map(|o| match &o.kind {
        ObservationKind::Metric(m) if m.name == name => Some(m.value),
        _ => None,
    })
}

/// The ONUs the world has on a PON (`olt-centro/1/1`), as `(serial, status)`.
fn truth_on(sim: &Sim, pon: &str) -> Vec<(String, &'static str)> {
    let w = sim.world();
    let index = w.pon_index(pon).expect("a pon of the example");
    w.subscribers
        .iter()
        .filter_map(|s| s.onu().filter(|o| o.pon == index).map(|o| (s, o)))
        .map(|(s, o)| (o.serial.clone(), s.live.onu_status.smartolt()))
        .collect()
}

fn status_word(status: OnuStatus) -> &'static str {
    match status {
        OnuStatus::Online => "Online",
        OnuStatus::Los => "LOS",
        OnuStatus::PowerFail => "Power fail",
        OnuStatus::Offline => "Offline",
        OnuStatus::Unknown => "unknown",
    }
}

#[tokio::test]
async fn the_scenarios_onus_appear_with_their_statuses() {
    let account = account(1000).await;
    let observations = account.run(config(json!({}))).await;
    assert!(
        failures(&observations).is_empty(),
        "{:?}",
        failures(&observations)
    );
    let onus = onus(&observations);
    let fibre = account
        .sim
        .world()
        .subscribers
        .iter()
        .filter(|s| s.onu().is_some())
        .count();
    assert_eq!(onus.len(), fibre);
    let (serial, rx) = {
        let w = account.sim.world();
        let joao = w.subscriber("joao.silva").unwrap();
        (joao.onu().unwrap().serial.clone(), joao.live.rx_dbm)
    };
    let joao = onus
        .iter()
        .find(|o| o.serial == serial)
        .expect("joao's onu");
    assert_eq!(joao.login.as_deref(), Some("joao.silva"));
    assert_eq!(joao.olt, "OLT CENTRO");
    assert_eq!((joao.board, joao.port), (Some(1), Some(1)));
    assert!(
        joao.splitter
            .as_deref()
            .is_some_and(|s| s.starts_with("CTO-OLT-CENTRO-1-1-"))
    );
    assert_eq!(joao.model.as_deref(), Some("HG8145V5"));
    assert_eq!(joao.status, OnuStatus::Online);
    assert!((joao.rx_dbm.unwrap() - rx).abs() < 0.006);
    assert!(joao.olt_rx_dbm.is_some());
    for (serial, word) in truth_on(&account.sim, "olt-norte/1/3") {
        let seen = onus.iter().find(|o| o.serial == serial).expect("every onu");
        assert_eq!(status_word(seen.status), word, "{serial}");
    }
    // get_olts + 2 OLTs × (statuses, signals, details, outages).
    assert_eq!(
        metric(&observations, "smartolt_api_calls_remaining"),
        Some(991.0)
    );
    assert!(alarms(&observations).is_empty());

    // The second run uses the cached details and OLT list: 3 calls per OLT.
    let observations = account.run(config(json!({}))).await;
    assert_eq!(metric(&observations, "smartolt_api_calls_run"), Some(6.0));
    assert_eq!(
        metric(&observations, "smartolt_api_calls_remaining"),
        Some(985.0)
    );
}

#[tokio::test]
async fn a_cut_pon_goes_los_with_an_outage_alarm_and_a_power_outage_is_power_fail() {
    let account = account(1000).await;
    let cut = account
        .sim
        .inject(Fault::PonCut {
            pon: "olt-centro/1/1".into(),
        })
        .unwrap();
    account
        .sim
        .inject(Fault::PowerOutage {
            zone: Some("Vila Nova".into()),
            pons: Vec::new(),
        })
        .unwrap();
    let observations = account.run(config(json!({}))).await;
    let onus = onus(&observations);
    let on_cut: Vec<_> = onus
        .iter()
        .filter(|o| o.olt == "OLT CENTRO" && o.board == Some(1) && o.port == Some(1))
        .collect();
    assert_eq!(on_cut.len(), 64);
    assert!(
        on_cut
            .iter()
            .all(|o| o.status == OnuStatus::Los && o.rx_dbm.is_none())
    );
    assert!(on_cut.iter().all(|o| o.last_down_ms.is_some()));
    let powered_off: Vec<_> = onus
        .iter()
        .filter(|o| o.olt == "OLT NORTE" && o.port != Some(3))
        .collect();
    assert_eq!(powered_off.len(), 48 + 32);
    let churned = account
        .sim
        .world()
        .subscribers
        .iter()
        .filter(|s| s.churned && s.onu().is_some_and(|o| o.pon == 3 || o.pon == 4))
        .count();
    let power_fail = powered_off
        .iter()
        .filter(|o| o.status == OnuStatus::PowerFail)
        .count();
    assert_eq!(power_fail + churned, powered_off.len());

    let mut raised: Vec<(String, Severity)> = alarms(&observations)
        .iter()
        .map(|a| (a.source.id.clone(), a.severity))
        .collect();
    raised.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        raised,
        [
            ("OLT CENTRO/1/1".to_owned(), Severity::Critical),
            ("OLT NORTE/1/1".to_owned(), Severity::Major),
            ("OLT NORTE/1/2".to_owned(), Severity::Major),
        ]
    );

    // Repaired: the next run clears the cut PON's alarm.
    assert!(account.sim.repair(cut));
    let observations = account.run(config(json!({"olt_ids": [1]}))).await;
    let cleared = alarms(&observations);
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0].source.id, "OLT CENTRO/1/1");
    assert!(cleared[0].cleared_ms.is_some());
}

#[tokio::test]
async fn the_hex_quirk_onus_full_status_works() {
    let account = account(1000).await;
    let (login, external_id, serial) = {
        let w = account.sim.world();
        let sub = w
            .subscribers
            .iter()
            .find(|s| !s.churned && s.onu().is_some_and(|o| o.hex_quirk()))
            .expect("the example has hex-quirk onus");
        let onu = sub.onu().unwrap();
        (
            sub.login.clone(),
            onu.external_id.clone(),
            onu.serial.clone(),
        )
    };
    account
        .sim
        .inject(Fault::SubscriberLos {
            login: login.clone(),
        })
        .unwrap();
    let observations = account
        .run(config(json!({"full_status_for": [external_id]})))
        .await;
    assert!(
        failures(&observations).is_empty(),
        "{:?}",
        failures(&observations)
    );
    let observation = observations
        .iter()
        .find(|o| matches!(&o.kind, ObservationKind::Onu(onu) if onu.serial == serial))
        .expect("the quirk onu");
    let ObservationKind::Onu(onu) = &observation.kind else {
        unreachable!("matched above");
    };
    assert_eq!(onu.login.as_deref(), Some(login.as_str()));
    assert_eq!(onu.status, OnuStatus::Los);
    assert_eq!(onu.last_down_cause.as_deref(), Some("ONT LOSi/LOBi alarm"));
    assert!(onu.tx_dbm.is_none());
    let label = |key: &str| {
        observation
            .labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(label("id_form"), Some("hex"));
    assert_eq!(label("full_status"), Some("true"));
}

#[tokio::test]
async fn a_vendor_outage_is_a_classified_failure() {
    let account = account(1000).await;
    let down = account
        .sim
        .inject(Fault::VendorOutage {
            vendor: Vendor::Smartolt,
            mode: VendorMode::Down,
            delay_ms: 0,
        })
        .unwrap();
    let observations = account.run(config(json!({}))).await;
    let failures = failures(&observations);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, ErrorClass::Unreachable);
    assert!(failures[0].1.contains("503"), "{}", failures[0].1);
    assert!(onus(&observations).is_empty());
    account.sim.repair(down);

    account
        .sim
        .inject(Fault::VendorOutage {
            vendor: Vendor::Smartolt,
            mode: VendorMode::Hang,
            delay_ms: 0,
        })
        .unwrap();
    let observations = account.run(config(json!({"timeout_ms": 500}))).await;
    let failures = self::failures(&observations);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, ErrorClass::Timeout);
}

#[tokio::test]
async fn the_rate_limit_headers_are_reported_and_429_is_a_budget_failure() {
    let account = account(2).await;
    let observations = account
        .run(config(json!({"olt_ids": [1], "read": ["statuses"]})))
        .await;
    assert!(self::failures(&observations).is_empty());
    assert_eq!(
        metric(&observations, "smartolt_api_calls_remaining"),
        Some(0.0)
    );
    assert_eq!(onus(&observations).len(), 140);

    let observations = account
        .run(config(json!({"olt_ids": [1], "read": ["statuses"]})))
        .await;
    let failures = failures(&observations);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, ErrorClass::Budget);
    assert!(failures[0].1.contains("429"), "{}", failures[0].1);
    assert_eq!(
        metric(&observations, "smartolt_api_calls_remaining"),
        Some(0.0)
    );
}
