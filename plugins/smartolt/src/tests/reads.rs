//! What a healthy account gives, the call budget of the steady state, outages and full status.

use super::*;
use vigia_plugin_sdk::{EntityKind, OnuStatus, Severity};

#[test]
fn onus_carry_status_signals_and_cached_details() {
    let host = healthy();
    let observations = run(&config(""), &host).unwrap();
    assert_eq!(onus(&observations).len(), 3);

    let joao = onu(&observations, "HWTCAF721761");
    assert_eq!(joao.login.as_deref(), Some("joao.silva"));
    assert_eq!(joao.olt, "OLT CENTRO");
    assert_eq!(
        (joao.board, joao.port, joao.onu_id),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(joao.splitter.as_deref(), Some("CTO-OLT-CENTRO-1-1-01"));
    assert_eq!(joao.model.as_deref(), Some("HG8145V5"));
    assert_eq!(joao.status, OnuStatus::Online);
    assert_eq!(joao.rx_dbm, Some(-21.19));
    assert_eq!(joao.olt_rx_dbm, Some(-23.98));
    assert_eq!(joao.last_down_ms, None);
    assert_eq!(
        onu_label(&observations, "HWTCAF721761", "signal"),
        Some("Very good")
    );
    assert_eq!(
        onu_label(&observations, "HWTCAF721761", "zone"),
        Some("Centro")
    );

    // Numbers where the other rows have strings are read all the same.
    let maria = onu(&observations, "HWTC0000BEEF");
    assert_eq!(
        (maria.board, maria.port, maria.onu_id),
        (Some(1), Some(2), Some(7))
    );
    assert_eq!(maria.status, OnuStatus::Los);
    assert_eq!(maria.rx_dbm, None);
    // 18:00:25 at UTC-3 is 21:00:25 UTC.
    assert_eq!(maria.last_down_ms, Some(1_786_827_625_000));
    assert_eq!(
        onu_label(&observations, "HWTC0000BEEF", "external_id"),
        Some("hwtc-0000beef")
    );

    let ana = onu(&observations, "HWTC12345678");
    assert_eq!(ana.status, OnuStatus::PowerFail);
    // A down ONU has no light, whatever the signal table says.
    assert_eq!(ana.rx_dbm, None);

    let online = metric(&observations, "smartolt_onus_online").unwrap();
    assert_eq!(online.value, 1.0);
    let remaining = metric(&observations, "smartolt_api_calls_remaining").unwrap();
    assert_eq!(remaining.value, 995.0);
    assert_eq!(
        remaining.labels,
        vec![("limit".to_owned(), "1000".to_owned())]
    );
    assert_eq!(
        metric(&observations, "smartolt_api_calls_run")
            .unwrap()
            .value,
        5.0
    );
    assert!(failures(&observations).is_empty(), "{observations:#?}");
    // The token went in the X-Token header of every request.
    let tokens: Vec<bool> = host
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            Call::HttpSend(request) => Some(
                request
                    .headers
                    .iter()
                    .any(|(k, v)| k.eq_ignore_ascii_case("x-token") && v == "t0k3n"),
            ),
            _ => None,
        })
        .collect();
    assert_eq!(tokens, vec![true; 5]);
}

#[test]
fn the_steady_state_costs_statuses_signals_and_outages_only() {
    let host = healthy();
    run(&config(""), &host).unwrap();
    assert_eq!(
        requested(&host),
        [
            "/system/get_olts",
            "/onu/get_onus_statuses?olt_id=1",
            "/onu/get_onus_signals?olt_id=1",
            "/onu/get_all_onus_details?olt_id=1",
            "/system/get_outage_pons/1",
        ]
    );
    // The PPPoE passwords of the details never reach the cache.
    let cached = host.kv_value("details/isp-smartolt/1").unwrap();
    let cached = String::from_utf8(cached).unwrap();
    assert!(!cached.contains("pw-"), "{cached}");

    let observations = run(&config(""), &host).unwrap();
    assert_eq!(
        requested(&host)[5..],
        [
            "/onu/get_onus_statuses?olt_id=1",
            "/onu/get_onus_signals?olt_id=1",
            "/system/get_outage_pons/1",
        ]
    );
    // Still complete from the cache.
    let joao = onu(&observations, "HWTCAF721761");
    assert_eq!(joao.splitter.as_deref(), Some("CTO-OLT-CENTRO-1-1-01"));
    assert_eq!(
        metric(&observations, "smartolt_api_calls_run")
            .unwrap()
            .value,
        3.0
    );
}

