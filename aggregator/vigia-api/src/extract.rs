//! Extractors that reject with [`ApiError`] (a 400 in the standard body) instead of axum's
//! plain-text rejections.

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ApiError;

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
