//! `vigia-routeros`: the MikroTik RouterOS API wire format (TCP 8728, or 8729 inside TLS), for
//! both ends of a connection.
//!
//! - [`length`]: the variable-length word length prefix (1 to 5 bytes; first bytes `0xF8..=0xFF`
//!   are reserved control bytes and rejected, as are `0xF1..=0xF7`).
//! - [`Sentence`], [`encode_sentence`] and [`SentenceDecoder`]: words terminated by an empty word;
//!   the decoder is incremental (feed bytes as they arrive, take complete sentences out) and
//!   bounded by [`Limits`] (word size, sentence size, words per sentence), so a hostile or broken
//!   peer cannot make it buffer without end.
//! - Client side: [`Request`] builds a command with attributes, `.proplist`, [`Query`] words and a
//!   `.tag`; [`Reply`] types a reply sentence (`!re`, `!done`, `!trap`, `!fatal`, `!empty`) into
//!   its attributes and tag; [`login`] builds the current login and the pre-6.43 challenge
//!   response (`00` + hex(md5(0x00 + password + challenge))).
//! - Server side (the simulated router): [`Request::parse`] reads a request sentence back,
//!   [`Query::evaluate`] filters rows with the API's query stack, [`Reply`]'s constructors and
//!   [`Reply::encode`] write replies, and [`login::verify_legacy_response`] checks a challenge.
//!
//! What it does NOT do: no I/O, sockets, TLS or timeouts (the caller owns the connection: the
//! plugin reads through the agent's `tcp` capability); no knowledge of RouterOS menus or fields
//! beyond the protocol words (`.tag`, `.proplist`, `.id`, `=ret=`, `=message=`); no REST API; no
//! character-set conversion (words are bytes; [`Reply`] decodes values as UTF-8, replacing invalid
//! sequences, which matters for the Windows-1252 comments older RouterOS writes).
//!
//! ```
//! use vigia_routeros::{Query, Reply, ReplyKind, Request, SentenceDecoder};
//!
//! let request = Request::new("/ppp/active/print")
//!     .proplist(["name", "address"])
//!     .query(Query::equals("service", "pppoe"))
//!     .tag("7");
//! let bytes = request.encode()?;
//! assert_eq!(&bytes[..18], b"\x11/ppp/active/print");
//!
//! // The other end: decode the bytes, possibly split anywhere, into sentences.
//! let mut decoder = SentenceDecoder::default();
//! decoder.feed(&bytes);
//! let sentence = decoder.next_sentence()?.expect("one whole sentence");
//! assert_eq!(Request::parse(&sentence)?, request);
//!
//! let reply = Reply::row([("name", "joao123")]).with_tag("7");
//! decoder.feed(&reply.encode()?);
//! let reply = Reply::parse(&decoder.next_sentence()?.expect("a reply"))?;
//! assert_eq!((reply.kind, reply.get("name"), reply.tag.as_deref()), (ReplyKind::Re, Some("joao123"), Some("7")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
pub mod length;
pub mod login;
mod query;
mod reply;
mod request;
mod sentence;

pub use error::{DecodeError, EncodeError, LoginError, QueryError, ReplyError, RequestError};
pub use query::Query;
pub use reply::{Reply, ReplyKind};
pub use request::Request;
pub use sentence::{Limits, Sentence, SentenceDecoder, encode_sentence};
