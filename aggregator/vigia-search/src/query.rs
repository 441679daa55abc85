//! Query parsing: terms, the phrase, and the limits.

use crate::form::{TermForms, is_hexish, term_forms};

/// The longest term of a query needs at least this many letters or digits.
pub const MIN_TERM_CHARS: usize = 2;
/// Queries longer than this (in characters, before normalisation) are refused.
pub const MAX_QUERY_CHARS: usize = 100;
/// Page sizes are clamped to `1..=MAX_LIMIT`.
pub const MAX_LIMIT: usize = 100;

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// No term has [`MIN_TERM_CHARS`] letters or digits ("a", "!!", "a b").
    #[error("query too short: type at least {min} letters or digits in one word")]
    TooShort { min: usize },
    /// More than [`MAX_QUERY_CHARS`] characters.
    #[error("query too long: {len} characters, at most {max}")]
    TooLong { len: usize, max: usize },
}

/// A parsed query.
#[derive(Debug)]
pub(crate) struct Query {
    /// Every term must match (AND). Never empty.
    pub terms: Vec<TermForms>,
    /// The index of the term to scan the index with: the one with most characters.
    pub scan: usize,
    /// The whole query as one term, when it has several terms: ranks "joao silva" as an exact
    /// name match for "João Silva".
    pub phrase: Option<TermForms>,
}

impl Query {
    pub(crate) fn parse(query: &str) -> Result<Query, QueryError> {
        let len = query.chars().count();
        if len > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong {
                len,
                max: MAX_QUERY_CHARS,
            });
        }
        let raw: Vec<&str> = query
            .split_whitespace()
            .filter(|t| !crate::normalise(t).is_empty())
            .collect();
        let all_hex = raw.len() > 1 && raw.iter().all(|t| is_hexish(&crate::normalise(t)));
        let terms: Vec<TermForms> = raw.iter().filter_map(|t| term_forms(t, all_hex)).collect();
        let scan = terms
            .iter()
            .enumerate()
            .max_by_key(|(i, t)| (t.chars, std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        let scan = match scan {
            Some(i) if terms[i].chars >= MIN_TERM_CHARS => i,
            _ => {
                return Err(QueryError::TooShort {
                    min: MIN_TERM_CHARS,
                });
            }
        };
        let phrase = if terms.len() > 1 {
            term_forms(query.trim(), all_hex)
        } else {
            None
        };
        Ok(Query {
            terms,
            scan,
            phrase,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_longest_term_to_scan() {
        let q = Query::parse("jo silva x").expect("valid");
        assert_eq!(q.terms.len(), 3);
        assert_eq!(q.scan, 1);
        assert!(q.phrase.is_some());
        let q = Query::parse("  silva ").expect("valid");
        assert_eq!(q.scan, 0);
        assert!(q.phrase.is_none());
    }

    #[test]
    fn refuses_short_and_long_queries() {
        let short = Err(QueryError::TooShort { min: 2 });
        assert_eq!(Query::parse("a").map(|_| ()), short);
        assert_eq!(Query::parse("!!").map(|_| ()), short);
        assert_eq!(Query::parse("  ").map(|_| ()), short);
        assert_eq!(Query::parse("a b").map(|_| ()), short);
        assert_eq!(Query::parse("").map(|_| ()), short);
        let long = "x".repeat(101);
        assert_eq!(
            Query::parse(&long).map(|_| ()),
            Err(QueryError::TooLong { len: 101, max: 100 })
        );
        assert!(Query::parse(&"ã".repeat(100)).is_ok());
    }
}
