//! The one error shape of the API: `{"error": {"code": "...", "message": "...", "details": ...}}`,
//! and [`ApiError`], which every handler, extractor and middleware turns into it.

use axum::Json;
use axum::http::header::{self, HeaderValue};
use axum::http::{Response, StatusCode};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Scope;

/// Why a request failed; becomes the JSON error body with the matching status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (bad query or path parameter, bad cursor, invalid body...). 400.
    #[error("{message}")]
    BadRequest {
        message: String,
        /// Optional machine-readable detail (e.g. which parameter).
        details: Option<serde_json::Value>,
    },
    /// No `Authorization: Bearer` header. 401.
    #[error("missing api key: send `Authorization: Bearer <key>`")]
    MissingApiKey,
    /// The key is unknown, revoked, expired or malformed (deliberately not told apart). 401.
    #[error("invalid api key")]
    InvalidApiKey,
    /// The key is valid but lacks the scope the route needs. 403.
    #[error("this route needs the `{required}` scope")]
    InsufficientScope { required: Scope },
    /// No such route or resource. 404.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not with this method. 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The key used up its request budget; retry after the given seconds. 429.
    #[error("rate limit exceeded, retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The request body is larger than the configured limit. 413.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The request body is not sent as `Content-Type: application/json`. 415.
    #[error("expected a request body with `Content-Type: application/json`")]
    UnsupportedMediaType,
    /// A dependency (e.g. the key store) cannot answer now. 503.
    #[error("{0}")]
    Unavailable(String),
    /// The request took longer than the configured timeout. 503.
    #[error("request timed out")]
    Timeout,
    /// A bug or an unexpected failure; the message sent to the client is generic, the cause is
    /// logged. 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 with this message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            details: None,
        }
    }

    /// A 404 with this message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// A 500; `cause` is logged, not sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::MissingApiKey | Self::InvalidApiKey => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) | Self::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of the body.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest { .. } => ErrorCode::BadRequest,
            Self::MissingApiKey => ErrorCode::MissingApiKey,
            Self::InvalidApiKey => ErrorCode::InvalidApiKey,
            Self::InsufficientScope { .. } => ErrorCode::InsufficientScope,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Timeout => ErrorCode::Timeout,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The error for a bare status produced outside our handlers (axum's 405, tower-http's 413
    /// and timeout...).
    pub(crate) fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::BAD_REQUEST => Self::bad_request("bad request"),
            StatusCode::UNAUTHORIZED => Self::InvalidApiKey,
            StatusCode::NOT_FOUND => Self::not_found("no such route"),
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => Self::Timeout,
            StatusCode::TOO_MANY_REQUESTS => Self::RateLimited {
                retry_after_secs: 1,
            },
            other if other.is_client_error() => {
                Self::bad_request(other.canonical_reason().unwrap_or("bad request"))
            }
            _ => Self::internal(format!("unexpected status {status}")),
        }
    }

    fn body(&self) -> ErrorBody {
        let message = match self {
            Self::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        let details = match self {
            Self::BadRequest { details, .. } => details.clone(),
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
                details,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::MissingApiKey => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::InvalidApiKey => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            Self::InsufficientScope { .. } => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"insufficient_scope\""),
                );
            }
            Self::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

/// Machine-readable error codes (stable: clients branch on them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    MissingApiKey,
    InvalidApiKey,
    InsufficientScope,
    NotFound,
    MethodNotAllowed,
    RateLimited,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unavailable,
    Timeout,
    Internal,
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation (lowercase, may change between releases).
    pub message: String,
    /// Optional structured detail, e.g. which parameter was wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// Middleware: an error response that is not already JSON (axum's own 405, tower-http's 413 or
/// timeout, a rejection that slipped through) gets the standard body, keeping its status and
/// headers (`Allow`, `Retry-After`...).
pub(crate) async fn normalize(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, _body) = response.into_parts();
    let replacement = ApiError::for_status(status).into_response();
    let (new_parts, new_body) = replacement.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &new_parts.headers {
        if !parts.headers.contains_key(name) || name == header::CONTENT_TYPE {
            parts.headers.insert(name.clone(), value.clone());
        }
    }
    Response::from_parts(parts, new_body)
}

fn is_json<B>(response: &Response<B>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}
