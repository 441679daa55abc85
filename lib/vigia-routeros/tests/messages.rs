//! Requests, replies and queries: building, encoding, parsing back (client and server sides).

use vigia_routeros::{
    Limits, Query, QueryError, Reply, ReplyError, ReplyKind, Request, RequestError, Sentence,
    SentenceDecoder,
};

fn one(bytes: &[u8]) -> Sentence {
    let (mut sentences, partial) = SentenceDecoder::decode_all(bytes, Limits::default()).unwrap();
    assert!(!partial);
    assert_eq!(sentences.len(), 1);
    sentences.remove(0)
}

#[test]
fn request_words_are_in_protocol_order() {
    let request = Request::new("/ppp/active/print")
        .attribute("detail", "")
        .proplist([".id", "name", "uptime"])
        .query(Query::equals("service", "pppoe"))
        .query(Query::Has("address".into()))
        .query(Query::Ops("|".into()))
        .tag("3");
    assert_eq!(
        request.words(),
        [
            "/ppp/active/print",
            "=detail=",
            "=.proplist=.id,name,uptime",
            "?service=pppoe",
            "?address",
            "?#|",
            ".tag=3",
        ]
    );
    assert_eq!(
        Request::parse(&one(&request.encode().unwrap())),
        Ok(request)
    );
}

#[test]
fn cancel_request_matches_hand_written_bytes() {
    let bytes = Request::new("/cancel")
        .attribute("tag", "4")
        .encode()
        .unwrap();
    assert_eq!(bytes, b"\x07/cancel\x06=tag=4\x00");
}

#[test]
fn server_parses_attributes_flags_and_queries() {
    let sentence = Sentence::new([
        "/interface/print",
        "=once",
        "=.proplist=",
        "?=name=ether1",
        "?-disabled",
        "?>rx-byte=10",
        "?<mtu=1500",
        ".tag=x",
    ]);
    let request = Request::parse(&sentence).unwrap();
    assert_eq!(request.get("once"), Some(""));
    assert_eq!(request.proplist, None);
    assert_eq!(
        request.queries,
        vec![
            Query::equals("name", "ether1"),
            Query::Absent("disabled".into()),
            Query::Greater("rx-byte".into(), "10".into()),
            Query::Less("mtu".into(), "1500".into()),
        ]
    );
    assert_eq!(request.tag.as_deref(), Some("x"));
}

#[test]
fn malformed_requests_are_errors() {
    assert_eq!(
        Request::parse(&Sentence::default()),
        Err(RequestError::Empty)
    );
    assert_eq!(
        Request::parse(&Sentence::new(["login"])),
        Err(RequestError::NotACommand("login".into()))
    );
    assert_eq!(
        Request::parse(&Sentence::new(["/login", "name=x"])),
        Err(RequestError::UnexpectedWord("name=x".into()))
    );
    assert!(matches!(
        Request::parse(&Sentence::new([&b"/login"[..], b"=name=\xFF"])),
        Err(RequestError::NotUtf8(_))
    ));
    assert!(Request::new("").encode().is_err());
}

#[test]
fn replies_parse_kind_attributes_tag_and_fatal_reason() {
    let re = Reply::parse(&Sentence::new([
        "!re",
        "=.id=*8A1",
        "=.dead=yes",
        "=note=a=b",
        ".tag=4",
    ]))
    .unwrap();
    assert_eq!(re.kind, ReplyKind::Re);
    assert_eq!(
        (re.get(".id"), re.get(".dead"), re.get("note")),
        (Some("*8A1"), Some("yes"), Some("a=b"))
    );
    assert_eq!(re.tag.as_deref(), Some("4"));

    let trap = Reply::parse(&Sentence::new([
        "!trap",
        "=category=2",
        "=message=interrupted",
        ".tag=4",
    ]))
    .unwrap();
    assert_eq!(
        (trap.kind, trap.message(), trap.get("category")),
        (ReplyKind::Trap, Some("interrupted"), Some("2"))
    );

    let fatal = Reply::parse(&Sentence::new(["!fatal", "not logged in"])).unwrap();
    assert_eq!(
        (fatal.kind, fatal.message()),
        (ReplyKind::Fatal, Some("not logged in"))
    );

    let done = Reply::parse(&Sentence::new(["!done", "=ret=ebddd187"])).unwrap();
    assert_eq!(done.get("ret"), Some("ebddd187"));
    assert_eq!(
        Reply::parse(&Sentence::new(["!empty"])).unwrap().kind,
        ReplyKind::Empty
    );
}

