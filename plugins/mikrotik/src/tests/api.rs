//! The binary API over a scripted TCP connection.

use vigia_plugin_sdk::{HostError, Level, LinkStatus, MetricKind};
use vigia_routeros::Query;

use super::*;

const READ_SESSIONS: &str = r#""read": ["sessions"]"#;

fn active_rows(tag: &str) -> Vec<Reply> {
    vec![
        row(
            tag,
            &[
                (".id", "*8A1"),
                ("name", "joao123"),
                ("service", "pppoe"),
                ("caller-id", "B0:A7:B9:9E:E2:E3"),
                ("address", "10.205.74.160"),
                ("uptime", "3d4h12m5s"),
            ],
        ),
        row(
            tag,
            &[(".id", "*8A2"), ("name", "maria"), ("uptime", "00:01:02")],
        ),
        done(tag),
    ]
}

#[test]
fn login_then_print_gives_online_sessions() {
    let host = router(&[LOGIN_OK.to_vec(), replies(&active_rows("1"))]);
    let observations = run(&config(READ_SESSIONS), &host).unwrap();

    let joao = session(&observations, "joao123");
    assert!(joao.online);
    assert_eq!(joao.address.as_deref(), Some("10.205.74.160"));
    assert_eq!(joao.caller_id.as_deref(), Some("B0:A7:B9:9E:E2:E3"));
    assert_eq!(joao.concentrator, "bnas-1");
    let uptime = ((3 * 24 + 4) * 60 + 12) * 60_000 + 5_000;
    assert_soon_after(joao.since_ms, NOW - uptime, 50);
    assert_soon_after(session(&observations, "maria").since_ms, NOW - 62_000, 50);
    assert_eq!(label(&observations, "joao123", "service"), Some("pppoe"));
    assert_eq!(label(&observations, "joao123", "source"), Some("active"));
    assert_eq!(label(&observations, "joao123", "site"), Some("sao"));

    let metric = observations
        .iter()
        .find_map(|o| match &o.kind {
            ObservationKind::Metric(metric) => Some(metric),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (metric.name.as_str(), metric.kind, metric.value),
        ("pppoe_sessions_online", MetricKind::Gauge, 2.0)
    );
    assert!(failures(&observations).is_empty());

    // The login, as RouterOS documents it, byte for byte.
    let first_write = host.calls().into_iter().find_map(|call| match call {
        Call::TcpWrite { data, .. } => Some(data),
        _ => None,
    });
    assert_eq!(
        first_write.unwrap(),
        b"\x06/login\x0b=name=vigia\x10=password=s3cr3t\x00"
    );
    let print = &requests(&host)[1];
    assert_eq!(print.command, "/ppp/active/print");
    assert_eq!(print.tag.as_deref(), Some("1"));
    assert!(
        print
            .proplist
            .as_ref()
            .unwrap()
            .contains(&"caller-id".to_owned())
    );
    // One connection, to the default API port, plain.
    let connects: Vec<_> = host
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::TcpConnect { .. }))
        .collect();
    assert_eq!(
        connects,
        vec![Call::TcpConnect {
            host: ROUTER.into(),
            port: 8728,
            tls: false,
            timeout_ms: 5000
        }]
    );
}

#[test]
fn legacy_login_answers_the_md5_challenge() {
    let challenge = Reply::done().with("ret", "ebddd18775b4ef2e1d6e2d1fdf0e2f9b");
    let host = FakeHost::new().secret("mt-pass", "secret").with_kv().tcp(
        ROUTER,
        8728,
        &[
            &challenge.encode().unwrap(),
            LOGIN_OK,
            &replies(&[done("1")]),
        ],
    );
    let observations = run(&config(READ_SESSIONS), &host).unwrap();
    assert!(failures(&observations).is_empty(), "{observations:?}");
    let sent = requests(&host);
    assert_eq!(
        sent[1].words(),
        [
            "/login",
            "=name=vigia",
            "=response=00507922c5957aa53b53a3e7223a379520"
        ]
    );
    assert_eq!(sent[2].command, "/ppp/active/print");
}

#[test]
fn refused_login_is_an_auth_failure_and_nothing_else_is_asked() {
    let refused = Reply::trap("invalid user name or password (6)");
    let host = router(&[refused.encode().unwrap()]);
    let observations = run(&config(""), &host).unwrap();
    assert_eq!(
        failures(&observations),
        vec![(
            ErrorClass::Auth,
            "login refused: invalid user name or password (6)".to_owned()
        )]
    );
    assert_eq!(requests(&host).len(), 1);
    assert_eq!(host.kv_value("online/bnas-1"), None);
}

