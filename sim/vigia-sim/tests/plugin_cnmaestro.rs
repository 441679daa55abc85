//! The `cnmaestro` plugin (wasm, in the real plugin host) against the simulated cnMaestro: every
//! radio subscriber's SM with its AP and tower, an AP failure as the plugin must report it
//! (disconnected SMs and their alarms), and vendor outages as classified failures.

mod support;

use std::collections::HashMap;

use serde_json::json;
use vigia_core::{EntityKind, ErrorClass, Observation, ObservationKind, RadioStatus, Severity};
use vigia_plugin_host::Grants;
use vigia_sim::Fault;
use vigia_sim::world::{Vendor, VendorMode};

fn grants(addr: std::net::SocketAddr) -> Grants {
    Grants {
        http_hosts: vec![addr.to_string()],
        secrets: vec!["cnmaestro-secret".into()],
        kv: true,
        ..Grants::default()
    }
}

fn config() -> serde_json::Value {
    json!({
        "client_id": "sim-cnmaestro-client",
        "client_secret_secret": "cnmaestro-secret",
        "page_size": 10,
        "link_subscribers": true,
        "timeout_ms": 2000,
    })
}

fn failure(out: &[Observation]) -> Option<(ErrorClass, String)> {
    out.iter().find_map(|o| match &o.kind {
        ObservationKind::Failure(f) => Some((f.class, f.message.clone())),
        _ => None,
    })
}

/// What a run says of one SM: status, AP MAC (lower case), tower, RSSI.
type Link = (RadioStatus, Option<String>, Option<String>, Option<f64>);

