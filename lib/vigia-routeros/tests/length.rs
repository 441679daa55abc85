//! Word length prefixes: every boundary of the five encodings, against hand-written bytes.

use vigia_routeros::{DecodeError, length};

fn encoded(len: u32) -> Vec<u8> {
    let mut out = Vec::new();
    length::encode(len, &mut out);
    out
}

#[test]
fn every_boundary_encodes_to_the_documented_bytes_and_back() {
    let cases: [(u32, &[u8]); 12] = [
        (0x00, &[0x00]),
        (0x01, &[0x01]),
        (0x7F, &[0x7F]),
        (0x80, &[0x80, 0x80]),
        (0x3FFF, &[0xBF, 0xFF]),
        (0x4000, &[0xC0, 0x40, 0x00]),
        (0x1F_FFFF, &[0xDF, 0xFF, 0xFF]),
        (0x20_0000, &[0xE0, 0x20, 0x00, 0x00]),
        (0x0FFF_FFFF, &[0xEF, 0xFF, 0xFF, 0xFF]),
        (0x1000_0000, &[0xF0, 0x10, 0x00, 0x00, 0x00]),
        (0xFFFF_FFFF, &[0xF0, 0xFF, 0xFF, 0xFF, 0xFF]),
        (0x1234, &[0x92, 0x34]),
    ];
    for (len, bytes) in cases {
        assert_eq!(encoded(len), bytes, "encode {len:#X}");
        assert_eq!(length::encoded_len(len), bytes.len(), "size of {len:#X}");
        assert_eq!(
            length::decode(bytes),
            Ok(Some((len, bytes.len()))),
            "decode {len:#X}"
        );
        // Every proper prefix of the bytes is incomplete, not an error.
        for cut in 0..bytes.len() {
            assert_eq!(
                length::decode(&bytes[..cut]),
                Ok(None),
                "{len:#X} cut at {cut}"
            );
        }
    }
}

#[test]
fn decoding_ignores_bytes_after_the_prefix() {
    assert_eq!(
        length::decode(&[0x81, 0x00, 0xAA, 0xBB]),
        Ok(Some((0x100, 2)))
    );
}

#[test]
fn non_minimal_encodings_are_accepted() {
    assert_eq!(length::decode(&[0x80, 0x05]), Ok(Some((5, 2))));
    assert_eq!(length::decode(&[0xF0, 0, 0, 0, 7]), Ok(Some((7, 5))));
}

#[test]
fn control_bytes_and_unused_prefixes_are_rejected() {
    for byte in 0xF8..=0xFF {
        assert_eq!(
            length::decode(&[byte, 0, 0, 0, 0]),
            Err(DecodeError::ControlByte(byte))
        );
    }
    for byte in 0xF1..=0xF7 {
        assert_eq!(
            length::decode(&[byte, 0, 0, 0, 0]),
            Err(DecodeError::InvalidLengthPrefix(byte))
        );
    }
    assert_eq!(
        DecodeError::ControlByte(0xFF).to_string(),
        "reserved control byte 0xFF where a word length was expected"
    );
}
