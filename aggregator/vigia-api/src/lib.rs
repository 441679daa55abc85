//! The aggregator's REST API, built on axum, under `/v1`.
//!
//! # What this crate does
//!
//! - [`Api::router`] builds the [`Router`]: read routes for agents, entities,
//!   observations and state history; outage events (`/v1/events`: one per outage, with root
//!   cause, size, timeline and notification delivery); maintenance windows
//!   (`/v1/maintenance`: read, and created, replaced and deleted with an `operate` key);
//!   `/health`, `/metrics`, the OpenAPI document at `/v1/openapi.json` and a browsable UI at
//!   `/v1/docs` (assets embedded at build time); [`serve`] runs it.
//! - API keys (`vgk_<id>_<secret>`, stored as SHA-256 through [`vigia_store::ApiKeyStore`]):
//!   [`generate_api_key`] makes them (for `vigia-aggregator apikey create`), and each request's
//!   `Authorization: Bearer` key is checked against a short-lived in-memory cache in front of
//!   the store, with [`Scope`]s `read` < `operate` < `admin`.
//! - Per-key rate limits, a request timeout, a body size limit, a CORS allow-list.
//! - One error body everywhere: `{"error": {"code", "message", "details"?}}` ([`ApiError`]);
//!   request bodies are checked ([`NewMaintenance::validate`]) before the model sees them.
//!
//! # What it does not do
//!
//! It keeps no state of the network: it reads it through [`ReadModel`], which the aggregator
//! implements over `vigia-state` (this crate does not depend on it). It neither correlates nor
//! stores events and windows, nor notifies: it goes through [`OutageModel`], which the aggregator
//! implements over `vigia-correlate` and its store (neither is a dependency). It does not store
//! keys (that is `vigia-store`) nor terminate TLS (put it behind a reverse proxy, or give
//! [`serve`] a listener of your own).

mod auth;
mod config;
mod diagnosis;
mod error;
mod event;
mod extract;
mod health;
mod key_cache;
mod maintenance_window;
mod metrics;
mod model;
mod openapi;
mod rate_limit;
mod routes;
mod timestamp;
mod types;

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa_swagger_ui::SwaggerUi;
use vigia_store::ApiKeyStore;

pub use auth::{
    Caller, Scope, UnknownScope, generate_api_key, hash_secret, highest_scope, secret_key_id,
};
pub use config::{ApiConfig, ConfigError};
pub use diagnosis::{
    DEFAULT_SEARCH_LIMIT, Diagnosis, DiagnosisModel, MAX_SEARCH_LIMIT, SearchField, SearchHit,
    SearchPage, SearchQuery,
};
pub use error::{ApiError, ErrorBody, ErrorCode, ErrorDetail};
pub use event::{
    Cause, EventDetail, EventKind, EventPage, EventStatus, EventSummary, NotificationKind,
    NotificationState, NotificationStatus, TimelineEntry, TimelineKind, UnknownEventKind,
};
pub use health::{CheckResult, Health, HealthCheck, HealthStatus};
pub use maintenance_window::{
    MAX_ENTITY_ID_CHARS, MAX_REASON_CHARS, MAX_WINDOW_ENTITIES, MAX_WINDOW_MS, MaintenanceWindow,
    NewMaintenance,
};
pub use metrics::{MetricsSource, NoMetrics};
pub use model::{DEFAULT_LIMIT, EntityQuery, EventQuery, MAX_LIMIT, OutageModel, ReadModel};
pub use openapi::openapi;
pub use timestamp::Timestamp;
pub use types::{
    Agent, AgentHealth, AttributeValue, Entity, EntityPage, EntityState, EntitySummary, Link,
    Observation, StateChange, StateValue, UnknownState,
};

use crate::auth::Guard;
use crate::key_cache::KeyCache;
use crate::metrics::RequestMetrics;
use crate::rate_limit::RateLimit;
use crate::routes::diagnosis as desk;
use crate::routes::system::SystemState;
use crate::routes::{AppState, agents, entities, events, maintenance, system};

/// Where the browsable API documentation is served.
pub const DOCS_PATH: &str = "/v1/docs";
/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/v1/openapi.json";

/// The API: [`Api::router`] builds its router.
pub struct Api;

