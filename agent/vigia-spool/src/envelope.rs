//! The on-disk envelope around each payload: our own framing and checksum, independent of the
//! storage engine.
//!
//! Layout (big-endian): `envelope_version: u16 | crc32c(payload): u32 | appended_at_ms: u64 | payload`.

use crate::error::{Result, SpoolError};

/// The envelope version this crate writes.
pub const ENVELOPE_VERSION: u16 = 1;

/// Bytes before the payload.
pub const HEADER_LEN: usize = 2 + 4 + 8;

/// A decoded envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub appended_at_ms: u64,
    pub payload: Vec<u8>,
}

/// Encodes `payload` into a version-1 envelope.
pub fn encode(appended_at_ms: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    encode_into(&mut out, appended_at_ms, payload);
    out
}

/// Appends the version-1 envelope of `payload` to `out`.
pub fn encode_into(out: &mut Vec<u8>, appended_at_ms: u64, payload: &[u8]) {
    out.extend_from_slice(&ENVELOPE_VERSION.to_be_bytes());
    out.extend_from_slice(&crc32c::crc32c(payload).to_be_bytes());
    out.extend_from_slice(&appended_at_ms.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Decodes the envelope stored under sequence `seq`, checking version and checksum.
pub fn decode(seq: u64, bytes: &[u8]) -> Result<Envelope> {
    let truncated = || SpoolError::Truncated {
        seq,
        len: bytes.len(),
    };
    let version = u16::from_be_bytes(
        bytes
            .get(0..2)
            .ok_or_else(truncated)?
            .try_into()
            .expect("2 bytes"),
    );
    if version != ENVELOPE_VERSION {
        return Err(SpoolError::UnsupportedVersion { seq, version });
    }
    let header = bytes.get(..HEADER_LEN).ok_or_else(truncated)?;
    let stored = u32::from_be_bytes(header[2..6].try_into().expect("4 bytes"));
    let appended_at_ms = u64::from_be_bytes(header[6..14].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER_LEN..];
    let computed = crc32c::crc32c(payload);
    if computed != stored {
        return Err(SpoolError::Checksum {
            seq,
            stored,
            computed,
        });
    }
    Ok(Envelope {
        appended_at_ms,
        payload: payload.to_vec(),
    })
}

/// Reads only the `appended_at_ms` field, for age queries (no checksum check).
pub fn appended_at_ms(seq: u64, bytes: &[u8]) -> Result<u64> {
    let header = bytes.get(..HEADER_LEN).ok_or(SpoolError::Truncated {
        seq,
        len: bytes.len(),
    })?;
    Ok(u64::from_be_bytes(
        header[6..14].try_into().expect("8 bytes"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let bytes = encode(42, b"hello");
        assert_eq!(bytes.len(), HEADER_LEN + 5);
        let env = decode(7, &bytes).unwrap();
        assert_eq!(env.appended_at_ms, 42);
        assert_eq!(env.payload, b"hello");
        assert_eq!(appended_at_ms(7, &bytes).unwrap(), 42);
        assert_eq!(decode(7, &encode(1, b"")).unwrap().payload, b"");
    }

    #[test]
    fn flipped_payload_bit_is_a_checksum_error() {
        let mut bytes = encode(42, b"hello");
        bytes[HEADER_LEN + 1] ^= 0x01;
        let err = decode(7, &bytes).unwrap_err();
        assert!(
            matches!(err, SpoolError::Checksum { seq: 7, .. }),
            "{err:?}"
        );
        assert_eq!(err.corrupt_record(), Some(7));
    }

    #[test]
    fn unknown_version_is_typed() {
        let mut bytes = encode(42, b"hello");
        bytes[..2].copy_from_slice(&9u16.to_be_bytes());
        let err = decode(3, &bytes).unwrap_err();
        assert!(
            matches!(err, SpoolError::UnsupportedVersion { seq: 3, version: 9 }),
            "{err:?}"
        );
    }

    #[test]
    fn short_input_is_truncated_not_a_panic() {
        for len in 0..HEADER_LEN {
            let mut bytes = encode(42, b"");
            bytes.truncate(len);
            let err = decode(1, &bytes).unwrap_err();
            assert_eq!(err.corrupt_record(), Some(1), "len {len}: {err:?}");
        }
    }
}
