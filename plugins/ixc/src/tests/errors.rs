//! What IXC, its proxies and the network do wrong, each ending as a classified failure.

use super::*;

fn logins() -> FakeIxc {
    FakeIxc::new().table("radusuarios", vec![login_row(1, "ana", true)])
}

/// The only failure of a run reading `radusuarios` (and, unless stopped, the customers).
fn only_failure(host: &FakeIxc, read: &str) -> (ErrorClass, String) {
    let observations = run(&config(read), host).unwrap();
    let failures = failures(&observations);
    assert_eq!(failures.len(), 1, "{failures:?}");
    failures[0].clone()
}

const LOGINS_ONLY: &str = r#""read": ["logins"]"#;

#[test]
fn html_error_pages_are_classified_and_never_quoted() {
    let page = "<html><head><title>503 Service Temporarily Unavailable</title></head></html>";
    let host = logins().script("radusuarios", 0, raw(503, "text/html", page));
    let (class, message) = only_failure(&host, "");
    assert_eq!(
        class,
        ErrorClass::Unreachable,
        "the proxy says ixc is not there"
    );
    assert!(message.contains("status 503 (an html page)"), "{message}");
    assert!(!message.contains("Temporarily"), "the body is not quoted");
    assert_eq!(host.requests().len(), 1, "the other tables are not tried");

    let host = logins().script("radusuarios", 0, raw(500, "text/html", page));
    let (class, message) = only_failure(&host, LOGINS_ONLY);
    assert_eq!(class, ErrorClass::InvalidResponse);
    assert!(message.contains("status 500 (an html page)"), "{message}");

    // The PHP error page of `IN` with one value comes with status 200.
    let php = "<br />\n<b>Fatal error</b>:  Uncaught PDOException";
    let host = logins().script("radusuarios", 0, raw(200, "text/html", php));
    let (class, message) = only_failure(&host, LOGINS_ONLY);
    assert_eq!(class, ErrorClass::InvalidResponse);
    assert!(message.contains("not json (an html page)"), "{message}");
}

#[test]
fn truncated_json_is_an_invalid_response() {
    let truncated = r#"{"page":"1","total":"2","registros":[{"id":"1","login":"ana","#;
    let host = logins().script("radusuarios", 0, raw(200, "application/json", truncated));
    let (class, message) = only_failure(&host, LOGINS_ONLY);
    assert_eq!(class, ErrorClass::InvalidResponse);
    assert!(
        message.starts_with("POST radusuarios page 1: the body is not json"),
        "{message}"
    );
}

#[test]
fn wrong_types_are_invalid_responses() {
    for body in [
        json!([1, 2]),
        json!({"page": "1", "total": ["2"]}),
        json!({"page": "1", "total": "dois"}),
        json!({"page": "1"}),
        json!({"page": "1", "total": "2", "registros": "none"}),
        json!({"page": "1", "total": "2", "registros": ["ana"]}),
    ] {
        let host = logins().script("radusuarios", 0, Ok(json_response(&body)));
        let (class, _) = only_failure(&host, LOGINS_ONLY);
        assert_eq!(class, ErrorClass::InvalidResponse, "{body}");
    }
    // Numbers where IXC writes strings are read as their text.
    let lenient = json!({"page": 1, "total": 1, "registros": [
        {"id": 1, "login": "ana", "online": "S", "count_desconexao": 3, "vlan": null}
    ]});
    let host = logins().script("radusuarios", 0, Ok(json_response(&lenient)));
    let observations = run(&config(LOGINS_ONLY), &host).unwrap();
    assert!(failures(&observations).is_empty());
    assert_eq!(sessions(&observations).len(), 1);
}

#[test]
fn status_401_is_auth_and_stops_the_install() {
    let body = r#"{"type":"error","message":"Token inválido"}"#;
    let host = logins().script("radusuarios", 0, raw(401, "application/json", body));
    let (class, message) = only_failure(&host, "");
    assert_eq!(class, ErrorClass::Auth);
    assert!(message.contains("status 401"), "{message}");
    assert_eq!(
        host.requests().len(),
        1,
        "no customer tables after an auth failure"
    );
}

#[test]
fn status_429_is_a_budget_failure() {
    let host = logins().script("radusuarios", 0, raw(429, "text/plain", "slow down"));
    let (class, _) = only_failure(&host, "");
    assert_eq!(class, ErrorClass::Budget);
    assert_eq!(host.requests().len(), 1);
}

