//! Login. RouterOS 6.43+ takes the password in `/login`; older versions answer it with
//! `!done =ret=<hex challenge>` and expect `/login =name= =response=00<md5 hex>`, where the MD5 is
//! over a zero byte, the password and the challenge bytes. A client sends [`request`] first and
//! falls back to [`legacy_request`] when a challenge comes back.

use md5::{Digest, Md5};

use crate::{LoginError, Request};

/// `/login =name=<user> =password=<password>` (RouterOS 6.43 and later).
pub fn request(user: &str, password: &str) -> Request {
    Request::new("/login")
        .attribute("name", user)
        .attribute("password", password)
}

/// `/login =name=<user> =response=<response>` answering the challenge `challenge_hex` (`=ret=`).
pub fn legacy_request(
    user: &str,
    password: &str,
    challenge_hex: &str,
) -> Result<Request, LoginError> {
    let response = legacy_response(password, challenge_hex)?;
    Ok(Request::new("/login")
        .attribute("name", user)
        .attribute("response", response))
}

/// `00` + hex(md5(0x00 + password + challenge)), the challenge given as hex (`=ret=`).
pub fn legacy_response(password: &str, challenge_hex: &str) -> Result<String, LoginError> {
    let challenge = hex_decode(challenge_hex)
        .ok_or_else(|| LoginError::BadChallenge(challenge_hex.to_owned()))?;
    Ok(legacy_response_bytes(password.as_bytes(), &challenge))
}

/// `00` + hex(md5(0x00 + password + challenge)).
pub fn legacy_response_bytes(password: &[u8], challenge: &[u8]) -> String {
    let mut md5 = Md5::new();
    md5.update([0u8]);
    md5.update(password);
    md5.update(challenge);
    format!("00{}", hex_encode(&md5.finalize()))
}

/// Server side: whether `response` answers `challenge` for `password` (hex case-insensitive).
pub fn verify_legacy_response(password: &[u8], challenge: &[u8], response: &str) -> bool {
    legacy_response_bytes(password, challenge).eq_ignore_ascii_case(response)
}

/// Lowercase hex, as RouterOS writes challenges.
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0F)]));
    }
    text
}

/// Hex (either case) to bytes; `None` for an odd length or a non-hex digit.
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let high = char::from(pair[0]).to_digit(16)?;
            let low = char::from(pair[1]).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}
