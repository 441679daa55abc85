//! Behaviour of the index through its public API: matching, ranking, paging, errors.

use vigia_search::{Field, Hit, Index, QueryError, Results, SearchDoc};

fn doc(id: &str, fields: &[(Field, &str)]) -> SearchDoc {
    SearchDoc {
        id: id.to_owned(),
        fields: fields.iter().map(|(f, v)| (*f, (*v).to_owned())).collect(),
    }
}

fn index(docs: Vec<SearchDoc>) -> Index {
    Index::build(docs).expect("index builds")
}

/// All hits of a query, in order.
fn check(index: &Index, query: &str) -> Results {
    index
        .search(query, 0, 100)
        .unwrap_or_else(|e| panic!("query {query:?} refused: {e}"))
}

fn ids(results: &Results) -> Vec<&str> {
    results.hits.iter().map(|h| h.id.as_str()).collect()
}

fn hit<'a>(results: &'a Results, id: &str) -> &'a Hit {
    results
        .hits
        .iter()
        .find(|h| h.id == id)
        .unwrap_or_else(|| panic!("{id} not in {:?}", ids(results)))
}

fn network() -> Index {
    index(vec![
        doc(
            "joao.silva123",
            &[
                (Field::Login, "joao.silva123"),
                (Field::Name, "João da Silva"),
                (Field::Address, "Rua das Flores, 123 - Centro, Teresina"),
                (Field::Document, "123.456.789-09"),
                (Field::OnuSerial, "HWTC1A2B3C4D"),
                (Field::Mac, "AA:BB:CC:DD:EE:FF"),
                (Field::Ip, "10.0.1.25"),
            ],
        ),
        doc(
            "maria.conceicao",
            &[
                (Field::Login, "maria.conceicao"),
                (Field::Name, "Maria da Conceição"),
                (Field::Address, "Avenida Brasil, 45 - Jardim América, Picos"),
                (Field::Document, "98.765.432/0001-10"),
                (Field::OnuSerial, "ZTEG-C8A1B2C3"),
                (Field::Mac, "00-11-22-33-44-55"),
                (Field::Ip, "10.0.1.2"),
            ],
        ),
        doc(
            "ana.souza",
            &[
                (Field::Login, "ana.souza"),
                (Field::Name, "Ana Souza"),
                (Field::Address, "Travessa São João, 7 - Vila Nova, Timon"),
                (Field::Ip, "192.168.10.1"),
            ],
        ),
    ])
}

#[test]
fn accents_and_case_are_ignored() {
    let index = network();
    for q in ["joao", "JOAO", "João", "jOãO"] {
        let r = check(&index, q);
        assert_eq!(ids(&r), ["joao.silva123", "ana.souza"], "query {q}");
    }
    assert_eq!(ids(&check(&index, "conceicao")), ["maria.conceicao"]);
    assert_eq!(ids(&check(&index, "CONCEIÇÃO")), ["maria.conceicao"]);
    // The hit carries the original value, not the normalised one.
    let r = check(&index, "da conceicao");
    assert_eq!(r.hits[0].value, "Maria da Conceição");
}

#[test]
fn documents_are_found_with_or_without_punctuation() {
    let index = network();
    for q in [
        "12345678909",
        "123.456.789-09",
        "123.456",
        "456789",
        "789-09",
        "123456789-09",
    ] {
        assert_eq!(ids(&check(&index, q)), ["joao.silva123"], "query {q}");
    }
    let r = check(&index, "12345678909");
    assert_eq!(r.hits[0].field, Field::Document);
    assert_eq!(r.hits[0].value, "123.456.789-09");
    for q in ["98.765.432/0001-10", "98765432000110", "0001-10", "765432"] {
        assert_eq!(ids(&check(&index, q)), ["maria.conceicao"], "query {q}");
    }
    // An exact document outranks the same digits as a substring elsewhere.
    let exact = hit(&check(&index, "123.456.789-09"), "joao.silva123").score;
    let prefix = hit(&check(&index, "123.456"), "joao.silva123").score;
    assert!(exact > prefix);
}

#[test]
fn macs_are_found_in_any_notation() {
    let index = network();
    for q in [
        "aabbcc",
        "AA-BB-CC",
        "aa:bb",
        "aabb.ccdd.eeff",
        "AA:BB:CC:DD:EE:FF",
        "ddeeff",
        "aa bb cc",
    ] {
        let r = check(&index, q);
        assert_eq!(ids(&r), ["joao.silva123"], "query {q}");
        assert_eq!(r.hits[0].field, Field::Mac, "query {q}");
        assert_eq!(r.hits[0].value, "AA:BB:CC:DD:EE:FF");
    }
    assert_eq!(ids(&check(&index, "00:11:22")), ["maria.conceicao"]);
    let exact = check(&index, "aa-bb-cc-dd-ee-ff").hits[0].score;
    let fragment = check(&index, "aa-bb-cc").hits[0].score;
    assert!(exact > fragment);
}

