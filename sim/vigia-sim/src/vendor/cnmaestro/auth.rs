//! OAuth 2.0 client credentials (RFC 6749 §4.4) as cnMaestro takes them: the API client's id and
//! secret by HTTP Basic with the form `grant_type=client_credentials`, or both in the form body
//! (`client_id`, `client_secret`), and errors in the RFC's shape (`{"error": "invalid_client"}`
//! 401, `invalid_request`/`unsupported_grant_type` 400). Bearer tokens expire after the TTL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::{Cnmaestro, error};

/// Issued tokens and when.
#[derive(Clone)]
pub(super) struct Tokens {
    ttl: Duration,
    issued: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Tokens {
    pub(super) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            issued: Arc::default(),
        }
    }

    fn issue(&self) -> String {
        let token: String = (0..32)
            .map(|_| char::from(b"0123456789abcdef"[rand::random_range(0..16usize)]))
            .collect();
        let mut issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        issued.retain(|_, at| now.duration_since(*at) < self.ttl);
        issued.insert(token.clone(), now);
        token
    }

    /// Records a token as issued at `at` (tests age tokens this way).
    #[cfg(test)]
    pub(super) fn insert(&self, token: &str, at: Instant) {
        let mut issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        issued.insert(token.to_owned(), at);
    }

    /// The 401 to answer unless `headers` carry a live bearer token.
    pub(super) fn refusal(&self, headers: &HeaderMap) -> Option<Response> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let Some(token) = bearer else {
            return Some(unauthorized("invalid_request", "Missing bearer token"));
        };
        let issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        match issued.get(token) {
            Some(at) if at.elapsed() < self.ttl => None,
            Some(_) => Some(unauthorized("invalid_token", "The access token expired")),
            None => Some(unauthorized("invalid_token", "The access token is invalid")),
        }
    }
}

fn unauthorized(code: &str, description: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, code, description);
    if let Ok(value) = format!("Bearer error=\"{code}\"").parse() {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `client_id:client_secret` from an HTTP Basic `Authorization` header.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

pub(super) async fn token(
    State(s): State<Cnmaestro>,
    headers: HeaderMap,
    form: Result<axum::Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(axum::Form(form)) = form else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Expected an application/x-www-form-urlencoded body",
        );
    };
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only client_credentials is supported",
            );
        }
        None => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing grant_type",
            );
        }
    }
    let by_basic = basic(&headers);
    let used_basic = by_basic.is_some();
    let credentials = by_basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    });
    let expected = &s.sim.scenario().credentials;
    let valid = credentials.is_some_and(|(id, secret)| {
        id == expected.cnmaestro_client_id && secret == expected.cnmaestro_client_secret
    });
    if !valid {
        let mut response = error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
        if used_basic {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"cnMaestro\""),
            );
        }
        return response;
    }
    let token = s.tokens.issue();
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": s.tokens.ttl.as_secs(),
        })),
    )
        .into_response()
}
