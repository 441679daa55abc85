//! Cambium cnMaestro's REST API v2 (`https://<host>/api/v2`) as the world looks through it: the
//! wireless side (towers, their PMP/ePMP access points and the subscriber modules of radio
//! subscribers), read the way Vigia's `cnmaestro` plugin and the ISPs' tools read it (see
//! `shared/docs/vendor-apis/cnmaestro.md` of the design notes and the vendor's OpenAPI 6.1.0 spec).
//!
//! | route | answers |
//! | --- | --- |
//! | `POST /api/v2/access/token` | OAuth 2.0 client credentials ([`auth`]) → `{access_token, token_type: "bearer", expires_in}` |
//! | `GET /api/v2/devices` | inventory (`basic.yaml#devices`): APs and SMs; filters `type`, `mode`, `network`, `tower`, `online` |
//! | `GET /api/v2/devices/{mac}` | one device, same envelope; 404 when unknown |
//! | `GET /api/v2/devices/statistics` | radio statistics (`stats.yaml#devices`, `pmp-sm`/`pmp-ap`/`epmp-sm`/`epmp-ap`); filters `type`, `mode`, `network`, `tower` |
//! | `GET /api/v2/alarms` | active alarms (`notification.yaml#alarms`): `STATUS` "Device is offline." per offline device; filters `severity`, `network`, `tower` |
//! | `GET /api/v2/networks` | the towers' networks |
//! | `GET /api/v2/networks/{network}/towers` | the towers of a network |
//!
//! Every list is `{"paging": {"offset", "limit", "total"}, "data": [...]}` with `limit` (default and
//! most [`MAX_LIMIT`]), `offset` and `fields` (comma-separated projection; `radio.dl_rssi` keeps one
//! nested field); a malformed `limit`/`offset` is 422. Everything but the token route needs
//! `Authorization: Bearer <token>` (401 `{"error": "invalid_token"}` otherwise).
//!
//! Mapping from the world: each scenario AP is a device of its `family` (`pmp`, `epmp`) in mode
//! `ap`; each radio subscriber's SM is a device in mode `sm`, **named by the subscriber's PPPoE
//! login** (the naming convention the field notes describe), with `ap_mac` its AP's MAC. `tower`
//! is the tower's `name` and `network` its `network`. A device is online while its AP is (an
//! `ap_down`, `tower_down`, `backhaul_down` or power fault takes the AP and its SMs offline);
//! `status_time` counts from the last change. Radio readings are the world's base values (stable
//! for the run, no jitter); offline devices carry no readings.
//!
//! Not simulated: writes, jobs, events, performance series, Wi-Fi families, MSP accounts, rate
//! limits, continuation-token paging.

mod auth;
mod inventory;
mod listing;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::Sim;
use auth::Tokens;
use listing::Params;

/// How long an access token stays valid (`expires_in`).
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Default and largest `limit` of a list.
pub const MAX_LIMIT: usize = 100;

#[derive(Clone)]
struct Cnmaestro {
    sim: Arc<Sim>,
    tokens: Tokens,
}

pub fn router(sim: Arc<Sim>) -> Router {
    router_with(sim, Tokens::new(TOKEN_TTL))
}

fn router_with(sim: Arc<Sim>, tokens: Tokens) -> Router {
    let state = Cnmaestro { sim, tokens };
    Router::new()
        .route("/api/v2/access/token", post(auth::token))
        .route("/api/v2/devices", get(devices))
        .route("/api/v2/devices/statistics", get(statistics))
        .route("/api/v2/devices/{mac}", get(device))
        .route("/api/v2/alarms", get(alarms))
        .route("/api/v2/networks", get(networks))
        .route("/api/v2/networks/{network}/towers", get(towers))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "Not Found") })
        .with_state(state)
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": code, "error_description": description})),
    )
        .into_response()
}

/// Checks the bearer token, then answers the list `build` makes from the world.
fn list(
    s: &Cnmaestro,
    headers: &HeaderMap,
    query: &[(String, String)],
    build: impl FnOnce(&crate::World, &Params) -> Vec<Value>,
) -> Response {
    if let Some(refused) = s.tokens.refusal(headers) {
        return refused;
    }
    let params = match Params::parse(query) {
        Ok(params) => params,
        Err(message) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                &message,
            );
        }
    };
    let items = {
        let w = s.sim.world();
        build(&w, &params)
    };
    Json(params.page(items)).into_response()
}

async fn devices(
    State(s): State<Cnmaestro>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    list(&s, &headers, &query, |w, p| {
        let now = time::OffsetDateTime::now_utc();
        inventory::devices(w)
            .iter()
            .filter(|d| p.keeps_device(d))
            .map(|d| inventory::basic(w, d, now))
            .collect()
    })
}

async fn device(
    State(s): State<Cnmaestro>,
    headers: HeaderMap,
    Path(mac): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if s.tokens.refusal(&headers).is_none() {
        let w = s.sim.world();
        let known = inventory::devices(&w)
            .iter()
            .any(|d| d.mac.eq_ignore_ascii_case(mac.trim()));
        if !known {
            return error(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("Device {mac} not found"),
            );
        }
    }
    list(&s, &headers, &query, |w, _| {
        let now = time::OffsetDateTime::now_utc();
        inventory::devices(w)
            .iter()
            .filter(|d| d.mac.eq_ignore_ascii_case(mac.trim()))
            .map(|d| inventory::basic(w, d, now))
            .collect()
    })
}

async fn statistics(
    State(s): State<Cnmaestro>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    list(&s, &headers, &query, |w, p| {
        let now = time::OffsetDateTime::now_utc();
        let all = inventory::devices(w);
        all.iter()
            .filter(|d| p.keeps_device(d))
            .map(|d| inventory::statistics(w, d, &all, now))
            .collect()
    })
}

async fn alarms(
    State(s): State<Cnmaestro>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    list(&s, &headers, &query, |w, p| {
        let now = time::OffsetDateTime::now_utc();
        inventory::devices(w)
            .iter()
            .filter(|d| !d.online && p.keeps_alarm(d))
            .map(|d| inventory::alarm(w, d, now))
            .collect()
    })
}

async fn networks(
    State(s): State<Cnmaestro>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    list(&s, &headers, &query, |w, _| {
        let mut names: Vec<&str> = Vec::new();
        for tower in &w.towers {
            if !names.contains(&tower.network.as_str()) {
                names.push(&tower.network);
            }
        }
        names
            .into_iter()
            .map(|n| json!({"id": n, "name": n, "managed_account": ""}))
            .collect()
    })
}

async fn towers(
    State(s): State<Cnmaestro>,
    headers: HeaderMap,
    Path(network): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    list(&s, &headers, &query, |w, _| {
        w.towers
            .iter()
            .filter(|t| t.network == network)
            .map(|t| {
                json!({
                    "id": t.name,
                    "name": t.name,
                    "network": t.network,
                    "managed_account": "",
                })
            })
            .collect()
    })
}