/// The radio links of a run by SM MAC (lower case).
fn links(out: &[Observation]) -> HashMap<String, Link> {
    out.iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::RadioLink(r) => Some((
                r.sm_mac.to_lowercase(),
                (
                    r.status,
                    r.ap_mac.as_ref().map(|m| m.to_lowercase()),
                    r.tower.clone(),
                    r.rssi_dbm,
                ),
            )),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn sms_appear_with_their_ap_and_tower_and_an_ap_down_disconnects_them() {
    let (sim, running) = support::serve_example().await;
    let addr = running.addr("cnmaestro").expect("cnmaestro listens");
    let secret = sim.scenario().credentials.cnmaestro_client_secret.clone();
    let host = support::host(&[("cnmaestro-secret", &secret)]);
    let plugin = support::load(&host, "cnmaestro").await;
    let base = format!("http://{addr}/api/v2");
    let targets = [("cnm", base.as_str())];

    // The truth: every radio subscriber's SM, its AP and tower.
    let (expected, ap1_mac, ap1_sms, jose) = {
        let w = sim.world();
        let expected: HashMap<String, (String, String, f64)> = w
            .subscribers
            .iter()
            .filter_map(|s| {
                let sm = s.sm()?;
                let ap = &w.aps[sm.ap];
                Some((
                    sm.mac.to_lowercase(),
                    (
                        ap.mac.to_lowercase(),
                        w.towers[ap.tower].name.clone(),
                        sm.base_rssi_dbm,
                    ),
                ))
            })
            .collect();
        let ap1 = w
            .aps
            .iter()
            .position(|a| a.name == "AP-SERRA-1")
            .expect("ap1");
        let ap1_sms: Vec<String> = w
            .subscribers
            .iter()
            .filter_map(|s| {
                s.sm()
                    .filter(|sm| sm.ap == ap1)
                    .map(|sm| sm.mac.to_lowercase())
            })
            .collect();
        let jose = w
            .subscriber("jose.araujo")
            .and_then(|s| s.sm())
            .map(|sm| sm.mac.to_lowercase())
            .expect("jose");
        (expected, w.aps[ap1].mac.to_lowercase(), ap1_sms, jose)
    };
    assert_eq!(expected.len(), 28);

    let out =
        support::completed(support::run(&host, &plugin, config(), &targets, grants(addr)).await);
    assert_eq!(failure(&out), None);
    let seen = links(&out);
    assert_eq!(
        seen.len(),
        expected.len(),
        "every SM, over several pages of 10"
    );
    for (mac, (ap, tower, rssi)) in &expected {
        let (status, seen_ap, seen_tower, seen_rssi) = seen.get(mac).expect("each SM is seen");
        assert_eq!(*status, RadioStatus::Connected, "{mac}");
        assert_eq!(seen_ap.as_deref(), Some(ap.as_str()), "{mac}");
        assert_eq!(seen_tower.as_deref(), Some(tower.as_str()), "{mac}");
        assert_eq!(*seen_rssi, Some(*rssi), "{mac}: the world's RSSI");
    }
    let edge = |child: EntityKind, child_id: &str, parent: EntityKind, parent_id: &str| {
        out.iter().any(|o| {
            matches!(&o.kind, ObservationKind::TopologyEdge(e)
                if e.child.kind == child && e.child.id.eq_ignore_ascii_case(child_id)
                && e.parent.kind == parent && e.parent.id.eq_ignore_ascii_case(parent_id))
        })
    };
    assert!(edge(
        EntityKind::AccessPoint,
        &ap1_mac,
        EntityKind::Tower,
        "Torre Serra"
    ));
    assert!(
        edge(
            EntityKind::Subscriber,
            "jose.araujo",
            EntityKind::SubscriberModule,
            &jose
        ),
        "jose's login hangs off his SM"
    );
    let connected = |out: &[Observation]| {
        out.iter().find_map(|o| match &o.kind {
            ObservationKind::Metric(m)
                if m.name == "connected_sms"
                    && o.labels.iter().any(|(k, v)| {
                        k == "vigia.entity"
                            && v.eq_ignore_ascii_case(&format!("access_point:{ap1_mac}"))
                    }) =>
            {
                Some(m.value)
            }
            _ => None,
        })
    };
    assert_eq!(connected(&out), Some(ap1_sms.len() as f64));
    assert!(
        !out.iter()
            .any(|o| matches!(o.kind, ObservationKind::Alarm(_))),
        "a healthy network has no alarms"
    );

    sim.inject(Fault::ApDown {
        ap: "AP-SERRA-1".into(),
    })
    .expect("valid fault");
    let out =
        support::completed(support::run(&host, &plugin, config(), &targets, grants(addr)).await);
    let seen = links(&out);
    for mac in &ap1_sms {
        let (status, _, _, rssi) = seen.get(mac).expect("still listed");
        assert_eq!(*status, RadioStatus::Disconnected, "{mac}");
        assert_eq!(*rssi, None, "no readings while disconnected");
    }
    let still_up = seen
        .values()
        .filter(|(status, ..)| *status == RadioStatus::Connected)
        .count();
    assert_eq!(
        still_up,
        expected.len() - ap1_sms.len(),
        "AP-SERRA-2's SMs are fine"
    );
    let alarms: Vec<_> = out
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Alarm(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(
        alarms.len(),
        ap1_sms.len() + 1,
        "the AP and each of its SMs"
    );
    let ap_alarm = alarms
        .iter()
        .find(|a| a.source.kind == EntityKind::AccessPoint)
        .expect("the AP's alarm");
    assert!(ap_alarm.source.id.eq_ignore_ascii_case(&ap1_mac));
    assert_eq!(ap_alarm.code, "STATUS");
    assert_eq!(ap_alarm.severity, Severity::Major);
    assert_eq!(ap_alarm.text, "Device is offline.");
    assert!(ap_alarm.raised_ms.is_some(), "time_raised is read");
    assert!(
        alarms
            .iter()
            .any(|a| a.source.kind == EntityKind::SubscriberModule
                && a.source.id.eq_ignore_ascii_case(&jose))
    );
    assert_eq!(connected(&out), Some(0.0));
    running.stop();
}

#[tokio::test]
async fn vendor_outages_and_wrong_secrets_are_classified_failures() {
    let (sim, running) = support::serve_example().await;
    let addr = running.addr("cnmaestro").expect("cnmaestro listens");
    let base = format!("http://{addr}/api/v2");
    let targets = [("cnm", base.as_str())];

    let wrong = support::host(&[("cnmaestro-secret", "not-the-secret")]);
    let plugin = support::load(&wrong, "cnmaestro").await;
    let out =
        support::completed(support::run(&wrong, &plugin, config(), &targets, grants(addr)).await);
    let (class, message) = failure(&out).expect("a failure");
    assert_eq!(class, ErrorClass::Auth, "{message}");
    assert!(message.contains("invalid_client"), "{message}");

    let secret = sim.scenario().credentials.cnmaestro_client_secret.clone();
    let host = support::host(&[("cnmaestro-secret", &secret)]);
    let plugin = support::load(&host, "cnmaestro").await;
    let down = sim
        .inject(Fault::VendorOutage {
            vendor: Vendor::Cnmaestro,
            mode: VendorMode::Down,
            delay_ms: 0,
        })
        .expect("valid");
    let out =
        support::completed(support::run(&host, &plugin, config(), &targets, grants(addr)).await);
    let (class, message) = failure(&out).expect("a failure");
    assert_eq!(class, ErrorClass::Unreachable, "{message}");
    assert!(message.contains("503"), "{message}");
    assert!(sim.repair(down));

    sim.inject(Fault::VendorOutage {
        vendor: Vendor::Cnmaestro,
        mode: VendorMode::Hang,
        delay_ms: 0,
    })
    .expect("valid");
    let out =
        support::completed(support::run(&host, &plugin, config(), &targets, grants(addr)).await);
    let (class, message) = failure(&out).expect("a failure");
    assert_eq!(class, ErrorClass::Timeout, "{message}");
    running.stop();
}
