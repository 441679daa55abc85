//! `full_status_onus`: the live check of a few ONUs by serial, two calls each and no bulk read.

use vigia_plugin_sdk::OnuStatus;

use super::*;

fn host() -> FakeHost {
    FakeHost::new()
        .clock(NOW)
        .secret("smartolt-token", "t0k3n")
        .with_kv()
}

fn details_of(serial: &str, external_id: &str) -> Value {
    json!({"status": true, "response_code": "success", "onu_details": {
        "unique_external_id": external_id, "sn": serial, "name": "joao.silva",
        "olt_id": "1", "olt_name": "OLT CENTRO", "board": 1, "port": 3, "onu": 12,
        "onu_type_name": "HG8245H", "zone_name": "Centro", "odb_name": "CTO-03-12",
        "username": "joao.silva", "password": "hunter2"
    }})
}

fn online_full_status() -> Value {
    json!({"status": true, "response_code": "success",
    "full_status_info": "-- ONU details --\n  Run state : online\n",
    "full_status_json": {
        "Optical status": {"Rx optical power(dBm)": "-21.19", "Tx optical power(dBm)": "2.05",
                            "OLT Rx ONT optical power(dBm)": "-23.98"},
        "ONU details": {"Run state": "online", "Last down cause": "dying-gasp",
                         "Last down time": "2026-08-15 18:00:20", "ONT distance(m)": "1432"}
    }})
}

fn offline_full_status() -> Value {
    json!({"status": true, "response_code": "success",
    "full_status_json": {
        "Optical status": {"Rx optical power(dBm)": "-", "Tx optical power(dBm)": "-",
                            "OLT Rx ONT optical power(dBm)": "-"},
        "ONU details": {"Run state": "offline", "Last down cause": "ONT LOSi/LOBi alarm",
                         "Last down time": "2026-08-15 18:00:20", "ONT distance(m)": "-"}
    }})
}

fn invalid_400(host: FakeHost, path: &str) -> FakeHost {
    host.http_with_headers(
        Method::Get,
        &format!("{BASE}/{path}"),
        400,
        headers(990),
        r#"{"status":false,"error":"Invalid parameters","error_code":400}"#,
    )
}

#[test]
fn full_status_onus_reads_only_those_onus_with_two_calls_each() {
    let host = answer(
        host(),
        "onu/get_onu_details/HWTCAF721761",
        998,
        &details_of("HWTCAF721761", "HWTCAF721761"),
    );
    let host = answer(
        host,
        "onu/get_onu_full_status_info/HWTCAF721761",
        997,
        &online_full_status(),
    );
    // The probe's bulk settings stay; the lookup ignores them.
    let observations = run(
        &config(r#""full_status_onus": ["HWTCAF721761"], "full_status_for": ["X"]"#),
        &host,
    )
    .unwrap();
    assert!(failures(&observations).is_empty(), "{observations:#?}");
    assert_eq!(
        requested(&host),
        [
            "/onu/get_onu_details/HWTCAF721761",
            "/onu/get_onu_full_status_info/HWTCAF721761",
        ],
        "no olt list, no bulk read"
    );
    assert_eq!(onus(&observations).len(), 1);
    let onu = onu(&observations, "HWTCAF721761");
    assert_eq!(onu.status, OnuStatus::Online);
    assert_eq!(onu.login.as_deref(), Some("joao.silva"));
    assert_eq!(onu.olt, "OLT CENTRO");
    assert_eq!(
        (onu.board, onu.port, onu.onu_id),
        (Some(1), Some(3), Some(12))
    );
    assert_eq!(onu.splitter.as_deref(), Some("CTO-03-12"));
    assert_eq!(onu.rx_dbm, Some(-21.19));
    assert_eq!(onu.tx_dbm, Some(2.05));
    assert_eq!(onu.olt_rx_dbm, Some(-23.98));
    assert_eq!(onu.last_down_cause.as_deref(), Some("dying-gasp"));
    assert_eq!(onu.last_down_ms, Some(1_786_827_620_000));
    assert_eq!(onu.distance_m, Some(1432));
    assert_eq!(
        onu_label(&observations, "HWTCAF721761", "full_status"),
        Some("true")
    );
    assert!(!format!("{observations:?}").contains("hunter2"));
    assert_eq!(
        metric(&observations, "smartolt_api_calls_run").map(|m| m.value),
        Some(2.0)
    );
}

#[test]
fn a_hex_quirk_onu_is_found_with_the_hex_form_and_reported_down() {
    let host = invalid_400(host(), "onu/get_onu_details/HWTC0000BEEF");
    let host = answer(
        host,
        "onu/get_onu_details/485754430000BEEF",
        997,
        &details_of("HWTC0000BEEF", "485754430000BEEF"),
    );
    let host = answer(
        host,
        "onu/get_onu_full_status_info/485754430000BEEF",
        996,
        &offline_full_status(),
    );
    let observations = run(&config(r#""full_status_onus": ["HWTC0000BEEF"]"#), &host).unwrap();
    assert!(failures(&observations).is_empty(), "{observations:#?}");
    let onu = onu(&observations, "HWTC0000BEEF");
    assert_eq!(onu.status, OnuStatus::Offline);
    assert_eq!(onu.last_down_cause.as_deref(), Some("ONT LOSi/LOBi alarm"));
    assert_eq!((onu.rx_dbm, onu.tx_dbm), (None, None));
    assert_eq!(
        onu_label(&observations, "HWTC0000BEEF", "external_id"),
        Some("485754430000BEEF")
    );
}

#[test]
fn an_unknown_serial_is_a_config_failure_and_the_others_still_run() {
    let host = invalid_400(host(), "onu/get_onu_details/ZTEG00000000");
    let host = invalid_400(host, "onu/get_onu_details/5A54454700000000");
    let host = answer(
        host,
        "onu/get_onu_details/HWTCAF721761",
        998,
        &details_of("HWTCAF721761", "HWTCAF721761"),
    );
    let host = answer(
        host,
        "onu/get_onu_full_status_info/HWTCAF721761",
        997,
        &online_full_status(),
    );
    let observations = run(
        &config(r#""full_status_onus": ["ZTEG00000000", "HWTCAF721761"]"#),
        &host,
    )
    .unwrap();
    let failures = failures(&observations);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, ErrorClass::Config);
    assert!(failures[0].1.contains("ZTEG00000000"), "{}", failures[0].1);
    assert_eq!(onus(&observations).len(), 1);
    assert_eq!(onu(&observations, "HWTCAF721761").status, OnuStatus::Online);
}

#[test]
fn full_status_onus_entries_are_checked() {
    for bad in [
        r#"["a/b"]"#,
        r#"[""]"#,
        r#"["1","2","3","4","5","6","7","8","9","10","11"]"#,
    ] {
        let error = run(&config(&format!(r#""full_status_onus": {bad}"#)), &host()).unwrap_err();
        assert_eq!(error.class, ErrorClass::Config, "{bad}");
    }
}
