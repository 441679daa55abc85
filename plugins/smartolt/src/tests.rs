//! Native tests against `FakeHost`: scripted SmartOLT answers (in the shapes the vendor notes
//! record), the failures a real account produces, and the value parsers.

mod diagnose;
mod failures;
mod reads;
mod units;

use serde_json::{Value, json};
use vigia_plugin_sdk::http::Method;
use vigia_plugin_sdk::testing::{self, Call, FakeHost};
use vigia_plugin_sdk::{Alarm, ErrorClass, Metric, Observation, ObservationKind, Onu};

use super::*;

/// The fake wall clock: 2026-08-15 21:30:00 UTC (18:30 in the account's UTC-3).
const NOW: u64 = 1_786_829_400_000;
const BASE: &str = "http://smartolt.test/api";

fn account() -> Target {
    Target::new("isp-smartolt", BASE)
}

fn run(config: &str, host: &FakeHost) -> Result<Vec<Observation>, PluginError> {
    testing::run::<Smartolt>(config, &[account()], host)
}

/// The config of most tests, with `extra` fields appended.
fn config(extra: &str) -> String {
    let base =
        r#""token_secret": "smartolt-token", "olt_ids": [1], "timezone_offset_minutes": -180"#;
    if extra.is_empty() {
        format!("{{{base}}}")
    } else {
        format!("{{{base}, {extra}}}")
    }
}

fn headers(remaining: u32) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        ("X-RateLimit-Limit".into(), "1000".into()),
        ("X-RateLimit-Remaining".into(), remaining.to_string()),
    ]
}

/// `GET <BASE>/<path>` answers 200 with `body` and the rate-limit headers.
fn answer(host: FakeHost, path: &str, remaining: u32, body: &Value) -> FakeHost {
    host.http_with_headers(
        Method::Get,
        &format!("{BASE}/{path}"),
        200,
        headers(remaining),
        body.to_string(),
    )
}

fn olts() -> Value {
    json!({"status": true, "response_code": "success", "response": [
        {"id": "1", "name": "OLT CENTRO", "olt_hardware_version": "Huawei MA5800-X7", "ip": "10.200.1.10"},
        {"id": "2", "name": "OLT NORTE", "olt_hardware_version": "ZTE C320", "ip": "10.200.2.10"},
    ]})
}

fn statuses() -> Value {
    json!({"status": true, "response_code": "success", "response": [
        {"sn": "HWTCAF721761", "name": "joao.silva", "unique_external_id": "HWTCAF721761",
         "olt_id": "1", "board": "1", "port": "1", "onu": "1", "zone_id": "1",
         "status": "Online", "last_status_change": "2026-08-01 09:00:00"},
        {"sn": "HWTC0000BEEF", "name": "maria.souza", "unique_external_id": "hwtc-0000beef",
         "olt_id": "1", "board": 1, "port": 2, "onu": 7, "zone_id": "1",
         "status": "LOS", "last_status_change": "2026-08-15 18:00:25"},
        {"sn": "HWTC12345678", "name": "ana.pereira", "unique_external_id": "HWTC12345678",
         "olt_id": "1", "board": "1", "port": "2", "onu": "8", "zone_id": "1",
         "status": "Power fail", "last_status_change": "2026-08-15 17:59:00"},
    ]})
}

fn signals() -> Value {
    json!({"status": true, "response_code": "success", "response": [
        {"unique_external_id": "HWTCAF721761", "signal": "Very good",
         "signal_1490": "-21.19 dBm", "signal_1310": "-23.98 dBm"},
        {"unique_external_id": "hwtc-0000beef", "signal": "-", "signal_1490": "-", "signal_1310": "-"},
        {"unique_external_id": "HWTC12345678", "signal": "Critical", "signal_1490": "-27.50 dBm", "signal_1310": "-"},
    ]})
}

fn details() -> Value {
    json!({"status": true, "response_code": "success", "onus": [
        {"unique_external_id": "HWTCAF721761", "sn": "HWTCAF721761", "name": "joao.silva",
         "odb_name": "CTO-OLT-CENTRO-1-1-01", "onu_type_name": "HG8145V5", "zone_name": "Centro",
         "username": "joao.silva", "password": "pw-secret", "board": 1, "port": 1},
        {"unique_external_id": "hwtc-0000beef", "sn": "HWTC0000BEEF",
         "odb_name": "CTO-OLT-CENTRO-1-2-01", "onu_type_name": "HG8145V5", "zone_name": "Centro",
         "password": "pw-other"},
        {"unique_external_id": "HWTC12345678", "odb_name": "CTO-OLT-CENTRO-1-2-02",
         "onu_type_name": "HG8145V5", "zone_name": "Centro"},
    ]})
}

fn no_outages() -> Value {
    json!({"status": true, "response_code": "success", "response": {"sections": []}})
}

fn outage(kind: &str) -> Value {
    json!({"status": true, "response_code": "success", "response": {"sections": [
        {"groups": [{"since": "2026-08-15 18:00:00", "pons": [
            {"board": "1", "port": "2", "alert_kind": kind, "affected_onus": 20,
             "affected_percent": 62, "partial_started_at": "2026-08-15 18:00:25",
             "zone_name": "Centro", "odb_name": ""}
        ]}]}
    ]}})
}

/// A healthy account with one OLT: every bulk read answers.
fn healthy() -> FakeHost {
    let host = FakeHost::new()
        .clock(NOW)
        .secret("smartolt-token", "t0k3n")
        .with_kv();
    let host = answer(host, "system/get_olts", 999, &olts());
    let host = answer(host, "onu/get_onus_statuses?olt_id=1", 998, &statuses());
    let host = answer(host, "onu/get_onus_signals?olt_id=1", 997, &signals());
    let host = answer(host, "onu/get_all_onus_details?olt_id=1", 996, &details());
    answer(host, "system/get_outage_pons/1", 995, &no_outages())
}

fn onus(observations: &[Observation]) -> Vec<&Onu> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Onu(onu) => Some(onu),
            _ => None,
        })
        .collect()
}

fn onu<'a>(observations: &'a [Observation], serial: &str) -> &'a Onu {
    onus(observations)
        .into_iter()
        .find(|o| o.serial == serial)
        .unwrap_or_else(|| panic!("no onu {serial} in {observations:#?}"))
}

fn onu_label<'a>(observations: &'a [Observation], serial: &str, key: &str) -> Option<&'a str> {
    observations
        .iter()
        .find(|o| matches!(&o.kind, ObservationKind::Onu(onu) if onu.serial == serial))
        .and_then(|o| o.labels.iter().find(|(k, _)| k == key))
        .map(|(_, v)| v.as_str())
}

fn alarms(observations: &[Observation]) -> Vec<&Alarm> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Alarm(alarm) => Some(alarm),
            _ => None,
        })
        .collect()
}

fn metric<'a>(observations: &'a [Observation], name: &str) -> Option<&'a Metric> {
    observations.iter().find_map(|o| match &o.kind {
        ObservationKind::Metric(m) if m.name == name => Some(m),
        _ => None,
    })
}

fn failures(observations: &[Observation]) -> Vec<(ErrorClass, String)> {
    observations
        .iter()
        .filter_map(|o| match &o.kind {
            ObservationKind::Failure(error) => Some((error.class, error.message.clone())),
            _ => None,
        })
        .collect()
}

/// The URLs requested so far, in order.
fn requested(host: &FakeHost) -> Vec<String> {
    host.calls()
        .into_iter()
        .filter_map(|call| match call {
            Call::HttpSend(request) => Some(request.url.replace(BASE, "")),
            _ => None,
        })
        .collect()
}
