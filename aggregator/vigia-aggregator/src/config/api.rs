//! `[api]`: the REST API's listener, CORS allow-list and per-key rate limit.

use std::net::SocketAddr;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Resolve};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApi {
    listen: Spanned<String>,
    #[serde(default)]
    cors_origins: Vec<Spanned<String>>,
    rate_per_sec: Option<Spanned<u64>>,
    burst: Option<Spanned<u64>>,
}

#[derive(Debug)]
pub(crate) struct ApiSection {
    pub(crate) listen: SocketAddr,
    /// Origins allowed to call the API from a browser (`https://noc.example.net`).
    pub(crate) cors_origins: Vec<String>,
    /// Requests per second per API key, and the burst above it.
    pub(crate) rate_per_sec: u32,
    pub(crate) burst: u32,
}

pub(super) fn resolve(raw: RawApi, cx: &Resolve<'_>, errors: &mut Vec<ConfigError>) -> ApiSection {
    let listen_at = cx.at(raw.listen.span().start);
    let listen_text = raw.listen.into_inner();
    let listen = listen_text.parse::<SocketAddr>().unwrap_or_else(|_| {
        errors.push(ConfigError::new(
            &listen_at,
            format!(
                "api.listen `{listen_text}` must be an IP address and port, e.g. \"127.0.0.1:8080\""
            ),
        ));
        SocketAddr::from(([127, 0, 0, 1], 0))
    });
    let mut cors_origins = Vec::new();
    for spanned in raw.cors_origins {
        let at = cx.at(spanned.span().start);
        let origin = spanned.into_inner();
        let scheme_ok = origin.starts_with("https://") || origin.starts_with("http://");
        if !scheme_ok || origin.ends_with('/') || origin.contains('*') {
            errors.push(ConfigError::new(
                &at,
                format!(
                    "api.cors_origins: `{origin}` must be an origin such as \
                     \"https://noc.example.net\" (scheme and host, no path, no wildcard)"
                ),
            ));
        } else {
            cors_origins.push(origin);
        }
    }
    let rate = cx.ranged(
        raw.rate_per_sec,
        "api.rate_per_sec",
        100,
        1..=1_000_000,
        errors,
    );
    let burst = cx.ranged(raw.burst, "api.burst", 200, 1..=1_000_000, errors);
    ApiSection {
        listen,
        cors_origins,
        rate_per_sec: u32::try_from(rate).unwrap_or(100),
        burst: u32::try_from(burst).unwrap_or(200),
    }
}