#[test]
fn unknown_replies_are_errors() {
    assert_eq!(Reply::parse(&Sentence::default()), Err(ReplyError::Empty));
    assert_eq!(
        Reply::parse(&Sentence::new(["!bogus"])),
        Err(ReplyError::UnknownType("!bogus".into()))
    );
    assert_eq!(
        Reply::parse(&Sentence::new(["/login"]))
            .unwrap_err()
            .to_string(),
        "unknown reply type `/login`"
    );
}

#[test]
fn server_replies_encode_and_parse_back() {
    let replies = [
        Reply::row([("name", "joao123"), (".id", "*1")]).with_tag("1"),
        Reply::trap("no such command prefix").with("category", "0"),
        Reply::fatal("session terminated on request"),
        Reply::empty().with_tag("2"),
        Reply::done().with("ret", "00ff"),
    ];
    for reply in replies {
        assert_eq!(
            Reply::parse(&one(&reply.encode().unwrap())),
            Ok(reply.clone())
        );
    }
    assert_eq!(
        Reply::row([("a", "1")]).with_tag("7").encode().unwrap(),
        b"\x03!re\x04=a=1\x06.tag=7\x00"
    );
}

#[test]
fn query_words_round_trip() {
    for query in [
        Query::Has("name".into()),
        Query::Absent("name".into()),
        Query::equals("name", "joao"),
        Query::equals("comment", ""),
        Query::Less("mtu".into(), "1500".into()),
        Query::Greater("mtu".into(), "1500".into()),
        Query::Ops("|!".into()),
    ] {
        assert_eq!(Query::parse(&query.word()), Some(query));
    }
    assert_eq!(Query::parse("name"), None);
}

#[test]
fn queries_evaluate_as_a_stack() {
    let row = [("name", "joao"), ("service", "pppoe"), ("mtu", "1480")];
    let lookup = |name: &str| row.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let eval = |queries: &[Query]| Query::evaluate(queries, lookup);
    assert_eq!(eval(&[]), Ok(true));
    assert_eq!(
        eval(&[
            Query::equals("name", "joao"),
            Query::equals("service", "pppoe")
        ]),
        Ok(true)
    );
    assert_eq!(eval(&[Query::equals("name", "maria")]), Ok(false));
    // name=maria OR service=pppoe
    let or = [
        Query::equals("name", "maria"),
        Query::equals("service", "pppoe"),
        Query::Ops("|".into()),
    ];
    assert_eq!(eval(&or), Ok(true));
    assert_eq!(
        eval(&[Query::Has("address".into()), Query::Ops("!".into())]),
        Ok(true)
    );
    assert_eq!(eval(&[Query::Absent("address".into())]), Ok(true));
    // Integers compare as numbers (1480 < 1500, though "1480" > "15" as text).
    assert_eq!(eval(&[Query::Less("mtu".into(), "1500".into())]), Ok(true));
    assert_eq!(eval(&[Query::Greater("mtu".into(), "15".into())]), Ok(true));
    assert_eq!(
        eval(&[Query::Ops("&".into())]),
        Err(QueryError::StackUnderflow { op: '&' })
    );
    assert_eq!(
        eval(&[Query::Has("a".into()), Query::Ops("3".into())]),
        Err(QueryError::UnsupportedOp('3'))
    );
}
