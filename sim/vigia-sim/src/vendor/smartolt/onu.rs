//! `/api/onu/*`: the bulk reads per OLT and the per-ONU lookups (status, signal, details, and
//! the slow full status in [`full_status`]).

mod full_status;

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::format::{local_time, signal_strings};
use super::{Api, invalid_parameters, olt_by_id, onus, success, zone_id};
use crate::world::{OnuInfo, Subscriber, World};

pub(crate) use full_status::full_status;

type Params = Query<HashMap<String, String>>;

/// Which filters a bulk route honours. Unknown or malformed values of an honoured filter are
/// `Invalid parameters`; the others are ignored, as the vendor silently ignores `pon_port`.
struct Filter {
    olt: Option<usize>,
    board: Option<u32>,
    port: Option<u32>,
    zone: Option<u32>,
    odb: Option<String>,
}

impl Filter {
    fn parse(w: &World, q: &HashMap<String, String>, honour_pon: bool) -> Option<Self> {
        let number = |key: &str| -> Option<Option<u32>> {
            match q.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => Some(None),
                Some(v) => v.parse().ok().map(Some),
            }
        };
        let olt = match q.get("olt_id").map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => None,
            Some(id) => Some(olt_by_id(w, id)?),
        };
        let (board, port) = if honour_pon {
            (number("board")?, number("port")?)
        } else {
            (None, None)
        };
        let odb = if honour_pon {
            None
        } else {
            q.get("odb").cloned().filter(|v| !v.trim().is_empty())
        };
        Some(Self {
            olt,
            board,
            port,
            zone: number("zone")?,
            odb,
        })
    }

    fn keeps(&self, w: &World, onu: &OnuInfo) -> bool {
        let pon = &w.pons[onu.pon];
        self.olt.is_none_or(|o| pon.olt == o)
            && self.board.is_none_or(|b| pon.board == b)
            && self.port.is_none_or(|p| pon.port == p)
            && self.zone.is_none_or(|z| zone_id(w, &pon.zone) == z)
            && self
                .odb
                .as_ref()
                .is_none_or(|odb| w.splitters[onu.splitter].name == *odb)
    }
}

/// `get_all_onus_details`: `{"onus": [...]}`; `olt_id`, `zone` and `odb` filter, `board`, `port`
/// and `pon_port` are ignored.
pub(crate) async fn all_details(State(api): State<Api>, Query(q): Params) -> Response {
    let w = api.sim.world();
    let Some(filter) = Filter::parse(&w, &q, false) else {
        return invalid_parameters();
    };
    let list: Vec<Value> = onus(&w)
        .filter(|(_, onu)| filter.keeps(&w, onu))
        .map(|(s, onu)| details_json(&w, s, onu))
        .collect();
    success("onus", Value::Array(list))
}

/// `get_onus_statuses`: light rows, `board`/`port`/`onu` as strings.
pub(crate) async fn statuses(State(api): State<Api>, Query(q): Params) -> Response {
    let w = api.sim.world();
    let Some(filter) = Filter::parse(&w, &q, true) else {
        return invalid_parameters();
    };
    let list: Vec<Value> = onus(&w)
        .filter(|(_, onu)| filter.keeps(&w, onu))
        .map(|(s, onu)| {
            let pon = &w.pons[onu.pon];
            json!({
                "sn": onu.serial,
                "name": s.login,
                "unique_external_id": onu.external_id,
                "olt_id": w.olts[pon.olt].smartolt_id.to_string(),
                "board": pon.board.to_string(),
                "port": pon.port.to_string(),
                "onu": onu.onu_id.to_string(),
                "zone_id": zone_id(&w, &pon.zone).to_string(),
                "status": s.live.onu_status.smartolt(),
                "last_status_change": local_time(&w, s.live.status_since),
            })
        })
        .collect();
    success("response", Value::Array(list))
}

/// `get_onus_signals`: `signal`, `signal_1490`, `signal_1310` strings per ONU.
pub(crate) async fn signals(State(api): State<Api>, Query(q): Params) -> Response {
    let list = {
        let w = api.sim.world();
        let Some(filter) = Filter::parse(&w, &q, true) else {
            return invalid_parameters();
        };
        signals_rows(&w, &filter)
    };
    success("response", Value::Array(list))
}

fn signals_rows(w: &World, filter: &Filter) -> Vec<Value> {
    onus(w)
        .filter(|(_, onu)| filter.keeps(w, onu))
        .map(|(s, onu)| {
            let (class, down, up) = signal_strings(s, onu);
            json!({
                "unique_external_id": onu.external_id,
                "signal": class,
                "signal_1490": down,
                "signal_1310": up,
            })
        })
        .collect()
}

