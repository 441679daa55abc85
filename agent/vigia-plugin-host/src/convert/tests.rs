use std::collections::HashSet;

use super::*;

fn metric(target: &str, at: u64) -> wit::Observation {
    wit::Observation {
        target: target.into(),
        observed_at_ms: at,
        kind: wit::ObservationKind::Metric(wit::Metric {
            name: "rx_power".into(),
            kind: wit::MetricKind::Gauge,
            value: -21.5,
            unit: "dBm".into(),
            labels: vec![("port".into(), "1/1/1".into())],
        }),
        labels: vec![],
    }
}

#[test]
fn foreign_targets_are_dropped_and_zero_times_filled() {
    let targets: HashSet<&str> = ["olt-1"].into();
    let mut stats = RunStats::default();
    let before = crate::clock::unix_now_ms();
    let raw = vec![
        metric("olt-1", 0),
        metric("olt-2", 5),
        metric("olt-1", 1_700_000_000_000),
    ];
    let out = observations(raw, &targets, &Limits::default(), &mut stats).unwrap();
    assert_eq!(out.len(), 2);
    assert!(out[0].observed_at_ms >= before);
    assert_eq!(out[1].observed_at_ms, 1_700_000_000_000);
    assert_eq!(stats.observations, 3);
    assert_eq!(stats.foreign_observations_dropped, 1);
    assert!(stats.output_bytes > 100, "{stats:?}");
    match &out[0].kind {
        core::ObservationKind::Metric(m) => {
            assert_eq!(m.metric_kind, core::MetricKind::Gauge);
            assert_eq!(
                m.metric_labels,
                vec![("port".to_owned(), "1/1/1".to_owned())]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn too_many_or_too_large_observations_are_a_fault() {
    let targets: HashSet<&str> = ["t"].into();
    let limits = Limits {
        max_observations: 2,
        ..Limits::default()
    };
    let fault = observations(
        vec![metric("t", 1); 3],
        &targets,
        &limits,
        &mut RunStats::default(),
    )
    .unwrap_err();
    assert_eq!(fault.kind, FaultKind::OutputTooLarge);
    assert_eq!(fault.message, "3 observations, the limit is 2");

    let limits = Limits {
        max_output_bytes: 150,
        ..Limits::default()
    };
    let fault = observations(
        vec![metric("t", 1); 2],
        &targets,
        &limits,
        &mut RunStats::default(),
    )
    .unwrap_err();
    assert_eq!(fault.kind, FaultKind::OutputTooLarge);
    assert!(fault.message.contains("150 bytes"), "{}", fault.message);
}

#[test]
fn failures_and_edges_convert_field_by_field() {
    let targets: HashSet<&str> = ["t"].into();
    let edge = wit::Observation {
        target: "t".into(),
        observed_at_ms: 1,
        kind: wit::ObservationKind::TopologyEdge(wit::TopologyEdge {
            child: wit::EntityRef {
                kind: wit::EntityKind::Onu,
                id: "HWTC1".into(),
            },
            parent: wit::EntityRef {
                kind: wit::EntityKind::Other("cabinet".into()),
                id: "c-9".into(),
            },
            kind: wit::EdgeKind::Fibre,
        }),
        labels: vec![],
    };
    let failure = wit::Observation {
        target: "t".into(),
        observed_at_ms: 1,
        kind: wit::ObservationKind::Failure(wit::PluginError {
            class: wit::ErrorClass::InvalidResponse,
            message: "bad json".into(),
        }),
        labels: vec![("k".into(), "v".into())],
    };
    let out = observations(
        vec![edge, failure],
        &targets,
        &Limits::default(),
        &mut RunStats::default(),
    )
    .unwrap();
    assert_eq!(
        out[0].kind,
        core::ObservationKind::TopologyEdge(core::TopologyEdge {
            child: core::EntityRef {
                kind: core::EntityKind::Onu,
                id: "HWTC1".into()
            },
            parent: core::EntityRef {
                kind: core::EntityKind::Other("cabinet".into()),
                id: "c-9".into()
            },
            edge_kind: core::EdgeKind::Fibre,
        })
    );
    assert_eq!(
        out[1].kind,
        core::ObservationKind::Failure(core::PluginError {
            class: core::ErrorClass::InvalidResponse,
            message: "bad json".into()
        })
    );
    assert_eq!(out[1].labels, vec![("k".to_owned(), "v".to_owned())]);
}
