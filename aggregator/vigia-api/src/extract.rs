//! Extractors that reject with [`ApiError`] (a 400 in the standard body) instead of axum's
//! plain-text rejections.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::{ApiError, Timestamp};

/// Query string parameters, deserialized into `T`.
pub(crate) struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::BadRequest {
                message: format!("invalid query string: {}", rejection.body_text()),
                details: Some(serde_json::json!({ "location": "query" })),
            }),
        }
    }
}

/// Path parameters (percent-decoded), deserialized into `T`.
pub(crate) struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::BadRequest {
                message: format!("invalid path parameter: {}", rejection.body_text()),
                details: Some(serde_json::json!({ "location": "path" })),
            }),
        }
    }
}

/// A JSON request body, deserialized into `T`: a body that is not JSON or does not fit `T`
/// (unknown or missing field, wrong type) is a 400 saying why; one without
/// `Content-Type: application/json` a 415; one over the size limit a 413.
pub(crate) struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge)
            }
            Err(rejection) => Err(ApiError::BadRequest {
                message: format!("invalid request body: {}", rejection.body_text()),
                details: Some(serde_json::json!({ "location": "body" })),
            }),
        }
    }
}

/// Parses a `since` query parameter (RFC 3339) into Unix ms (0 for instants before 1970).
pub(crate) fn since(text: Option<&str>) -> Result<Option<u64>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    match Timestamp::parse(text) {
        Some(at) => Ok(Some(at.unix_ms())),
        None => Err(ApiError::BadRequest {
            message: format!("since must be an RFC 3339 date-time, got {text:?}"),
            details: Some(serde_json::json!({ "location": "query", "parameter": "since" })),
        }),
    }
}

/// Checks a `limit` parameter: `1..=max`, `default` when absent.
pub(crate) fn limit(value: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::BadRequest {
            message: format!("limit must be between 1 and {max}, got {n}"),
            details: Some(serde_json::json!({ "location": "query", "parameter": "limit" })),
        }),
    }
}