impl Api {
    /// The API's router, ready for [`serve`]: data routes need a `read` key, and changing
    /// maintenance windows an `operate` key; `/health`, `/metrics`, the OpenAPI document and
    /// the docs UI need none.
    ///
    /// `model` answers the network-state routes (agents, entities), `outages` the event and
    /// maintenance routes, `diagnosis` the diagnosis and search routes, `keys` holds the API keys (looked up through a cache),
    /// `health` and `metrics` feed `/health` and `/metrics`.
    pub fn router(
        config: ApiConfig,
        model: Arc<dyn ReadModel>,
        outages: Arc<dyn OutageModel>,
        diagnosis: Arc<dyn DiagnosisModel>,
        keys: Arc<dyn ApiKeyStore>,
        health: Arc<dyn HealthCheck>,
        metrics: Arc<dyn MetricsSource>,
    ) -> Result<Router, ConfigError> {
        let rate = NonZeroU32::new(config.rate_per_sec).ok_or(ConfigError::ZeroRate {
            field: "rate_per_sec",
        })?;
        let burst =
            NonZeroU32::new(config.burst).ok_or(ConfigError::ZeroRate { field: "burst" })?;
        if config.request_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout);
        }
        let cors = cors_layer(&config.cors_origins)?;

        let guard = Arc::new(Guard {
            keys: KeyCache::new(keys, config.key_cache_ttl),
            limits: RateLimit::new(rate, burst),
        });
        let state = AppState {
            model,
            outages,
            diagnosis,
        };
        let read = Router::new()
            .route("/v1/agents", get(agents::list))
            .route("/v1/agents/{id}", get(agents::get))
            .route("/v1/entities", get(entities::list))
            .route("/v1/entities/{id}", get(entities::get))
            .route(
                "/v1/entities/{id}/observations",
                get(entities::observations),
            )
            .route("/v1/entities/{id}/history", get(entities::history))
            .route("/v1/events", get(events::list))
            .route("/v1/events/{id}", get(events::get))
            .route("/v1/maintenance", get(maintenance::list))
            .route("/v1/maintenance/{id}", get(maintenance::get))
            .route("/v1/diagnosis/{login}", get(desk::diagnose))
            .route("/v1/search", get(desk::search))
            .route_layer(middleware::from_fn_with_state(
                (guard.clone(), Scope::Read),
                auth::require,
            ))
            .with_state(state.clone());
        // Same paths, other methods: merged below into one route per path, each method behind
        // its own scope check.
        let operate = Router::new()
            .route("/v1/maintenance", post(maintenance::create))
            .route(
                "/v1/maintenance/{id}",
                axum::routing::put(maintenance::update).delete(maintenance::delete),
            )
            .route_layer(middleware::from_fn_with_state(
                (guard, Scope::Operate),
                auth::require,
            ))
            .with_state(state);

        let requests = Arc::new(RequestMetrics::default());
        // Serializing a document built from our own types cannot fail; an empty object keeps
        // the route answering if it ever did.
        let openapi_json = serde_json::to_string(&openapi()).unwrap_or_else(|error| {
            tracing::error!(%error, "cannot serialize the openapi document");
            "{}".to_owned()
        });
        let system = Router::new()
            .route("/health", get(system::health))
            .route("/metrics", get(system::metrics))
            .route(OPENAPI_PATH, get(system::openapi_json))
            .with_state(SystemState {
                health,
                metrics,
                requests: requests.clone(),
                openapi_json: openapi_json.into(),
            });
        let docs: Router = SwaggerUi::new(DOCS_PATH)
            .config(utoipa_swagger_ui::Config::from(OPENAPI_PATH))
            .into();

        let mut router = Router::new()
            .merge(read)
            .merge(operate)
            .merge(system)
            .merge(docs)
            .fallback(system::not_found)
            .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                config.request_timeout,
            ))
            .layer(middleware::from_fn(error::normalize));
        if let Some(cors) = cors {
            router = router.layer(cors);
        }
        Ok(router.layer(middleware::from_fn_with_state(requests, metrics::track)))
    }
}

fn cors_layer(origins: &[String]) -> Result<Option<CorsLayer>, ConfigError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let values = origins
        .iter()
        .map(|origin| {
            let valid = origin.contains("://") && !origin.ends_with('/');
            HeaderValue::from_str(origin)
                .ok()
                .filter(|_| valid)
                .ok_or_else(|| ConfigError::InvalidOrigin {
                    origin: origin.clone(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(values))
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::DELETE,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([header::RETRY_AFTER, header::WWW_AUTHENTICATE])
            .max_age(std::time::Duration::from_secs(600)),
    ))
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
