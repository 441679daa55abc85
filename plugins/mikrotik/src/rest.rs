//! RouterOS 7 REST (`GET /rest/<menu>`, HTTP Basic auth) through the host's `http` capability:
//! one request per table, JSON arrays of objects whose values are all strings.

use vigia_plugin_sdk::http::{Method, Request};
use vigia_plugin_sdk::{ErrorClass, Host, PluginError};

use crate::config::Config;
use crate::endpoint::Endpoint;
use crate::rows::{Row, clean};
use crate::time::RunClock;

pub(crate) struct RestClient<'a, H: Host> {
    host: &'a H,
    base: String,
    authorization: String,
    clock: RunClock,
    timeout_ms: u32,
}

impl<'a, H: Host> RestClient<'a, H> {
    pub(crate) fn new(
        host: &'a H,
        endpoint: &Endpoint,
        config: &Config,
        password: &str,
        clock: RunClock,
    ) -> Self {
        let (scheme, default_port) = if config.tls {
            ("https", 443)
        } else {
            ("http", 80)
        };
        let credentials = format!("{}:{password}", config.user);
        Self {
            host,
            base: format!("{scheme}://{}/rest", endpoint.url_authority(default_port)),
            authorization: format!("Basic {}", base64(credentials.as_bytes())),
            clock,
            timeout_ms: config.timeout_ms,
        }
    }

    /// `GET /rest/<menu>?.proplist=...&<filters>`: the rows, at most `max_rows`.
    pub(crate) fn print(
        &self,
        menu: &str,
        properties: &[&str],
        filters: &[(&str, &str)],
        max_rows: u32,
    ) -> Result<Vec<Row>, PluginError> {
        let mut url = format!("{}/{menu}?.proplist={}", self.base, properties.join(","));
        for (name, value) in filters {
            url.push_str(&format!("&{name}={value}"));
        }
        let what = format!("GET /rest/{menu}");
        let request = Request {
            method: Method::Get,
            url,
            headers: vec![
                ("accept".to_owned(), "application/json".to_owned()),
                ("authorization".to_owned(), self.authorization.clone()),
            ],
            body: None,
            timeout_ms: self.clock.op_timeout(self.host, self.timeout_ms)?,
        };
        let response = self
            .host
            .http_send(&request)
            .map_err(|error| PluginError::from(error).context(&what))?;
        if !(200..=299).contains(&response.status) {
            return Err(status_error(&what, response.status, &response.body));
        }
        let body: serde_json::Value = serde_json::from_slice(&response.body).map_err(|error| {
            PluginError::invalid_response(format!("{what}: the body is not json: {error}"))
        })?;
        // Some versions answer an error object with status 200.
        if let Some(code) = body.get("error").and_then(serde_json::Value::as_u64) {
            let status = u16::try_from(code).unwrap_or(u16::MAX);
            return Err(status_error(&what, status, &response.body));
        }
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_value(body)
            .map_err(|error| {
                PluginError::invalid_response(format!(
                    "{what}: expected a json array of objects: {error}"
                ))
            })?;
        if rows.len() > max_rows as usize {
            return Err(PluginError::budget(format!(
                "{what}: {} rows, more than {max_rows} (raise `max_rows`)",
                rows.len()
            )));
        }
        Ok(rows.into_iter().map(row).collect())
    }
}

/// Stops the remaining tables of a router: the next request would fail the same way.
pub(crate) fn is_final(error: &PluginError) -> bool {
    matches!(
        error.class,
        ErrorClass::Auth | ErrorClass::Unreachable | ErrorClass::Timeout | ErrorClass::Denied
    )
}

/// Values are strings; numbers and booleans are taken as their text, anything else dropped.
fn row(object: serde_json::Map<String, serde_json::Value>) -> Row {
    let row = object
        .into_iter()
        .filter_map(|(name, value)| match value {
            serde_json::Value::String(text) => Some((name, text)),
            serde_json::Value::Number(number) => Some((name, number.to_string())),
            serde_json::Value::Bool(flag) => Some((name, flag.to_string())),
            _ => None,
        })
        .collect();
    clean(row)
}

/// A non-2xx answer: 401/403 `auth`, 404 (no such menu) `unsupported`, the rest
/// `invalid-response`; RouterOS's `{"error":…,"message":…,"detail":…}` body is quoted.
fn status_error(what: &str, status: u16, body: &[u8]) -> PluginError {
    let detail = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .map(|json| {
            ["message", "detail"]
                .iter()
                .filter_map(|key| json.get(key).and_then(|value| value.as_str()))
                .collect::<Vec<_>>()
                .join(": ")
        })
        .filter(|text| !text.is_empty());
    let message = match detail {
        Some(detail) => format!("{what}: status {status}: {detail}"),
        None => format!("{what}: status {status}"),
    };
    let class = match status {
        401 | 403 => ErrorClass::Auth,
        404 => ErrorClass::Unsupported,
        _ => ErrorClass::InvalidResponse,
    };
    PluginError::new(class, message)
}

/// Standard base64 with padding (RFC 4648), for the Basic authorization header.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 0x3F) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
