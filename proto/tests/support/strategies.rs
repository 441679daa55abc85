//! proptest strategies for every domain type of `vigia_core`, shared by the round-trip tests
//! with `#[path = "support/strategies.rs"] mod strategies;`.

#![allow(dead_code)]

use proptest::option::of;
use proptest::prelude::*;
use vigia_core::{
    Alarm, BillingState, Customer, EdgeKind, EntityKind, EntityRef, ErrorClass, InterfaceStatus,
    Label, LinkStatus, Metric, MetricKind, Observation, ObservationKind, Onu, OnuStatus,
    PluginError, PppoeSession, RadioLink, RadioStatus, Reachability, Severity, TopologyEdge,
};

pub fn text() -> impl Strategy<Value = String> {
    // Mostly short; any Unicode scalar, including the empty string.
    proptest::string::string_regex("(?s).{0,12}").expect("valid regex")
}

/// Finite floats only: NaN round-trips bit for bit but is not `==` to itself.
pub fn float() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

pub fn labels() -> impl Strategy<Value = Vec<Label>> {
    prop::collection::vec((text(), text()), 0..4)
}

pub fn reachability() -> impl Strategy<Value = Reachability> {
    (
        text(),
        any::<bool>(),
        any::<u32>(),
        any::<u32>(),
        of(any::<u32>()),
        of(any::<u32>()),
        of(any::<u32>()),
        of(any::<u32>()),
        of(text()),
    )
        .prop_map(
            |(
                address,
                up,
                sent,
                received,
                rtt_min_us,
                rtt_avg_us,
                rtt_max_us,
                rtt_jitter_us,
                detail,
            )| {
                Reachability {
                    address,
                    up,
                    sent,
                    received,
                    rtt_min_us,
                    rtt_avg_us,
                    rtt_max_us,
                    rtt_jitter_us,
                    detail,
                }
            },
        )
}

pub fn metric() -> impl Strategy<Value = Metric> {
    let kind = prop_oneof![Just(MetricKind::Gauge), Just(MetricKind::Counter)];
    (text(), kind, float(), text(), labels()).prop_map(
        |(name, metric_kind, value, unit, metric_labels)| Metric {
            name,
            metric_kind,
            value,
            unit,
            metric_labels,
        },
    )
}

pub fn link_status() -> impl Strategy<Value = LinkStatus> {
    use LinkStatus::*;
    prop::sample::select(vec![
        Up,
        Down,
        Testing,
        Dormant,
        NotPresent,
        LowerLayerDown,
        Unknown,
    ])
}

pub fn interface() -> impl Strategy<Value = InterfaceStatus> {
    let counters = (
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
        of(any::<u64>()),
    );
    (
        any::<u32>(),
        text(),
        of(text()),
        link_status(),
        link_status(),
        counters,
    )
        .prop_map(
            |(index, name, alias, admin_status, oper_status, c)| InterfaceStatus {
                index,
                name,
                alias,
                admin_status,
                oper_status,
                speed_bps: c.0,
                in_octets: c.1,
                out_octets: c.2,
                in_errors: c.3,
                out_errors: c.4,
                in_discards: c.5,
                out_discards: c.6,
            },
        )
}

pub fn pppoe_session() -> impl Strategy<Value = PppoeSession> {
    (
        text(),
        any::<bool>(),
        of(text()),
        text(),
        of(text()),
        of(any::<u64>()),
        of(text()),
    )
        .prop_map(
            |(login, online, address, concentrator, caller_id, since_ms, reason)| PppoeSession {
                login,
                online,
                address,
                concentrator,
                caller_id,
                since_ms,
                last_disconnect_reason: reason,
            },
        )
}

pub fn onu() -> impl Strategy<Value = Onu> {
    use OnuStatus::*;
    let status = prop::sample::select(vec![Online, Offline, Los, PowerFail, Unknown]);
    let place = (
        text(),
        of(text()),
        text(),
        of(any::<u32>()),
        of(any::<u32>()),
        of(any::<u32>()),
        of(text()),
    );
    let optics = (
        status,
        of(float()),
        of(float()),
        of(float()),
        of(text()),
        of(any::<u64>()),
        of(any::<u32>()),
        of(text()),
    );
    (place, optics).prop_map(|(p, o)| Onu {
        serial: p.0,
        login: p.1,
        olt: p.2,
        board: p.3,
        port: p.4,
        onu_id: p.5,
        splitter: p.6,
        status: o.0,
        rx_dbm: o.1,
        tx_dbm: o.2,
        olt_rx_dbm: o.3,
        last_down_cause: o.4,
        last_down_ms: o.5,
        distance_m: o.6,
        model: o.7,
    })
}

