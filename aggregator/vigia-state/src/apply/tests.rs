use vigia_core::{BillingState, EntityRef, ErrorClass, MetricKind, PluginError, Severity};

use super::*;

fn obs(kind: ObservationKind, labels: &[(&str, &str)]) -> Observation {
    Observation {
        target: "t-1".into(),
        observed_at_ms: 1_000,
        kind,
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn id(text: &str) -> EntityId {
    EntityId::parse(text).unwrap()
}

fn edges(fx: &Effects) -> Vec<(String, String, String)> {
    fx.edges
        .iter()
        .map(|e| {
            (
                e.parent.to_string(),
                e.child.to_string(),
                e.relation.clone(),
            )
        })
        .collect()
}

fn one_state(fx: &Effects) -> (String, State, String) {
    assert_eq!(fx.states.len(), 1, "{:?}", fx.states);
    let p = &fx.states[0];
    (p.id.to_string(), p.state, p.reason.clone())
}

fn attr<'a>(touch: &'a Touch, key: &str) -> Option<&'a Value> {
    touch.attrs.iter().find_map(|op| match op {
        AttrOp::Set { key: k, value, .. } if *k == key => Some(value),
        _ => None,
    })
}

fn sample_onu(status: OnuStatus, rx: Option<f64>) -> Onu {
    Onu {
        serial: "hwtc1a2b3c4d".into(),
        login: Some("joao.silva".into()),
        olt: "olt-centro-1".into(),
        board: Some(0),
        port: Some(3),
        onu_id: Some(7),
        splitter: None,
        status,
        rx_dbm: rx,
        tx_dbm: Some(2.1),
        olt_rx_dbm: None,
        last_down_cause: Some("dying-gasp".into()),
        last_down_ms: Some(500),
        distance_m: Some(1200),
        model: Some("HG8310M".into()),
    }
}

#[test]
fn onu_builds_olt_pon_onu_subscriber_chain() {
    let fx = map(
        &obs(
            ObservationKind::Onu(sample_onu(OnuStatus::Online, Some(-20.5))),
            &[],
        ),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(fx.primary, Some(id("onu:HWTC1A2B3C4D")));
    assert_eq!(fx.site_entity, Some(id("olt:olt-centro-1")));
    assert_eq!(
        edges(&fx),
        vec![
            (
                "olt:olt-centro-1".into(),
                "pon_port:olt-centro-1/0/3".into(),
                "fibre".into()
            ),
            (
                "pon_port:olt-centro-1/0/3".into(),
                "onu:HWTC1A2B3C4D".into(),
                "fibre".into()
            ),
            (
                "onu:HWTC1A2B3C4D".into(),
                "subscriber:joao.silva".into(),
                "ethernet".into()
            ),
        ]
    );
    assert_eq!(
        one_state(&fx),
        ("onu:HWTC1A2B3C4D".into(), State::Up, "online".into())
    );
    let onu = &fx.touches[0];
    assert_eq!(attr(onu, "rx_dbm"), Some(&json!(-20.5)));
    assert_eq!(attr(onu, "model"), Some(&json!("HG8310M")));
    assert_eq!(attr(onu, "last_down_cause"), Some(&json!("dying-gasp")));
    assert_eq!(attr(onu, "distance_m"), Some(&json!(1200)));
    let names: Vec<&str> = fx.samples.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["rx_dbm", "tx_dbm"]);
}

#[test]
fn onu_with_splitter_hangs_below_it() {
    let mut onu = sample_onu(OnuStatus::Online, None);
    onu.splitter = Some("CTO-12".into());
    onu.login = None;
    let fx = map(&obs(ObservationKind::Onu(onu), &[]), &Thresholds::default()).unwrap();
    let edges = edges(&fx);
    assert_eq!(edges.len(), 3, "{edges:?}");
    assert_eq!(edges[1].0, "pon_port:olt-centro-1/0/3");
    assert_eq!(edges[1].1, "splitter:CTO-12");
    assert_eq!(edges[2].0, "splitter:CTO-12");
    assert_eq!(edges[2].1, "onu:HWTC1A2B3C4D");
}

