//! SmartOLT's REST API (`https://<tenant>.smartolt.com/api`) as the world looks through it: the
//! read endpoints Vigia's `smartolt` plugin and the ISPs' existing tools use, with the vendor's
//! quirks (see `/work/shared/docs/vendor-apis/smartolt.md`, summarised in `docs/plugins/smartolt.md`).
//!
//! | route (GET) | payload key |
//! | --- | --- |
//! | `/api/system/get_olts` | `response[]` |
//! | `/api/system/get_olt_pon_ports_details/{olt_id}` | `response[]` |
//! | `/api/system/get_outage_pons/{olt_id}` | `response.sections[].groups[].pons[]` |
//! | `/api/system/get_zones` | `response[]` |
//! | `/api/system/get_odbs`, `/api/system/get_odbs/{zone_id}` | `response[]` |
//! | `/api/onu/get_all_onus_details?olt_id=&zone=&odb=` | `onus[]` (`board`, `port`, `pon_port` ignored) |
//! | `/api/onu/get_onus_statuses?olt_id=&board=&port=&zone=` | `response[]` |
//! | `/api/onu/get_onus_signals?olt_id=&board=&port=&zone=` | `response[]` |
//! | `/api/onu/get_onu_status/{id}` | `onu_status`, `last_status_change` |
//! | `/api/onu/get_onu_signal/{id}` | `onu_signal`, `onu_signal_value`, `onu_signal_1310`, `onu_signal_1490` |
//! | `/api/onu/get_onu_details/{id}` | `onu_details` |
//! | `/api/onu/get_onu_full_status_info/{id}` | `full_status_info`, `full_status_json` (slow: [`Settings::full_status_delay`]) |
//!
//! What every route shares ([`account`]): the `X-Token` header (missing → 401, wrong → 403, both
//! `{"status":false,"error":...}`, not counted), the per-account call limit with
//! `X-RateLimit-Limit`/`X-RateLimit-Remaining` on every counted answer and 429 once exhausted, and
//! 405 `Unknown method` for any other path or method. Successes are `{"status":true,
//! "response_code":"success", <key>: ...}`; powers are strings such as `"-21.19 dBm"`; times are the
//! world's local time, `YYYY-MM-DD HH:MM:SS`.
//!
//! Per-ONU routes take the `unique_external_id` or the GPON hex form of the serial; an ONU with
//! the hex-id quirk ([`crate::world::OnuInfo::hex_quirk`]) answers 400 `Invalid parameters` to
//! anything but the hex form, as a real tenant does for a minority of its ONUs.
//!
//! Not simulated: writes, graphs, the vendor's 2–5 minute delay before grouping an outage.

mod account;
mod format;
mod onu;
mod system;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::Sim;
use crate::world::{OnuInfo, Subscriber, Vendor, World};

/// SmartOLT's documented limit: API calls per hour per account.
pub const CALLS_PER_HOUR: u32 = 1000;
/// How long `get_onu_full_status_info` takes by default (about what the real one takes).
pub const FULL_STATUS_DELAY: Duration = Duration::from_secs(10);

/// Tunables of the simulated API; tests shorten the slow call and lower the limit.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Calls each account (token) may make per `window`.
    pub calls_per_window: u32,
    /// The rate-limit window: fixed, starting at an account's first counted call.
    pub window: Duration,
    /// Delay of `get_onu_full_status_info` before it answers.
    pub full_status_delay: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            calls_per_window: CALLS_PER_HOUR,
            window: Duration::from_secs(3600),
            full_status_delay: FULL_STATUS_DELAY,
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub(crate) struct Api {
    sim: Arc<Sim>,
    settings: Arc<Settings>,
    limiter: Arc<account::Limiter>,
}

/// The API with default [`Settings`] (what `vigia-sim serve` runs).
pub fn router(sim: Arc<Sim>) -> Router {
    router_with(sim, Settings::default())
}

