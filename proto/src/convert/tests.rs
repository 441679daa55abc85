//! Invalid protobuf input gives the right error. (Round trips are in `tests/round_trip.rs`.)

use vigia_core as domain;

use super::{ConvertError, observations_from_proto};
use crate::agent::v1 as pb;

fn onu() -> pb::Onu {
    pb::Onu {
        serial: "HWTC0001".into(),
        olt: "olt-1".into(),
        status: pb::OnuStatus::Online.into(),
        ..Default::default()
    }
}

fn observation(kind: pb::observation::Kind) -> pb::Observation {
    pb::Observation {
        target: "olt-1".into(),
        observed_at_ms: 1,
        labels: vec![],
        kind: Some(kind),
    }
}

fn entity(kind: pb::EntityKind, other_kind: Option<&str>) -> pb::EntityRef {
    pb::EntityRef {
        kind: kind.into(),
        other_kind: other_kind.map(Into::into),
        id: "x".into(),
    }
}

fn convert(observation: pb::Observation) -> Result<domain::Observation, ConvertError> {
    observation.try_into()
}

#[test]
fn valid_onu_converts() {
    let got = convert(observation(pb::observation::Kind::Onu(onu()))).unwrap();
    let domain::ObservationKind::Onu(onu) = got.kind else {
        panic!("wrong kind: {got:?}");
    };
    assert_eq!(onu.status, domain::OnuStatus::Online);
}

#[test]
fn missing_kind_is_an_error() {
    let mut obs = observation(pb::observation::Kind::Onu(onu()));
    obs.kind = None;
    let err = convert(obs).unwrap_err();
    assert_eq!(
        err,
        ConvertError::Missing {
            field: "observation.kind"
        }
    );
    assert_eq!(err.to_string(), "observation.kind is missing");
}

#[test]
fn unspecified_enum_is_an_error() {
    let bad = pb::Onu {
        status: pb::OnuStatus::Unspecified.into(),
        ..onu()
    };
    let err = convert(observation(pb::observation::Kind::Onu(bad))).unwrap_err();
    assert_eq!(
        err,
        ConvertError::Unspecified {
            field: "onu.status"
        }
    );
    assert_eq!(err.to_string(), "onu.status is unspecified");
}

#[test]
fn unknown_enum_value_is_an_error() {
    let bad = pb::Onu {
        status: 99,
        ..onu()
    };
    let err = convert(observation(pb::observation::Kind::Onu(bad))).unwrap_err();
    assert_eq!(
        err,
        ConvertError::UnknownEnumValue {
            field: "onu.status",
            value: 99
        }
    );
    assert_eq!(err.to_string(), "onu.status has unknown enum value 99");
}

#[test]
fn each_required_enum_is_checked() {
    use pb::observation::Kind;
    let cases: Vec<(Kind, &str)> = vec![
        (Kind::Metric(pb::Metric::default()), "metric.kind"),
        (
            Kind::Interface(pb::InterfaceStatus {
                admin_status: pb::LinkStatus::Up.into(),
                ..Default::default()
            }),
            "interface.oper_status",
        ),
        (
            Kind::Interface(pb::InterfaceStatus::default()),
            "interface.admin_status",
        ),
        (
            Kind::RadioLink(pb::RadioLink::default()),
            "radio_link.status",
        ),
        (Kind::Customer(pb::Customer::default()), "customer.billing"),
        (
            Kind::Failure(pb::PluginError::default()),
            "plugin_error.class",
        ),
        (
            Kind::Alarm(pb::Alarm {
                source: Some(entity(pb::EntityKind::Olt, None)),
                ..Default::default()
            }),
            "alarm.severity",
        ),
        (
            Kind::TopologyEdge(pb::TopologyEdge {
                child: Some(entity(pb::EntityKind::Onu, None)),
                parent: Some(entity(pb::EntityKind::Olt, None)),
                ..Default::default()
            }),
            "topology_edge.kind",
        ),
    ];
    for (kind, field) in cases {
        let err = convert(observation(kind)).unwrap_err();
        assert_eq!(err, ConvertError::Unspecified { field }, "{field}");
    }
}

#[test]
fn entity_errors_name_the_field_they_are_in() {
    let edge = pb::TopologyEdge {
        child: Some(entity(pb::EntityKind::Onu, None)),
        parent: Some(entity(pb::EntityKind::Unspecified, None)),
        kind: pb::EdgeKind::Fibre.into(),
        other_kind: None,
    };
    let err = convert(observation(pb::observation::Kind::TopologyEdge(edge))).unwrap_err();
    assert_eq!(err.to_string(), "invalid topology_edge.parent");
    assert_eq!(
        err.root(),
        &ConvertError::Unspecified {
            field: "entity_ref.kind"
        }
    );

    let alarm = pb::Alarm {
        source: None,
        severity: pb::Severity::Major.into(),
        ..Default::default()
    };
    let err = convert(observation(pb::observation::Kind::Alarm(alarm))).unwrap_err();
    assert_eq!(
        err,
        ConvertError::Missing {
            field: "alarm.source"
        }
    );
}

#[test]
fn other_kinds_need_their_name() {
    let err = domain::EntityRef::try_from(entity(pb::EntityKind::Other, None)).unwrap_err();
    assert_eq!(
        err,
        ConvertError::Missing {
            field: "entity_ref.other_kind"
        }
    );

    let ok = domain::EntityRef::try_from(entity(pb::EntityKind::Other, Some("cabinet"))).unwrap();
    assert_eq!(ok.kind, domain::EntityKind::Other("cabinet".into()));

    // `other_kind` is ignored unless the kind is OTHER.
    let ok = domain::EntityRef::try_from(entity(pb::EntityKind::Olt, Some("stray"))).unwrap();
    assert_eq!(ok.kind, domain::EntityKind::Olt);

    let edge = pb::TopologyEdge {
        child: Some(entity(pb::EntityKind::Onu, None)),
        parent: Some(entity(pb::EntityKind::Olt, None)),
        kind: pb::EdgeKind::Other.into(),
        other_kind: None,
    };
    let err = domain::TopologyEdge::try_from(edge).unwrap_err();
    assert_eq!(
        err,
        ConvertError::Missing {
            field: "topology_edge.other_kind"
        }
    );
}

#[test]
fn list_errors_name_the_index() {
    let good = observation(pb::observation::Kind::Onu(onu()));
    let mut bad = good.clone();
    bad.kind = None;
    let list = pb::ObservationList {
        observations: vec![good.clone(), good, bad],
    };
    let err = observations_from_proto(list).unwrap_err();
    assert_eq!(err.to_string(), "invalid observation at index 2");
    assert_eq!(
        err.root(),
        &ConvertError::Missing {
            field: "observation.kind"
        }
    );
}