#[test]
fn timeouts_and_unreachable_installs_are_classified() {
    for (error, class) in [
        (HostError::Timeout, ErrorClass::Timeout),
        (
            HostError::Unreachable("connection refused".into()),
            ErrorClass::Unreachable,
        ),
    ] {
        let host = logins().script("radusuarios", 2, Err(error));
        let mut rows: Vec<Value> = (1..=3)
            .map(|i| login_row(i, &format!("l{i}"), true))
            .collect();
        rows.truncate(3);
        let host = FakeIxc {
            tables: BTreeMap::from([("radusuarios".to_owned(), rows)]),
            ..host
        };
        let (got, message) = only_failure(&host, r#""page_size": 2"#);
        assert_eq!(got, class);
        assert!(message.starts_with("POST radusuarios page 2"), "{message}");
        assert_eq!(host.requests().len(), 2, "page 1, then the failing page 2");
    }
}

#[test]
fn a_tls_failure_says_which_setting_and_grant_to_change() {
    let host = logins().script(
        "radusuarios",
        0,
        Err(HostError::Protocol(
            "invalid peer certificate: UnknownIssuer".into(),
        )),
    );
    let (class, message) = only_failure(&host, LOGINS_ONLY);
    assert_eq!(class, ErrorClass::InvalidResponse);
    assert!(message.contains("tls_skip_verify"), "{message}");
}

#[test]
fn logical_errors_are_classified_by_what_they_say() {
    for (message, class) in [
        (
            "Formulário 'radusuarios' não encontrado",
            ErrorClass::Config,
        ),
        ("Campo 'radusuarios.ativo' não existe", ErrorClass::Config),
        ("Usuário sem permissão para listar", ErrorClass::Auth),
        ("Erro interno", ErrorClass::InvalidResponse),
    ] {
        let body = json!({"type": "error", "message": message});
        let host = logins().script("radusuarios", 0, Ok(json_response(&body)));
        let (got, text) = only_failure(&host, LOGINS_ONLY);
        assert_eq!(got, class, "{message}");
        assert!(text.ends_with(&format!("ixc error: {message}")), "{text}");
    }
    let tipo = json!({"tipo": "erro", "mensagem": "Campo inválido"});
    let host = logins().script("radusuarios", 0, Ok(json_response(&tipo)));
    assert_eq!(only_failure(&host, LOGINS_ONLY).0, ErrorClass::Config);
}

#[test]
fn a_failed_customer_table_leaves_the_logins() {
    let host = logins()
        .table("cliente", vec![customer_row(1001, "Ana")])
        .script(
            "cliente_contrato",
            0,
            Err(HostError::Protocol("reset".into())),
        );
    let observations = run(&config(""), &host).unwrap();
    assert_eq!(sessions(&observations).len(), 1);
    assert!(customers(&observations).is_empty());
    let failures = failures(&observations);
    assert_eq!(failures.len(), 1);
    assert!(failures[0].1.starts_with("POST cliente_contrato page 1"));
}

#[test]
fn too_many_pages_is_a_budget_failure() {
    let rows: Vec<Value> = (1..=10)
        .map(|i| login_row(i, &format!("l{i}"), true))
        .collect();
    let host = FakeIxc::new().table("radusuarios", rows);
    let (class, message) = only_failure(&host, r#""page_size": 2, "max_pages": 3"#);
    assert_eq!(class, ErrorClass::Budget);
    assert!(message.contains("more than 3 pages"), "{message}");
    assert_eq!(host.requests().len(), 3);
}

#[test]
fn secrets_and_config_problems_fail_the_run_without_showing_the_secret() {
    let missing = FakeIxc {
        inner: FakeHost::new(),
        ..FakeIxc::new()
    };
    let error = run(&config(""), &missing).unwrap_err();
    assert_eq!(error.class, ErrorClass::Denied);
    assert!(error.message.contains("secret `ixc-token`"), "{error}");

    let malformed = FakeIxc {
        inner: FakeHost::new().secret("ixc-token", "no-colon-SECRET"),
        ..FakeIxc::new()
    };
    let error = run(&config(""), &malformed).unwrap_err();
    assert_eq!(error.class, ErrorClass::Config);
    assert!(!error.message.contains("SECRET"), "{error}");

    for bad in [r#""page_size": 5000"#, r#""read": []"#, r#""max_pages": 0"#] {
        let error = run(&config(bad), &FakeIxc::new()).unwrap_err();
        assert_eq!(error.class, ErrorClass::Config, "{bad}");
    }
    let not_a_url = testing::run::<Ixc>(
        &config(""),
        &[Target::new("ixc", "ixc.example.com.br")],
        &FakeIxc::new(),
    )
    .unwrap();
    assert_eq!(failures(&not_a_url)[0].0, ErrorClass::Config);
}
