//! On-demand diagnosis of one ONU: `get_onu_full_status_info/{id}` (slow, about 10 s). Asked
//! with the `unique_external_id`; on HTTP 400 asked once more with the GPON hex form of the
//! serial (`HWTC…` → `48575443…`), the vendor's hex-id quirk. What it adds to the ONU's
//! observation: last down cause and time, Tx power, distance, and Rx powers when the bulk read
//! had none.

use serde_json::Value;
use vigia_plugin_sdk::{ErrorClass, Host, OnuStatus, PluginError};

use crate::account::Run;
use crate::api::CallError;
use crate::onus::status;
use crate::values::{dbm, hex_serial, local_time_ms};

pub(crate) fn read<H: Host>(run: &mut Run<'_, H>, wanted: &str) {
    let wanted = wanted.trim();
    let found = run.onus.iter().position(|r| {
        r.external_id.eq_ignore_ascii_case(wanted)
            || r.onu.serial.eq_ignore_ascii_case(wanted)
            || hex_serial(&r.onu.serial).is_some_and(|hex| hex.eq_ignore_ascii_case(wanted))
    });
    let Some(index) = found else {
        run.failure(
            PluginError::config(format!(
                "full_status_for `{wanted}`: no such onu on the olts read this run"
            )),
            None,
        );
        return;
    };
    complete(run, index);
}

/// Asks the full status of `run.onus[index]` and adds it to that record. The record's status
/// is taken from `Run state` only when it has none yet (bulk statuses come first).
pub(crate) fn complete<H: Host>(run: &mut Run<'_, H>, index: usize) {
    let first = run.onus[index].external_id.clone();
    let hex = hex_serial(&run.onus[index].onu.serial).filter(|hex| *hex != first);
    let mut used_hex = false;
    let mut answer = call(run, &first);
    if let (
        Err(CallError {
            status: Some(400), ..
        }),
        Some(hex),
    ) = (&answer, &hex)
    {
        run.host.debug(&format!(
            "full status of {first}: 400, asking again with the hex form {hex}"
        ));
        used_hex = true;
        answer = call(run, hex);
    }
    let body = match answer {
        Ok(body) => body,
        // The slow call timing out says nothing about the rest of the API.
        Err(error) if error.error.class == ErrorClass::Timeout => {
            return run.failure(error.error, None);
        }
        Err(error) => return run.fail(error, None),
    };
    let Some(sections) = body.get("full_status_json").filter(|v| v.is_object()) else {
        return run.failure(
            PluginError::invalid_response(format!(
                "GET /api/onu/get_onu_full_status_info/{first}: no `full_status_json` object"
            )),
            None,
        );
    };
    let offset = run.config.timezone_offset_minutes;
    let record = &mut run.onus[index];
    let details = &sections["ONU details"];
    let optical = &sections["Optical status"];
    let field = |section: &Value, key: &str| {
        section
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "-")
            .map(str::to_owned)
    };
    if record.onu.status == OnuStatus::Unknown {
        record.onu.status = status(field(details, "Run state").as_deref());
    }
    if let Some(cause) = field(details, "Last down cause") {
        record.onu.last_down_cause = Some(cause);
    }
    if let Some(at) = field(details, "Last down time").and_then(|t| local_time_ms(&t, offset)) {
        record.onu.last_down_ms = Some(at);
    }
    if let Some(distance) = field(details, "ONT distance(m)").and_then(|d| d.parse().ok()) {
        record.onu.distance_m = Some(distance);
    }
    let power = |key: &str| optical.get(key).and_then(dbm);
    record.onu.tx_dbm = power("Tx optical power(dBm)").or(record.onu.tx_dbm);
    record.onu.rx_dbm = record.onu.rx_dbm.or(power("Rx optical power(dBm)"));
    record.onu.olt_rx_dbm = record
        .onu
        .olt_rx_dbm
        .or(power("OLT Rx ONT optical power(dBm)"));
    record.label("full_status", "true");
    if used_hex {
        record.label("id_form", "hex");
    }
}

fn call<H: Host>(run: &Run<'_, H>, id: &str) -> Result<Value, CallError> {
    let path = format!("onu/get_onu_full_status_info/{id}");
    run.client.get(&path, run.config.full_status_timeout_ms)
}
