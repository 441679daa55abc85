//! Garbage and truncated bytes give errors, never panics.

#[path = "support/sample.rs"]
mod sample;

use proptest::prelude::*;
use vigia_proto::agent::v1 as pb;
use vigia_proto::{Message, convert::observations_from_proto, decode};

#[test]
fn every_truncation_of_a_message_is_an_error() {
    // An AgentMessage has one top-level field (its oneof), so any cut inside it leaves a length
    // prefix that promises more bytes than there are.
    for message in [
        sample::agent_hello(),
        sample::agent_result_batch(),
        sample::agent_heartbeat(),
    ] {
        let bytes = message.encode_to_vec();
        for len in 1..bytes.len() {
            let result = decode::<pb::AgentMessage>(&bytes[..len]);
            assert!(
                result.is_err(),
                "decoding {len} of {} bytes succeeded",
                bytes.len()
            );
        }
    }
}

#[test]
fn errors_say_what_was_expected() {
    let error = decode::<pb::ResultBatch>(&[0xff; 16]).unwrap_err();
    assert_eq!(error.message, "ResultBatch");
    assert_eq!(error.len, 16);
    assert_eq!(error.to_string(), "invalid ResultBatch encoding (16 bytes)");
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn malformed_encodings_are_errors() {
    let cases: &[(&str, &[u8])] = &[
        ("wire type 7 does not exist", &[0x0f]),
        ("field number 0 is invalid", &[0x00, 0x00]),
        (
            "varint longer than 10 bytes",
            &[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
        ),
        ("length beyond the input", &[0x12, 0x7f, 0x00]),
        (
            "length near u64::MAX",
            &[
                0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
        ),
        (
            "string field with invalid UTF-8",
            &[0x0a, 0x04, 0x0a, 0x02, 0xc3, 0x28],
        ),
    ];
    for (what, bytes) in cases {
        assert!(decode::<pb::AgentMessage>(bytes).is_err(), "{what}");
    }
}

/// Decodes, then converts every observation it finds; both steps may fail, neither may panic.
fn decode_and_convert(bytes: &[u8]) {
    let Ok(message) = decode::<pb::AgentMessage>(bytes) else {
        return;
    };
    let runs = match message.message {
        Some(pb::agent_message::Message::ResultBatch(batch)) => batch.results,
        Some(pb::agent_message::Message::ProbeAnswer(pb::ProbeAnswer {
            answer: Some(pb::probe_answer::Answer::Result(run)),
            ..
        })) => vec![run],
        _ => return,
    };
    for run in runs {
        if let Some(pb::run_result::Outcome::Observations(list)) = run.outcome {
            let _ = observations_from_proto(list);
        }
    }
    let _ = decode::<pb::AggregatorMessage>(bytes);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_and_convert(&bytes);
    }

    /// Random bytes rarely get past the first tag; flipping bytes of a real batch exercises the
    /// nested messages and enum values.
    #[test]
    fn corrupted_batches_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let mut bytes = sample::agent_result_batch().encode_to_vec();
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        decode_and_convert(&bytes);
    }
}
