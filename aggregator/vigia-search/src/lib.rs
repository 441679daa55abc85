//! Subscriber search for the support desk: an immutable in-memory index over names, logins,
//! addresses, document numbers (CPF/CNPJ), ONU serials, MACs and IPs, answering ranked,
//! paginated, case- and accent-insensitive queries in a few milliseconds over 100,000
//! subscribers.
//!
//! # What this crate does
//!
//! - **Build** ([`Index::build`]) from [`SearchDoc`]s: one per subscriber, keyed by its login,
//!   with any number of `(Field, value)` pairs (two MACs, two addresses). Documents with the same
//!   id are merged. The index is immutable: the caller rebuilds it in the background when the
//!   live state changed and swaps it atomically (an `Arc<Index>` behind a lock or an
//!   `ArcSwap`). Building 100,000 subscribers takes 0.15 to 0.3 s on one core (see
//!   `benches/search.rs`).
//! - **Normalise** ([`normalise`]): lower case, Unicode NFKD with combining marks dropped
//!   ("Conceição" → "conceicao", "İ" and "ı" → "i"), and every run of characters that are not
//!   letters or digits becomes one space ("Rua das Flores, 123" → "rua das flores 123").
//!   Per field, extra forms make values findable the way people type them:
//!   - logins and ONU serials also without separators ("joao.silva123" is found by
//!     "joaosilva");
//!   - documents as digits only ("123.456.789-09" is found by "12345678909", "123.456",
//!     "456789");
//!   - MACs as hex digits only ("aa:bb:cc:dd:ee:ff" is found by "aabbcc", "AA-BB-CC", "aa:bb",
//!     "aabb.ccdd.eeff");
//!   - IPs keep their dots and colons ("10.0.1" prefix-matches "10.0.1.25"; "10.0.1.2" is a
//!     prefix of it, not an exact match).
//!
//!   The query gets the same treatment: each whitespace-separated term is normalised, and also
//!   tried as digits only (terms of digits and punctuation), as hex only (terms of hex digits with
//!   a digit, a separator, at least 6 hex digits, or when every term of the query is hex), and
//!   as an IP (terms of hex digits, dots and colons with a digit).
//! - **Search** ([`Index::search`]): every term must match somewhere in the subscriber (AND);
//!   a term matches a value exactly (the whole value), at the start of a word, or anywhere
//!   inside. The longest term is scanned over one contiguous buffer per form with SIMD
//!   substring search (`memchr::memmem`); the other terms and the whole query as a phrase are
//!   checked inside each candidate subscriber only. A bounded heap keeps the top
//!   `offset + limit`. A query costs from 0.3 ms (rare words) to about 2 ms (two letters
//!   matching a third of 100,000 subscribers) and 3.5 ms ("10", every IP) of one core: callers
//!   on an async runtime should run it with `spawn_blocking` or accept that much blocking.
//!
//! # Ranking
//!
//! Each match gets a tier, highest first:
//!
//! | tier | match |
//! |---|---|
//! | 8 | exact login |
//! | 7 | exact ONU serial, MAC, IP or document |
//! | 6 | exact name |
//! | 5 | exact address or other value |
//! | 4 | word prefix in a login or a name |
//! | 3 | word prefix anywhere else |
//! | 1 | substring |
//!
//! A subscriber's headline match is its best match of any term or of the whole query taken as
//! one phrase ("joao silva" is an exact name match for "João Silva"; on equal tiers the phrase
//! is preferred); it gives the [`Hit`]'s field and original value. Subscribers are ordered by
//! headline tier, then by the phrase's tier (the query's words together, in order), then by
//! the sum of each term's best tier (how well all terms match), then by the shorter headline
//! value, then by id. [`Hit::score`] packs all but the id, so equal scores are ordered by id;
//! the order is total and the same for the same index, so pages never overlap.
//!
//! A digits-only term is also tried against document digits, so an IP prefix such as "10.0.1"
//! can find a CPF containing "1001" as a substring; those rank at the bottom.
//!
//! # What it does not do
//!
//! No I/O, no persistence, no incremental updates (rebuild and swap), no typo tolerance, no
//! stemming, no synonyms. It does not know the live state: the caller turns subscribers into
//! [`SearchDoc`]s. It measures no time: build time is the caller's to measure.

mod doc;
mod form;
mod index;
mod normalise;
mod query;
mod rank;
mod search;

pub use doc::{Field, Hit, Results, SearchDoc};
pub use index::{BuildError, Index};
pub use normalise::normalise;
pub use query::{MAX_LIMIT, MAX_QUERY_CHARS, MIN_TERM_CHARS, QueryError};
