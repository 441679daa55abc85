//! Segments: how one group commit's records are packed into one sled value.
//!
//! sled 0.34 spends ~10 µs of CPU per `insert` on this class of machine, so one key per record
//! caps a durable spool below 100k records/s no matter how commits are grouped. A group commit
//! therefore writes its records as a few *segments* (at most
//! [`SpoolOptions::max_segment_bytes`](crate::SpoolOptions::max_segment_bytes) each), keyed by
//! the sequence number of their first record. Every record keeps its own [`envelope`] (version,
//! crc32c, append time), so a damaged record is still detected and quarantined on its own.
//!
//! Layout (big-endian): `segment_version: u16 | count: u32 | count × (envelope_len: u32 | envelope)`.
//! The records of a segment have consecutive sequence numbers `key .. key + count`.

use crate::envelope::{self, Envelope, HEADER_LEN};
use crate::error::{Result, SpoolError};

/// The segment version this crate writes.
pub const SEGMENT_VERSION: u16 = 1;

/// Bytes before the first record.
pub const SEGMENT_HEADER_LEN: usize = 2 + 4;

/// Bytes each record adds besides its payload: length prefix and envelope header.
pub const RECORD_OVERHEAD: usize = 4 + HEADER_LEN;

/// Builds one segment.
pub struct SegmentWriter {
    buf: Vec<u8>,
    count: u32,
}

impl SegmentWriter {
    pub fn with_capacity(bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(SEGMENT_HEADER_LEN + bytes);
        buf.extend_from_slice(&SEGMENT_VERSION.to_be_bytes());
        buf.extend_from_slice(&0u32.to_be_bytes());
        Self { buf, count: 0 }
    }

    pub fn push(&mut self, appended_at_ms: u64, payload: &[u8]) {
        let len = u32::try_from(HEADER_LEN + payload.len()).expect("payloads are far below 4 GiB");
        self.buf.extend_from_slice(&len.to_be_bytes());
        envelope::encode_into(&mut self.buf, appended_at_ms, payload);
        self.count += 1;
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    /// Bytes written so far, header included.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.buf[2..SEGMENT_HEADER_LEN].copy_from_slice(&self.count.to_be_bytes());
        self.buf
    }
}

/// The record count stored in a segment header, or the error for its first record.
pub fn count(first_seq: u64, bytes: &[u8]) -> Result<u32> {
    let header = bytes
        .get(..SEGMENT_HEADER_LEN)
        .ok_or(SpoolError::Truncated {
            seq: first_seq,
            len: bytes.len(),
        })?;
    let version = u16::from_be_bytes([header[0], header[1]]);
    if version != SEGMENT_VERSION {
        return Err(SpoolError::UnsupportedVersion {
            seq: first_seq,
            version,
        });
    }
    Ok(u32::from_be_bytes([
        header[2], header[3], header[4], header[5],
    ]))
}

/// Walks the records of a segment without checking their checksums: yields
/// `(seq, raw envelope bytes)` and stops with the error of the first record it cannot frame.
pub struct RawRecords<'a> {
    bytes: &'a [u8],
    pos: usize,
    seq: u64,
    left: u32,
    failed: bool,
}

impl<'a> RawRecords<'a> {
    /// Starts at the first record; a bad header is reported by the first `next`.
    pub fn new(first_seq: u64, bytes: &'a [u8]) -> Self {
        let (left, failed) = match count(first_seq, bytes) {
            Ok(count) => (count, false),
            Err(_) => (1, false),
        };
        Self {
            bytes,
            pos: SEGMENT_HEADER_LEN,
            seq: first_seq,
            left,
            failed,
        }
    }

    fn frame(&mut self) -> Result<(u64, &'a [u8])> {
        let seq = self.seq;
        if self.pos == SEGMENT_HEADER_LEN {
            count(seq, self.bytes)?;
        }
        let truncated = SpoolError::Truncated {
            seq,
            len: self.bytes.len().saturating_sub(self.pos),
        };
        let len_bytes = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or(truncated.clone())?;
        let len = u32::from_be_bytes(len_bytes.try_into().expect("4 bytes")) as usize;
        let start = self.pos + 4;
        let record = self
            .bytes
            .get(start..start.saturating_add(len))
            .ok_or(truncated)?;
        self.pos = start + len;
        Ok((seq, record))
    }
}

impl<'a> Iterator for RawRecords<'a> {
    type Item = Result<(u64, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 || self.failed {
            return None;
        }
        let item = self.frame();
        self.failed = item.is_err();
        self.left -= 1;
        self.seq += 1;
        Some(item)
    }
}

/// Decodes one raw record (checksum and version checked).
pub fn decode_record(seq: u64, raw: &[u8]) -> Result<Envelope> {
    envelope::decode(seq, raw)
}

/// Payload length of a raw record, without checking it.
pub fn payload_len(raw: &[u8]) -> u64 {
    raw.len().saturating_sub(HEADER_LEN) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(payloads: &[&[u8]]) -> Vec<u8> {
        let mut w = SegmentWriter::with_capacity(64);
        for p in payloads {
            w.push(7, p);
        }
        w.finish()
    }

    #[test]
    fn records_round_trip_with_consecutive_sequences() {
        let bytes = segment(&[b"a", b"", b"ccc"]);
        assert_eq!(count(10, &bytes).unwrap(), 3);
        let got: Vec<(u64, Vec<u8>)> = RawRecords::new(10, &bytes)
            .map(|r| {
                let (seq, raw) = r.unwrap();
                (seq, decode_record(seq, raw).unwrap().payload)
            })
            .collect();
        assert_eq!(
            got,
            vec![(10, b"a".to_vec()), (11, vec![]), (12, b"ccc".to_vec())]
        );
    }

    #[test]
    fn a_truncated_segment_frames_what_it_can_then_names_the_first_lost_record() {
        let mut bytes = segment(&[b"first", b"second"]);
        bytes.truncate(bytes.len() - 2);
        let items: Vec<_> = RawRecords::new(5, &bytes).collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.corrupt_record(), Some(6), "{err:?}");
    }

    #[test]
    fn an_unknown_segment_version_is_an_error_for_its_first_record() {
        let mut bytes = segment(&[b"x"]);
        bytes[..2].copy_from_slice(&9u16.to_be_bytes());
        let first = RawRecords::new(3, &bytes).next().unwrap().unwrap_err();
        assert!(
            matches!(first, SpoolError::UnsupportedVersion { seq: 3, version: 9 }),
            "{first:?}"
        );
        assert_eq!(RawRecords::new(3, &[1]).count(), 1);
    }
}
