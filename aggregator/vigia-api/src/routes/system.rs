//! Routes without an API key: `/health`, `/metrics`, `/v1/openapi.json`; and the fallbacks.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::ApiError;
use crate::health::{Health, HealthCheck, HealthStatus};
use crate::metrics::{MetricsSource, RequestMetrics};

/// What the unauthenticated routes share.
#[derive(Clone)]
pub(crate) struct SystemState {
    pub(crate) health: Arc<dyn HealthCheck>,
    pub(crate) metrics: Arc<dyn MetricsSource>,
    pub(crate) requests: Arc<RequestMetrics>,
    /// The OpenAPI document, serialized once.
    pub(crate) openapi_json: Arc<str>,
}

/// Health
///
/// Whether the aggregator works: `ok` (200) or `degraded` (503), with each check. No API key
/// needed.
#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    operation_id = "health",
    responses(
        (status = 200, description = "Every check is ok", body = Health),
        (status = 503, description = "At least one check is degraded", body = Health),
    )
)]
pub(crate) async fn health(State(state): State<SystemState>) -> Response {
    let health = Health::from_checks(state.health.check().await);
    let status = match health.status {
        HealthStatus::Ok => StatusCode::OK,
        HealthStatus::Degraded => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, axum::Json(health)).into_response()
}

/// Prometheus text-format content type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Metrics
///
/// Prometheus metrics in text format. No API key needed.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "metrics",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
    )
)]
pub(crate) async fn metrics(State(state): State<SystemState>) -> Response {
    let mut out = String::with_capacity(8 * 1024);
    state.metrics.render(&mut out);
    state.requests.render(&mut out);
    (
        [(CONTENT_TYPE, HeaderValue::from_static(PROMETHEUS_TEXT))],
        out,
    )
        .into_response()
}

/// `GET /v1/openapi.json`: the document.
pub(crate) async fn openapi_json(State(state): State<SystemState>) -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        state.openapi_json.to_string(),
    )
        .into_response()
}

/// Any path no route matches.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}