/// The subscriber whose ONU a per-ONU route names: by the hex form of its serial, or by its
/// `unique_external_id` unless the ONU has the hex-id quirk. `None` is `Invalid parameters`.
pub(crate) fn find(w: &World, id: &str) -> Option<usize> {
    let id = id.trim();
    w.subscribers.iter().position(|s| {
        s.onu().is_some_and(|onu| {
            onu.hex_serial().eq_ignore_ascii_case(id) || (!onu.hex_quirk() && onu.external_id == id)
        })
    })
}

/// `get_onu_status/{id}`: minimal, no personal data.
pub(crate) async fn status(State(api): State<Api>, Path(id): Path<String>) -> Response {
    let w = api.sim.world();
    let Some(i) = find(&w, &id) else {
        return invalid_parameters();
    };
    let s = &w.subscribers[i];
    let mut body = json!({
        "onu_status": s.live.onu_status.smartolt(),
        "last_status_change": local_time(&w, s.live.status_since),
    });
    flatten_into_success(&mut body)
}

/// `get_onu_signal/{id}`: the classification and the powers, `"<1490> / <1310>"` together.
pub(crate) async fn signal(State(api): State<Api>, Path(id): Path<String>) -> Response {
    let w = api.sim.world();
    let Some((s, onu)) = find(&w, &id).and_then(|i| {
        let s = &w.subscribers[i];
        s.onu().map(|onu| (s, onu))
    }) else {
        return invalid_parameters();
    };
    let (class, down, up) = signal_strings(s, onu);
    let mut body = json!({
        "onu_signal": class,
        "onu_signal_value": format!("{down} / {up}"),
        "onu_signal_1310": up,
        "onu_signal_1490": down,
    });
    flatten_into_success(&mut body)
}

/// `get_onu_details/{id}`: the bulk row, wrapped in `onu_details`.
pub(crate) async fn details(State(api): State<Api>, Path(id): Path<String>) -> Response {
    let w = api.sim.world();
    let Some((s, onu)) = find(&w, &id).and_then(|i| {
        let s = &w.subscribers[i];
        s.onu().map(|onu| (s, onu))
    }) else {
        return invalid_parameters();
    };
    success("onu_details", details_json(&w, s, onu))
}

/// A body of top-level fields, with `status` and `response_code` added.
fn flatten_into_success(body: &mut Value) -> Response {
    if let Value::Object(map) = body {
        map.insert("status".into(), Value::Bool(true));
        map.insert("response_code".into(), "success".into());
    }
    axum::response::IntoResponse::into_response(axum::Json(body.take()))
}

/// One ONU as `get_all_onus_details` and `get_onu_details` show it (`board`, `port`, `onu` as
/// numbers here). The PPPoE `username` is the ONU `name`, by the ISPs' convention.
pub(crate) fn details_json(w: &World, s: &Subscriber, onu: &OnuInfo) -> Value {
    let pon = &w.pons[onu.pon];
    let olt = &w.olts[pon.olt];
    let plan = &w.plans[s.plan];
    let (class, down, up) = signal_strings(s, onu);
    let online = s.live.onu_status == crate::world::OnuStatus::Online;
    let authorized = s.live.status_since - time::Duration::days(200);
    json!({
        "unique_external_id": onu.external_id,
        "sn": onu.serial,
        "name": s.login,
        "olt_id": olt.smartolt_id.to_string(),
        "olt_name": olt.name,
        "board": pon.board,
        "port": pon.port,
        "onu": onu.onu_id,
        "onu_type_id": "14",
        "onu_type_name": onu.model,
        "zone_id": zone_id(w, &pon.zone).to_string(),
        "zone_name": pon.zone,
        "address": s.address,
        "odb_name": w.splitters[onu.splitter].name,
        "mode": "Routing",
        "wan_mode": "PPPoE",
        "ip_address": if online { s.cpe_ip.to_string() } else { String::new() },
        "subnet_mask": "255.255.255.255",
        "default_gateway": w.concentrators[s.concentrator].address.to_string(),
        "dns1": "8.8.8.8",
        "dns2": "1.1.1.1",
        "username": s.login,
        "password": s.password,
        "catv": "Not supported",
        "administrative_status": "Enabled",
        "service_ports": [{
            "service_port": onu.onu_id.to_string(),
            "vlan": "100",
            "cvlan": "",
            "svlan": "",
            "tag_transform_mode": "translate",
            "upload_speed": format!("{}M", plan.upload_mbps),
            "download_speed": format!("{}M", plan.download_mbps),
        }],
        "status": s.live.onu_status.smartolt(),
        "signal": class,
        "signal_1310": up,
        "signal_1490": down,
        "distance": if online { onu.distance_m.to_string() } else { "-".to_owned() },
        "last_status_change": local_time(w, s.live.status_since),
        "authorization_date": local_time(w, authorized),
        "latitude": "",
        "longitude": "",
        "contact": s.phone,
    })
}
