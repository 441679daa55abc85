//! De-duplication of result batches by (agent, epoch, sequence).
//!
//! Agents resend batches that were not acknowledged (at-least-once delivery). Within one stream
//! epoch, sequences are strictly increasing from 1; a new epoch (the agent's spool was recreated)
//! restarts them. The aggregator stores a batch only if it has not stored that (epoch, sequence)
//! before, and acknowledges cumulatively: everything up to `acked_up_to()` is stored.

use std::collections::BTreeSet;

/// What to do with an incoming batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not seen before: store it, then call [`SequenceWindow::stored`].
    New,
    /// Already stored: acknowledge again, do not store.
    Duplicate,
    /// Belongs to an older epoch than the current one: ignore (the agent moved on).
    StaleEpoch,
}

/// Per-agent record of which sequences are durably stored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SequenceWindow {
    epoch: u64,
    /// Every sequence <= this is stored.
    up_to: u64,
    /// Stored sequences above `up_to` (arrived out of order).
    ahead: BTreeSet<u64>,
}

impl SequenceWindow {
    /// Classifies a batch; a newer epoch resets the window.
    pub fn check(&mut self, epoch: u64, sequence: u64) -> Verdict {
        if epoch < self.epoch {
            return Verdict::StaleEpoch;
        }
        if epoch > self.epoch {
            *self = Self {
                epoch,
                up_to: 0,
                ahead: BTreeSet::new(),
            };
        }
        if sequence <= self.up_to || self.ahead.contains(&sequence) {
            Verdict::Duplicate
        } else {
            Verdict::New
        }
    }

    /// Records that (current epoch, `sequence`) is durably stored.
    pub fn stored(&mut self, sequence: u64) {
        if sequence <= self.up_to {
            return;
        }
        self.ahead.insert(sequence);
        while self.ahead.remove(&(self.up_to + 1)) {
            self.up_to += 1;
        }
    }

    /// The epoch being tracked.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Cumulative acknowledgement: every sequence up to this one is stored.
    pub fn acked_up_to(&self) -> u64 {
        self.up_to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_batches_advance_the_ack() {
        let mut w = SequenceWindow::default();
        for seq in 1..=3 {
            assert_eq!(w.check(7, seq), Verdict::New);
            w.stored(seq);
        }
        assert_eq!((w.epoch(), w.acked_up_to()), (7, 3));
        assert_eq!(w.check(7, 2), Verdict::Duplicate);
    }

    #[test]
    fn out_of_order_batches_ack_only_the_contiguous_prefix() {
        let mut w = SequenceWindow::default();
        assert_eq!(w.check(1, 2), Verdict::New);
        w.stored(2);
        assert_eq!(w.acked_up_to(), 0);
        assert_eq!(w.check(1, 2), Verdict::Duplicate);
        assert_eq!(w.check(1, 1), Verdict::New);
        w.stored(1);
        assert_eq!(w.acked_up_to(), 2);
    }

    #[test]
    fn a_new_epoch_restarts_sequences_and_old_epochs_are_ignored() {
        let mut w = SequenceWindow::default();
        w.check(1, 1);
        w.stored(1);
        assert_eq!(w.check(2, 1), Verdict::New);
        w.stored(1);
        assert_eq!((w.epoch(), w.acked_up_to()), (2, 1));
        assert_eq!(w.check(1, 5), Verdict::StaleEpoch);
    }

    #[test]
    fn matches_a_naive_model_on_many_sequences() {
        // Deterministic pseudo-random order with duplicates, checked against a plain set.
        let mut w = SequenceWindow::default();
        let mut seen = BTreeSet::new();
        let mut x: u64 = 12345;
        for _ in 0..5000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let seq = 1 + (x >> 33) % 300;
            let verdict = w.check(1, seq);
            assert_eq!(verdict == Verdict::New, !seen.contains(&seq), "seq {seq}");
            if verdict == Verdict::New {
                w.stored(seq);
                seen.insert(seq);
            }
            let contiguous = (1..).take_while(|s| seen.contains(s)).count() as u64;
            assert_eq!(w.acked_up_to(), contiguous);
        }
    }
}
