//! [`Reply`]: a reply sentence, typed; parsed by clients, built and encoded by servers.

use std::collections::BTreeMap;

use crate::{EncodeError, ReplyError, Sentence, encode_sentence};

/// The first word of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    /// `!re`: one row of data.
    Re,
    /// `!done`: the command finished (may carry `=ret=`).
    Done,
    /// `!trap`: the command failed (`=message=`, sometimes `=category=`); a `!done` follows.
    Trap,
    /// `!fatal`: the router is closing the connection; the next word is the reason.
    Fatal,
    /// `!empty`: no rows (RouterOS 7.18+); a `!done` follows.
    Empty,
}

impl ReplyKind {
    /// The word on the wire (`!re`).
    pub fn word(self) -> &'static str {
        match self {
            Self::Re => "!re",
            Self::Done => "!done",
            Self::Trap => "!trap",
            Self::Fatal => "!fatal",
            Self::Empty => "!empty",
        }
    }

    fn parse(word: &[u8]) -> Option<Self> {
        Some(match word {
            b"!re" => Self::Re,
            b"!done" => Self::Done,
            b"!trap" => Self::Trap,
            b"!fatal" => Self::Fatal,
            b"!empty" => Self::Empty,
            _ => return None,
        })
    }
}

/// A reply sentence: its kind, `=name=value` attributes, `.tag`, and any other words (the reason
/// of a `!fatal`). Values are decoded as UTF-8, invalid sequences replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub kind: ReplyKind,
    /// The `.tag` of the request this answers, when the request had one.
    pub tag: Option<String>,
    /// `=name=value` words by name (`.id`, `.dead` included); a repeated name keeps its last value.
    pub attributes: BTreeMap<String, String>,
    /// Words that are neither attributes nor the tag, in order.
    pub other: Vec<String>,
}

impl Reply {
    pub fn new(kind: ReplyKind) -> Self {
        Self {
            kind,
            tag: None,
            attributes: BTreeMap::new(),
            other: Vec::new(),
        }
    }

    /// `!re` with these attributes.
    pub fn row<K: Into<String>, V: Into<String>>(
        attributes: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut reply = Self::new(ReplyKind::Re);
        reply.attributes = attributes
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        reply
    }

    pub fn done() -> Self {
        Self::new(ReplyKind::Done)
    }

    pub fn empty() -> Self {
        Self::new(ReplyKind::Empty)
    }

    /// `!trap =message=<message>`.
    pub fn trap(message: impl Into<String>) -> Self {
        Self::new(ReplyKind::Trap).with("message", message)
    }

    /// `!fatal` followed by the reason as a plain word.
    pub fn fatal(reason: impl Into<String>) -> Self {
        let mut reply = Self::new(ReplyKind::Fatal);
        reply.other.push(reason.into());
        reply
    }

    /// Adds (or replaces) an attribute.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }

    #[must_use]
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The value of attribute `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }

    /// What went wrong, for `!trap` (`=message=`) and `!fatal` (the reason word).
    pub fn message(&self) -> Option<&str> {
        self.get("message")
            .or_else(|| self.other.first().map(String::as_str))
    }

    /// Reads a reply sentence. Words other than `=name=value` and `.tag=` are kept in `other`.
    pub fn parse(sentence: &Sentence) -> Result<Self, ReplyError> {
        let (first, rest) = sentence.words.split_first().ok_or(ReplyError::Empty)?;
        let kind = ReplyKind::parse(first)
            .ok_or_else(|| ReplyError::UnknownType(String::from_utf8_lossy(first).into_owned()))?;
        let mut reply = Self::new(kind);
        for word in rest {
            let word = String::from_utf8_lossy(word);
            if let Some(attribute) = word.strip_prefix('=') {
                let (name, value) = attribute.split_once('=').unwrap_or((attribute, ""));
                reply.attributes.insert(name.to_owned(), value.to_owned());
            } else if let Some(tag) = word.strip_prefix(".tag=") {
                reply.tag = Some(tag.to_owned());
            } else {
                reply.other.push(word.into_owned());
            }
        }
        Ok(reply)
    }

    /// The words of this reply: kind, attributes (by name), other words, then `.tag`.
    pub fn words(&self) -> Vec<String> {
        let mut words = vec![self.kind.word().to_owned()];
        words.extend(self.attributes.iter().map(|(k, v)| format!("={k}={v}")));
        words.extend(self.other.iter().cloned());
        if let Some(tag) = &self.tag {
            words.push(format!(".tag={tag}"));
        }
        words
    }

    /// The wire bytes of this reply (an empty `other` word is an error).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        encode_sentence(&self.words())
    }
}