#[test]
fn onu_status_maps_to_state_and_reason() {
    let th = Thresholds::default();
    let cases = [
        (OnuStatus::Los, Some(-20.0), State::Down, "LOS"),
        (OnuStatus::PowerFail, None, State::Down, "power fail"),
        (OnuStatus::Offline, None, State::Down, "offline"),
        (
            OnuStatus::Unknown,
            None,
            State::Unknown,
            "vendor reports unknown",
        ),
        (
            OnuStatus::Online,
            Some(-27.5),
            State::Degraded,
            "rx -27.5 dBm below -25 dBm",
        ),
        (
            OnuStatus::Online,
            Some(-5.0),
            State::Degraded,
            "rx -5 dBm above -8 dBm",
        ),
        (OnuStatus::Online, Some(-24.9), State::Up, "online"),
    ];
    for (status, rx, state, reason) in cases {
        let fx = map(&obs(ObservationKind::Onu(sample_onu(status, rx)), &[]), &th).unwrap();
        let (_, got_state, got_reason) = one_state(&fx);
        assert_eq!(
            (got_state, got_reason.as_str()),
            (state, reason),
            "{status:?}"
        );
    }
    let strict = Thresholds {
        onu_rx_min_dbm: -20.0,
        ..Thresholds::default()
    };
    let fx = map(
        &obs(
            ObservationKind::Onu(sample_onu(OnuStatus::Online, Some(-24.9))),
            &[],
        ),
        &strict,
    )
    .unwrap();
    assert_eq!(one_state(&fx).1, State::Degraded);
}

