//! The test aggregator's memory: stored batches by `(epoch, sequence)`, every reception in
//! order, the acks sent, hellos, heartbeats and probe answers.

use std::collections::{BTreeMap, BTreeSet};

use tokio::time::Instant;
use vigia_proto::agent::v1 as pb;

/// One batch as it arrived.
#[derive(Debug, Clone)]
pub struct Reception {
    pub epoch: u64,
    pub seq: u64,
    pub live: bool,
    pub at: Instant,
    pub conn: u64,
    /// Already stored when it arrived (a resend).
    pub duplicate: bool,
}

#[derive(Debug, Default)]
pub struct Store {
    pub batches: BTreeMap<(u64, u64), pb::ResultBatch>,
    pub receptions: Vec<Reception>,
    /// For each acked key: how many receptions there were when the ack covering it was sent.
    pub acked_at: BTreeMap<(u64, u64), usize>,
    pub hellos: Vec<pb::Hello>,
    /// DER of the client certificate of each stream, in order.
    pub peer_certs: Vec<Vec<u8>>,
    pub heartbeats: Vec<pb::Heartbeat>,
    pub answers: Vec<pb::ProbeAnswer>,
    /// Acks not sent yet while acks are held: (connection, epoch, sequence).
    pub held: Vec<(u64, u64, u64)>,
    /// Per connection: batches received and not acked yet, and the most there ever were.
    pub unacked: BTreeMap<u64, BTreeSet<u64>>,
    pub max_unacked: usize,
    /// Per epoch: every sequence from 1 to this one is stored.
    prefix: BTreeMap<u64, u64>,
    /// Per epoch: every sequence from 1 to this one has been acked.
    acked_prefix: BTreeMap<u64, u64>,
}

impl Store {
    /// Stores a batch unless its key is already stored; records the reception either way.
    pub fn receive(&mut self, conn: u64, batch: pb::ResultBatch) {
        let key = (batch.epoch, batch.sequence);
        let duplicate = self.batches.contains_key(&key);
        self.receptions.push(Reception {
            epoch: batch.epoch,
            seq: batch.sequence,
            live: batch.live,
            at: Instant::now(),
            conn,
            duplicate,
        });
        let unacked = self.unacked.entry(conn).or_default();
        unacked.insert(batch.sequence);
        self.max_unacked = self.max_unacked.max(unacked.len());
        if !duplicate {
            self.batches.insert(key, batch);
            let prefix = self.prefix.entry(key.0).or_default();
            while self.batches.contains_key(&(key.0, *prefix + 1)) {
                *prefix += 1;
            }
        }
    }

    /// Every sequence of `epoch` from 1 up to this one is stored.
    fn prefix(&self, epoch: u64) -> u64 {
        self.prefix.get(&epoch).copied().unwrap_or(0)
    }

    fn ack(&mut self, epoch: u64, up_to: u64, sequences: Vec<u64>) -> pb::AggregatorMessage {
        let count = self.receptions.len();
        let acked_prefix = self.acked_prefix.entry(epoch).or_default();
        let newly = (*acked_prefix + 1)..=up_to;
        *acked_prefix = (*acked_prefix).max(up_to);
        let covered: Vec<(u64, u64)> = newly
            .map(|seq| (epoch, seq))
            .chain(sequences.iter().map(|s| (epoch, *s)))
            .collect();
        for key in covered {
            self.acked_at.entry(key).or_insert(count);
            for unacked in self.unacked.values_mut() {
                unacked.remove(&key.1);
            }
        }
        pb::AggregatorMessage {
            message: Some(pb::aggregator_message::Message::Ack(pb::Ack {
                epoch,
                up_to,
                sequences,
            })),
        }
    }

    /// The first Ack of a stream: what is stored for `epoch` (or nothing).
    pub fn first_ack(&mut self, epoch: u64, report: bool) -> pb::AggregatorMessage {
        if !report {
            return self.ack(epoch, 0, vec![]);
        }
        let up_to = self.prefix(epoch);
        let above: Vec<u64> = self
            .batches
            .range((epoch, up_to + 1)..=(epoch, u64::MAX))
            .map(|(k, _)| k.1)
            .collect();
        self.ack(epoch, up_to, above)
    }

    /// The Ack for one stored batch: the stored prefix, plus the batch if it lies above it.
    pub fn ack_for(&mut self, epoch: u64, seq: u64) -> pb::AggregatorMessage {
        let up_to = self.prefix(epoch);
        let above = if seq > up_to { vec![seq] } else { vec![] };
        self.ack(epoch, up_to, above)
    }

    // === queries ===

    /// Run ids of every stored batch, in key order.
    pub fn run_ids(&self) -> Vec<String> {
        self.batches
            .values()
            .flat_map(|b| b.results.iter().map(|r| r.run_id.clone()))
            .collect()
    }

    /// Keys received again after an ack for them had been sent.
    pub fn received_after_ack(&self) -> Vec<(u64, u64)> {
        self.receptions
            .iter()
            .enumerate()
            .filter(|(index, r)| {
                self.acked_at
                    .get(&(r.epoch, r.seq))
                    .is_some_and(|acked_at| index >= acked_at)
            })
            .map(|(_, r)| (r.epoch, r.seq))
            .collect()
    }

    pub fn duplicates(&self) -> usize {
        self.receptions.iter().filter(|r| r.duplicate).count()
    }

    pub fn count(&self, live: bool) -> usize {
        self.receptions.iter().filter(|r| r.live == live).count()
    }
}
