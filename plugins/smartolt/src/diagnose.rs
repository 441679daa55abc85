//! `full_status_onus`: the live check of a few ONUs by serial, with no bulk call (the account's
//! 1000 calls an hour are shared with every scheduled run). Per ONU, two calls:
//!
//! 1. `get_onu_details/{serial}`: the serial is the `unique_external_id` for almost every ONU;
//!    on HTTP 400 once more with the GPON hex form (`HWTC…` → `48575443…`, the vendor's hex-id
//!    quirk). It gives the external id, the OLT, board/port/onu, login (`name`), splitter and
//!    model.
//! 2. `get_onu_full_status_info/{unique_external_id}` (slow, ~10 s; see `full_status`): status
//!    (`Run state`), Rx/Tx and OLT Rx powers, last down cause and time, distance.
//!
//! Each becomes one `onu` observation labelled `full_status = true`. An ONU the account does not
//! know is a `config` failure naming the serial.

use serde_json::Value;
use vigia_plugin_sdk::{Host, Onu, OnuStatus, PluginError};

use crate::account::Run;
use crate::api::CallError;
use crate::full_status;
use crate::onus::OnuRecord;
use crate::values::{hex_serial, number, text};

pub(crate) fn run_all<H: Host>(run: &mut Run<'_, H>) {
    for serial in &run.config.full_status_onus {
        if run.stopped {
            break;
        }
        if run.keep_reserve(&format!("full status of {serial}")) {
            continue;
        }
        let Some(record) = lookup(run, serial.trim()) else {
            continue;
        };
        run.onus.push(record);
        let index = run.onus.len() - 1;
        full_status::complete(run, index);
    }
}

/// The ONU's record from `get_onu_details`, or `None` (failure recorded).
fn lookup<H: Host>(run: &mut Run<'_, H>, serial: &str) -> Option<OnuRecord> {
    let mut answer = details(run, serial);
    if let (
        Err(CallError {
            status: Some(400), ..
        }),
        Some(hex),
    ) = (&answer, hex_serial(serial).filter(|hex| hex != serial))
    {
        run.host.debug(&format!(
            "details of {serial}: 400, asking again with the hex form {hex}"
        ));
        answer = details(run, &hex);
    }
    let body = match answer {
        Ok(body) => body,
        Err(CallError {
            status: Some(400), ..
        }) => {
            run.failure(
                PluginError::config(format!(
                    "full_status_onus `{serial}`: no such onu on this account"
                )),
                None,
            );
            return None;
        }
        Err(error) => {
            run.fail(error, None);
            return None;
        }
    };
    let Some(row) = body.get("onu_details").filter(|v| v.is_object()) else {
        run.failure(
            PluginError::invalid_response(format!(
                "GET /api/onu/get_onu_details/{serial}: no `onu_details` object"
            )),
            None,
        );
        return None;
    };
    Some(record(row, serial))
}

fn details<H: Host>(run: &Run<'_, H>, id: &str) -> Result<Value, CallError> {
    run.client
        .get(&format!("onu/get_onu_details/{id}"), run.config.timeout_ms)
}

/// An ONU record from a `get_onu_details` row; the status comes with the full status.
fn record(row: &Value, serial: &str) -> OnuRecord {
    let external_id = text(row, "unique_external_id").unwrap_or_else(|| serial.to_owned());
    let onu = Onu {
        serial: text(row, "sn").unwrap_or_else(|| serial.to_owned()),
        login: text(row, "name"),
        olt: text(row, "olt_name").unwrap_or_default(),
        board: number(row, "board"),
        port: number(row, "port"),
        onu_id: number(row, "onu"),
        splitter: text(row, "odb_name"),
        status: OnuStatus::Unknown,
        rx_dbm: None,
        tx_dbm: None,
        olt_rx_dbm: None,
        last_down_cause: None,
        last_down_ms: None,
        distance_m: None,
        model: text(row, "onu_type_name"),
    };
    let mut record = OnuRecord {
        onu,
        external_id: external_id.clone(),
        labels: Vec::new(),
    };
    record.label("external_id", external_id);
    if let Some(olt_id) = text(row, "olt_id") {
        record.label("olt_id", olt_id);
    }
    if let Some(zone) = text(row, "zone_name") {
        record.label("zone", zone);
    }
    record
}