#[test]
fn short_letter_words_do_not_match_inside_macs() {
    let index = index(vec![
        doc("bea", &[(Field::Name, "Beatriz Lima")]),
        doc("cpe", &[(Field::Mac, "00:be:a0:12:34:56")]),
    ]);
    assert_eq!(ids(&check(&index, "bea")), ["bea"]);
    // With a separator or a digit it is a MAC fragment.
    assert_eq!(ids(&check(&index, "be:a0")), ["cpe"]);
    assert_eq!(ids(&check(&index, "bea0")), ["cpe"]);
}

#[test]
fn ip_prefixes_match_and_rank_below_the_exact_address() {
    let index = network();
    let r = check(&index, "10.0.1");
    assert_eq!(ids(&r), ["maria.conceicao", "joao.silva123"]);
    assert!(r.hits.iter().all(|h| h.field == Field::Ip));
    // "10.0.1.2" is exactly maria's address and only a prefix of joao's.
    let r = check(&index, "10.0.1.2");
    assert_eq!(ids(&r), ["maria.conceicao", "joao.silva123"]);
    assert!(r.hits[0].score > r.hits[1].score);
    assert_eq!(r.hits[0].value, "10.0.1.2");
    let r = check(&index, "10.0.1.25");
    assert_eq!(ids(&r), ["joao.silva123"]);
    assert_eq!(ids(&check(&index, "192.168")), ["ana.souza"]);
}

#[test]
fn serials_logins_names_and_addresses_are_found() {
    let index = network();
    let r = check(&index, "HWTC1A2B");
    assert_eq!(ids(&r), ["joao.silva123"]);
    assert_eq!(
        (r.hits[0].field, r.hits[0].value.as_str()),
        (Field::OnuSerial, "HWTC1A2B3C4D")
    );
    assert_eq!(ids(&check(&index, "1a2b3c4d")), ["joao.silva123"]);
    // Serials and logins also match without their separators.
    assert_eq!(ids(&check(&index, "ztegc8a1")), ["maria.conceicao"]);
    assert_eq!(ids(&check(&index, "zteg-c8a1")), ["maria.conceicao"]);
    assert_eq!(ids(&check(&index, "joaosilva")), ["joao.silva123"]);
    let r = check(&index, "joao.silva123");
    assert_eq!(r.hits[0].field, Field::Login);
    assert_eq!(ids(&check(&index, "jardim america")), ["maria.conceicao"]);
    assert_eq!(
        ids(&check(&index, "Rua das Flores, 123")),
        ["joao.silva123"]
    );
}

#[test]
fn every_term_must_match() {
    let index = network();
    assert_eq!(ids(&check(&index, "joao centro")), ["joao.silva123"]);
    // "joao" alone also finds ana (Travessa São João), "centro" only joao.
    assert_eq!(ids(&check(&index, "joao vila")), ["ana.souza"]);
    assert_eq!(ids(&check(&index, "joao picos")), Vec::<&str>::new());
    assert_eq!(check(&index, "joao picos").total, 0);
    // Terms may match different fields, and short terms ride along with a long one.
    assert_eq!(ids(&check(&index, "maria 10.0.1")), ["maria.conceicao"]);
    assert_eq!(ids(&check(&index, "a souza")), ["ana.souza"]);
}

