//! IXC Provedor (IXCSoft, Brazil) as its webservice clients see it:
//! `POST /webservice/v1/{table}` with the header `ixcsoft: listar` lists a table (GET with a
//! JSON body is accepted too, as some installs do); HTTP Basic auth with `user_id:token`.
//!
//! - Body: `qtype`/`query`/`oper` (one filter: `=`, `L` (contains), `>`, `<`, `>=`, `<=`, `!=`)
//!   and/or `grid_param`, a JSON *string* of `[{"TB","OP","P"}]` (AND; `OP` also `IN` with a comma
//!   list), `page`/`rp` (strings; `rp` is capped at [`MAX_RP`] without a word, as installs do),
//!   `sortname`/`sortorder`.
//! - Answer: `{"page":"1","total":"233","registros":[...]}` with every value a string, and no
//!   `registros` when the page is empty.
//! - Logical errors (unknown table or field, bad body) are HTTP 200 `{"type":"error","message"}`.
//!   `IN` with a single value answers the PHP error page some installs print (HTTP 200, HTML).
//! - Without `ixcsoft: listar` the URL means insert (PUT/DELETE on `/{table}/{id}` update and
//!   delete): the simulator is read-only, so those get IXC's logical error.
//! - Wrong credentials: 401 with IXC's JSON error.
//!
//! Tables: `radusuarios` (PPPoE logins, secret fields included as IXC sends them), `cliente`,
//! `cliente_contrato`, `radpop_radio_cliente_fibra` (see [`tables`]). Times are the vendor's local
//! time (`YYYY-MM-DD HH:MM:SS`). The `online` flag of `radusuarios` shows the session state
//! [`Options::online_lag`] ago, as IXC's flag trails RADIUS accounting; the default lag is 0 so
//! that tests see the world as it is, `VIGIA_SIM_IXC_ONLINE_LAG_SECS` sets another.

mod listing;
mod tables;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::Sim;
use listing::{Listing, ListingError};

pub use listing::MAX_RP;

/// How the IXC view behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// How far the `online` flag trails the sessions.
    pub online_lag: Duration,
}

/// Environment variable with the `online` lag in seconds (read by [`router`]).
pub const ONLINE_LAG_ENV: &str = "VIGIA_SIM_IXC_ONLINE_LAG_SECS";

impl Options {
    /// The options from the environment ([`ONLINE_LAG_ENV`]); unset or unparsable means 0.
    pub fn from_env() -> Self {
        let secs = std::env::var(ONLINE_LAG_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        Self {
            online_lag: Duration::from_secs(secs),
        }
    }
}

#[derive(Clone)]
struct Ixc {
    sim: Arc<Sim>,
    options: Options,
}

/// The IXC webservice with options from the environment.
pub fn router(sim: Arc<Sim>) -> Router {
    router_with(sim, Options::from_env())
}

/// The IXC webservice with these options.
pub fn router_with(sim: Arc<Sim>, options: Options) -> Router {
    Router::new()
        .route("/webservice/v1/{table}", any(table))
        .route("/webservice/v1/{table}/{id}", any(record))
        .fallback(|| async { (StatusCode::NOT_FOUND, not_found_page()) })
        .with_state(Ixc { sim, options })
}

fn not_found_page() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
        "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>\
         <p>The requested URL was not found on this server.</p></body></html>\n",
    )
        .into_response()
}

/// A logical error: HTTP 200 with IXC's error object.
fn logical_error(message: impl Into<String>) -> Response {
    Json(json!({"type": "error", "message": message.into()})).into_response()
}

fn authorized(s: &Ixc, headers: &HeaderMap) -> bool {
    let credentials = &s.sim.scenario().credentials;
    let expected = format!("{}:{}", credentials.ixc_user_id, credentials.ixc_token);
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .is_some_and(|decoded| decoded == expected.as_bytes())
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"IXCSoft\"")],
        Json(json!({"type": "error", "message": "Token inválido ou usuário sem permissão"})),
    )
        .into_response()
}

async fn table(
    State(s): State<Ixc>,
    Path(table): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&s, &headers) {
        return unauthorized();
    }
    let action = headers
        .get("ixcsoft")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    let listing = action.as_deref() == Some("listar");
    match (listing, &method) {
        (true, &Method::POST | &Method::GET) => list(&s, &table, &body),
        (false, &Method::POST) => read_only(&table, "incluir"),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            logical_error(format!("Método {method} não suportado em {table}")),
        )
            .into_response(),
    }
}

async fn record(
    State(s): State<Ixc>,
    Path((table, _id)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if !authorized(&s, &headers) {
        return unauthorized();
    }
    match method {
        Method::PUT => read_only(&table, "editar"),
        Method::DELETE => read_only(&table, "excluir"),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            logical_error(format!("Método {method} não suportado em {table}/{{id}}")),
        )
            .into_response(),
    }
}

/// What IXC answers a write the API user may not make.
fn read_only(table: &str, action: &str) -> Response {
    if !tables::exists(table) {
        return logical_error(format!("Formulário '{table}' não encontrado"));
    }
    logical_error(format!(
        "Usuário sem permissão para {action} registros em '{table}' (simulador somente leitura)"
    ))
}

fn list(s: &Ixc, table: &str, body: &[u8]) -> Response {
    let Some(fields) = tables::fields(table) else {
        return logical_error(format!("Formulário '{table}' não encontrado"));
    };
    let listing = match Listing::parse(table, body, fields) {
        Ok(listing) => listing,
        Err(ListingError::Logical(message)) => return logical_error(message),
        Err(ListingError::SingleIn) => return single_in_page(),
    };
    let now = OffsetDateTime::now_utc();
    let rows = {
        let world = s.sim.world();
        tables::rows(&world, table, now, s.options)
    };
    let (total, page) = listing.apply(rows);
    let mut answer = Map::new();
    answer.insert("page".into(), listing.page.to_string().into());
    answer.insert("total".into(), total.to_string().into());
    if !page.is_empty() {
        let registros: Vec<Value> = page.into_iter().map(tables::to_json).collect();
        answer.insert("registros".into(), Value::Array(registros));
    }
    Json(Value::Object(answer)).into_response()
}

/// The PHP error page some installs print for `IN` with a single value.
fn single_in_page() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
        "<br />\n<b>Fatal error</b>:  Uncaught PDOException: SQLSTATE[42000]: Syntax error or \
         access violation: 1064 You have an error in your SQL syntax; check the manual that \
         corresponds to your MariaDB server version for the right syntax to use near ')' in \
         /var/www/ixc/webservice/v1/classes/Listar.php:212\n",
    )
        .into_response()
}
