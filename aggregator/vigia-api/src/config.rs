//! [`ApiConfig`]: limits, CORS and caching of the API, and why a configuration is refused.

use std::time::Duration;

/// How the API behaves. `Default` gives sane production values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// Requests per second each API key may make on average (at least 1).
    pub rate_per_sec: u32,
    /// Requests a key may make at once before the rate applies (at least 1).
    pub burst: u32,
    /// Browser origins allowed to call the API (`https://noc.example.net`); empty: no CORS
    /// headers at all, so browsers on other origins cannot read responses.
    pub cors_origins: Vec<String>,
    /// Longest a request may take before it is answered with 503 `timeout` (above the
    /// aggregator's live-diagnosis deadline, so live checks can finish).
    pub request_timeout: Duration,
    /// Largest accepted request body; larger ones get 413 `payload_too_large`. The default fits
    /// the largest valid maintenance window (1,000 entity ids of 256 characters).
    pub max_body_bytes: usize,
    /// How long a key lookup is cached: a revoked key keeps working for at most this long.
    /// Zero disables the cache (every request reads the key store).
    pub key_cache_ttl: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            rate_per_sec: 50,
            burst: 100,
            cors_origins: Vec::new(),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            key_cache_ttl: Duration::from_secs(30),
        }
    }
}

/// Why [`Api::router`](crate::Api::router) refused a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `rate_per_sec` or `burst` is zero.
    #[error("api {field} must be at least 1")]
    ZeroRate { field: &'static str },
    /// A CORS origin is not a valid `scheme://host[:port]` header value.
    #[error("invalid cors origin {origin:?}: expected scheme://host[:port]")]
    InvalidOrigin { origin: String },
    /// `request_timeout` is zero.
    #[error("api request_timeout must be more than zero")]
    ZeroTimeout,
}
