//! Bad answers and refused grants become classified failures, never a panic; final ones stop the
//! account's run.

use super::*;
use vigia_plugin_sdk::HostError;

/// A host whose statuses call answers `status` with `body` (the OLT list answers normally).
fn statuses_answer(status: u16, content_type: &str, body: &str) -> FakeHost {
    let host = FakeHost::new()
        .clock(NOW)
        .secret("smartolt-token", "t0k3n")
        .with_kv();
    let host = answer(host, "system/get_olts", 999, &olts());
    let mut headers = headers(998);
    headers[0].1 = content_type.to_owned();
    host.http_with_headers(
        Method::Get,
        &format!("{BASE}/onu/get_onus_statuses?olt_id=1"),
        status,
        headers,
        body,
    )
}

#[test]
fn bad_answers_are_classified() {
    let html = "<html><head><title>503 Service Temporarily Unavailable</title></head></html>";
    let cases = [
        (503, "text/html", html, ErrorClass::Unreachable, true),
        (
            401,
            "application/json",
            r#"{"status":false,"error":"Missing X-Token header"}"#,
            ErrorClass::Auth,
            true,
        ),
        (
            403,
            "application/json",
            r#"{"status":false,"error":"Invalid API token"}"#,
            ErrorClass::Auth,
            true,
        ),
        (
            429,
            "application/json",
            r#"{"status":false,"error":"Rate limit exceeded"}"#,
            ErrorClass::Budget,
            true,
        ),
        (
            405,
            "application/json",
            r#"{"status":false,"error":"Unknown method"}"#,
            ErrorClass::Unsupported,
            false,
        ),
        (500, "text/html", "oops", ErrorClass::InvalidResponse, false),
        (
            200,
            "application/json",
            r#"{"status": true, "response": [{"sn": "HW"#,
            ErrorClass::InvalidResponse,
            false,
        ),
        (
            200,
            "application/json",
            r#"{"status": true, "response": "none"}"#,
            ErrorClass::InvalidResponse,
            false,
        ),
        (
            200,
            "application/json",
            r#"["not", "an", "object"]"#,
            ErrorClass::InvalidResponse,
            false,
        ),
        (
            200,
            "application/json",
            r#"{"status": false, "error": "OLT offline"}"#,
            ErrorClass::InvalidResponse,
            false,
        ),
        (200, "text/html", html, ErrorClass::InvalidResponse, false),
    ];
    for (status, content_type, body, class, last) in cases {
        let host = statuses_answer(status, content_type, body);
        let observations = run(&config(r#""read": ["statuses", "outages"]"#), &host).unwrap();
        let failures = failures(&observations);
        assert_eq!(
            failures.first().map(|f| f.0),
            Some(class),
            "{status} {body}: {failures:?}"
        );
        assert!(
            failures[0].1.contains("get_onus_statuses"),
            "{status}: {}",
            failures[0].1
        );
        assert!(onus(&observations).is_empty());
        // A final failure stops the account; others let the next read go on (and fail, here:
        // the fake has no answer for the outages).
        let asked_outages = requested(&host).iter().any(|u| u.contains("outage"));
        assert_eq!(asked_outages, !last, "{status} {body}");
    }
}

#[test]
fn the_vendor_error_text_is_quoted() {
    let host = statuses_answer(
        400,
        "application/json",
        r#"{"status":false,"error":"Invalid parameters","error_code":400}"#,
    );
    let observations = run(&config(r#""read": ["statuses"]"#), &host).unwrap();
    let failures = failures(&observations);
    assert_eq!(failures[0].0, ErrorClass::InvalidResponse);
    assert!(
        failures[0].1.ends_with("status 400: Invalid parameters"),
        "{}",
        failures[0].1
    );
}

#[test]
fn host_errors_keep_their_class() {
    let cases = [
        (HostError::Timeout, ErrorClass::Timeout),
        (
            HostError::Unreachable("connection refused".into()),
            ErrorClass::Unreachable,
        ),
        (
            HostError::BudgetExhausted("smartolt: 1000 calls per 3600 s".into()),
            ErrorClass::Budget,
        ),
        (
            HostError::Denied("smartolt.test is not granted".into()),
            ErrorClass::Denied,
        ),
    ];
    for (error, class) in cases {
        let host = FakeHost::new()
            .clock(NOW)
            .secret("smartolt-token", "t0k3n")
            .http_failure(Method::Get, &format!("{BASE}/system/get_olts"), error);
        let observations = run(&config(""), &host).unwrap();
        let failures = failures(&observations);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].0, class);
        assert_eq!(requested(&host).len(), 1);
        assert!(onus(&observations).is_empty());
    }
}

#[test]
fn a_stale_olt_list_serves_while_get_olts_fails() {
    let old = format!("v1 {}\n1\tOLT CENTRO\n", NOW - 86_400_000);
    let host = FakeHost::new()
        .clock(NOW)
        .secret("smartolt-token", "t0k3n")
        .kv("olts/isp-smartolt", old.as_bytes());
    let host = host.http_with_headers(
        Method::Get,
        &format!("{BASE}/system/get_olts"),
        500,
        headers(999),
        "{}",
    );
    let host = answer(host, "onu/get_onus_statuses?olt_id=1", 998, &statuses());
    let observations = run(&config(r#""read": ["statuses"]"#), &host).unwrap();
    assert_eq!(onus(&observations).len(), 3);
    assert_eq!(onu(&observations, "HWTCAF721761").olt, "OLT CENTRO");
    assert_eq!(failures(&observations).len(), 1);
}

#[test]
fn under_the_reserve_only_statuses_are_read() {
    let host = FakeHost::new()
        .clock(NOW)
        .secret("smartolt-token", "t0k3n")
        .with_kv();
    let host = answer(host, "system/get_olts", 41, &olts());
    let host = answer(host, "onu/get_onus_statuses?olt_id=1", 40, &statuses());
    let observations = run(&config(r#""full_status_for": ["HWTCAF721761"]"#), &host).unwrap();
    assert_eq!(
        requested(&host),
        ["/system/get_olts", "/onu/get_onus_statuses?olt_id=1"]
    );
    assert_eq!(onus(&observations).len(), 3);
    let failures = failures(&observations);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, ErrorClass::Budget);
    for skipped in [
        "signals",
        "details",
        "outages",
        "full status of HWTCAF721761",
    ] {
        assert!(failures[0].1.contains(skipped), "{}", failures[0].1);
    }
    assert_eq!(
        metric(&observations, "smartolt_api_calls_remaining")
            .unwrap()
            .value,
        40.0
    );
}

#[test]
fn rows_without_identity_are_skipped_and_wrong_types_ignored() {
    let host = healthy_statuses(&json!({"status": true, "response": [
        {"name": "nobody", "status": "Online"},
        {"sn": "HWTC00000001", "board": [1], "port": {"x": 1}, "onu": "seven", "status": 3},
        {"sn": "HWTC00000002", "unique_external_id": "HWTC00000002", "status": "Weird"},
    ]}));
    let observations = run(&config(r#""read": ["statuses"]"#), &host).unwrap();
    let onus = onus(&observations);
    assert_eq!(onus.len(), 2);
    assert_eq!(
        (onus[0].board, onus[0].port, onus[0].onu_id),
        (None, None, None)
    );
    assert!(
        onus.iter()
            .all(|o| o.status == vigia_plugin_sdk::OnuStatus::Unknown)
    );
    assert!(
        host.logs()
            .iter()
            .any(|(_, line)| line.contains("1 status rows"))
    );
}

fn healthy_statuses(body: &Value) -> FakeHost {
    let host = FakeHost::new()
        .clock(NOW)
        .secret("smartolt-token", "t0k3n")
        .with_kv();
    let host = answer(host, "system/get_olts", 999, &olts());
    answer(host, "onu/get_onus_statuses?olt_id=1", 998, body)
}

#[test]
fn a_missing_secret_or_a_bad_address_fails_the_target_only() {
    let host = FakeHost::new().clock(NOW);
    let observations = run(&config(""), &host).unwrap();
    let failures = failures(&observations);
    assert_eq!(failures[0].0, ErrorClass::Denied);
    assert!(failures[0].1.contains("smartolt-token"));

    let host = FakeHost::new().clock(NOW).secret("smartolt-token", "t");
    let observations =
        testing::run::<Smartolt>(&config(""), &[Target::new("x", "smartolt.test")], &host).unwrap();
    assert_eq!(self::failures(&observations)[0].0, ErrorClass::Config);

    // A target label names another account's token.
    let host = FakeHost::new().clock(NOW).secret("other-token", "t");
    let target = Target::new("y", "ftp://x").with_label("token_secret", "other-token");
    let observations = testing::run::<Smartolt>(&config(""), &[target], &host).unwrap();
    assert_eq!(self::failures(&observations)[0].0, ErrorClass::Config);
    assert_eq!(host.calls()[1], Call::Secret("other-token".into()));
}

#[test]
fn bad_configs_are_config_errors() {
    let host = FakeHost::new();
    for config in [
        r#"{}"#,
        r#"{"token_secret": ""}"#,
        r#"{"token_secret": "t", "read": ["signals"]}"#,
        r#"{"token_secret": "t", "read": ["everything"]}"#,
        r#"{"token_secret": "t", "details_max_age_secs": 5}"#,
        r#"{"token_secret": "t", "timeout_ms": 0}"#,
        r#"{"token_secret": "t", "full_status_for": ["1","2","3","4","5","6","7","8","9","10","11"]}"#,
        r#"{"token_secret": "t", "colour": "blue"}"#,
    ] {
        let error = run(config, &host).unwrap_err();
        assert_eq!(error.class, ErrorClass::Config, "{config}: {error}");
    }
    assert!(host.calls().is_empty());
}

#[test]
fn describe_asks_for_http_secrets_and_kv() {
    let info = testing::describe::<Smartolt>();
    assert_eq!(info.id, "smartolt");
    assert_eq!(info.capabilities.len(), 3);
    let schema: Value = serde_json::from_str(&info.config_schema).unwrap();
    assert_eq!(schema["required"], json!(["token_secret"]));
}