#[test]
fn ranking_follows_the_documented_order() {
    let index = index(vec![
        doc("a-substring", &[(Field::Address, "Rua Tresilva, 1")]),
        doc(
            "b-prefix-elsewhere",
            &[(Field::Address, "Rua Silva Jardim, 10")],
        ),
        doc("c-prefix-name", &[(Field::Name, "Silva Santos")]),
        doc("d-exact-name", &[(Field::Name, "Silva")]),
        doc("e-exact-serial", &[(Field::OnuSerial, "SILVA")]),
        doc("silva", &[(Field::Login, "silva")]),
        doc("f-prefix-login", &[(Field::Login, "silva.ana")]),
    ]);
    let r = check(&index, "silva");
    assert_eq!(
        ids(&r),
        [
            "silva",
            "e-exact-serial",
            "d-exact-name",
            // Word prefixes in login and name tie; the shorter value wins.
            "f-prefix-login",
            "c-prefix-name",
            "b-prefix-elsewhere",
            "a-substring",
        ]
    );
    let scores: Vec<u32> = r.hits.iter().map(|h| h.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn ties_go_to_the_shorter_value_then_the_id() {
    let index = index(vec![
        doc("c", &[(Field::Name, "Joana Lima")]),
        doc("b", &[(Field::Name, "Joana Pereira")]),
        doc("a", &[(Field::Name, "Joana Pereira")]),
    ]);
    let r = check(&index, "joana");
    assert_eq!(ids(&r), ["c", "a", "b"]);
    assert_eq!(r.hits[1].score, r.hits[2].score);
}

#[test]
fn a_phrase_outranks_scattered_terms() {
    let index = index(vec![
        doc("scattered", &[(Field::Name, "João Pereira Silva")]),
        doc("phrase", &[(Field::Name, "João Silva Pereira")]),
        doc("exact", &[(Field::Name, "João Silva")]),
    ]);
    let r = check(&index, "joao silva");
    assert_eq!(ids(&r), ["exact", "phrase", "scattered"]);
    assert_eq!(r.hits[0].value, "João Silva");
}

#[test]
fn pages_cover_every_match_once() {
    let docs = (0..250)
        .map(|i| {
            doc(
                &format!("sub{i:03}"),
                &[(Field::Name, &format!("Cliente {} Souza", "x".repeat(i % 7)))],
            )
        })
        .collect();
    let index = index(docs);
    let mut seen = Vec::new();
    for page in 0..3 {
        let r = index.search("souza", page * 100, 100).expect("valid");
        assert_eq!(r.total, 250);
        seen.extend(r.hits.into_iter().map(|h| (h.score, h.id)));
    }
    assert_eq!(seen.len(), 250);
    let mut ids: Vec<&str> = seen.iter().map(|(_, id)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 250, "pages overlap");
    assert!(
        seen.windows(2).all(|w| w[0].0 >= w[1].0),
        "pages out of order"
    );
    // The same page twice is the same page.
    assert_eq!(index.search("souza", 40, 30), index.search("souza", 40, 30));
    let beyond = index.search("souza", 300, 10).expect("valid");
    assert_eq!((beyond.total, beyond.hits.len()), (250, 0));
    let huge = index.search("souza", usize::MAX, 10).expect("valid");
    assert_eq!((huge.total, huge.hits.len()), (250, 0));
    // The limit is clamped to 1..=100.
    assert_eq!(index.search("souza", 0, 0).expect("valid").hits.len(), 1);
    assert_eq!(
        index.search("souza", 0, 1000).expect("valid").hits.len(),
        100
    );
    let tail = index.search("souza", 245, 100).expect("valid");
    assert_eq!(tail.hits.len(), 5);
}

#[test]
fn short_long_and_empty_queries_are_refused() {
    let index = network();
    let short = Err(QueryError::TooShort { min: 2 });
    for q in ["j", "!!", "  ", "", "a b", "ã", "-"] {
        assert_eq!(index.search(q, 0, 10), short, "query {q:?}");
    }
    let long = "a".repeat(101);
    assert_eq!(
        index.search(&long, 0, 10),
        Err(QueryError::TooLong { len: 101, max: 100 })
    );
    assert!(index.search(&"a".repeat(100), 0, 10).is_ok());
    let message = QueryError::TooShort { min: 2 }.to_string();
    assert!(message.contains("at least 2"), "{message}");
}

#[test]
fn several_values_of_a_field_are_each_searchable() {
    let index = index(vec![doc(
        "multi",
        &[
            (Field::Login, "multi"),
            (Field::Mac, "11:22:33:44:55:66"),
            (Field::Mac, "AA:AA:AA:00:00:01"),
            (Field::Address, "Rua Um, 1 - Centro"),
            (Field::Address, "Rua Dois, 2 - Aeroporto"),
        ],
    )]);
    let r = check(&index, "aa:aa:aa");
    assert_eq!(
        (r.hits[0].field, r.hits[0].value.as_str()),
        (Field::Mac, "AA:AA:AA:00:00:01")
    );
    let r = check(&index, "112233");
    assert_eq!(r.hits[0].value, "11:22:33:44:55:66");
    let r = check(&index, "aeroporto");
    assert_eq!(r.hits[0].value, "Rua Dois, 2 - Aeroporto");
    assert_eq!(check(&index, "centro").hits[0].value, "Rua Um, 1 - Centro");
    // Terms may match different values of the same field.
    assert_eq!(check(&index, "centro aeroporto").total, 1);
}

#[test]
fn documents_with_the_same_id_are_merged() {
    let index = index(vec![
        doc("dup", &[(Field::Name, "Pedro Alves")]),
        doc("other", &[(Field::Name, "Pedro Lima")]),
        doc("dup", &[(Field::OnuSerial, "HWTC00000001")]),
    ]);
    assert_eq!(index.len(), 2);
    assert_eq!(ids(&check(&index, "pedro hwtc")), ["dup"]);
    // Same tier: the shorter name first.
    assert_eq!(ids(&check(&index, "pedro")), ["other", "dup"]);
}

#[test]
fn unicode_edge_cases_never_panic() {
    let index = index(vec![
        doc("emoji", &[(Field::Name, "Zé 😀 Café ☕ 👨‍👩‍👧")]),
        doc("cjk", &[(Field::Address, "東京都 渋谷区 1-2-3")]),
        doc(
            "combining",
            &[(Field::Name, "Jose\u{301} Conceic\u{327}a\u{303}o")],
        ),
        doc("turkish", &[(Field::Name, "İSMAİL ILIK ısparta")]),
        doc(
            "empty",
            &[(Field::Name, ""), (Field::Mac, "::"), (Field::Ip, "--")],
        ),
        doc(
            "controls",
            &[(Field::Other, "\u{0}\u{7f}\u{200b}\u{feff}x\u{0}y")],
        ),
    ]);
    assert_eq!(ids(&check(&index, "café")), ["emoji"]);
    assert_eq!(ids(&check(&index, "ze cafe")), ["emoji"]);
    assert_eq!(ids(&check(&index, "渋谷")), ["cjk"]);
    assert_eq!(ids(&check(&index, "josé conceição")), ["combining"]);
    assert_eq!(ids(&check(&index, "jose conceicao")), ["combining"]);
    assert_eq!(ids(&check(&index, "ismail")), ["turkish"]);
    assert_eq!(ids(&check(&index, "isparta")), ["turkish"]);
    assert_eq!(ids(&check(&index, "ILIK")), ["turkish"]);
    for q in [
        "😀😀",
        "😀 ze",
        "\u{301}\u{301}",
        "ﬁ",
        "İİ",
        "ıı",
        "\u{0}\u{0}",
        "𝔘𝔫𝔦",
        "١٢٣",
        "ǅǅ",
        "a\u{301}\u{301}\u{301}b",
        "👨‍👩‍👧 ok",
        "::",
        "...",
        "1.",
        ":a",
    ] {
        // Either refused as too short or answered; never a panic.
        let _ = index.search(q, 0, 10);
    }
    assert_eq!(check(&index, "xy").total, 0);
    assert_eq!(ids(&check(&index, "x y z cafe")), Vec::<&str>::new());
}

#[test]
fn an_empty_index_answers_nothing() {
    let index = Index::build(Vec::new()).expect("builds");
    assert!(index.is_empty());
    assert_eq!(check(&index, "joao"), Results::default());
    assert_eq!(
        Index::default().search("joao", 0, 10),
        Ok(Results::default())
    );
}

#[test]
fn len_and_memory_are_reported() {
    let index = network();
    assert_eq!(index.len(), 3);
    // At least the original values and their normalised forms.
    let raw: usize = 300;
    assert!(index.memory_bytes() > raw, "{}", index.memory_bytes());
    let debug = format!("{index:?}");
    assert!(
        debug.starts_with("Index { docs: 3, memory_bytes: "),
        "{debug}"
    );
    assert!(!debug.contains("joao"), "{debug}");
}

#[test]
fn types_serialise_in_snake_case() {
    let r = check(&network(), "HWTC1A2B3C4D");
    let json = serde_json::to_value(&r).expect("serialises");
    assert_eq!(json["total"], 1);
    assert_eq!(json["hits"][0]["field"], "onu_serial");
    assert_eq!(json["hits"][0]["value"], "HWTC1A2B3C4D");
    let doc: SearchDoc =
        serde_json::from_str(r#"{"id":"x","fields":[["onu_serial","HWTC1"],["ip","10.0.0.1"]]}"#)
            .expect("deserialises");
    assert_eq!(doc.fields[0].0, Field::OnuSerial);
    assert_eq!(Field::OnuSerial.as_str(), "onu_serial");
}

#[test]
fn the_index_can_be_shared_between_threads() {
    let index = std::sync::Arc::new(network());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let index = index.clone();
            std::thread::spawn(move || index.search("joao", 0, 10).map(|r| r.total))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("no panic"), Ok(2));
    }
}
