//! The control API: what the simulated network looks like (the truth the vendor views are
//! derived from) and fault injection.
//!
//! | route | does |
//! | --- | --- |
//! | `GET /health` | `ok` |
//! | `GET /v1/world` | structure, counts and active faults |
//! | `GET /v1/subscribers?at=<pon key, splitter name or ap:NAME>` | the subscribers there |
//! | `GET /v1/subscribers/{login}` | one subscriber's truth |
//! | `GET /v1/faults` | active faults |
//! | `POST /v1/faults` | inject a fault (JSON, `kind` plus its fields; see [`Fault`]) → 201 `{id}` |
//! | `DELETE /v1/faults/{id}` | repair one fault |
//! | `DELETE /v1/faults` | repair everything |
//!
//! Errors are `{"error": "..."}` with 400 (bad JSON), 404 (unknown id or login) or 422 (a fault
//! naming something the world does not have).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Sim;
use crate::world::{Access, Fault, OnuStatus, Subscriber, World};

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/v1/world", get(world))
        .route("/v1/subscribers", get(subscribers))
        .route("/v1/subscribers/{login}", get(subscriber))
        .route("/v1/faults", get(faults).post(inject).delete(repair_all))
        .route("/v1/faults/{id}", delete(repair))
        .with_state(sim)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn world(State(sim): State<Arc<Sim>>) -> Json<Value> {
    let w = sim.world();
    let count = |status: OnuStatus| {
        w.subscribers
            .iter()
            .filter(|s| s.onu().is_some() && s.live.onu_status == status)
            .count()
    };
    let sessions = w
        .subscribers
        .iter()
        .filter(|s| s.live.session.is_some())
        .count();
    Json(json!({
        "name": w.name,
        "counts": {
            "subscribers": w.subscribers.len(),
            "sessions_online": sessions,
            "onus_online": count(OnuStatus::Online),
            "onus_los": count(OnuStatus::Los),
            "onus_power_fail": count(OnuStatus::PowerFail),
            "aps_online": w.aps.iter().filter(|a| a.online).count(),
        },
        "pops": w.pops.iter().map(|p| json!({"id": p.id, "name": p.name})).collect::<Vec<_>>(),
        "concentrators": w.concentrators.iter().map(|c| json!({
            "id": c.id, "pop": c.pop, "address": c.address.to_string(),
            "routeros_version": c.routeros_version,
        })).collect::<Vec<_>>(),
        "olts": w.olts.iter().map(|o| json!({
            "id": o.id, "name": o.name, "smartolt_id": o.smartolt_id, "model": o.model,
            "pons": o.pons.iter().map(|&p| {
                let pon = &w.pons[p];
                json!({
                    "key": pon.key(&w), "zone": pon.zone, "conexao": pon.conexao,
                    "splitters": pon.splitters.iter().map(|&s| w.splitters[s].name.clone()).collect::<Vec<_>>(),
                    "subscribers": w.subscribers.iter().filter(|s| s.onu().is_some_and(|o| o.pon == p)).count(),
                })
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "towers": w.towers.iter().map(|t| json!({
            "id": t.id, "name": t.name, "zone": t.zone,
            "backhaul": t.path.iter().map(|&l| w.backhauls[l].id.clone()).collect::<Vec<_>>(),
            "aps": t.aps.iter().map(|&a| json!({
                "name": w.aps[a].name, "mac": w.aps[a].mac, "online": w.aps[a].online,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "faults": faults_json(&w),
    }))
}

fn faults_json(w: &World) -> Vec<Value> {
    w.faults
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(&f.fault).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut v {
                map.insert("id".into(), f.id.into());
                map.insert("since".into(), rfc3339(f.since).into());
            }
            v
        })
        .collect()
}

pub(crate) fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct At {
    at: String,
}

async fn subscribers(State(sim): State<Arc<Sim>>, Query(q): Query<At>) -> Response {
    let w = sim.world();
    let matches: Vec<Value> = w
        .subscribers
        .iter()
        .filter(|s| is_at(&w, s, &q.at))
        .map(|s| truth(&w, s))
        .collect();
    if matches.is_empty() && !place_known(&w, &q.at) {
        return error(
            StatusCode::NOT_FOUND,
            format!("no PON, splitter or AP `{}`", q.at),
        );
    }
    Json(json!({ "subscribers": matches })).into_response()
}

fn place_known(w: &World, at: &str) -> bool {
    w.pon_index(at).is_some()
        || w.splitters.iter().any(|s| s.name == at)
        || at
            .strip_prefix("ap:")
            .is_some_and(|ap| w.aps.iter().any(|a| a.name == ap))
}

fn is_at(w: &World, s: &Subscriber, at: &str) -> bool {
    match &s.access {
        Access::Fibre(onu) => w.pons[onu.pon].key(w) == at || w.splitters[onu.splitter].name == at,
        Access::Radio(sm) => at.strip_prefix("ap:") == Some(w.aps[sm.ap].name.as_str()),
    }
}

async fn subscriber(State(sim): State<Arc<Sim>>, Path(login): Path<String>) -> Response {
    let w = sim.world();
    match w.subscriber(&login) {
        Some(s) => Json(truth(&w, s)).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no subscriber `{login}`")),
    }
}

/// Everything the simulator knows about one subscriber.
fn truth(w: &World, s: &Subscriber) -> Value {
    let mut v = json!({
        "login": s.login,
        "name": s.name,
        "customer_id": s.customer_id,
        "document": s.document,
        "address": s.address,
        "plan": w.plans[s.plan].name,
        "billing": s.live.billing.as_str(),
        "concentrator": w.concentrators[s.concentrator].id,
        "cpe_ip": s.cpe_ip.to_string(),
        "cpe_mac": s.cpe_mac,
        "churned": s.churned,
        "conexao": s.conexao(w),
        "access_up": s.live.access_up,
        "session": s.live.session.as_ref().map(|x| json!({"id": format!("*{:X}", x.id), "since": rfc3339(x.since)})),
        "last_disconnect_reason": s.live.last_disconnect_reason,
        "last_down_cause": s.live.last_down_cause,
    });
    let extra = match &s.access {
        Access::Fibre(onu) => json!({
            "access": "fibre",
            "olt": w.olts[w.pons[onu.pon].olt].id,
            "pon": w.pons[onu.pon].key(w),
            "board": w.pons[onu.pon].board,
            "port": w.pons[onu.pon].port,
            "onu_id": onu.onu_id,
            "splitter": w.splitters[onu.splitter].name,
            "serial": onu.serial,
            "external_id": onu.external_id,
            "onu_status": s.live.onu_status.smartolt(),
            "rx_dbm": s.live.rx_dbm,
        }),
        Access::Radio(sm) => json!({
            "access": "radio",
            "ap": w.aps[sm.ap].name,
            "tower": w.towers[w.aps[sm.ap].tower].id,
            "sm_mac": sm.mac,
        }),
    };
    if let (Value::Object(a), Value::Object(b)) = (&mut v, extra) {
        a.extend(b);
    }
    v
}

async fn faults(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(json!({ "faults": faults_json(&sim.world()) }))
}

/// The body is read as JSON whatever its content type says (`curl -d` sends a form type).
async fn inject(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(fault) => fault,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("not a fault: {e}")),
    };
    match sim.inject(fault) {
        Ok(id) => (StatusCode::CREATED, Json(json!({ "id": id }))).into_response(),
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, e.0),
    }
}

async fn repair(State(sim): State<Arc<Sim>>, Path(id): Path<u64>) -> Response {
    if sim.repair(id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, format!("no active fault {id}"))
    }
}

async fn repair_all(State(sim): State<Arc<Sim>>) -> StatusCode {
    sim.repair_all();
    StatusCode::NO_CONTENT
}
