//! Removing records: whole segments at once, or single records by marking them in the
//! `removed` tree until every record of their segment is gone. Callers hold the index lock.

use super::index::{SegInfo, Tracked};
use super::{Shared, seq_key};
use crate::error::Result;
use crate::segment::{self, RawRecords};

impl Shared {
    /// Deletes a stored segment and its removal markers; returns how many live records went.
    pub(super) fn delete_segment(&self, t: &mut Tracked, first: u64) -> Result<u64> {
        let Some(info) = t.index.segs.remove(&first) else {
            return Ok(0);
        };
        self.segments
            .remove(seq_key(first))
            .map_err(self.sled_err("segment remove"))?;
        let end = first + u64::from(info.count);
        let markers: Vec<u64> = t.index.removed.range(first..end).copied().collect();
        for seq in markers {
            t.index.removed.remove(&seq);
            self.removed
                .remove(seq_key(seq))
                .map_err(self.sled_err("marker remove"))?;
        }
        t.depth.records -= u64::from(info.live);
        t.depth.bytes -= info.live_bytes;
        Ok(u64::from(info.live))
    }

    /// Removes these records (sorted ascending; unknown, repeated and already removed ones are
    /// skipped); returns how many were live.
    pub(super) fn remove_seqs(
        &self,
        t: &mut Tracked,
        seqs: impl IntoIterator<Item = u64>,
    ) -> Result<u64> {
        let mut seqs = seqs.into_iter().peekable();
        let mut removed = 0;
        while let Some(seq) = seqs.next() {
            let Some((first, info)) = t.index.segment_of(seq) else {
                continue;
            };
            let end = first + u64::from(info.count);
            let mut group = vec![seq];
            while let Some(&next) = seqs.peek() {
                if next >= end {
                    break;
                }
                seqs.next();
                if group.last() != Some(&next) {
                    group.push(next);
                }
            }
            removed += self.remove_in_segment(t, first, info, &group)?;
        }
        Ok(removed)
    }

    /// Removes `group` (sorted, all inside the segment at `first`).
    fn remove_in_segment(
        &self,
        t: &mut Tracked,
        first: u64,
        info: SegInfo,
        group: &[u64],
    ) -> Result<u64> {
        let live_in_group = group
            .iter()
            .filter(|s| !t.index.removed.contains(s))
            .count() as u64;
        if live_in_group == 0 {
            return Ok(0);
        }
        if live_in_group == u64::from(info.live) {
            return self.delete_segment(t, first);
        }
        // Partial: the payload lengths come from the stored segment.
        let value = self
            .segments
            .get(seq_key(first))
            .map_err(self.sled_err("segment read"))?
            .unwrap_or_default();
        let mut lens = vec![0u64; info.count as usize];
        for (seq, raw) in RawRecords::new(first, &value).map_while(Result::ok) {
            lens[(seq - first) as usize] = segment::payload_len(raw);
        }
        let mut info = info;
        for &seq in group {
            if !t.index.removed.insert(seq) {
                continue;
            }
            self.removed
                .insert(seq_key(seq), &[])
                .map_err(self.sled_err("marker insert"))?;
            let len = lens[(seq - first) as usize];
            info.live -= 1;
            info.live_bytes = info.live_bytes.saturating_sub(len);
            t.depth.records -= 1;
            t.depth.bytes = t.depth.bytes.saturating_sub(len);
        }
        t.index.segs.insert(first, info);
        Ok(live_in_group)
    }

    /// Drops the oldest live records until `incoming` more payload bytes fit in `max_bytes`;
    /// returns how many were dropped.
    pub(super) fn drop_oldest_for(&self, t: &mut Tracked, incoming: u64) -> Result<u64> {
        let max = self.options.max_bytes;
        let mut dropped = 0;
        while t.depth.bytes + incoming > max {
            let Some((&first, &info)) = t.index.segs.first_key_value() else {
                break;
            };
            let excess = t.depth.bytes + incoming - max;
            if info.live_bytes <= excess {
                dropped += self.delete_segment(t, first)?;
                continue;
            }
            let value = self
                .segments
                .get(seq_key(first))
                .map_err(self.sled_err("segment read"))?
                .unwrap_or_default();
            let (mut victims, mut freed) = (Vec::new(), 0);
            for (seq, raw) in RawRecords::new(first, &value).map_while(Result::ok) {
                if freed >= excess {
                    break;
                }
                if !t.index.removed.contains(&seq) {
                    victims.push(seq);
                    freed += segment::payload_len(raw);
                }
            }
            dropped += if freed >= excess {
                self.remove_in_segment(t, first, info, &victims)?
            } else {
                // The segment's tail cannot be framed: it goes whole.
                self.delete_segment(t, first)?
            };
        }
        Ok(dropped)
    }
}
