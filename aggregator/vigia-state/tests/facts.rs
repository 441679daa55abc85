//! One subscriber's facts for the triage, built through `LiveState::apply` from what the plugins
//! send: the router's and the CRM's sessions kept apart, the customer with its document, the ONU
//! with its Rx median and PON neighbours, the upstream chain nearest first, the CPE ping, drops
//! counted; live observations merged over the stored ones; search documents per subscriber.

use vigia_core::{BillingState, ObservationKind, OnuStatus};
use vigia_state::testing::fixtures::{customer, labelled, obs, onu, pppoe, reach, run};
use vigia_state::{
    AUTHORITY_LABEL, ENTITY_LABEL, FactsOptions, LiveState, StateConfig, merge_observations,
};
use vigia_triage::{Authority, ElementState, OnuStatus as FactOnu};

const T0: u64 = 1_700_000_000_000;
const MIN: u64 = 60_000;
const OLT: &str = "olt-1";

/// Eight ONUs on PON 0/1 (one per login `sub-N`), sampled every minute for five minutes at
/// -20 dBm; then `dropped` of them (not `sub-0`) at -22 dBm.
fn isp(dropped: usize) -> LiveState {
    let mut live = LiveState::new(StateConfig::default());
    for minute in 0..6u64 {
        let at = T0 + minute * MIN;
        let onus = (0..8)
            .map(|i| {
                let rx = if minute == 5 && i > 0 && i <= dropped {
                    -22.0
                } else {
                    -20.0
                };
                let login = format!("sub-{i}");
                obs(
                    OLT,
                    at,
                    onu(
                        &format!("HWTC0000000{i}"),
                        OLT,
                        1,
                        OnuStatus::Online,
                        Some(&login),
                        Some(rx),
                    ),
                )
            })
            .collect();
        live.apply("pop-1", &[run("smartolt", at, onus)], at);
    }
    let at = T0 + 5 * MIN;
    let sessions = (0..8)
        .map(|i| obs("bng-1", at, pppoe(&format!("sub-{i}"), "bng-1", true)))
        .collect();
    live.apply("pop-1", &[run("mikrotik", at, sessions)], at);
    let mut joao = obs(
        "ixc",
        at,
        customer("c-1", "João da Conceição", &["sub-0"], BillingState::Active),
    );
    joao = labelled(joao, "document", "529.982.247-25");
    live.apply("pop-1", &[run("ixc", at, vec![joao])], at);
    live
}

#[test]
fn the_facts_hold_every_layer_with_its_source() {
    let live = isp(0);
    let now = T0 + 5 * MIN + 1000;
    let facts = live
        .subscriber_facts("sub-0", now, &FactsOptions::default())
        .expect("known subscriber");
    assert_eq!(facts.login, "sub-0");
    let session = facts.session.as_ref().expect("router session");
    assert!(session.online);
    assert_eq!(session.source.name, "plugin:mikrotik@pop-1");
    assert_eq!(session.source.authority, Authority::Network);
    assert!(facts.crm_session.is_none());
    let customer = facts.customer.as_ref().expect("customer");
    assert_eq!(customer.name, "João da Conceição");
    assert_eq!(customer.document.as_deref(), Some("529.982.247-25"));
    assert_eq!(customer.source.authority, Authority::Crm);
    let onu = facts.onu.as_ref().expect("onu");
    assert_eq!(onu.serial, "HWTC00000000");
    assert_eq!(onu.status, FactOnu::Online);
    assert_eq!(onu.rx_dbm, Some(-20.0));
    assert_eq!(onu.rx_median_dbm, Some(-20.0));
    assert_eq!(onu.pon.as_deref(), Some("olt-1/0/1"));
    let neighbours = facts.pon_neighbours.as_ref().expect("neighbours");
    assert_eq!(
        (neighbours.total, neighbours.down, neighbours.rx_dropped),
        (7, 0, 0)
    );
    assert_eq!(neighbours.rx_known, 7);
    // Nearest first: the PON before the OLT; the concentrator is there too.
    let ids: Vec<&str> = facts.upstream.iter().map(|u| u.id.as_str()).collect();
    let pon = ids
        .iter()
        .position(|i| *i == "pon_port:olt-1/0/1")
        .expect("pon");
    let olt = ids.iter().position(|i| *i == "olt:olt-1").expect("olt");
    assert!(pon < olt, "{ids:?}");
    assert!(ids.contains(&"concentrator:bng-1"), "{ids:?}");
    assert!(facts.upstream.iter().all(|u| u.state != ElementState::Down));
    assert!(
        live.subscriber_facts("nobody", now, &FactsOptions::default())
            .is_none()
    );
}