/// The API with these settings, without the vendor-outage behaviour.
pub fn router_with(sim: Arc<Sim>, settings: Settings) -> Router {
    let api = Api {
        sim,
        settings: Arc::new(settings),
        limiter: Arc::new(account::Limiter::default()),
    };
    Router::new()
        .route("/api/system/get_olts", get(system::olts))
        .route(
            "/api/system/get_olt_pon_ports_details/{olt_id}",
            get(system::pon_ports),
        )
        .route(
            "/api/system/get_outage_pons/{olt_id}",
            get(system::outage_pons),
        )
        .route("/api/system/get_zones", get(system::zones))
        .route("/api/system/get_odbs", get(system::odbs))
        .route("/api/system/get_odbs/{zone_id}", get(system::odbs_in_zone))
        .route("/api/onu/get_all_onus_details", get(onu::all_details))
        .route("/api/onu/get_onus_statuses", get(onu::statuses))
        .route("/api/onu/get_onus_signals", get(onu::signals))
        .route("/api/onu/get_onu_status/{id}", get(onu::status))
        .route("/api/onu/get_onu_signal/{id}", get(onu::signal))
        .route("/api/onu/get_onu_details/{id}", get(onu::details))
        .route(
            "/api/onu/get_onu_full_status_info/{id}",
            get(onu::full_status),
        )
        .fallback(unknown_method)
        .method_not_allowed_fallback(unknown_method)
        .layer(axum::middleware::from_fn_with_state(
            api.clone(),
            account::gate,
        ))
        .with_state(api)
}

/// The API as `serve` runs it (vendor outages included) with these settings: for tests that
/// bind it themselves with a short full-status delay or a small call limit.
pub fn service(sim: Arc<Sim>, settings: Settings) -> Router {
    let router = router_with(sim.clone(), settings);
    super::with_outages(router, &sim, Vendor::Smartolt)
}

async fn unknown_method() -> Response {
    failure(StatusCode::METHOD_NOT_ALLOWED, "Unknown method")
}

/// The vendor's error shape.
pub(crate) fn failure(status: StatusCode, error: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "status": false,
            "error": error,
            "error_code": status.as_u16(),
        })),
    )
        .into_response()
}

/// 400 `Invalid parameters`: an unknown or malformed id.
pub(crate) fn invalid_parameters() -> Response {
    failure(StatusCode::BAD_REQUEST, "Invalid parameters")
}

/// A success: `{"status": true, "response_code": "success", <key>: value}`.
pub(crate) fn success(key: &str, value: Value) -> Response {
    let mut body = Map::new();
    body.insert("status".into(), Value::Bool(true));
    body.insert("response_code".into(), "success".into());
    body.insert(key.into(), value);
    axum::Json(Value::Object(body)).into_response()
}

/// The world's OLT with this SmartOLT id (decimal text).
pub(crate) fn olt_by_id(world: &World, id: &str) -> Option<usize> {
    let id: u32 = id.trim().parse().ok()?;
    world.olts.iter().position(|o| o.smartolt_id == id)
}

/// Every fibre subscriber with its ONU, in world order.
pub(crate) fn onus(world: &World) -> impl Iterator<Item = (&Subscriber, &OnuInfo)> {
    world
        .subscribers
        .iter()
        .filter_map(|s| s.onu().map(|onu| (s, onu)))
}

/// The zones in order of first appearance (ids are 1-based positions).
pub(crate) fn zones(world: &World) -> Vec<&str> {
    let mut zones: Vec<&str> = Vec::new();
    for pon in &world.pons {
        if !zones.contains(&pon.zone.as_str()) {
            zones.push(&pon.zone);
        }
    }
    zones
}

/// The SmartOLT zone id of a zone name.
pub(crate) fn zone_id(world: &World, zone: &str) -> u32 {
    zones(world)
        .iter()
        .position(|z| *z == zone)
        .map_or(0, |i| i as u32 + 1)
}