pub fn radio_link() -> impl Strategy<Value = RadioLink> {
    use RadioStatus::*;
    let status = prop::sample::select(vec![Connected, Disconnected, Unknown]);
    (
        text(),
        of(text()),
        of(text()),
        status,
        of(float()),
        of(float()),
        of(text()),
        of(any::<u64>()),
    )
        .prop_map(
            |(sm_mac, ap_mac, tower, status, rssi_dbm, snr_db, modulation, rate_bps)| RadioLink {
                sm_mac,
                ap_mac,
                tower,
                status,
                rssi_dbm,
                snr_db,
                modulation,
                rate_bps,
            },
        )
}

pub fn customer() -> impl Strategy<Value = Customer> {
    use BillingState::*;
    let billing = prop::sample::select(vec![Active, Warned, Blocked, Cancelled, Unknown]);
    (
        text(),
        text(),
        prop::collection::vec(text(), 0..3),
        billing,
        of(text()),
        of(text()),
        of(text()),
    )
        .prop_map(
            |(id, name, logins, billing, billing_code, plan, address)| Customer {
                id,
                name,
                logins,
                billing,
                billing_code,
                plan,
                address,
            },
        )
}

pub fn entity_ref() -> impl Strategy<Value = EntityRef> {
    use EntityKind::*;
    let known = prop::sample::select(vec![
        Pop,
        Concentrator,
        Olt,
        PonPort,
        Splitter,
        Onu,
        Tower,
        AccessPoint,
        SubscriberModule,
        Switch,
        Router,
        BackhaulLink,
        Subscriber,
        Customer,
        CrmGroup,
    ]);
    let kind = prop_oneof![known, text().prop_map(Other)];
    (kind, text()).prop_map(|(kind, id)| EntityRef { kind, id })
}

pub fn topology_edge() -> impl Strategy<Value = TopologyEdge> {
    use EdgeKind::*;
    let known = prop::sample::select(vec![Fibre, Radio, Ethernet, Power, Logical]);
    let edge_kind = prop_oneof![known, text().prop_map(Other)];
    (entity_ref(), entity_ref(), edge_kind).prop_map(|(child, parent, edge_kind)| TopologyEdge {
        child,
        parent,
        edge_kind,
    })
}

pub fn alarm() -> impl Strategy<Value = Alarm> {
    use Severity::*;
    let severity = prop::sample::select(vec![Critical, Major, Minor, Warning, Info]);
    (
        entity_ref(),
        severity,
        text(),
        text(),
        of(any::<u64>()),
        of(any::<u64>()),
    )
        .prop_map(
            |(source, severity, code, text, raised_ms, cleared_ms)| Alarm {
                source,
                severity,
                code,
                text,
                raised_ms,
                cleared_ms,
            },
        )
}

pub fn plugin_error() -> impl Strategy<Value = PluginError> {
    use ErrorClass::*;
    let class = prop::sample::select(vec![
        Config,
        Denied,
        Unreachable,
        Timeout,
        Auth,
        InvalidResponse,
        Unsupported,
        Budget,
        Internal,
    ]);
    (class, text()).prop_map(|(class, message)| PluginError { class, message })
}

/// An observation of the given kind, with random envelope fields.
pub fn observation(
    kind: impl Strategy<Value = ObservationKind>,
) -> impl Strategy<Value = Observation> {
    (text(), any::<u64>(), kind, labels()).prop_map(|(target, observed_at_ms, kind, labels)| {
        Observation {
            target,
            observed_at_ms,
            kind,
            labels,
        }
    })
}

pub fn any_kind() -> impl Strategy<Value = ObservationKind> {
    use ObservationKind as K;
    prop_oneof![
        reachability().prop_map(K::Reachability),
        metric().prop_map(K::Metric),
        interface().prop_map(K::Interface),
        pppoe_session().prop_map(K::PppoeSession),
        onu().prop_map(K::Onu),
        radio_link().prop_map(K::RadioLink),
        customer().prop_map(K::Customer),
        topology_edge().prop_map(K::TopologyEdge),
        alarm().prop_map(K::Alarm),
        plugin_error().prop_map(K::Failure),
    ]
}
