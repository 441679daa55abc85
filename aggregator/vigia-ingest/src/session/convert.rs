//! Checking agent messages and turning them into the ingest's own types (prost types stay here).

use tonic::{Code, Status};
use vigia_core::run::RunResult;
use vigia_proto::ConvertError;
use vigia_proto::Message;
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_message::Message as FromAgent;
use vigia_proto::convert::run_results_from_proto;
use vigia_store::Batch;

use crate::agents::{Health, HelloInfo};

/// A valid batch: what the store keeps, and its runs for the live state (`Err` when they do not
/// convert to the domain types: the batch is still stored, the reason is logged).
#[derive(Debug)]
pub(super) struct Received {
    pub(super) batch: Batch,
    pub(super) runs: Result<Vec<RunResult>, ConvertError>,
}

/// Checks a batch against the contract and the stream, and encodes it for the store.
pub(super) fn validate_batch(batch: pb::ResultBatch, epoch: u64) -> Result<Received, Status> {
    let seq = batch.sequence;
    if batch.epoch != epoch {
        return Err(Status::invalid_argument(format!(
            "batch {seq}: epoch {} differs from the stream's epoch {epoch} (from hello)",
            batch.epoch
        )));
    }
    if seq == 0 {
        return Err(Status::invalid_argument(
            "batch sequence 0 is invalid: sequences start at 1",
        ));
    }
    if i64::try_from(seq).is_err() {
        return Err(Status::invalid_argument(format!(
            "batch sequence {seq} is above the largest supported (2^63-1)"
        )));
    }
    if batch.results.is_empty() {
        return Err(Status::invalid_argument(format!(
            "batch {seq} carries no results (at least one is required)"
        )));
    }
    let payload = batch.encode_to_vec();
    Ok(Received {
        batch: Batch {
            seq,
            live: batch.live,
            payload,
        },
        runs: run_results_from_proto(batch.results),
    })
}

/// An error from the agent's request stream: `Ok` when the agent sent something unreadable
/// (oversized, undecodable or truncated: reworded for the agent as `OUT_OF_RANGE` or
/// `INVALID_ARGUMENT`), `Err` when the connection itself was lost (status kept).
pub(super) fn inbound_error(status: Status) -> Result<Status, Status> {
    match status.code() {
        Code::OutOfRange => Ok(Status::out_of_range(format!(
            "message too large: {}",
            status.message()
        ))),
        Code::Internal => Ok(Status::invalid_argument(format!(
            "malformed message: {}",
            status.message()
        ))),
        _ => Err(status),
    }
}

/// The name of a message kind, for errors and logs.
pub(super) fn kind(message: &FromAgent) -> &'static str {
    match message {
        FromAgent::Hello(_) => "hello",
        FromAgent::ResultBatch(_) => "result_batch",
        FromAgent::Heartbeat(_) => "heartbeat",
        FromAgent::ProbeAnswer(_) => "probe_answer",
        FromAgent::PluginStatus(_) => "plugin_status",
    }
}

pub(super) fn hello_info(hello: &pb::Hello) -> HelloInfo {
    HelloInfo {
        agent_version: hello.agent_version.clone(),
        epoch: hello.epoch,
        claimed_id: hello.agent_id.clone(),
        plugin_wit_versions: hello.plugin_wit_versions.clone(),
    }
}

pub(super) fn health(heartbeat: &pb::Heartbeat) -> Health {
    Health {
        spool_records: heartbeat.spool_records,
        spool_bytes: heartbeat.spool_bytes,
        oldest_unacked_age_ms: heartbeat.oldest_unacked_age_ms,
        dropped_records: heartbeat.dropped_records,
        plugin_faults: heartbeat.plugin_faults,
        budget_exhaustions: heartbeat.budget_exhaustions,
        last_ack_at_ms: heartbeat.last_ack_at_ms,
        uptime_ms: heartbeat.uptime_ms,
        probe_runs: heartbeat.probe_runs,
        skipped_overlapping_runs: heartbeat.skipped_overlapping_runs,
        sent_at_ms: heartbeat.sent_at_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(epoch: u64, sequence: u64, results: usize) -> pb::ResultBatch {
        pb::ResultBatch {
            epoch,
            sequence,
            live: true,
            results: vec![pb::RunResult::default(); results],
        }
    }

    #[test]
    fn a_valid_batch_is_encoded_as_received() {
        let valid = validate_batch(batch(3, 5, 2), 3).expect("valid");
        assert_eq!((valid.batch.seq, valid.batch.live), (5, true));
        let decoded: pb::ResultBatch = vigia_proto::decode(&valid.batch.payload).expect("decodes");
        assert_eq!(decoded, batch(3, 5, 2));
        // Empty runs have no outcome: stored as received, but not convertible for the state.
        let error = valid.runs.expect_err("no outcome").to_string();
        assert_eq!(error, "invalid run result at index 0");
    }

    #[test]
    fn contract_violations_are_invalid_argument_with_the_reason() {
        for (bad, reason) in [
            (batch(4, 5, 1), "epoch 4 differs from the stream's epoch 3"),
            (batch(3, 0, 1), "sequence 0 is invalid"),
            (batch(3, u64::MAX, 1), "above the largest supported"),
            (batch(3, 5, 0), "carries no results"),
        ] {
            let status = validate_batch(bad, 3).expect_err(reason);
            assert_eq!(status.code(), Code::InvalidArgument);
            assert!(status.message().contains(reason), "{}", status.message());
        }
    }
}
