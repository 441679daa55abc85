//! `get_onu_full_status_info/{id}`: what SmartOLT reads live from the OLT for one ONU, slowly
//! (the vendor says about 10 s; [`crate::vendor::smartolt::Settings::full_status_delay`]). Both the
//! text (`full_status_info`) and the parsed sections (`full_status_json`), with Huawei's wording:
//! `Last down cause` is `dying-gasp` after a power failure, `ONT LOSi/LOBi alarm` after a cut.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::super::format::{NO_READING, huawei_duration, local_time, optics};
use super::super::{Api, invalid_parameters};
use super::find;
use crate::world::{OnuInfo, OnuStatus, Subscriber, World};

pub(crate) async fn full_status(State(api): State<Api>, Path(id): Path<String>) -> Response {
    // The OLT is asked first: an unknown id costs the delay too.
    tokio::time::sleep(api.settings.full_status_delay).await;
    let w = api.sim.world();
    let Some((s, onu)) = find(&w, &id).and_then(|i| {
        let s = &w.subscribers[i];
        s.onu().map(|onu| (s, onu))
    }) else {
        return invalid_parameters();
    };
    let sections = sections(&w, s, onu);
    let text = as_text(&sections);
    axum::Json(json!({
        "status": true,
        "response_code": "success",
        "full_status_info": text,
        "full_status_json": sections,
    }))
    .into_response()
}

fn sections(w: &World, s: &Subscriber, onu: &OnuInfo) -> Value {
    let now = time::OffsetDateTime::now_utc();
    let live = &s.live;
    let online = live.onu_status == OnuStatus::Online;
    let light = optics(s, onu);
    let reading = |value: Option<f64>| value.map_or(NO_READING.to_owned(), |v| format!("{v:.2}"));
    let last_down = live.history.back().map(|r| r.down_at).or_else(|| {
        live.last_down_cause
            .map(|_| live.status_since - time::Duration::seconds(40))
    });
    let last_up = if online {
        Some(live.status_since)
    } else {
        live.history
            .iter()
            .rev()
            .find_map(|r| r.up_at)
            .or(Some(live.status_since - time::Duration::days(3)))
    };
    let when = |at: Option<time::OffsetDateTime>| at.map_or("-".to_owned(), |at| local_time(w, at));
    let history: Vec<Value> = live
        .history
        .iter()
        .rev()
        .map(|r| {
            json!({
                "Auth at": r.up_at.map_or("-".to_owned(), |at| local_time(w, at)),
                "Offline at": local_time(w, r.down_at),
                "Cause": r.cause,
            })
        })
        .collect();
    let vendor = onu.serial.get(..4).unwrap_or_default();
    let rest = onu.serial.get(4..).unwrap_or_default();
    json!({
        "Optical status": {
            "Rx optical power(dBm)": reading(light.map(|o| o.rx)),
            "Tx optical power(dBm)": reading(light.map(|o| o.tx)),
            "Temperature(C)": if online { "46" } else { NO_READING },
            "OLT Rx ONT optical power(dBm)": reading(light.map(|o| o.olt_rx)),
            "CATV Rx optical power(dBm)": NO_READING,
        },
        "ONU details": {
            "Run state": if online { "online" } else { "offline" },
            "Match state": "match",
            "ONT distance(m)": if online { onu.distance_m.to_string() } else { NO_READING.to_owned() },
            "SN": format!("{} ({vendor}-{rest})", onu.hex_serial()),
            "Management mode": "OMCI",
            "Description": s.login,
            "Last down cause": live.last_down_cause.unwrap_or("-"),
            "Last up time": when(last_up),
            "Last down time": when(last_down),
            "ONT online duration": if online {
                huawei_duration((now - live.status_since).whole_seconds())
            } else {
                NO_READING.to_owned()
            },
        },
        "History": history,
        "ONU WAN Interfaces": {
            "IPv4 address": if online { s.cpe_ip.to_string() } else { NO_READING.to_owned() },
            "Subnet mask": "255.255.255.255",
            "Default gateway": w.concentrators[s.concentrator].address.to_string(),
            "Manage VLAN": "100",
            "MAC address": s.cpe_mac,
        },
        "ONU LAN Interfaces status": {
            "eth_0/1": { "Link state": if online { "up" } else { "down" } },
            "eth_0/2": { "Link state": "down" },
        },
        "MACs on OLT from this ONU": if online { vec![s.cpe_mac.clone()] } else { Vec::new() },
    })
}

/// The sections as the CLI-like text SmartOLT also returns.
fn as_text(sections: &Value) -> String {
    let mut out = String::new();
    if let Value::Object(map) = sections {
        for (title, body) in map {
            out.push_str(&format!("-- {title} --\n"));
            write_body(&mut out, body);
        }
    }
    out
}

fn write_body(out: &mut String, body: &Value) {
    match body {
        Value::Object(fields) => write_fields(out, fields),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(fields) => write_fields(out, fields),
                    other => out.push_str(&format!("  {}\n", plain(other))),
                }
            }
        }
        other => out.push_str(&format!("  {}\n", plain(other))),
    }
}

fn write_fields(out: &mut String, fields: &Map<String, Value>) {
    for (key, value) in fields {
        out.push_str(&format!("  {key:<32}: {}\n", plain(value)));
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
