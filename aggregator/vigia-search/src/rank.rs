//! Match tiers and the packed integers the search compares.

use crate::Field;

/// How a needle sits in a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Exact,
    WordPrefix,
    Substring,
}

/// The tier of a match (the table in the crate documentation); higher is better, never 0.
pub(crate) fn tier(field: Field, kind: Kind) -> u64 {
    match (kind, field) {
        (Kind::Exact, Field::Login) => 8,
        (Kind::Exact, Field::OnuSerial | Field::Mac | Field::Ip | Field::Document) => 7,
        (Kind::Exact, Field::Name) => 6,
        (Kind::Exact, Field::Address | Field::Other) => 5,
        (Kind::WordPrefix, Field::Login | Field::Name) => 4,
        (Kind::WordPrefix, _) => 3,
        (Kind::Substring, _) => 1,
    }
}

/// Classifies an occurrence of a needle of `needle_len` bytes at `pos` in `value`.
pub(crate) fn classify(value: &[u8], pos: usize, needle_len: usize) -> Kind {
    if pos == 0 && needle_len == value.len() {
        Kind::Exact
    } else if pos == 0 || value.get(pos - 1) == Some(&b' ') {
        Kind::WordPrefix
    } else {
        Kind::Substring
    }
}

/// A match packed so that a larger integer is a better match: tier, then shorter value, then
/// (arbitrary but fixed) the larger entry reference. 0 means no match.
pub(crate) fn pack(tier: u64, value_len: usize, entry_ref: u32) -> u64 {
    let short = 0xFFFF - value_len.min(0xFFFF) as u64;
    tier << 56 | short << 40 | u64::from(entry_ref)
}

pub(crate) fn tier_of(packed: u64) -> u64 {
    packed >> 56
}

pub(crate) fn entry_ref(packed: u64) -> u32 {
    (packed & 0xFFFF_FFFF) as u32
}

/// The public score: headline tier, phrase tier, sum of the terms' tiers, inverted headline
/// value length (4, 4, 8 and 16 bits).
pub(crate) fn score(headline: u64, phrase: u64, term_tier_sum: u64) -> u32 {
    let short = (headline >> 40) & 0xFFFF;
    (tier_of(headline) << 28 | tier_of(phrase) << 24 | term_tier_sum.min(0xFF) << 16 | short) as u32
}

/// The heap key: score, then the smaller document index (documents are sorted by id).
pub(crate) fn key(score: u32, doc: u32) -> u64 {
    u64::from(score) << 32 | u64::from(u32::MAX - doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_exact_prefix_and_substring() {
        assert_eq!(classify(b"joao silva", 0, 10), Kind::Exact);
        assert_eq!(classify(b"joao silva", 0, 4), Kind::WordPrefix);
        assert_eq!(classify(b"joao silva", 5, 3), Kind::WordPrefix);
        assert_eq!(classify(b"joao silva", 6, 3), Kind::Substring);
        assert_eq!(classify(b"10.0.1.25", 3, 3), Kind::Substring);
    }

    #[test]
    fn packing_orders_by_tier_then_shorter_value() {
        let exact_name = pack(tier(Field::Name, Kind::Exact), 30, 0);
        let prefix_login = pack(tier(Field::Login, Kind::WordPrefix), 5, 9);
        let prefix_login_long = pack(tier(Field::Login, Kind::WordPrefix), 6, 10);
        assert!(exact_name > prefix_login);
        assert!(prefix_login > prefix_login_long);
        assert_eq!(tier_of(prefix_login), 4);
        assert_eq!(entry_ref(prefix_login_long), 10);
        assert!(score(exact_name, 0, 6) > score(prefix_login, 0, 8));
        assert!(score(prefix_login, prefix_login, 8) > score(prefix_login, 0, 8));
        assert!(key(score(prefix_login, 0, 4), 1) > key(score(prefix_login, 0, 4), 2));
    }
}
