//! Word length prefixes: big-endian, 1 to 5 bytes, the high bits of the first byte saying how many.
//!
//! | length | bytes | first byte |
//! | --- | --- | --- |
//! | `0x00..=0x7F` | 1 | `0xxxxxxx` |
//! | `0x80..=0x3FFF` | 2 | `10xxxxxx` |
//! | `0x4000..=0x1F_FFFF` | 3 | `110xxxxx` |
//! | `0x20_0000..=0x0FFF_FFFF` | 4 | `1110xxxx` |
//! | `0x1000_0000..=0xFFFF_FFFF` | 5 | `0xF0`, then 4 bytes |
//!
//! A first byte `0xF8..=0xFF` is a reserved control byte; `0xF1..=0xF7` is no encoding at all.
//! Both are errors. Longer-than-needed encodings (e.g. 5 as two bytes) are accepted.

use crate::DecodeError;

/// Appends the prefix for a word of `len` bytes (the shortest encoding).
pub fn encode(len: u32, out: &mut Vec<u8>) {
    let bytes = len.to_be_bytes();
    match len {
        0..=0x7F => out.push(bytes[3]),
        0x80..=0x3FFF => out.extend_from_slice(&[bytes[2] | 0x80, bytes[3]]),
        0x4000..=0x1F_FFFF => out.extend_from_slice(&[bytes[1] | 0xC0, bytes[2], bytes[3]]),
        0x20_0000..=0x0FFF_FFFF => {
            out.extend_from_slice(&[bytes[0] | 0xE0, bytes[1], bytes[2], bytes[3]]);
        }
        _ => {
            out.push(0xF0);
            out.extend_from_slice(&bytes);
        }
    }
}

/// How many bytes the prefix for `len` takes.
pub fn encoded_len(len: u32) -> usize {
    match len {
        0..=0x7F => 1,
        0x80..=0x3FFF => 2,
        0x4000..=0x1F_FFFF => 3,
        0x20_0000..=0x0FFF_FFFF => 4,
        _ => 5,
    }
}

/// Reads a prefix from the start of `bytes`: `Ok(Some((len, prefix_bytes)))`, or `Ok(None)` when
/// `bytes` ends inside the prefix.
pub fn decode(bytes: &[u8]) -> Result<Option<(u32, usize)>, DecodeError> {
    let Some(&first) = bytes.first() else {
        return Ok(None);
    };
    let (size, high) = match first {
        0x00..=0x7F => (1, first),
        0x80..=0xBF => (2, first & 0x3F),
        0xC0..=0xDF => (3, first & 0x1F),
        0xE0..=0xEF => (4, first & 0x0F),
        0xF0 => (5, 0),
        0xF1..=0xF7 => return Err(DecodeError::InvalidLengthPrefix(first)),
        0xF8..=0xFF => return Err(DecodeError::ControlByte(first)),
    };
    let Some(rest) = bytes.get(1..size) else {
        return Ok(None);
    };
    let len = rest
        .iter()
        .fold(u32::from(high), |len, &byte| (len << 8) | u32::from(byte));
    Ok(Some((len, size)))
}
