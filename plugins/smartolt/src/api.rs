//! One SmartOLT account over the host's `http` capability: `GET <base>/<path>` with `X-Token`,
//! the rate-limit headers remembered from every answer, and every answer classified.
//!
//! | answer | class |
//! | --- | --- |
//! | 2xx JSON object with `status: true` | ok |
//! | 2xx not JSON, not an object, or `status: false` | `invalid-response` |
//! | 401, 403 | `auth` |
//! | 429 | `budget` |
//! | 405 (`Unknown method`) | `unsupported` |
//! | 502, 503, 504 (a load balancer's HTML page) | `unreachable` |
//! | any other status, e.g. 400 `Invalid parameters` | `invalid-response` (the status is kept) |

use std::cell::Cell;

use serde_json::Value;
use vigia_plugin_sdk::http::{Method, Request, Response};
use vigia_plugin_sdk::{ErrorClass, Host, PluginError};

/// A failed call: the classified error and, when the API answered, the HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CallError {
    pub status: Option<u16>,
    pub error: PluginError,
}

impl CallError {
    /// The account cannot be asked anything else in this run.
    pub(crate) fn is_final(&self) -> bool {
        matches!(
            self.error.class,
            ErrorClass::Auth
                | ErrorClass::Budget
                | ErrorClass::Unreachable
                | ErrorClass::Timeout
                | ErrorClass::Denied
        )
    }
}

pub(crate) struct Client<'a, H: Host> {
    host: &'a H,
    base: String,
    token: String,
    /// `X-RateLimit-Remaining` and `X-RateLimit-Limit` of the latest answer that had them.
    remaining: Cell<Option<u32>>,
    limit: Cell<Option<u32>>,
    calls: Cell<u32>,
}

impl<'a, H: Host> Client<'a, H> {
    /// `address` is the account's API base URL (`https://<tenant>.smartolt.com/api`); `/api` is
    /// added when missing.
    pub(crate) fn new(host: &'a H, address: &str, token: String) -> Result<Self, PluginError> {
        let address = address.trim().trim_end_matches('/');
        if !(address.starts_with("https://") || address.starts_with("http://")) {
            return Err(PluginError::config(format!(
                "target address `{address}` is not an http(s) url such as https://tenant.smartolt.com/api"
            )));
        }
        let base = if address.ends_with("/api") {
            address.to_owned()
        } else {
            format!("{address}/api")
        };
        Ok(Self {
            host,
            base,
            token,
            remaining: Cell::new(None),
            limit: Cell::new(None),
            calls: Cell::new(0),
        })
    }

    pub(crate) fn remaining(&self) -> Option<u32> {
        self.remaining.get()
    }

    pub(crate) fn limit(&self) -> Option<u32> {
        self.limit.get()
    }

    /// Requests sent in this run.
    pub(crate) fn calls(&self) -> u32 {
        self.calls.get()
    }

    /// `GET <base>/<path>`: the JSON object of a successful answer.
    pub(crate) fn get(&self, path: &str, timeout_ms: u32) -> Result<Value, CallError> {
        let what = format!("GET /api/{path}");
        let request = Request {
            method: Method::Get,
            url: format!("{}/{path}", self.base),
            headers: vec![
                ("accept".to_owned(), "application/json".to_owned()),
                ("x-token".to_owned(), self.token.clone()),
            ],
            body: None,
            timeout_ms,
        };
        self.calls.set(self.calls.get() + 1);
        let response = self.host.http_send(&request).map_err(|error| CallError {
            status: None,
            error: PluginError::from(error).context(&what),
        })?;
        self.remember_limits(&response);
        decode(&what, &response)
    }

    fn remember_limits(&self, response: &Response) {
        let header = |name: &str| {
            response
                .headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .and_then(|(_, value)| value.trim().parse::<u32>().ok())
        };
        if let Some(remaining) = header("x-ratelimit-remaining") {
            self.remaining.set(Some(remaining));
        }
        if let Some(limit) = header("x-ratelimit-limit") {
            self.limit.set(Some(limit));
        }
    }
}

fn decode(what: &str, response: &Response) -> Result<Value, CallError> {
    let status = response.status;
    let fail = |error: PluginError| CallError {
        status: Some(status),
        error,
    };
    let vendor_error = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|body| body.get("error").and_then(Value::as_str).map(str::to_owned));
    let message = match &vendor_error {
        Some(text) => format!("{what}: status {status}: {text}"),
        None => format!("{what}: status {status}"),
    };
    match status {
        200..=299 => {}
        401 | 403 => return Err(fail(PluginError::auth(message))),
        429 => {
            return Err(fail(PluginError::budget(format!(
                "{message} (the account's calls for this hour are spent)"
            ))));
        }
        405 => return Err(fail(PluginError::unsupported(message))),
        502..=504 => {
            return Err(fail(PluginError::unreachable(format!(
                "{message}: the smartolt api is unavailable"
            ))));
        }
        _ => return Err(fail(PluginError::invalid_response(message))),
    }
    let body: Value = serde_json::from_slice(&response.body).map_err(|error| {
        fail(PluginError::invalid_response(format!(
            "{what}: the body is not json: {error}"
        )))
    })?;
    if !body.is_object() {
        return Err(fail(PluginError::invalid_response(format!(
            "{what}: expected a json object"
        ))));
    }
    if body.get("status").and_then(Value::as_bool) == Some(false) {
        let text = body
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no error text");
        return Err(fail(PluginError::invalid_response(format!(
            "{what}: status false: {text}"
        ))));
    }
    Ok(body)
}

/// The array under `key` of a successful answer.
pub(crate) fn array<'v>(
    body: &'v Value,
    what: &str,
    key: &str,
) -> Result<&'v [Value], PluginError> {
    body.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| {
            PluginError::invalid_response(format!("{what}: no `{key}` array in the answer"))
        })
}
