//! Invalid run results give the right error. (Round trips are in `tests/run_round_trip.rs`.)

use vigia_core::run as domain;

use super::run_results_from_proto;
use crate::ConvertError;
use crate::agent::v1 as pb;
use pb::run_result::Outcome;

fn valid() -> pb::RunResult {
    pb::RunResult {
        probe: "cpe-ping".into(),
        plugin: Some(pb::PluginRef {
            plugin_id: "ping".into(),
            version: "0.1.0".into(),
            sha256: vec![7; 32],
        }),
        run_id: "r-1".into(),
        started_at_ms: 1,
        finished_at_ms: 2,
        outcome: Some(Outcome::Fault(pb::Fault {
            kind: pb::FaultKind::Timeout.into(),
            message: "deadline".into(),
        })),
    }
}

fn convert(result: pb::RunResult) -> Result<domain::RunResult, ConvertError> {
    result.try_into()
}

#[test]
fn valid_fault_converts() {
    let got = convert(valid()).unwrap();
    assert_eq!(got.plugin.sha256, [7; 32]);
    assert_eq!(
        got.outcome,
        domain::RunOutcome::Fault {
            kind: domain::FaultKind::Timeout,
            message: "deadline".into()
        }
    );
}

#[test]
fn missing_outcome_and_plugin_are_errors() {
    let err = convert(pb::RunResult {
        outcome: None,
        ..valid()
    })
    .unwrap_err();
    assert_eq!(
        err,
        ConvertError::Missing {
            field: "run_result.outcome"
        }
    );
    let err = convert(pb::RunResult {
        plugin: None,
        ..valid()
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "run_result.plugin is missing");
}

#[test]
fn a_sha256_of_the_wrong_length_is_an_error() {
    let mut short = valid();
    if let Some(plugin) = short.plugin.as_mut() {
        plugin.sha256 = vec![1; 31];
    }
    let err = convert(short).unwrap_err();
    assert_eq!(err.to_string(), "invalid run_result.plugin");
    assert_eq!(
        err.root(),
        &ConvertError::InvalidLength {
            field: "plugin_ref.sha256",
            expected: 32,
            actual: 31
        }
    );
    assert_eq!(
        err.root().to_string(),
        "plugin_ref.sha256 must be 32 bytes, got 31"
    );
}

#[test]
fn unspecified_and_unknown_fault_kinds_are_errors() {
    for (value, expected) in [
        (
            0,
            ConvertError::Unspecified {
                field: "fault.kind",
            },
        ),
        (
            99,
            ConvertError::UnknownEnumValue {
                field: "fault.kind",
                value: 99,
            },
        ),
    ] {
        let bad = pb::RunResult {
            outcome: Some(Outcome::Fault(pb::Fault {
                kind: value,
                message: String::new(),
            })),
            ..valid()
        };
        assert_eq!(convert(bad).unwrap_err(), expected);
    }
}

#[test]
fn an_invalid_plugin_error_is_nested() {
    let bad = pb::RunResult {
        outcome: Some(Outcome::PluginError(pb::PluginError {
            class: 0,
            message: "x".into(),
        })),
        ..valid()
    };
    let err = convert(bad).unwrap_err();
    assert_eq!(err.to_string(), "invalid run_result.plugin_error");
    assert_eq!(
        err.root(),
        &ConvertError::Unspecified {
            field: "plugin_error.class"
        }
    );
}

#[test]
fn a_list_names_the_index_of_the_bad_run() {
    let bad = pb::RunResult {
        outcome: None,
        ..valid()
    };
    let err = run_results_from_proto(vec![valid(), bad]).unwrap_err();
    assert_eq!(err.to_string(), "invalid run result at index 1");
    assert_eq!(
        err.root(),
        &ConvertError::Missing {
            field: "run_result.outcome"
        }
    );
    assert_eq!(run_results_from_proto(vec![valid()]).unwrap().len(), 1);
}
