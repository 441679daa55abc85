//! `/api/system/*`: OLTs, their PON ports, the vendor's own outage grouping, zones and ODBs.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::format::{dbm, local_time};
use super::{Api, invalid_parameters, olt_by_id, onus, success, zone_id, zones as zone_list};
use crate::world::{OnuStatus, World};

/// `get_olts`: `response[]` with string ids and ports, as the vendor sends them.
pub(crate) async fn olts(State(api): State<Api>) -> Response {
    let w = api.sim.world();
    let list: Vec<Value> = w
        .olts
        .iter()
        .map(|o| {
            json!({
                "id": o.smartolt_id.to_string(),
                "name": o.name,
                "olt_hardware_version": o.model,
                "ip": o.ip.to_string(),
                "telnet_port": "23",
                "snmp_port": "161",
            })
        })
        .collect();
    success("response", Value::Array(list))
}

/// `get_olt_pon_ports_details/{olt_id}`: one row per PON port with ONU counts and average power.
pub(crate) async fn pon_ports(State(api): State<Api>, Path(olt_id): Path<String>) -> Response {
    let w = api.sim.world();
    let Some(olt) = olt_by_id(&w, &olt_id) else {
        return invalid_parameters();
    };
    let rows: Vec<Value> = w.olts[olt]
        .pons
        .iter()
        .map(|&p| {
            let pon = &w.pons[p];
            let on_pon: Vec<_> = onus(&w).filter(|(_, onu)| onu.pon == p).collect();
            let online: Vec<f64> = on_pon
                .iter()
                .filter(|(s, _)| s.live.onu_status == OnuStatus::Online)
                .map(|(s, _)| s.live.rx_dbm)
                .collect();
            let average = if online.is_empty() {
                "-".to_owned()
            } else {
                dbm(online.iter().sum::<f64>() / online.len() as f64)
            };
            json!({
                "board": pon.board,
                "pon_port": pon.port,
                "pon_type": "GPON",
                "admin_status": "Enabled",
                "operational_status": "Up",
                "description": pon.conexao,
                "min_range": "0",
                "max_range": "20000",
                "tx_power": "3.20 dBm",
                "onus_count": on_pon.len(),
                "online_onus_count": online.len(),
                "average_signal": average,
            })
        })
        .collect();
    success("response", Value::Array(rows))
}

/// One PON where most of its (non-churned) ONUs are down.
struct OutagePon {
    since: time::OffsetDateTime,
    entry: Value,
}

/// `get_outage_pons/{olt_id}`: `response.sections[].groups[].pons[]`. A PON appears when more
/// than half of its ONUs that were in service are down; `alert_kind` is `power` when most of them
/// sent a dying gasp, else `los`. PONs whose outage started in the same minute share a group.
/// `board`/`port` are strings here (numbers elsewhere), as the vendor sends them.
pub(crate) async fn outage_pons(State(api): State<Api>, Path(olt_id): Path<String>) -> Response {
    let w = api.sim.world();
    let Some(olt) = olt_by_id(&w, &olt_id) else {
        return invalid_parameters();
    };
    let mut groups: BTreeMap<i64, Vec<OutagePon>> = BTreeMap::new();
    for &p in &w.olts[olt].pons {
        if let Some(outage) = outage_of(&w, p) {
            groups
                .entry(outage.since.unix_timestamp() / 60)
                .or_default()
                .push(outage);
        }
    }
    let groups: Vec<Value> = groups
        .into_values()
        .map(|pons| {
            let since = pons.iter().map(|p| p.since).min();
            json!({
                "since": since.map(|at| local_time(&w, at)),
                "pons": pons.into_iter().map(|p| p.entry).collect::<Vec<_>>(),
            })
        })
        .collect();
    let sections = if groups.is_empty() {
        Vec::new()
    } else {
        vec![json!({
            "olt_id": w.olts[olt].smartolt_id.to_string(),
            "olt_name": w.olts[olt].name,
            "groups": groups,
        })]
    };
    success("response", json!({ "sections": sections }))
}

fn outage_of(w: &World, p: usize) -> Option<OutagePon> {
    let pon = &w.pons[p];
    let members: Vec<_> = onus(w)
        .filter(|(s, onu)| onu.pon == p && !s.churned)
        .collect();
    let down: Vec<_> = members
        .iter()
        .filter(|(s, _)| s.live.onu_status != OnuStatus::Online)
        .collect();
    if members.is_empty() || down.len() * 2 <= members.len() {
        return None;
    }
    let power = down
        .iter()
        .filter(|(s, _)| s.live.onu_status == OnuStatus::PowerFail)
        .count();
    let alert_kind = if power * 2 >= down.len() {
        "power"
    } else {
        "los"
    };
    let since = down.iter().map(|(s, _)| s.live.status_since).min()?;
    let first_splitter = down.first().map(|(_, onu)| onu.splitter);
    let odb_name = match first_splitter {
        Some(sp) if down.iter().all(|(_, onu)| onu.splitter == sp) => w.splitters[sp].name.clone(),
        _ => String::new(),
    };
    let percent = (down.len() * 100 + members.len() / 2) / members.len();
    Some(OutagePon {
        since,
        entry: json!({
            "board": pon.board.to_string(),
            "port": pon.port.to_string(),
            "alert_kind": alert_kind,
            "affected_onus": down.len(),
            "affected_percent": percent,
            "partial_started_at": local_time(w, since),
            "zone_name": pon.zone,
            "odb_name": odb_name,
        }),
    })
}

/// `get_zones`: `response[]` of `{id, name}`.
pub(crate) async fn zones(State(api): State<Api>) -> Response {
    let w = api.sim.world();
    let list: Vec<Value> = zone_list(&w)
        .iter()
        .enumerate()
        .map(|(i, name)| json!({ "id": (i + 1).to_string(), "name": name }))
        .collect();
    success("response", Value::Array(list))
}

/// `get_odbs`: every ODB (splitter box).
pub(crate) async fn odbs(State(api): State<Api>) -> Response {
    odbs_where(&api, None)
}

/// `get_odbs/{zone_id}`: the ODBs of one zone.
pub(crate) async fn odbs_in_zone(State(api): State<Api>, Path(zone): Path<String>) -> Response {
    match zone.trim().parse::<u32>() {
        Ok(zone) => odbs_where(&api, Some(zone)),
        Err(_) => invalid_parameters(),
    }
}

fn odbs_where(api: &Api, zone: Option<u32>) -> Response {
    let w = api.sim.world();
    let list: Vec<Value> = w
        .splitters
        .iter()
        .filter_map(|s| {
            let z = zone_id(&w, &w.pons[s.pon].zone);
            if zone.is_some_and(|wanted| wanted != z) {
                return None;
            }
            // A fixed spot per box, around the city centre.
            let lat = -23.55 + f64::from(s.id % 97) * 0.0011;
            let lon = -46.63 - f64::from(s.id % 89) * 0.0013;
            Some(json!({
                "id": s.id.to_string(),
                "name": s.name,
                "latitude": format!("{lat:.6}"),
                "longitude": format!("{lon:.6}"),
                "zone_id": z.to_string(),
                "ports": "16",
            }))
        })
        .collect();
    success("response", Value::Array(list))
}
