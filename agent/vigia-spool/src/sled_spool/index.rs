//! The in-memory index of what the spool holds: stored segments and the records removed from
//! them one by one (acked out of order, quarantined, dropped), plus the resulting depth.
//! Every change to the `segments` and `removed` trees happens under the index lock together with
//! the matching change here, so the two always agree.

use std::collections::{BTreeMap, BTreeSet};

use crate::Depth;

/// One stored segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SegInfo {
    /// Records in the segment, removed ones included: it covers `first .. first + count`.
    pub(super) count: u32,
    /// Records not removed yet.
    pub(super) live: u32,
    /// Payload bytes of the live records that could be framed (a damaged tail counts 0).
    pub(super) live_bytes: u64,
}

#[derive(Debug, Default)]
pub(super) struct Index {
    pub(super) segs: BTreeMap<u64, SegInfo>,
    /// Sequences removed from segments that are still stored (some of their records live).
    pub(super) removed: BTreeSet<u64>,
}

impl Index {
    pub(super) fn depth(&self) -> Depth {
        self.segs.values().fold(Depth::default(), |mut d, s| {
            d.records += u64::from(s.live);
            d.bytes += s.live_bytes;
            d
        })
    }

    /// The segment holding `seq`, as `(first, info)`.
    pub(super) fn segment_of(&self, seq: u64) -> Option<(u64, SegInfo)> {
        let (&first, &info) = self.segs.range(..=seq).next_back()?;
        (seq < first + u64::from(info.count)).then_some((first, info))
    }

    /// True when `seq` is stored and not removed.
    pub(super) fn is_live(&self, seq: u64) -> bool {
        self.segment_of(seq).is_some() && !self.removed.contains(&seq)
    }
}

/// The depth, kept next to the index so that `depth()` is O(1).
#[derive(Debug, Default)]
pub(super) struct Tracked {
    pub(super) index: Index,
    pub(super) depth: Depth,
}

impl Tracked {
    pub(super) fn new(index: Index) -> Self {
        let depth = index.depth();
        Self { index, depth }
    }
}