#[test]
fn neighbours_whose_light_dropped_are_counted() {
    let live = isp(3);
    let facts = live
        .subscriber_facts("sub-0", T0 + 5 * MIN, &FactsOptions::default())
        .expect("known");
    let neighbours = facts.pon_neighbours.expect("neighbours");
    assert_eq!(neighbours.rx_dropped, 3, "{neighbours:?}");
    let strict = FactsOptions {
        pon_drop_db: 2.5,
        ..FactsOptions::default()
    };
    let facts = live
        .subscriber_facts("sub-0", T0 + 5 * MIN, &strict)
        .expect("known");
    assert_eq!(facts.pon_neighbours.expect("neighbours").rx_dropped, 0);
}

#[test]
fn the_crm_session_is_kept_apart_and_drops_are_counted() {
    let mut live = isp(0);
    let at = T0 + 6 * MIN;
    // The router says the session dropped; IXC still says online.
    live.apply(
        "pop-1",
        &[run(
            "mikrotik",
            at,
            vec![obs("bng-1", at, pppoe("sub-0", "bng-1", false))],
        )],
        at,
    );
    let crm = labelled(
        obs("ixc", at + 1000, pppoe("sub-0", "bng-1", true)),
        AUTHORITY_LABEL,
        "crm",
    );
    live.apply("pop-1", &[run("ixc", at + 1000, vec![crm])], at + 1000);
    let facts = live
        .subscriber_facts("sub-0", at + 2000, &FactsOptions::default())
        .expect("known");
    let session = facts.session.expect("router");
    let crm = facts.crm_session.expect("crm");
    assert!(!session.online && crm.online);
    assert_eq!(crm.source.authority, Authority::Crm);
    assert_eq!(session.recent_disconnects, 1);
}

#[test]
fn a_cpe_ping_labelled_with_the_subscriber_is_its_cpe() {
    let mut live = isp(0);
    let at = T0 + 6 * MIN;
    let ping = labelled(
        obs("cpe", at, reach("100.64.0.1", false)),
        ENTITY_LABEL,
        "subscriber:sub-0",
    );
    live.apply("pop-1", &[run("ping", at, vec![ping])], at);
    let cpe = live
        .subscriber_facts("sub-0", at, &FactsOptions::default())
        .expect("known")
        .cpe
        .expect("cpe");
    assert!(!cpe.reachable);
    assert_eq!(cpe.loss_pct, Some(100.0));
    assert_eq!(cpe.source.name, "plugin:ping@pop-1");
}

#[test]
fn live_observations_replace_the_stored_ones_for_this_subscriber_only() {
    let live = isp(0);
    let now = T0 + 6 * MIN;
    let mut facts = live
        .subscriber_facts("sub-0", now, &FactsOptions::default())
        .expect("known");
    let mut full_status = onu("HWTC00000000", OLT, 1, OnuStatus::Los, Some("sub-0"), None);
    if let ObservationKind::Onu(o) = &mut full_status {
        o.last_down_cause = Some("LOS".to_owned());
    }
    let observed = vec![
        obs("bng-1", now, pppoe("sub-0", "bng-1", false)),
        obs("bng-1", now, pppoe("sub-1", "bng-1", false)),
        obs(OLT, now, full_status),
        obs(
            OLT,
            now,
            onu("HWTC00000001", OLT, 1, OnuStatus::Los, Some("sub-1"), None),
        ),
    ];
    let used = merge_observations(&mut facts, "live:mikrotik@pop-1", &observed);
    assert_eq!(used, 2);
    let session = facts.session.expect("session");
    assert!(!session.online);
    assert_eq!(session.source.name, "live:mikrotik@pop-1");
    let onu = facts.onu.expect("onu");
    assert_eq!(onu.status, FactOnu::Los);
    assert_eq!(onu.last_down_cause.as_deref(), Some("LOS"));
    // What the live check did not read stays: the stored Rx and its median.
    assert_eq!((onu.rx_dbm, onu.rx_median_dbm), (Some(-20.0), Some(-20.0)));
}

#[test]
fn every_subscriber_is_a_search_document_with_its_customer_and_onu() {
    let live = isp(0);
    let docs = live.search_docs();
    assert_eq!(docs.len(), 8);
    let doc = docs.iter().find(|d| d.id == "sub-0").expect("sub-0");
    let has = |field: vigia_search::Field, value: &str| {
        doc.fields.iter().any(|(f, v)| *f == field && v == value)
    };
    assert!(has(vigia_search::Field::Login, "sub-0"), "{doc:?}");
    assert!(
        has(vigia_search::Field::Name, "João da Conceição"),
        "{doc:?}"
    );
    assert!(
        has(vigia_search::Field::Document, "529.982.247-25"),
        "{doc:?}"
    );
    assert!(
        has(vigia_search::Field::OnuSerial, "HWTC00000000"),
        "{doc:?}"
    );
    assert!(has(vigia_search::Field::Ip, "100.64.0.1"), "{doc:?}");
    let index = vigia_search::Index::build(docs).expect("index");
    let hits = index.search("conceicao", 0, 10).expect("query");
    assert_eq!(hits.hits[0].id, "sub-0");
    let (name, _, state) = live.subscriber_summary("sub-0").expect("summary");
    assert_eq!((name.as_deref(), state), (Some("João da Conceição"), "up"));
}
