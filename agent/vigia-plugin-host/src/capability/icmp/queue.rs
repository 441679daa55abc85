//! The ICMP thread's queue of echoes waiting to be sent, ordered by when each is due.
//!
//! Echoes of one call with one interval form a lane: each target's next echo is due one
//! interval after its previous one left, and echoes leave in order, so a lane is appended in
//! due order and is a plain FIFO. A small heap orders the lanes by their first echo. Sending
//! an echo costs O(1) plus O(log lanes), not O(log echoes) as one heap of 10,000 echoes did.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// The next echo of one target of one call.
pub(super) struct Due {
    pub(super) at: Instant,
    pub(super) lane: usize,
    pub(super) target: usize,
}

struct Lane<T> {
    call: T,
    due: VecDeque<(Instant, usize)>,
}

/// A non-empty lane, keyed by when its first echo is due.
struct LaneAt {
    at: Instant,
    /// Insertion order: equal times leave first come, first served.
    order: u64,
    lane: usize,
}

impl PartialEq for LaneAt {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}
impl Eq for LaneAt {}
impl PartialOrd for LaneAt {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for LaneAt {
    /// Reversed: `BinaryHeap` is a max-heap and the earliest lane must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.order).cmp(&(self.at, self.order))
    }
}

/// Invariant: a lane is in `heap` exactly once, under its first echo's time, while it holds
/// echoes and is not checked out; [`Queue::pop`] checks a lane out and [`Queue::release`] puts
/// it back (or frees it when empty).
pub(super) struct Queue<T> {
    lanes: Vec<Option<Lane<T>>>,
    free: Vec<usize>,
    heap: BinaryHeap<LaneAt>,
    order: u64,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Self {
            lanes: Vec::new(),
            free: Vec::new(),
            heap: BinaryHeap::new(),
            order: 0,
        }
    }
}

impl<T: Clone> Queue<T> {
    /// Queues the first echo of every target of `call`, all due `now`; `intervals` holds each
    /// target's interval between echoes.
    pub(super) fn add(
        &mut self,
        call: &T,
        intervals: impl IntoIterator<Item = Duration>,
        now: Instant,
    ) {
        let mut lanes: Vec<(Duration, usize)> = Vec::new();
        for (target, interval) in intervals.into_iter().enumerate() {
            let lane = match lanes.iter().find(|(i, _)| *i == interval) {
                Some(&(_, lane)) => lane,
                None => {
                    let lane = self.new_lane(call.clone());
                    lanes.push((interval, lane));
                    lane
                }
            };
            self.push_back(lane, now, target);
        }
        for (_, lane) in lanes {
            self.release(lane);
        }
    }

    fn new_lane(&mut self, call: T) -> usize {
        let lane = Lane {
            call,
            due: VecDeque::new(),
        };
        match self.free.pop() {
            Some(index) => {
                self.lanes[index] = Some(lane);
                index
            }
            None => {
                self.lanes.push(Some(lane));
                self.lanes.len() - 1
            }
        }
    }

    fn lane(&mut self, index: usize) -> &mut Lane<T> {
        // Indices come from `Due` values this queue handed out for lanes it still holds.
        self.lanes[index].as_mut().expect("a live lane")
    }

    fn schedule(&mut self, lane: usize, at: Instant) {
        self.order += 1;
        self.heap.push(LaneAt {
            at,
            order: self.order,
            lane,
        });
    }

    /// When the earliest echo is due.
    pub(super) fn next_at(&self) -> Option<Instant> {
        self.heap.peek().map(|l| l.at)
    }

    /// Takes the earliest echo and the call it belongs to, checking its lane out: hand the lane
    /// back with [`Self::release`] after any [`Self::push_back`] or [`Self::push_front`].
    pub(super) fn pop(&mut self) -> Option<(Due, T)> {
        let next = self.heap.pop()?;
        let lane = self.lane(next.lane);
        let (at, target) = lane.due.pop_front()?;
        let call = lane.call.clone();
        let due = Due {
            at,
            lane: next.lane,
            target,
        };
        Some((due, call))
    }

    /// Appends the next echo of a target to its lane (`at` is never before the lane's last).
    pub(super) fn push_back(&mut self, lane: usize, at: Instant, target: usize) {
        self.lane(lane).due.push_back((at, target));
    }

    /// Puts a popped echo back at the head of its lane, due when it was.
    pub(super) fn push_front(&mut self, due: Due) {
        self.lane(due.lane).due.push_front((due.at, due.target));
    }

    /// Returns a lane to the heap under its first echo, or frees it when it is empty.
    pub(super) fn release(&mut self, lane: usize) {
        match self.lane(lane).due.front() {
            Some(&(at, _)) => self.schedule(lane, at),
            None => {
                self.lanes[lane] = None;
                self.free.push(lane);
            }
        }
    }
}
