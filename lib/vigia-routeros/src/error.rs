//! The errors of the codec. std-only (no `thiserror`), so the crate builds anywhere with no
//! dependencies to vet; each one says what was wrong with which bytes or word.

use std::fmt;

/// A word or sentence that cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// An empty word would end the sentence early (word `index` of the sentence).
    EmptyWord { index: usize },
    /// Longer than the 32-bit length the protocol can carry.
    WordTooLong { len: usize },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyWord { index } => write!(
                f,
                "word {index} of the sentence is empty (an empty word ends a sentence)"
            ),
            Self::WordTooLong { len } => {
                write!(f, "a word of {len} bytes does not fit a 32-bit length")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// Bytes that are not a valid stream of sentences, or exceed the decoder's [`crate::Limits`].
/// After one of these the stream's framing is lost: the decoder keeps returning it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A length prefix starting with a reserved control byte (`0xF8..=0xFF`).
    ControlByte(u8),
    /// A length prefix starting with `0xF1..=0xF7`, which no length encoding uses.
    InvalidLengthPrefix(u8),
    /// A word longer than the limit.
    WordTooLong { len: u64, max: usize },
    /// A sentence whose words add up to more than the limit.
    SentenceTooLong { max: usize },
    /// A sentence with more words than the limit.
    TooManyWords { max: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ControlByte(byte) => {
                write!(
                    f,
                    "reserved control byte 0x{byte:02X} where a word length was expected"
                )
            }
            Self::InvalidLengthPrefix(byte) => {
                write!(f, "invalid word length prefix 0x{byte:02X}")
            }
            Self::WordTooLong { len, max } => {
                write!(f, "word of {len} bytes exceeds the limit of {max} bytes")
            }
            Self::SentenceTooLong { max } => {
                write!(f, "sentence exceeds the limit of {max} bytes")
            }
            Self::TooManyWords { max } => write!(f, "sentence exceeds the limit of {max} words"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A sentence that is not a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    /// A sentence with no words.
    Empty,
    /// The first word is not `!re`, `!done`, `!trap`, `!fatal` or `!empty` (shown lossily).
    UnknownType(String),
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty reply sentence"),
            Self::UnknownType(word) => write!(f, "unknown reply type `{word}`"),
        }
    }
}

impl std::error::Error for ReplyError {}

/// A sentence that is not a request (server side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// A sentence with no words.
    Empty,
    /// The first word does not start with `/`.
    NotACommand(String),
    /// A word that is not an attribute (`=`), API attribute (`.tag=`) or query (`?`).
    UnexpectedWord(String),
    /// A word that is not UTF-8 (shown lossily).
    NotUtf8(String),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty request sentence"),
            Self::NotACommand(word) => write!(f, "`{word}` is not a command (no leading `/`)"),
            Self::UnexpectedWord(word) => write!(f, "unexpected word `{word}` in a request"),
            Self::NotUtf8(word) => write!(f, "word `{word}` is not utf-8"),
        }
    }
}

impl std::error::Error for RequestError {}

/// A query stack that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// An operation needed more values than the stack held.
    StackUnderflow { op: char },
    /// An operation character this crate does not implement.
    UnsupportedOp(char),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StackUnderflow { op } => write!(f, "query operation `{op}` on too short a stack"),
            Self::UnsupportedOp(op) => write!(f, "unsupported query operation `{op}`"),
        }
    }
}

impl std::error::Error for QueryError {}

/// A login challenge that cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// The `=ret=` challenge is not an even-length hex string.
    BadChallenge(String),
}

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadChallenge(text) => write!(f, "login challenge `{text}` is not hex"),
        }
    }
}

impl std::error::Error for LoginError {}