#[test]
fn stale_details_or_an_unknown_onu_are_read_again() {
    let host = healthy();
    run(&config(r#""details_max_age_secs": 60"#), &host).unwrap();
    // An hour later, from a host that kept the kv state.
    let later = FakeHost::new()
        .clock(NOW + 3_600_000)
        .secret("smartolt-token", "t0k3n")
        .kv(
            "details/isp-smartolt/1",
            &host.kv_value("details/isp-smartolt/1").unwrap(),
        )
        .kv(
            "olts/isp-smartolt",
            &host.kv_value("olts/isp-smartolt").unwrap(),
        );
    let later = answer(later, "system/get_olts", 900, &olts());
    let later = answer(later, "onu/get_onus_statuses?olt_id=1", 899, &statuses());
    let later = answer(later, "onu/get_all_onus_details?olt_id=1", 898, &details());
    run(
        &config(r#""details_max_age_secs": 60, "read": ["statuses", "details"]"#),
        &later,
    )
    .unwrap();
    assert_eq!(
        requested(&later),
        [
            "/system/get_olts",
            "/onu/get_onus_statuses?olt_id=1",
            "/onu/get_all_onus_details?olt_id=1",
        ]
    );

    // A fresh cache missing an ONU the statuses list is refreshed too.
    let partial = "v1 ".to_owned() + &NOW.to_string() + "\nHWTCAF721761\tCTO\tHG\tCentro\n";
    let host = FakeHost::new()
        .clock(NOW)
        .secret("smartolt-token", "t0k3n")
        .kv("details/isp-smartolt/1", partial.as_bytes());
    let host = answer(host, "system/get_olts", 900, &olts());
    let host = answer(host, "onu/get_onus_statuses?olt_id=1", 899, &statuses());
    let host = answer(host, "onu/get_all_onus_details?olt_id=1", 898, &details());
    run(&config(r#""read": ["statuses", "details"]"#), &host).unwrap();
    assert!(requested(&host).contains(&"/onu/get_all_onus_details?olt_id=1".to_owned()));
}

#[test]
fn every_olt_of_the_account_is_read_without_olt_ids() {
    let host = healthy();
    let host = answer(
        host,
        "onu/get_onus_statuses?olt_id=2",
        990,
        &json!({"status": true, "response": []}),
    );
    let config = r#"{"token_secret": "smartolt-token", "read": ["statuses"]}"#;
    let observations = run(config, &host).unwrap();
    assert_eq!(
        requested(&host),
        [
            "/system/get_olts",
            "/onu/get_onus_statuses?olt_id=1",
            "/onu/get_onus_statuses?olt_id=2",
        ]
    );
    let per_olt: Vec<&str> = observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Metric(m) if m.name == "smartolt_onus_online" => m
                .labels
                .iter()
                .find(|(k, _)| k == "olt")
                .map(|(_, v)| v.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(per_olt, ["OLT CENTRO", "OLT NORTE"]);
}

#[test]
fn outage_pons_are_alarms_on_the_pon_port_and_clear_when_they_end() {
    let host = FakeHost::new()
        .clock(NOW)
        .secret("smartolt-token", "t0k3n")
        .with_kv();
    let host = answer(host, "system/get_outage_pons/1", 990, &outage("los"));
    let host = answer(host, "system/get_olts", 999, &olts());
    let host = answer(host, "onu/get_onus_statuses?olt_id=1", 998, &statuses());
    let observations = run(&config(r#""read": ["statuses", "outages"]"#), &host).unwrap();
    let raised = alarms(&observations);
    assert_eq!(raised.len(), 1, "{observations:#?}");
    assert_eq!(raised[0].source.kind, EntityKind::PonPort);
    assert_eq!(raised[0].source.id, "OLT CENTRO/1/2");
    assert_eq!(raised[0].severity, Severity::Critical);
    assert_eq!(raised[0].code, "smartolt_outage_pon");
    assert_eq!(raised[0].raised_ms, Some(1_786_827_625_000));
    assert_eq!(raised[0].cleared_ms, None);
    assert!(
        raised[0].text.contains("loss of signal"),
        "{}",
        raised[0].text
    );

    // Next run: the vendor lists no outage any more.
    let next = FakeHost::new()
        .clock(NOW + 60_000)
        .secret("smartolt-token", "t0k3n")
        .kv(
            "olts/isp-smartolt",
            &host.kv_value("olts/isp-smartolt").unwrap(),
        )
        .kv(
            "outages/isp-smartolt/1",
            &host.kv_value("outages/isp-smartolt/1").unwrap(),
        );
    let next = answer(next, "onu/get_onus_statuses?olt_id=1", 990, &statuses());
    let next = answer(next, "system/get_outage_pons/1", 989, &no_outages());
    let observations = run(&config(r#""read": ["statuses", "outages"]"#), &next).unwrap();
    let cleared = alarms(&observations);
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0].source.id, "OLT CENTRO/1/2");
    assert_eq!(cleared[0].cleared_ms, Some(NOW + 60_000));
    assert_eq!(cleared[0].raised_ms, Some(1_786_827_625_000));

    // A power outage is major, and an empty `response` list means no outage.
    let power = answer(
        healthy_first(),
        "system/get_outage_pons/1",
        990,
        &outage("power"),
    );
    let power = answer(power, "onu/get_onus_statuses?olt_id=1", 998, &statuses());
    let observations = run(&config(r#""read": ["statuses", "outages"]"#), &power).unwrap();
    assert_eq!(alarms(&observations)[0].severity, Severity::Major);
    let empty = answer(
        healthy_first(),
        "system/get_outage_pons/1",
        990,
        &json!({"status": true, "response": []}),
    );
    let empty = answer(empty, "onu/get_onus_statuses?olt_id=1", 998, &statuses());
    let observations = run(&config(r#""read": ["statuses", "outages"]"#), &empty).unwrap();
    assert!(alarms(&observations).is_empty());
    assert!(failures(&observations).is_empty(), "{observations:#?}");
}

/// A host with the token, kv and the OLT list, to add routes to.
fn healthy_first() -> FakeHost {
    let host = FakeHost::new()
        .clock(NOW)
        .secret("smartolt-token", "t0k3n")
        .with_kv();
    answer(host, "system/get_olts", 999, &olts())
}

fn full_status_json() -> Value {
    json!({"status": true, "response_code": "success",
    "full_status_info": "-- ONU details --\n  Last down cause : dying-gasp\n",
    "full_status_json": {
        "Optical status": {"Rx optical power(dBm)": "-", "Tx optical power(dBm)": "-",
                            "OLT Rx ONT optical power(dBm)": "-"},
        "ONU details": {"Run state": "offline", "Last down cause": "dying-gasp",
                         "Last down time": "2026-08-15 18:00:20", "ONT distance(m)": "-"},
        "History": [{"Auth at": "2026-08-01 09:00:00", "Offline at": "2026-08-15 18:00:20",
                     "Cause": "dying-gasp"}]
    }})
}

#[test]
fn full_status_retries_a_hex_quirk_onu_with_the_hex_form() {
    let host = healthy_first();
    let host = answer(host, "onu/get_onus_statuses?olt_id=1", 998, &statuses());
    let host = host.http_with_headers(
        Method::Get,
        &format!("{BASE}/onu/get_onu_full_status_info/hwtc-0000beef"),
        400,
        headers(997),
        r#"{"status":false,"error":"Invalid parameters","error_code":400}"#,
    );
    let host = answer(
        host,
        "onu/get_onu_full_status_info/485754430000BEEF",
        996,
        &full_status_json(),
    );
    let observations = run(
        &config(r#""read": ["statuses"], "full_status_for": ["hwtc-0000beef"]"#),
        &host,
    )
    .unwrap();
    assert!(failures(&observations).is_empty(), "{observations:#?}");
    let maria = onu(&observations, "HWTC0000BEEF");
    assert_eq!(maria.last_down_cause.as_deref(), Some("dying-gasp"));
    assert_eq!(maria.last_down_ms, Some(1_786_827_620_000));
    assert_eq!(
        onu_label(&observations, "HWTC0000BEEF", "id_form"),
        Some("hex")
    );
    assert_eq!(
        onu_label(&observations, "HWTC0000BEEF", "full_status"),
        Some("true")
    );
    let slow: Vec<u32> = host
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            Call::HttpSend(r) if r.url.contains("full_status") => Some(r.timeout_ms),
            _ => None,
        })
        .collect();
    assert_eq!(slow, [20_000, 20_000]);
}

#[test]
fn full_status_for_an_onu_not_read_is_a_config_failure() {
    let host = healthy_first();
    let host = answer(host, "onu/get_onus_statuses?olt_id=1", 998, &statuses());
    let observations = run(
        &config(r#""read": ["statuses"], "full_status_for": ["ZTEG00000000"]"#),
        &host,
    )
    .unwrap();
    let failures = failures(&observations);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, ErrorClass::Config);
    assert!(failures[0].1.contains("ZTEG00000000"));
    assert_eq!(onus(&observations).len(), 3);
}
