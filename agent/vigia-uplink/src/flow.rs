//! [`Flow`]: what one stream may send next. Pure bookkeeping (no I/O, no clock), so the rules
//! are tested on their own:
//!
//! - Records at or above the **boundary** (the spool's `durable_next` when the stream opened)
//!   are *live*: sent as soon as they are durable, while the in-flight window has room.
//! - Records below it are *backlog*: replayed oldest first, only after the aggregator's first
//!   `Ack` said what it already holds (or the resume timeout passed), and only into the part of
//!   the window that live batches leave: a quarter of the window is kept for live batches, so a
//!   long backlog never starves them.
//! - An `Ack` frees the window. Its `up_to` also moves the backlog cursor past what the
//!   aggregator holds (the spool deleted those records, so reading skips them anyway).

use std::collections::BTreeMap;

#[derive(Debug)]
pub(crate) struct Flow {
    max: usize,
    limit: usize,
    /// Sent and not yet acked: sequence -> sent live.
    in_flight: BTreeMap<u64, bool>,
    backlog_in_flight: usize,
    live_next: u64,
    backlog_next: u64,
    boundary: u64,
    resumed: bool,
}

impl Flow {
    /// A stream that opened when the spool's first non-durable sequence was `boundary`.
    pub(crate) fn new(max_in_flight: usize, boundary: u64) -> Self {
        Self {
            max: max_in_flight,
            limit: max_in_flight,
            in_flight: BTreeMap::new(),
            backlog_in_flight: 0,
            live_next: boundary,
            backlog_next: 0,
            boundary,
            resumed: false,
        }
    }

    /// Batches that may be sent live now.
    pub(crate) fn live_room(&self) -> usize {
        self.limit.saturating_sub(self.in_flight.len())
    }

    /// Batches that may be replayed from the backlog now (before pacing).
    pub(crate) fn backlog_room(&self) -> usize {
        if !self.resumed || self.backlog_done() {
            return 0;
        }
        let share = (self.limit - self.limit / 4).max(1);
        self.live_room()
            .min(share.saturating_sub(self.backlog_in_flight))
    }

    pub(crate) fn live_next(&self) -> u64 {
        self.live_next
    }

    pub(crate) fn backlog_next(&self) -> u64 {
        self.backlog_next
    }

    pub(crate) fn boundary(&self) -> u64 {
        self.boundary
    }

    pub(crate) fn backlog_done(&self) -> bool {
        self.backlog_next >= self.boundary
    }

    /// The backlog holds nothing more below the boundary.
    pub(crate) fn finish_backlog(&mut self) {
        self.backlog_next = self.backlog_next.max(self.boundary);
    }

    pub(crate) fn resumed(&self) -> bool {
        self.resumed
    }

    /// The first `Ack` did not come in time: replay anyway (the aggregator de-duplicates).
    pub(crate) fn resume_anyway(&mut self) {
        self.resumed = true;
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// `seq` was sent.
    pub(crate) fn sent(&mut self, seq: u64, live: bool) {
        if self.in_flight.insert(seq, live).is_none() && !live {
            self.backlog_in_flight += 1;
        }
        self.skip(seq, live);
    }

    /// `seq` will not be sent (it was quarantined): move its cursor past it.
    pub(crate) fn skip(&mut self, seq: u64, live: bool) {
        let cursor = if live {
            &mut self.live_next
        } else {
            &mut self.backlog_next
        };
        *cursor = (*cursor).max(seq.saturating_add(1));
    }

    /// The aggregator holds every sequence up to `up_to` and those in `sequences`.
    pub(crate) fn acked(&mut self, up_to: u64, sequences: &[u64]) {
        self.resumed = true;
        let above = self.in_flight.split_off(&up_to.saturating_add(1));
        let below = std::mem::replace(&mut self.in_flight, above);
        self.backlog_in_flight -= below.values().filter(|live| !**live).count();
        for seq in sequences {
            if self.in_flight.remove(seq) == Some(false) {
                self.backlog_in_flight -= 1;
            }
        }
        if up_to > 0 {
            self.backlog_next = self.backlog_next.max(up_to.saturating_add(1));
        }
    }

    /// A `Throttle`: at most `max_batches` in flight from now on (never above the configured
    /// maximum). Batches already in flight stay; nothing more is sent until they fit.
    pub(crate) fn throttle(&mut self, max_batches: u32) {
        self.limit = usize::try_from(max_batches)
            .unwrap_or(usize::MAX)
            .min(self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_is_open_at_once_backlog_only_after_the_first_ack() {
        let mut flow = Flow::new(8, 100);
        assert_eq!(flow.live_room(), 8);
        assert_eq!(flow.live_next(), 100);
        assert_eq!(flow.backlog_room(), 0, "backlog waits for the first ack");
        flow.acked(40, &[]);
        assert_eq!(
            flow.backlog_next(),
            41,
            "what the aggregator holds is skipped"
        );
        assert_eq!(
            flow.backlog_room(),
            6,
            "a quarter of the window stays free for live"
        );
    }

    #[test]
    fn backlog_leaves_room_for_live() {
        let mut flow = Flow::new(8, 100);
        flow.resume_anyway();
        for seq in 1..=6 {
            flow.sent(seq, false);
        }
        assert_eq!(flow.backlog_room(), 0);
        assert_eq!(flow.live_room(), 2);
        flow.sent(100, true);
        flow.sent(101, true);
        assert_eq!(flow.live_room(), 0);
        // Out-of-order acks free exactly what they name.
        flow.acked(0, &[3, 101]);
        assert_eq!(flow.in_flight(), 6);
        assert_eq!(flow.backlog_room(), 1);
        assert_eq!(flow.live_room(), 2);
        flow.acked(6, &[]);
        assert_eq!(flow.in_flight(), 1, "only live 100 is left");
        assert_eq!(flow.backlog_room(), 6);
    }

    #[test]
    fn the_backlog_ends_at_the_boundary() {
        let mut flow = Flow::new(4, 10);
        flow.resume_anyway();
        flow.sent(9, false);
        assert!(flow.backlog_done());
        assert_eq!(flow.backlog_room(), 0);
        let mut other = Flow::new(4, 10);
        other.acked(0, &[]);
        assert!(!other.backlog_done());
        other.finish_backlog();
        assert!(other.backlog_done());
    }

    #[test]
    fn throttle_lowers_and_restores_the_window_within_the_maximum() {
        let mut flow = Flow::new(16, 1);
        for seq in 1..=4 {
            flow.sent(seq, true);
        }
        flow.throttle(2);
        assert_eq!(flow.limit(), 2);
        assert_eq!(flow.live_room(), 0, "over the new limit: wait for acks");
        flow.acked(3, &[]);
        assert_eq!(flow.live_room(), 1);
        flow.throttle(1000);
        assert_eq!(flow.limit(), 16);
        flow.throttle(0);
        assert_eq!((flow.live_room(), flow.backlog_room()), (0, 0));
    }

    #[test]
    fn skipping_a_quarantined_record_moves_only_its_cursor() {
        let mut flow = Flow::new(4, 50);
        flow.skip(50, true);
        assert_eq!(flow.live_next(), 51);
        flow.skip(7, false);
        assert_eq!(flow.backlog_next(), 8);
        assert_eq!(flow.in_flight(), 0);
        // Cursors never move back.
        flow.skip(3, false);
        assert_eq!(flow.backlog_next(), 8);
    }
}
