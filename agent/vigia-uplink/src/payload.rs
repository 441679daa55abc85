//! The spool payload format: one encoded `ResultBatch` holding only `results`. `epoch`,
//! `sequence` and `live` stay unset in the spool and are filled in when the batch is sent, so a
//! payload's compatibility is the wire contract's compatibility.

use vigia_core::run::RunResult;
use vigia_proto::agent::v1 as pb;
use vigia_proto::{Message, decode};

use crate::error::PayloadError;

/// Encodes runs as a spool payload (append the bytes with `Spool::append`).
pub fn encode_batch(results: Vec<RunResult>) -> Vec<u8> {
    pb::ResultBatch {
        epoch: 0,
        sequence: 0,
        live: false,
        results: results.into_iter().map(Into::into).collect(),
    }
    .encode_to_vec()
}

/// Decodes a spool payload back into its runs (e.g. to inspect a quarantined record).
pub fn decode_batch(payload: &[u8]) -> Result<Vec<RunResult>, PayloadError> {
    let batch = decode_payload(payload, usize::MAX)?;
    Ok(vigia_proto::convert::run_results_from_proto(batch.results)?)
}

/// Decodes a spool payload back into the batch to send, refusing anything that is not what
/// [`encode_batch`] writes: bytes that do not decode, no results, header fields already set, or a
/// batch larger than `max_bytes`. Run contents are not converted: the aggregator validates them.
pub(crate) fn decode_payload(
    payload: &[u8],
    max_bytes: usize,
) -> Result<pb::ResultBatch, PayloadError> {
    if payload.len() > max_bytes {
        return Err(PayloadError::TooLarge {
            len: payload.len(),
            max: max_bytes,
        });
    }
    let batch: pb::ResultBatch = decode(payload)?;
    if batch.epoch != 0 || batch.sequence != 0 || batch.live {
        return Err(PayloadError::HeaderSet {
            epoch: batch.epoch,
            sequence: batch.sequence,
            live: batch.live,
        });
    }
    if batch.results.is_empty() {
        return Err(PayloadError::Empty);
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use vigia_core::run::{FaultKind, PluginRef, RunOutcome};

    use super::*;

    fn run(id: &str) -> RunResult {
        RunResult {
            probe: "cpe-ping".into(),
            plugin: PluginRef {
                plugin_id: "ping".into(),
                version: "0.1.0".into(),
                sha256: [3; 32],
            },
            run_id: id.into(),
            started_at_ms: 1,
            finished_at_ms: 2,
            outcome: RunOutcome::Fault {
                kind: FaultKind::Timeout,
                message: "deadline".into(),
            },
        }
    }

    #[test]
    fn encoded_runs_decode_with_an_empty_header() {
        let bytes = encode_batch(vec![run("a"), run("b")]);
        let batch = decode_payload(&bytes, 1 << 20).unwrap();
        assert_eq!((batch.epoch, batch.sequence, batch.live), (0, 0, false));
        let back = vigia_proto::convert::run_results_from_proto(batch.results).unwrap();
        assert_eq!(back, vec![run("a"), run("b")]);
        assert_eq!(decode_batch(&bytes).unwrap(), vec![run("a"), run("b")]);
    }

    #[test]
    fn garbage_is_a_decode_error() {
        let err = decode_payload(b"\xff\xff\xff not protobuf", 1 << 20).unwrap_err();
        assert!(matches!(err, PayloadError::Decode(_)), "{err:?}");
        assert_eq!(err.to_string(), "payload is not a ResultBatch");
    }

    #[test]
    fn runs_the_domain_cannot_hold_are_a_convert_error() {
        let mut bad: pb::RunResult = run("a").into();
        bad.outcome = None;
        let bytes = pb::ResultBatch {
            results: vec![bad],
            ..Default::default()
        }
        .encode_to_vec();
        assert!(decode_payload(&bytes, 1 << 20).is_ok(), "sent as is");
        let err = decode_batch(&bytes).unwrap_err();
        assert!(matches!(err, PayloadError::Convert(_)), "{err:?}");
    }

    #[test]
    fn an_empty_batch_is_refused() {
        let err = decode_payload(&encode_batch(vec![]), 1 << 20).unwrap_err();
        assert!(matches!(err, PayloadError::Empty), "{err:?}");
    }

    #[test]
    fn a_payload_with_a_header_is_refused() {
        let bytes = pb::ResultBatch {
            epoch: 0,
            sequence: 7,
            live: false,
            results: vec![run("a").into()],
        }
        .encode_to_vec();
        let err = decode_payload(&bytes, 1 << 20).unwrap_err();
        assert!(
            matches!(err, PayloadError::HeaderSet { sequence: 7, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn an_oversized_payload_is_refused_before_decoding() {
        let bytes = encode_batch(vec![run("a")]);
        let err = decode_payload(&bytes, bytes.len() - 1).unwrap_err();
        assert!(matches!(err, PayloadError::TooLarge { .. }), "{err:?}");
    }
}