#[test]
fn listen_turns_dead_events_into_offline_sessions_then_cancels() {
    let events = replies(&[
        row(
            "2",
            &[
                (".id", "*8A1"),
                (".dead", "yes"),
                ("last-disconnect-reason", "hung-up"),
            ],
        ),
        row(
            "2",
            &[
                (".id", "*8A3"),
                ("name", "carla"),
                ("address", "10.205.74.9"),
                ("uptime", "0s"),
            ],
        ),
        row("2", &[(".id", "*999"), (".dead", "yes")]),
    ]);
    let ending = replies(&[
        Reply::trap("interrupted")
            .with("category", "2")
            .with_tag("2"),
        done("2"),
        done("3"),
    ]);
    let host = router(&[
        LOGIN_OK.to_vec(),
        replies(&active_rows("1")),
        events,
        ending,
    ]);
    let observations = run(&config(r#""read": ["sessions"], "listen_ms": 2"#), &host).unwrap();
    assert!(failures(&observations).is_empty(), "{observations:?}");

    let joao = session(&observations, "joao123");
    assert!(!joao.online);
    assert_eq!(joao.last_disconnect_reason.as_deref(), Some("hung-up"));
    assert_eq!(joao.address, None);
    assert_soon_after(joao.since_ms, NOW, 50);
    assert_eq!(label(&observations, "joao123", "source"), Some("listen"));
    assert!(session(&observations, "maria").online);
    let carla = session(&observations, "carla");
    assert!(carla.online);
    assert_soon_after(carla.since_ms, NOW, 50);
    assert_eq!(sessions(&observations).len(), 3);

    let sent = requests(&host);
    assert_eq!(sent[2].command, "/ppp/active/listen");
    assert_eq!(sent[2].tag.as_deref(), Some("2"));
    assert_eq!(
        sent[3],
        Request::new("/cancel").attribute("tag", "2").tag("3")
    );
    assert_eq!(host.kv_value("online/bnas-1").unwrap(), b"carla\nmaria");
}

#[test]
fn logins_gone_since_the_last_run_are_offline_once() {
    let host = router(&[LOGIN_OK.to_vec(), replies(&active_rows("1"))])
        .kv("online/bnas-1", b"ana\njoao123");
    let observations = run(&config(READ_SESSIONS), &host).unwrap();
    let ana = session(&observations, "ana");
    assert!(!ana.online);
    assert_eq!(
        (ana.since_ms, ana.last_disconnect_reason.as_ref()),
        (None, None)
    );
    assert_eq!(label(&observations, "ana", "source"), Some("snapshot"));
    assert_eq!(host.kv_value("online/bnas-1").unwrap(), b"joao123\nmaria");
}

#[test]
fn without_kv_sessions_are_still_reported() {
    let host = FakeHost::new().secret("mt-pass", "s3cr3t").tcp(
        ROUTER,
        8728,
        &[LOGIN_OK, &replies(&active_rows("1"))],
    );
    let observations = run(&config(READ_SESSIONS), &host).unwrap();
    assert_eq!(sessions(&observations).len(), 2);
    assert!(failures(&observations).is_empty());
    assert!(
        host.logs()
            .iter()
            .any(|(level, line)| *level == Level::Warn && line.contains("grant `kv`"))
    );
}

#[test]
fn secrets_give_offline_logins_and_never_the_password() {
    let secrets = replies(&[
        // A router that ignores .proplist and sends the password anyway.
        row(
            "2",
            &[
                ("name", "pedro"),
                ("password", "hunter2"),
                ("disabled", "true"),
                ("profile", "plano-100m"),
                ("last-logged-out", "feb/05/2024 13:47:44"),
                ("last-caller-id", "AA:BB:CC:00:11:22"),
                ("last-disconnect-reason", "peer-request"),
            ],
        ),
        row(
            "2",
            &[
                ("name", "lucia"),
                ("password", "hunter2"),
                ("disabled", "false"),
                ("last-logged-out", "2024-02-05 13:47:44"),
            ],
        ),
        row(
            "2",
            &[
                ("name", "novo"),
                ("last-logged-out", "jan/01/1970 00:00:00"),
            ],
        ),
        row("2", &[("name", "joao123"), ("password", "hunter2")]),
        done("2"),
    ]);
    let host = router(&[LOGIN_OK.to_vec(), replies(&active_rows("1")), secrets]);
    let config = config(r#""read": ["sessions", "secrets"], "timezone_offset_minutes": -180"#);
    let observations = run(&config, &host).unwrap();

    let feb_5_2024_13_47_44_utc = 1_707_140_864_000;
    let pedro = session(&observations, "pedro");
    assert!(!pedro.online);
    assert_eq!(
        pedro.last_disconnect_reason.as_deref(),
        Some("peer-request")
    );
    assert_eq!(pedro.caller_id.as_deref(), Some("AA:BB:CC:00:11:22"));
    // 13:47:44 at UTC-3 is 16:47:44 UTC.
    assert_eq!(
        pedro.since_ms,
        Some(feb_5_2024_13_47_44_utc + 3 * 3_600_000)
    );
    assert_eq!(label(&observations, "pedro", "disabled"), Some("true"));
    assert_eq!(label(&observations, "pedro", "profile"), Some("plano-100m"));
    assert_eq!(label(&observations, "lucia", "disabled"), None);
    assert_eq!(session(&observations, "lucia").since_ms, pedro.since_ms);
    assert_eq!(session(&observations, "novo").since_ms, None);
    // Online logins are not repeated as offline from their secret.
    assert_eq!(
        sessions(&observations)
            .iter()
            .filter(|s| s.login == "joao123")
            .count(),
        1
    );
    assert!(session(&observations, "joao123").online);

    let print = &requests(&host)[2];
    assert_eq!(print.command, "/ppp/secret/print");
    assert!(
        !print
            .proplist
            .as_ref()
            .unwrap()
            .iter()
            .any(|p| p == "password")
    );
    let everything = format!(
        "{observations:?} {:?} {:?}",
        host.logs(),
        host.kv_value("online/bnas-1")
    );
    assert!(
        !everything.contains("hunter2"),
        "the password leaked: {everything}"
    );
}

#[test]
fn interfaces_report_status_and_counters() {
    let rows = replies(&[
        row(
            "1",
            &[
                (".id", "*1"),
                ("name", "ether1"),
                ("type", "ether"),
                ("running", "true"),
                ("disabled", "false"),
                ("rx-byte", "123456789012"),
                ("tx-byte", "987654321"),
                ("rx-error", "3"),
                ("tx-error", "0"),
                ("rx-drop", "7"),
                ("tx-drop", "1"),
                ("comment", "uplink"),
            ],
        ),
        row(
            "1",
            &[
                (".id", "*1A"),
                ("name", "sfp-spare"),
                ("running", "false"),
                ("disabled", "true"),
            ],
        ),
        done("1"),
    ]);
    let host = router(&[LOGIN_OK.to_vec(), rows]);
    let observations = run(&config(r#""read": ["interfaces"]"#), &host).unwrap();
    let found = interfaces(&observations);
    assert_eq!(found.len(), 2);
    let ether1 = found[0];
    assert_eq!(
        (ether1.index, ether1.name.as_str(), ether1.alias.as_deref()),
        (1, "ether1", Some("uplink"))
    );
    assert_eq!(
        (ether1.admin_status, ether1.oper_status),
        (LinkStatus::Up, LinkStatus::Up)
    );
    assert_eq!(
        (
            ether1.in_octets,
            ether1.out_octets,
            ether1.in_errors,
            ether1.out_errors,
            ether1.in_discards,
            ether1.out_discards
        ),
        (
            Some(123_456_789_012),
            Some(987_654_321),
            Some(3),
            Some(0),
            Some(7),
            Some(1)
        )
    );
    let spare = found[1];
    assert_eq!(
        (
            spare.index,
            spare.admin_status,
            spare.oper_status,
            spare.in_octets
        ),
        (26, LinkStatus::Down, LinkStatus::Down, None)
    );
    assert_eq!(
        observations[0].labels.last(),
        Some(&("type".to_owned(), "ether".to_owned()))
    );
    // Dynamic interfaces are left out unless asked for; no session snapshot without sessions.
    assert_eq!(
        requests(&host)[1].queries,
        vec![Query::equals("dynamic", "false")]
    );
    assert_eq!(host.kv_value("online/bnas-1"), None);
}

#[test]
fn a_trapped_table_fails_alone() {
    let denied = replies(&[
        Reply::trap("not enough permissions (9)").with_tag("1"),
        done("1"),
    ]);
    let unknown = replies(&[
        Reply::trap("no such command prefix")
            .with("category", "0")
            .with_tag("2"),
        done("2"),
    ]);
    let interfaces_ok = replies(&[row("3", &[(".id", "*1"), ("name", "ether1")]), done("3")]);
    let host = router(&[LOGIN_OK.to_vec(), denied, unknown, interfaces_ok]);
    let observations = run(&config(""), &host).unwrap();
    assert_eq!(
        failures(&observations),
        vec![
            (
                ErrorClass::Auth,
                "/ppp/active/print: router error: not enough permissions (9)".to_owned()
            ),
            (
                ErrorClass::Unsupported,
                "/ppp/secret/print: router error: no such command prefix".to_owned()
            ),
        ]
    );
    assert_eq!(interfaces(&observations).len(), 1);
    assert!(sessions(&observations).is_empty());
    assert_eq!(
        host.kv_value("online/bnas-1"),
        None,
        "a failed print must not move the snapshot"
    );
}

#[test]
fn too_many_rows_is_a_budget_failure_that_keeps_the_snapshot() {
    let host = router(&[LOGIN_OK.to_vec(), replies(&active_rows("1"))]).kv("online/bnas-1", b"ana");
    let observations = run(&config(r#""read": ["sessions"], "max_rows": 1"#), &host).unwrap();
    assert_eq!(
        failures(&observations),
        vec![(
            ErrorClass::Budget,
            "/ppp/active/print: more than 1 rows (raise `max_rows`)".to_owned()
        )]
    );
    assert!(sessions(&observations).is_empty());
    assert_eq!(host.kv_value("online/bnas-1").unwrap(), b"ana");
}

#[test]
fn fatal_ends_the_router_with_a_classified_failure() {
    let cases = [
        ("session terminated on request", ErrorClass::Unreachable),
        (
            "too many commands before login",
            ErrorClass::InvalidResponse,
        ),
    ];
    for (reason, class) in cases {
        let host = router(&[LOGIN_OK.to_vec(), Reply::fatal(reason).encode().unwrap()]);
        let observations = run(&config(""), &host).unwrap();
        assert_eq!(
            failures(&observations),
            vec![(class, format!("the router ended the session: {reason}"))],
        );
        // Broken connection: the secrets and interfaces prints are not attempted.
        assert_eq!(requests(&host).len(), 2, "{reason}");
    }
}

#[test]
fn truncated_garbage_and_closed_streams_are_failures_not_panics() {
    let mut cut = replies(&active_rows("1"));
    cut.truncate(cut.len() - 9);
    let cases: [(Vec<u8>, ErrorClass, &str); 4] = [
        (
            cut,
            ErrorClass::InvalidResponse,
            "the router's reply ended inside a sentence (truncated stream)",
        ),
        (
            b"\x03!re\xFF\xFF\xFF".to_vec(),
            ErrorClass::InvalidResponse,
            "malformed reply: reserved control byte 0xFF where a word length was expected",
        ),
        (
            b"\x04HTTP\x00".to_vec(),
            ErrorClass::InvalidResponse,
            "malformed reply: unknown reply type `HTTP`",
        ),
        (
            Vec::new(),
            ErrorClass::Unreachable,
            "the router closed the connection",
        ),
    ];
    for (bytes, class, message) in cases {
        let host = router(&[LOGIN_OK.to_vec(), bytes]);
        let observations = run(&config(READ_SESSIONS), &host).unwrap();
        assert_eq!(failures(&observations), vec![(class, message.to_owned())]);
    }
}

#[test]
fn connect_failures_are_classified_per_router() {
    let host = FakeHost::new()
        .secret("mt-pass", "s3cr3t")
        .tcp_failure(ROUTER, 8729, HostError::Timeout)
        .tcp_failure(
            "10.0.0.2",
            8728,
            HostError::Unreachable("connection refused".into()),
        );
    let targets = [bnas(), Target::new("bnas-2", "10.0.0.2:8728")];
    let observations = testing::run::<Mikrotik>(
        &config(r#""tls": true, "tls_server_name": "bnas-1.isp""#),
        &targets,
        &host,
    )
    .unwrap();
    assert_eq!(
        failures(&observations),
        vec![
            (
                ErrorClass::Timeout,
                "connect to 10.0.0.1:8729: timed out".to_owned()
            ),
            (
                ErrorClass::Unreachable,
                "connect to 10.0.0.2:8728: connection refused".to_owned()
            ),
        ]
    );
    assert_eq!(
        (
            observations[0].target.as_str(),
            observations[1].target.as_str()
        ),
        ("bnas-1", "bnas-2")
    );
    assert!(host.calls().contains(&Call::TcpConnect {
        host: ROUTER.into(),
        port: 8729,
        tls: true,
        timeout_ms: 5000
    }));
}

#[test]
fn concentrator_name_can_be_overridden() {
    let host = router(&[LOGIN_OK.to_vec(), replies(&active_rows("1"))]);
    let observations = run(
        &config(r#""read": ["sessions"], "concentrator": "BNAS Centro""#),
        &host,
    )
    .unwrap();
    assert_eq!(session(&observations, "maria").concentrator, "BNAS Centro");
}
