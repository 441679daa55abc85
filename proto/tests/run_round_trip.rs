//! Property tests: every run result (each outcome, each fault kind) survives core → proto →
//! bytes → proto → core unchanged, alone and as the `results` of a `ResultBatch`.

#[path = "support/strategies.rs"]
mod strategies;

use proptest::prelude::*;
use strategies::{any_kind, observation, plugin_error, text};
use vigia_core::run::{FaultKind, PluginRef, RunOutcome, RunResult};
use vigia_proto::agent::v1 as pb;
use vigia_proto::{Message, convert::run_results_from_proto, decode};

fn plugin_ref() -> impl Strategy<Value = PluginRef> {
    (text(), text(), any::<[u8; 32]>()).prop_map(|(plugin_id, version, sha256)| PluginRef {
        plugin_id,
        version,
        sha256,
    })
}

fn fault_kind() -> impl Strategy<Value = FaultKind> {
    use FaultKind::*;
    prop::sample::select(vec![
        Timeout,
        MemoryLimit,
        Panic,
        Trap,
        OutputTooLarge,
        HostCallBudget,
        Instantiate,
    ])
}

fn outcome() -> impl Strategy<Value = RunOutcome> {
    prop_oneof![
        prop::collection::vec(observation(any_kind()), 0..4).prop_map(RunOutcome::Observations),
        plugin_error().prop_map(RunOutcome::Failed),
        (fault_kind(), text()).prop_map(|(kind, message)| RunOutcome::Fault { kind, message }),
    ]
}

fn run_result() -> impl Strategy<Value = RunResult> {
    (
        text(),
        plugin_ref(),
        text(),
        any::<u64>(),
        any::<u64>(),
        outcome(),
    )
        .prop_map(
            |(probe, plugin, run_id, started_at_ms, finished_at_ms, outcome)| RunResult {
                probe,
                plugin,
                run_id,
                started_at_ms,
                finished_at_ms,
                outcome,
            },
        )
}

/// A new outcome must get a generator above: this `match` stops compiling until it is listed.
#[allow(dead_code)]
fn every_outcome_has_a_generator(outcome: &RunOutcome) {
    match outcome {
        RunOutcome::Observations(_) | RunOutcome::Failed(_) | RunOutcome::Fault { .. } => {}
    }
}

proptest! {
    #[test]
    fn run_results_round_trip(original in run_result()) {
        let sent = pb::RunResult::from(original.clone());
        let bytes = sent.encode_to_vec();
        let received: pb::RunResult =
            decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&received, &sent);
        let back = RunResult::try_from(received).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, original);
    }

    #[test]
    fn batches_of_runs_round_trip(runs in prop::collection::vec(run_result(), 1..4)) {
        let batch = pb::ResultBatch {
            epoch: 9,
            sequence: 1,
            live: true,
            results: runs.iter().cloned().map(Into::into).collect(),
        };
        let received: pb::ResultBatch =
            decode(&batch.encode_to_vec()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = run_results_from_proto(received.results)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, runs);
    }
}

#[test]
fn every_fault_kind_maps_to_its_namesake() {
    use FaultKind::*;
    let pairs = [
        (Timeout, pb::FaultKind::Timeout),
        (MemoryLimit, pb::FaultKind::MemoryLimit),
        (Panic, pb::FaultKind::Panic),
        (Trap, pb::FaultKind::Trap),
        (OutputTooLarge, pb::FaultKind::OutputTooLarge),
        (HostCallBudget, pb::FaultKind::HostCallBudget),
        (Instantiate, pb::FaultKind::Instantiate),
    ];
    for (domain, wire) in pairs {
        assert_eq!(pb::FaultKind::from(domain), wire);
        assert_eq!(
            domain.as_str().to_uppercase(),
            wire.as_str_name().trim_start_matches("FAULT_KIND_"),
        );
    }
}
