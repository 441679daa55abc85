//! Senders: one HTTP request per notice, answered by a classified [`SendError`] on failure.

mod telegram;
mod webhook;
mod whatsapp;

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use vigia_correlate::Notice;

use crate::config::Target;
use crate::render::RenderOptions;

/// Why a send failed, and so what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The API asked to wait this long (Telegram `retry_after`, a `Retry-After` header, a
    /// WhatsApp rate-limit code). Retry no earlier.
    #[error("rate limited: retry after {} s", .0.as_secs_f64())]
    RetryAfter(Duration),
    /// Network error, timeout, 5xx: retry with backoff.
    #[error("{0}")]
    Transient(String),
    /// The API refused the message (bad chat id, bad token, template rejected...): retrying
    /// would not help. The text quotes the API's description.
    #[error("{0}")]
    Permanent(String),
}

/// Sends notices to one channel.
#[derive(Debug, Clone)]
pub struct Sender {
    target: Target,
    http: reqwest::Client,
    render: Arc<RenderOptions>,
}

impl Sender {
    /// A sender for `target`, sharing `http` (see [`http_client`]) and the render options.
    pub fn new(target: Target, http: reqwest::Client, render: Arc<RenderOptions>) -> Self {
        Self {
            target,
            http,
            render,
        }
    }

    /// Sends one notice. `delivery_id` identifies the delivery (the outbox entry id): webhooks
    /// get it as `X-Vigia-Delivery`, the same on every retry.
    pub async fn send(&self, delivery_id: u64, notice: &Notice) -> Result<(), SendError> {
        match &self.target {
            Target::Telegram(t) => telegram::send(&self.http, t, &self.render, notice).await,
            Target::WhatsApp(w) => whatsapp::send(&self.http, w, &self.render, notice).await,
            Target::Webhook(h) => webhook::send(&self.http, h, delivery_id, notice).await,
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }
}

/// The HTTP client senders share: rustls (ring, Mozilla roots), the given timeout for the whole
/// request, no redirects (a token in a URL must not follow one), no environment proxy.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot configure TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("vigia-notify/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", describe(e)))
}

/// A request failure as text, without the URL (Telegram's holds the bot token) and with its
/// causes (`error sending request: connection refused`).
pub(crate) fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = if error.is_timeout() {
        "request timed out".to_owned()
    } else {
        error.to_string()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A transport failure (no HTTP answer) as a transient error.
pub(crate) fn transport_error(api: &str, error: reqwest::Error) -> SendError {
    SendError::Transient(format!("{api}: {}", describe(error)))
}

/// Reads at most `limit` bytes of a response body (error bodies are small; a huge one is cut).
pub(crate) async fn read_body(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    body
}

/// A `Retry-After` header in seconds (the HTTP-date form is not used by these APIs).
pub(crate) fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    value.parse::<u64>().ok().map(Duration::from_secs)
}

/// At most `max` characters of an API's text, on one line.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// Most bytes of a response body read.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;
