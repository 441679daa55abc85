//! Properties over arbitrary text: normalisation never panics and is stable, and any piece of
//! a normalised value, typed as a query, finds its document.

use proptest::prelude::*;
use vigia_search::{Field, Index, QueryError, SearchDoc, normalise};

/// Text mixing ASCII, Portuguese accents, combining marks, Turkish i, compatibility forms,
/// CJK, emoji and separators, plus anything proptest likes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 .,:/-]{0,40}",
        "[a-zãáâàçéêíóôõúüÃÁÂÀÇÉÊÍÓÔÕÚÜ \u{301}\u{303}\u{327}İıß ﬁ１２ǅΩ東京😀-]{0,40}",
        any::<String>(),
    ]
}

fn index_with(field: Field, value: &str) -> Index {
    Index::build(vec![
        SearchDoc {
            id: "target".into(),
            fields: vec![(field, value.to_owned())],
        },
        SearchDoc {
            id: "other".into(),
            fields: vec![(Field::Name, "Fulano de Tal".into())],
        },
    ])
    .expect("index builds")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn normalise_is_total_and_idempotent(s in text()) {
        let n = normalise(&s);
        prop_assert_eq!(normalise(&n), n.clone());
        prop_assert!(!n.starts_with(' ') && !n.ends_with(' ') && !n.contains("  "));
        prop_assert!(n.chars().all(|c| c == ' ' || c.is_alphanumeric()));
    }

    #[test]
    fn any_piece_of_a_normalised_value_finds_its_document(
        s in text(),
        field in prop_oneof![
            Just(Field::Name), Just(Field::Address), Just(Field::Login),
            Just(Field::OnuSerial), Just(Field::Other),
        ],
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
    ) {
        let n = normalise(&s);
        let chars: Vec<char> = n.chars().collect();
        prop_assume!(!chars.is_empty());
        let (i, j) = (a.index(chars.len()), b.index(chars.len()));
        let (from, to) = (i.min(j), i.max(j) + 1);
        let query: String = chars[from..to].iter().collect();
        let index = index_with(field, &s);
        match index.search(&query, 0, 100) {
            Ok(r) => prop_assert!(
                r.hits.iter().any(|h| h.id == "target"),
                "{:?} (from {:?}) not found: {:?}", query, n, r
            ),
            Err(QueryError::TooShort { .. }) => {
                let longest = query.split(' ').map(|t| t.chars().count()).max().unwrap_or(0);
                prop_assert!(longest < 2, "{:?} refused", query);
            }
            Err(QueryError::TooLong { .. }) => prop_assert!(query.chars().count() > 100),
        }
    }

    #[test]
    fn arbitrary_queries_never_panic(value in text(), query in text()) {
        let index = index_with(Field::Address, &value);
        if let Ok(r) = index.search(&query, 0, 10) {
            prop_assert!(r.hits.len() <= r.total);
        }
    }
}