#[test]
fn pppoe_session_maps_subscriber_and_concentrator() {
    let session = PppoeSession {
        login: " joao.silva ".into(),
        online: false,
        address: Some("100.64.1.2".into()),
        concentrator: "bnas-centro".into(),
        caller_id: Some("AA:BB:CC:00:11:22".into()),
        since_ms: None,
        last_disconnect_reason: Some("peer-not-responding".into()),
    };
    let fx = map(
        &obs(ObservationKind::PppoeSession(session.clone()), &[]),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(
        edges(&fx),
        vec![(
            "concentrator:bnas-centro".into(),
            "subscriber:joao.silva".into(),
            "logical".into()
        )]
    );
    assert_eq!(
        one_state(&fx),
        (
            "subscriber:joao.silva".into(),
            State::Down,
            "no session (peer-not-responding)".into()
        )
    );
    assert_eq!(fx.site_entity, Some(id("concentrator:bnas-centro")));
    let online = PppoeSession {
        online: true,
        ..session
    };
    let fx = map(
        &obs(ObservationKind::PppoeSession(online), &[]),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(one_state(&fx).1, State::Up);
}

fn radio(status: RadioStatus, rssi: Option<f64>, snr: Option<f64>) -> RadioLink {
    RadioLink {
        sm_mac: "0A-00-3E-AA-BB-01".into(),
        ap_mac: Some("0a003eaa0001".into()),
        tower: Some("Torre Norte".into()),
        status,
        rssi_dbm: rssi,
        snr_db: snr,
        modulation: Some("8x".into()),
        rate_bps: Some(100_000_000),
    }
}

#[test]
fn radio_link_maps_sm_ap_tower() {
    let fx = map(
        &obs(
            ObservationKind::RadioLink(radio(RadioStatus::Connected, Some(-60.0), Some(30.0))),
            &[],
        ),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(
        edges(&fx),
        vec![
            (
                "access_point:0a:00:3e:aa:00:01".into(),
                "subscriber_module:0a:00:3e:aa:bb:01".into(),
                "radio".into()
            ),
            (
                "tower:Torre Norte".into(),
                "access_point:0a:00:3e:aa:00:01".into(),
                "ethernet".into()
            ),
        ]
    );
    assert_eq!(one_state(&fx).1, State::Up);
    assert_eq!(fx.site_entity, Some(id("tower:Torre Norte")));
}

#[test]
fn radio_link_state_follows_status_and_thresholds() {
    let th = Thresholds::default();
    let cases = [
        (RadioStatus::Disconnected, None, None, State::Down),
        (RadioStatus::Unknown, None, None, State::Unknown),
        (
            RadioStatus::Connected,
            Some(-85.0),
            Some(30.0),
            State::Degraded,
        ),
        (
            RadioStatus::Connected,
            Some(-60.0),
            Some(9.0),
            State::Degraded,
        ),
        (RadioStatus::Connected, None, None, State::Up),
    ];
    for (status, rssi, snr, state) in cases {
        let fx = map(
            &obs(ObservationKind::RadioLink(radio(status, rssi, snr)), &[]),
            &th,
        )
        .unwrap();
        assert_eq!(one_state(&fx).1, state, "{status:?} {rssi:?} {snr:?}");
    }
}

#[test]
fn radio_link_without_ap_hangs_on_tower() {
    let mut link = radio(RadioStatus::Connected, None, None);
    link.ap_mac = None;
    let fx = map(
        &obs(ObservationKind::RadioLink(link), &[]),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(
        edges(&fx),
        vec![(
            "tower:Torre Norte".into(),
            "subscriber_module:0a:00:3e:aa:bb:01".into(),
            "radio".into()
        )]
    );
}

#[test]
fn customer_maps_billing_and_logins() {
    let customer = Customer {
        id: "1234".into(),
        name: "João Silva".into(),
        logins: vec!["joao.silva".into(), " ".into(), "joao.silva2".into()],
        billing: BillingState::Blocked,
        billing_code: Some("CA".into()),
        plan: Some("300M".into()),
        address: None,
    };
    let fx = map(
        &obs(ObservationKind::Customer(customer), &[]),
        &Thresholds::default(),
    )
    .unwrap();
    assert!(fx.states.is_empty(), "customers carry no operational state");
    assert_eq!(fx.touches[0].name.as_deref(), Some("João Silva"));
    assert_eq!(attr(&fx.touches[0], "billing"), Some(&json!("blocked")));
    assert_eq!(attr(&fx.touches[0], "billing_code"), Some(&json!("CA")));
    let children: Vec<String> = edges(&fx).into_iter().map(|e| e.1).collect();
    assert_eq!(
        children,
        ["subscriber:joao.silva", "subscriber:joao.silva2"]
    );
}

#[test]
fn topology_edge_is_taken_as_given() {
    let edge = TopologyEdge {
        child: EntityRef {
            kind: EntityKind::Subscriber,
            id: "maria".into(),
        },
        parent: EntityRef {
            kind: EntityKind::CrmGroup,
            id: "FTTH-CENTRO-PON3".into(),
        },
        edge_kind: EdgeKind::Other("Conexao".into()),
    };
    let fx = map(
        &obs(ObservationKind::TopologyEdge(edge), &[]),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(
        edges(&fx),
        vec![(
            "crm_group:FTTH-CENTRO-PON3".into(),
            "subscriber:maria".into(),
            "conexao".into()
        )]
    );
    assert!(fx.edges[0].exclusive_of.is_empty());
    assert!(fx.states.is_empty());
}

fn reach(up: bool, received: u32) -> Reachability {
    Reachability {
        address: "10.0.0.1".into(),
        up,
        sent: 3,
        received,
        rtt_min_us: None,
        rtt_avg_us: up.then_some(800),
        rtt_max_us: None,
        rtt_jitter_us: None,
        detail: None,
    }
}

#[test]
fn reachability_targets_label_entity_or_host() {
    let fx = map(
        &obs(ObservationKind::Reachability(reach(false, 0)), &[]),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(
        one_state(&fx),
        (
            "host:10.0.0.1".into(),
            State::Down,
            "3 of 3 echoes lost".into()
        )
    );
    let fx = map(
        &obs(
            ObservationKind::Reachability(reach(true, 2)),
            &[(ENTITY_LABEL, "olt:olt-centro-1"), (SITE_LABEL, "centro")],
        ),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(
        one_state(&fx),
        (
            "olt:olt-centro-1".into(),
            State::Up,
            "2 of 3 echoes answered".into()
        )
    );
    let loss = fx.samples.iter().find(|s| s.name == "loss_ratio").unwrap();
    assert!((loss.value - 1.0 / 3.0).abs() < 1e-9);
    // A bad entity label falls back to the host entity.
    let fx = map(
        &obs(
            ObservationKind::Reachability(reach(true, 3)),
            &[(ENTITY_LABEL, "nokind")],
        ),
        &Thresholds::default(),
    )
    .unwrap();
    assert_eq!(fx.primary, Some(id("host:10.0.0.1")));
}

#[test]
fn site_label_becomes_a_pop_id() {
    let o = obs(
        ObservationKind::Reachability(reach(true, 3)),
        &[(SITE_LABEL, " centro ")],
    );
    assert_eq!(site_label(&o), Some(id("pop:centro")));
    let o = obs(
        ObservationKind::Reachability(reach(true, 3)),
        &[(SITE_LABEL, "pop:norte")],
    );
    assert_eq!(site_label(&o), Some(id("pop:norte")));
}

#[test]
fn metric_is_a_sample_of_the_target() {
    let metric = Metric {
        name: "cpu_load".into(),
        metric_kind: MetricKind::Gauge,
        value: 0.42,
        unit: "ratio".into(),
        metric_labels: vec![("core".into(), "1".into()), ("board".into(), "0".into())],
    };
    let fx = map(
        &obs(ObservationKind::Metric(metric), &[]),
        &Thresholds::default(),
    )
    .unwrap();
    assert!(fx.states.is_empty());
    assert_eq!(fx.samples.len(), 1);
    let s = &fx.samples[0];
    assert_eq!(s.entity, id("host:t-1"));
    assert_eq!(s.name, "cpu_load");
    assert_eq!(
        s.labels,
        vec![("board".into(), "0".into()), ("core".into(), "1".into())],
        "labels are sorted so the series key is stable"
    );
}

#[test]
fn interface_is_an_attribute_entry() {
    let status = InterfaceStatus {
        index: 3,
        name: "sfp1".into(),
        alias: Some("uplink".into()),
        admin_status: LinkStatus::Up,
        oper_status: LinkStatus::LowerLayerDown,
        speed_bps: Some(1_000_000_000),
        in_octets: Some(1),
        out_octets: None,
        in_errors: None,
        out_errors: None,
        in_discards: None,
        out_discards: None,
    };
    let fx = map(
        &obs(
            ObservationKind::Interface(status),
            &[(ENTITY_LABEL, "router:rb-centro")],
        ),
        &Thresholds::default(),
    )
    .unwrap();
    assert!(
        fx.states.is_empty(),
        "an interface does not decide the device's state"
    );
    match &fx.touches[0].attrs[0] {
        AttrOp::Interface { name, value } => {
            assert_eq!(name, "sfp1");
            assert_eq!(value["oper"], "lower_layer_down");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(fx.touches[0].id, id("router:rb-centro"));
}

#[test]
fn alarm_is_recorded_on_its_source() {
    let alarm = Alarm {
        source: EntityRef {
            kind: EntityKind::Olt,
            id: "olt-centro-1".into(),
        },
        severity: Severity::Major,
        code: "PON_LOS".into(),
        text: "PON 0/3 LOS".into(),
        raised_ms: Some(900),
        cleared_ms: None,
    };
    let fx = map(
        &obs(ObservationKind::Alarm(alarm), &[]),
        &Thresholds::default(),
    )
    .unwrap();
    assert!(fx.states.is_empty());
    match &fx.touches[0].attrs[0] {
        AttrOp::Alarm(value) => {
            assert_eq!(value["code"], "PON_LOS");
            assert_eq!(value["severity"], "major");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn failure_never_names_entities() {
    let failure = PluginError {
        class: ErrorClass::Timeout,
        message: "olt did not answer".into(),
    };
    let fx = map(
        &obs(ObservationKind::Failure(failure), &[]),
        &Thresholds::default(),
    )
    .unwrap();
    assert!(fx.touches.is_empty() && fx.states.is_empty() && fx.edges.is_empty());
    assert_eq!(
        fx.failure.as_deref(),
        Some("t-1: timeout: olt did not answer")
    );
}

#[test]
fn invalid_ids_are_errors() {
    let mut onu = sample_onu(OnuStatus::Online, None);
    onu.serial = "  ".into();
    assert!(map(&obs(ObservationKind::Onu(onu), &[]), &Thresholds::default()).is_err());
}
