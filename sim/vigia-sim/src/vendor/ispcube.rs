//! ISPCube (Argentina) as its API clients see it: a Laravel Sanctum token from
//! `POST /api/sanctum/token` (headers `api-key`, `client-id`, `login-type: api`, JSON username and
//! password), then bearer-authenticated `GET`s of nodes (the concentrators), connections (PPPoE
//! logins), plans and customers (paged with `limit`/`offset`), all as bare JSON arrays.
//!
//! Tokens expire after [`TOKEN_TTL`] (real lifetimes are undocumented; clients re-login on 401).
//! Unauthenticated requests get Laravel's `401 {"message": "Unauthenticated."}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Sim;
use crate::control::rfc3339;
use crate::world::{Billing, World};

/// How long a token stays valid.
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Largest page `customers_list` returns.
const MAX_LIMIT: usize = 500;

#[derive(Clone)]
struct Ispcube {
    sim: Arc<Sim>,
    tokens: Arc<Mutex<HashMap<String, Instant>>>,
}

pub fn router(sim: Arc<Sim>) -> Router {
    let state = Ispcube {
        sim,
        tokens: Arc::default(),
    };
    Router::new()
        .route("/api/sanctum/token", post(token))
        .route("/api/nodes/nodes_list", get(nodes))
        .route("/api/connections/connections_list", get(connections))
        .route("/api/plans/plans_list", get(plans))
        .route("/api/customers/customers_list", get(customers))
        .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))) })
        .with_state(state)
}

fn unauthenticated() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"message": "Unauthenticated."})),
    )
        .into_response()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The static API headers every request carries.
fn api_headers_ok(s: &Ispcube, headers: &HeaderMap) -> bool {
    let c = &s.sim.scenario().credentials;
    header(headers, "api-key") == Some(c.ispcube_api_key.as_str())
        && header(headers, "client-id") == Some(c.ispcube_client_id.as_str())
        && header(headers, "login-type") == Some("api")
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

async fn token(State(s): State<Ispcube>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if !api_headers_ok(&s, &headers) {
        return unauthenticated();
    }
    let Ok(login) = serde_json::from_slice::<Login>(&body) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "The username field is required.", "errors": {"username": ["The username field is required."]}})),
        )
            .into_response();
    };
    let c = &s.sim.scenario().credentials;
    if login.username != c.ispcube_username || login.password != c.ispcube_password {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "The provided credentials are incorrect."})),
        )
            .into_response();
    }
    let mut tokens = s.tokens.lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    tokens.retain(|_, issued| now.duration_since(*issued) < TOKEN_TTL);
    // Sanctum's plain-text token shape: `<id>|<40 random characters>`.
    let secret: String = (0..40)
        .map(|_| char::from(rand::random_range(b'a'..=b'z')))
        .collect();
    let token = format!("{}|{secret}", tokens.len() + 1);
    tokens.insert(token.clone(), now);
    Json(json!({ "token": token })).into_response()
}

/// Checks the bearer token and the API headers.
fn authorised(s: &Ispcube, headers: &HeaderMap) -> bool {
    if !api_headers_ok(s, headers) {
        return false;
    }
    let Some(token) = header(headers, "authorization").and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let tokens = s.tokens.lock().unwrap_or_else(|p| p.into_inner());
    tokens
        .get(token)
        .is_some_and(|issued| issued.elapsed() < TOKEN_TTL)
}

async fn nodes(State(s): State<Ispcube>, headers: HeaderMap) -> Response {
    if !authorised(&s, &headers) {
        return unauthenticated();
    }
    let w = s.sim.world();
    let list: Vec<Value> = w
        .concentrators
        .iter()
        .map(|c| {
            json!({
                "id": c.crm_id,
                "comment": c.id,
                "ip": c.address.to_string(),
                "port": 8728,
            })
        })
        .collect();
    Json(list).into_response()
}

async fn connections(State(s): State<Ispcube>, headers: HeaderMap) -> Response {
    if !authorised(&s, &headers) {
        return unauthenticated();
    }
    let w = s.sim.world();
    let list: Vec<Value> = w
        .subscribers
        .iter()
        .map(|sub| {
            json!({
                "id": sub.login_id,
                "user": sub.login,
                "customer_id": sub.customer_id,
                "node_id": w.concentrators[sub.concentrator].crm_id,
                "plan_id": w.plans[sub.plan].id,
                "address": sub.address,
                "conntype": "pppoe",
                "ip": sub.cpe_ip.to_string(),
                "mac": sub.cpe_mac,
            })
        })
        .collect();
    Json(list).into_response()
}

async fn plans(State(s): State<Ispcube>, headers: HeaderMap) -> Response {
    if !authorised(&s, &headers) {
        return unauthenticated();
    }
    let w = s.sim.world();
    let list: Vec<Value> = w
        .plans
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "speed": format!("{}/{}", p.download_mbps, p.upload_mbps),
                "comment": "",
            })
        })
        .collect();
    Json(list).into_response()
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    limit: Option<String>,
    #[serde(default)]
    offset: Option<String>,
}

async fn customers(
    State(s): State<Ispcube>,
    headers: HeaderMap,
    Query(page): Query<Page>,
) -> Response {
    if !authorised(&s, &headers) {
        return unauthenticated();
    }
    let parse = |v: Option<String>, default: usize| match v {
        None => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| v),
    };
    let (limit, offset) = match (parse(page.limit, MAX_LIMIT), parse(page.offset, 0)) {
        (Ok(limit), Ok(offset)) => (limit.clamp(1, MAX_LIMIT), offset),
        (Err(bad), _) | (_, Err(bad)) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"message": format!("The given data was invalid: `{bad}` is not an integer.")})),
            )
                .into_response();
        }
    };
    let w = s.sim.world();
    let list: Vec<Value> = w
        .subscribers
        .iter()
        .skip(offset)
        .take(limit)
        .map(|sub| customer(&w, sub))
        .collect();
    Json(list).into_response()
}

fn customer(w: &World, sub: &crate::world::Subscriber) -> Value {
    let plan = &w.plans[sub.plan];
    let (status, debt, deleted) = match sub.live.billing {
        Billing::Active => ("enabled", "0.00", false),
        Billing::Warned => ("enabled", "4500.00", false),
        Billing::Blocked => ("blocked", "9000.00", false),
        Billing::Cancelled => ("blocked", "0.00", true),
    };
    let created = w.local(
        time::OffsetDateTime::UNIX_EPOCH
            + time::Duration::days(19_000 + i64::from(sub.customer_id % 400)),
    );
    json!({
        "id": sub.customer_id,
        "code": format!("{:06}", sub.customer_id),
        "name": sub.name,
        "doc_number": sub.document.chars().filter(char::is_ascii_digit).collect::<String>(),
        "identification_type": {"id": 1, "name": "DNI"},
        "address": sub.address,
        "city": {"id": 1, "name": sub.district},
        "phones": [{"customer_id": sub.customer_id, "number": sub.phone}],
        "debt": debt,
        "duedebt": if sub.live.billing == Billing::Blocked { debt } else { "0.00" },
        "speed_limited": 0,
        "status": status,
        "block_date": if status == "blocked" { Value::from(rfc3339(created)) } else { Value::Null },
        "plan_name": plan.name,
        "created_at": rfc3339(created),
        "deleted_at": if deleted { Value::from(rfc3339(created)) } else { Value::Null },
        "temporary": 0,
    })
}
