//! `logins`: the live check of a few subscribers, one `?name=` print per login and table.

use serde_json::json;
use vigia_routeros::Query;

use super::*;

fn name_query(request: &Request) -> Vec<Query> {
    request.queries.clone()
}

#[test]
fn looked_up_logins_without_a_session_are_reported_offline() {
    let secrets_ghost = replies(&[done("4")]);
    let host = router(&[
        LOGIN_OK.to_vec(),
        replies(&[
            row(
                "1",
                &[
                    (".id", "*8A1"),
                    ("name", "joao.silva"),
                    ("address", "10.205.74.160"),
                    ("uptime", "1h"),
                ],
            ),
            done("1"),
        ]),
        replies(&[done("2")]),
        replies(&[
            row("3", &[("name", "joao.silva"), ("profile", "100M")]),
            done("3"),
        ]),
        secrets_ghost,
    ]);
    // The probe follows disconnects; the lookup must not.
    let config = config(
        r#""read": ["sessions", "secrets", "interfaces"], "listen_ms": 3000, "logins": ["joao.silva", "ghost"]"#,
    );
    let observations = run(&config, &host).unwrap();
    assert!(failures(&observations).is_empty(), "{observations:#?}");

    let joao = session(&observations, "joao.silva");
    assert!(joao.online);
    assert_eq!(joao.address.as_deref(), Some("10.205.74.160"));
    let ghost = session(&observations, "ghost");
    assert!(!ghost.online, "no session now");
    assert_eq!(
        (ghost.since_ms, ghost.last_disconnect_reason.as_deref()),
        (None, None)
    );
    assert_eq!(ghost.concentrator, "bnas-1");
    assert_eq!(label(&observations, "ghost", "source"), Some("lookup"));
    assert_eq!(sessions(&observations).len(), 2, "{observations:#?}");
    assert!(
        !observations
            .iter()
            .any(|o| matches!(o.kind, ObservationKind::Metric(_))),
        "no online count from a lookup"
    );
    assert!(interfaces(&observations).is_empty());

    let sent = requests(&host);
    let commands: Vec<&str> = sent.iter().map(|r| r.command.as_str()).collect();
    assert_eq!(
        commands,
        [
            "/login",
            "/ppp/active/print",
            "/ppp/active/print",
            "/ppp/secret/print",
            "/ppp/secret/print"
        ],
        "no listen, no interfaces"
    );
    assert_eq!(name_query(&sent[1]), [Query::equals("name", "joao.silva")]);
    assert_eq!(name_query(&sent[2]), [Query::equals("name", "ghost")]);
    assert_eq!(name_query(&sent[4]), [Query::equals("name", "ghost")]);
    // A lookup is not the session table: the snapshot is neither read nor written.
    assert!(
        !host
            .calls()
            .iter()
            .any(|c| matches!(c, Call::KvGet(_) | Call::KvSet(..))),
        "{:?}",
        host.calls()
    );
}

#[test]
fn a_looked_up_login_with_a_secret_carries_its_last_logout() {
    let host = router(&[
        LOGIN_OK.to_vec(),
        replies(&[done("1")]),
        replies(&[
            row(
                "2",
                &[
                    ("name", "maria"),
                    ("disabled", "true"),
                    ("last-logged-out", "2024-02-05 13:47:44"),
                    ("last-disconnect-reason", "peer-not-responding"),
                    ("password", "hunter2"),
                ],
            ),
            done("2"),
        ]),
    ]);
    let config = config(r#""read": ["sessions", "secrets"], "logins": ["maria"]"#);
    let observations = run(&config, &host).unwrap();
    let maria = session(&observations, "maria");
    assert!(!maria.online);
    assert_eq!(
        maria.last_disconnect_reason.as_deref(),
        Some("peer-not-responding")
    );
    assert!(maria.since_ms.is_some());
    assert_eq!(label(&observations, "maria", "source"), Some("secret"));
    assert_eq!(label(&observations, "maria", "disabled"), Some("true"));
    assert_eq!(
        sessions(&observations).len(),
        1,
        "one observation per login"
    );
    assert!(!format!("{observations:?}").contains("hunter2"));
}

#[test]
fn a_failed_lookup_claims_nothing_about_that_login() {
    let trap = replies(&[
        Reply::trap("no such command prefix").with_tag("1"),
        done("1"),
    ]);
    let host = router(&[LOGIN_OK.to_vec(), trap, replies(&[done("2")])]);
    let config = config(r#""read": ["sessions"], "logins": ["broken", "ghost"]"#);
    let observations = run(&config, &host).unwrap();
    assert_eq!(failures(&observations).len(), 1, "{observations:#?}");
    assert!(
        !sessions(&observations).iter().any(|s| s.login == "broken"),
        "a failed print says nothing about the login"
    );
    assert!(!session(&observations, "ghost").online);
}

#[test]
fn logins_are_checked() {
    let host = router(&[]);
    for bad in [r#"[""]"#, r#"["a b"]"#, r#"["x?name=y"]"#] {
        let error = run(&config(&format!(r#""logins": {bad}"#)), &host).unwrap_err();
        assert_eq!(error.class, ErrorClass::Config, "{bad}");
    }
}

#[test]
fn over_rest_each_login_is_one_filtered_get() {
    let base = "https://10.0.0.1/rest";
    let active = |login: &str| {
        format!(
            "{base}/ppp/active?.proplist={}&name={login}",
            rows::SESSION_PROPERTIES.join(",")
        )
    };
    let host = FakeHost::new()
        .clock(NOW)
        .secret("mt-pass", "s3cr3t")
        .http_json(
            &active("joao.silva"),
            &json!([{".id": "*1", "name": "joao.silva", "uptime": "5m"}]),
        )
        .http_json(&active("ghost"), &json!([]));
    let config = config(
        r#""mode": "rest", "tls": true, "read": ["sessions"], "logins": ["joao.silva", "ghost"]"#,
    );
    let observations = run(&config, &host).unwrap();
    assert!(failures(&observations).is_empty(), "{observations:#?}");
    assert!(session(&observations, "joao.silva").online);
    assert!(!session(&observations, "ghost").online);
    assert_eq!(label(&observations, "ghost", "source"), Some("lookup"));
}
