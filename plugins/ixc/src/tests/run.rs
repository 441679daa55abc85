//! Whole runs against the fake IXC: paging, the observations, and no secret anywhere.

use super::*;

fn many_logins(n: u32) -> Vec<Value> {
    (1..=n)
        .map(|i| login_row(i, &format!("cliente{i:03}"), i % 3 != 0))
        .collect()
}

#[test]
fn pages_until_total_and_maps_sessions_edges_and_counts() {
    let host = FakeIxc::new().table("radusuarios", many_logins(250));
    let observations = run(&config(r#""read": ["logins"], "page_size": 100"#), &host).unwrap();
    assert!(failures(&observations).is_empty(), "{observations:#?}");
    let bodies = host.bodies();
    assert_eq!(bodies.len(), 3, "250 rows in pages of 100");
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(body["page"], (i + 1).to_string());
        assert_eq!(body["rp"], "100");
        assert_eq!(body["sortname"], "radusuarios.id");
        let grid: Value = serde_json::from_str(body["grid_param"].as_str().expect("a string"))
            .expect("grid_param holds json");
        assert_eq!(
            grid,
            json!([{"TB": "radusuarios.ativo", "OP": "=", "P": "S"}])
        );
    }
    let request = &host.requests()[0];
    assert_eq!(request.url, format!("{BASE}/radusuarios"));
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("ixcsoft").as_deref(), Some("listar"));
    assert_eq!(
        header("authorization").as_deref(),
        Some(format!("Basic {}", base64(SECRET.as_bytes())).as_str())
    );

    let all = sessions(&observations);
    assert_eq!(all.len(), 250);
    let online = all.iter().filter(|s| s.online).count();
    assert_eq!(online, 250 - 250 / 3);
    assert_eq!(metric(&observations, "ixc_logins"), Some(250.0));
    assert_eq!(
        metric(&observations, "ixc_logins_online"),
        Some(online as f64)
    );

    let one = all
        .iter()
        .find(|s| s.login == "cliente001")
        .expect("first login");
    assert!(one.online);
    assert_eq!(one.concentrator, "10.200.0.1");
    assert_eq!(one.address.as_deref(), Some("100.64.0.10"));
    assert_eq!(one.caller_id.as_deref(), Some("B0:A7:B9:9E:E2:E3"));
    // 2024-09-29 23:11:51 at UTC-3.
    assert_eq!(one.since_ms, Some(1_727_662_311_000));
    let three = all
        .iter()
        .find(|s| s.login == "cliente003")
        .expect("offline login");
    assert!(!three.online);
    assert_eq!(three.address, None);
    assert_eq!(
        three.last_disconnect_reason.as_deref(),
        Some("Lost-Carrier")
    );
    // 2024-09-28 10:00:00 at UTC-3.
    assert_eq!(three.since_ms, Some(1_727_528_400_000));

    let observation = observations
        .iter()
        .find(|o| matches!(&o.kind, ObservationKind::PppoeSession(s) if s.login == "cliente001"))
        .expect("an observation");
    let label = |key: &str| {
        observation
            .labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(label("site"), Some("hq"));
    assert_eq!(label("source"), Some("ixc"));
    assert_eq!(label("vigia.authority"), Some("crm"));
    assert_eq!(label("conexao"), Some("OLT-HW-CB-C3-P63306"));
    assert_eq!(label("onu_serial"), Some("HWTCE55DA5AC"));

    let edges = edges(&observations);
    assert_eq!(edges.len(), 250);
    assert_eq!(edges[0].parent.kind, EntityKind::CrmGroup);
    assert_eq!(edges[0].parent.id, "OLT-HW-CB-C3-P63306");
    assert_eq!(edges[0].child.kind, EntityKind::Subscriber);
    assert_eq!(edges[0].kind, EdgeKind::Logical);
}

#[test]
fn secret_columns_never_reach_observations_or_logs() {
    let host = FakeIxc::new()
        .table("radusuarios", many_logins(5))
        .table("cliente", vec![customer_row(1001, "Ana")])
        .table("cliente_contrato", vec![contract_row(5001, 1001, "A", "A")]);
    let observations = run(&config(""), &host).unwrap();
    assert!(!sessions(&observations).is_empty());
    let everything = format!("{observations:?} {:?}", host.inner.logs());
    assert!(!everything.contains("SECRET"), "{everything}");
    assert!(!everything.contains("4dac0b5e"), "the token leaked");
    assert!(!everything.contains("senha"), "{everything}");
}

#[test]
fn an_install_that_ignores_rp_is_still_read_whole() {
    let mut host = FakeIxc::new().table("radusuarios", many_logins(120));
    host.max_rp = 50;
    let observations = run(&config(r#""read": ["logins"], "page_size": 100"#), &host).unwrap();
    assert_eq!(sessions(&observations).len(), 120);
    assert_eq!(host.requests().len(), 3);
}

#[test]
fn an_empty_table_has_no_registros_and_gives_zero_counts() {
    let host = FakeIxc::new().table("radusuarios", Vec::new());
    let observations = run(&config(r#""read": ["logins"]"#), &host).unwrap();
    assert!(failures(&observations).is_empty());
    assert!(sessions(&observations).is_empty());
    assert_eq!(metric(&observations, "ixc_logins"), Some(0.0));
    assert_eq!(host.requests().len(), 1);
}

#[test]
fn customers_get_the_billing_of_their_logins_contracts() {
    let mut blocked_login = login_row(1, "bloqueado", true);
    blocked_login["id_cliente"] = json!("1001");
    blocked_login["id_contrato"] = json!("5002");
    let mut second = login_row(2, "ana", true);
    second["id_cliente"] = json!("1002");
    second["id_contrato"] = json!("5003");
    let host = FakeIxc::new()
        .table("radusuarios", vec![blocked_login, second])
        .table(
            "cliente",
            vec![
                customer_row(1001, "Bruno Bloqueado"),
                customer_row(1002, "Ana Atrasada"),
                customer_row(1003, "Sem Login"),
            ],
        )
        .table(
            "cliente_contrato",
            vec![
                // An old contract of 1001 that is active: the login uses the blocked one.
                contract_row(5001, 1001, "A", "A"),
                contract_row(5002, 1001, "A", "CA"),
                contract_row(5003, 1002, "A", "FA"),
                contract_row(5004, 1003, "A", "AA"),
                contract_row(5005, 1003, "C", "D"),
            ],
        );
    let observations = run(&config(""), &host).unwrap();
    assert!(failures(&observations).is_empty(), "{observations:#?}");
    let by_id = |id: &str| {
        *customers(&observations)
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("customer {id}"))
    };
    let bruno = by_id("1001");
    assert_eq!(bruno.billing, BillingState::Blocked);
    assert_eq!(bruno.billing_code.as_deref(), Some("CA"));
    assert_eq!(bruno.logins, vec!["bloqueado".to_owned()]);
    assert_eq!(bruno.plan.as_deref(), Some("FIBRA 300 MEGA"));
    assert_eq!(
        bruno.address.as_deref(),
        Some("Rua das Flores, 12 - Centro, Chapecó")
    );
    let document = observations.iter().find_map(|o| match &o.kind {
        ObservationKind::Customer(c) if c.id == "1001" => o
            .labels
            .iter()
            .find(|(k, _)| k == "document")
            .map(|(_, v)| v.clone()),
        _ => None,
    });
    assert_eq!(document.as_deref(), Some("529.982.247-25"));
    assert_eq!(by_id("1002").billing, BillingState::Blocked);
    assert_eq!(by_id("1002").billing_code.as_deref(), Some("FA"));
    // Contract status C is filtered out by the request (`status != C`): the live one counts.
    let sem = by_id("1003");
    assert_eq!(sem.billing, BillingState::Warned);
    assert!(sem.logins.is_empty());
    let grids: Vec<String> = host
        .bodies()
        .iter()
        .map(|b| b["grid_param"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(grids[2].contains(r#""OP":"!=","P":"C""#), "{grids:?}");
}

#[test]
fn concentrators_map_to_router_names_and_inactive_logins_can_be_included() {
    let mut inactive = login_row(2, "antigo", false);
    inactive["ativo"] = json!("N");
    let host = FakeIxc::new().table("radusuarios", vec![login_row(1, "novo", true), inactive]);
    let observations = run(
        &config(
            r#""read": ["logins"], "include_inactive": true,
               "concentrators": {"10.200.0.1": "bng-centro"}, "timezone_offset_minutes": 0"#,
        ),
        &host,
    )
    .unwrap();
    let all = sessions(&observations);
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|s| s.concentrator == "bng-centro"));
    let novo = all.iter().find(|s| s.login == "novo").expect("novo");
    assert_eq!(novo.since_ms, Some(1_727_651_511_000));
    assert!(host.bodies()[0].get("grid_param").is_none());
}

#[test]
fn describe_reports_http_and_secrets_and_a_schema() {
    let info = testing::describe::<Ixc>();
    assert_eq!(info.id, "ixc");
    assert_eq!(
        info.capabilities,
        vec![
            Capability::Http(Vec::new()),
            Capability::Secrets(Vec::new())
        ]
    );
    let schema: Value = serde_json::from_str(&info.config_schema).unwrap();
    assert_eq!(schema["required"], json!(["token_secret"]));
    assert_eq!(schema["properties"]["page_size"]["maximum"], 1000);
}
