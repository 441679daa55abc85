//! What every SmartOLT route shares: the `X-Token` check and the per-account call limit.
//!
//! A missing token is 401, a wrong one 403 (neither is counted: there is no account). Every other
//! request counts against the account, whatever it answers (a 400 or 405 too), and carries
//! `X-RateLimit-Limit` and `X-RateLimit-Remaining`; once the window's calls are spent the answer is
//! 429 until the window (fixed, from the account's first call) ends.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tokio::time::Instant;

use super::{Api, failure};

/// Calls used per account in its current window.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    accounts: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    used: u32,
}

impl Limiter {
    /// Counts one call; `Some(remaining)` after it, `None` when the limit was already reached.
    fn take(&self, token: &str, limit: u32, length: std::time::Duration) -> Option<u32> {
        let now = Instant::now();
        let mut accounts = self
            .accounts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let window = accounts.entry(token.to_owned()).or_insert(Window {
            start: now,
            used: 0,
        });
        if now.duration_since(window.start) >= length {
            *window = Window {
                start: now,
                used: 0,
            };
        }
        if window.used >= limit {
            return None;
        }
        window.used += 1;
        Some(limit - window.used)
    }
}

/// Middleware: authenticate, count, answer 429 when the limit is spent, add the headers.
pub(crate) async fn gate(State(api): State<Api>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get("x-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if token.is_empty() {
        return failure(StatusCode::UNAUTHORIZED, "Missing X-Token header");
    }
    if token != api.sim.scenario().credentials.smartolt_token {
        return failure(StatusCode::FORBIDDEN, "Invalid API token");
    }
    let limit = api.settings.calls_per_window;
    let taken = api.limiter.take(&token, limit, api.settings.window);
    let (mut response, remaining) = match taken {
        Some(remaining) => (next.run(request).await, remaining),
        None => (
            failure(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded"),
            0,
        ),
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    response
}
