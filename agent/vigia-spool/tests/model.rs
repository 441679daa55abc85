//! Model-based property test: the spool against a `VecDeque`, including crash/reopen.

mod common;

use std::collections::VecDeque;

use proptest::prelude::*;
use vigia_spool::{Depth, ReadLimits, SledSpool, Spool, SpoolOptions};

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<Vec<u8>>),
    ReadFrom {
        back: u64,
        max_records: usize,
        max_bytes: usize,
    },
    Ack {
        back: u64,
    },
    /// Acks these sequences (as distances back from the last one), out of order, possibly
    /// repeated or already gone.
    AckEach {
        backs: Vec<u64>,
    },
    /// Drop the spool with no close step and reopen the same directory.
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..6).prop_map(Op::Append),
        2 => (0u64..12, 1usize..8, 0usize..200)
            .prop_map(|(back, max_records, max_bytes)| Op::ReadFrom { back, max_records, max_bytes }),
        2 => (0u64..12).prop_map(|back| Op::Ack { back }),
        2 => prop::collection::vec(0u64..12, 0..5).prop_map(|backs| Op::AckEach { backs }),
        1 => Just(Op::Reopen),
    ]
}

fn model_depth(model: &VecDeque<(u64, Vec<u8>)>) -> Depth {
    Depth {
        records: model.len() as u64,
        bytes: model.iter().map(|(_, p)| p.len() as u64).sum(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn spool_matches_model(
        ops in prop::collection::vec(op(), 1..30),
        // Small segments split one commit into several; large ones hold many commits' records.
        max_segment_bytes in prop_oneof![Just(1usize), 16usize..120, Just(64 * 1024)],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spool");
        let options = SpoolOptions { max_segment_bytes, ..common::options() };
        let mut spool = common::open(&path, options.clone());
        let epoch = spool.epoch();
        let mut model: VecDeque<(u64, Vec<u8>)> = VecDeque::new();
        // Highest sequence ever handed out; 0 before the first append.
        let mut last_seq = 0u64;

        for op in ops {
            match op {
                Op::Append(payloads) => {
                    let seqs = spool.append(payloads.clone()).wait().unwrap();
                    prop_assert_eq!(seqs.len(), payloads.len());
                    for (seq, payload) in seqs.into_iter().zip(payloads) {
                        prop_assert!(seq > last_seq, "seq {} not above {}", seq, last_seq);
                        last_seq = seq;
                        model.push_back((seq, payload));
                    }
                }
                Op::ReadFrom { back, max_records, max_bytes } => {
                    let from = (last_seq + 1).saturating_sub(back);
                    let got = spool.read_from(from, ReadLimits { max_records, max_bytes }).unwrap();
                    let mut expected = Vec::new();
                    let mut bytes = 0;
                    for (seq, payload) in model.iter().filter(|(s, _)| *s >= from) {
                        if expected.len() >= max_records
                            || (!expected.is_empty() && bytes + payload.len() > max_bytes)
                        {
                            break;
                        }
                        bytes += payload.len();
                        expected.push((*seq, payload.clone()));
                    }
                    let got: Vec<_> = got.into_iter().map(|r| (r.seq, r.payload)).collect();
                    prop_assert_eq!(got, expected);
                }
                Op::Ack { back } => {
                    let up_to = last_seq.saturating_sub(back);
                    let before = model.len();
                    model.retain(|(s, _)| *s > up_to);
                    let deleted = spool.ack(up_to).unwrap();
                    prop_assert_eq!(deleted, (before - model.len()) as u64);
                }
                Op::AckEach { backs } => {
                    let seqs: Vec<u64> = backs.iter().map(|b| last_seq.saturating_sub(*b)).collect();
                    let before = model.len();
                    model.retain(|(s, _)| !seqs.contains(s));
                    let deleted = spool.ack_each(&seqs).unwrap();
                    prop_assert_eq!(deleted, (before - model.len()) as u64);
                }
                Op::Reopen => {
                    drop(spool);
                    spool = common::open(&path, options.clone());
                    prop_assert_eq!(spool.epoch(), epoch);
                    let all: Vec<_> = spool
                        .read_from(0, common::ALL)
                        .unwrap()
                        .into_iter()
                        .map(|r| (r.seq, r.payload))
                        .collect();
                    prop_assert_eq!(all, model.iter().cloned().collect::<Vec<_>>());
                }
            }
            prop_assert_eq!(spool.depth(), model_depth(&model));
            prop_assert_eq!(spool.durable_next(), last_seq + 1);
            prop_assert_eq!(spool.oldest_appended_at_ms().unwrap().is_some(), !model.is_empty());
        }
    }
}

#[test]
fn fresh_directories_get_different_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let a = common::open(&dir.path().join("a"), common::options());
    let b = common::open(&dir.path().join("b"), common::options());
    assert_ne!(a.epoch(), b.epoch());
}

#[test]
fn sequences_keep_rising_after_everything_was_acked_and_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool");
    let spool = common::open(&path, common::options());
    let seqs = spool
        .append(vec![b"a".to_vec(), b"b".to_vec()])
        .wait()
        .unwrap();
    assert_eq!(spool.ack(seqs[1]).unwrap(), 2);
    drop(spool);
    let spool: SledSpool = common::open(&path, common::options());
    let next = spool.append(vec![b"c".to_vec()]).wait().unwrap();
    assert!(next[0] > seqs[1], "{next:?} after {seqs:?}");
    assert!(spool.read_from(u64::MAX, common::ALL).unwrap().is_empty());
}
