//! [`Host`]: what a plugin can ask of the agent, one method per import of `wit/host.wit`.
//!
//! Plugin code takes `host: &impl Host`. In the wasm component it is a [`WasmHost`] calling the
//! real imports; in native tests it is a [`crate::testing::FakeHost`].

mod wasm;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use wasm::{WasmConnection, WasmHost};

use crate::http::{Method, Request, Response};
use crate::icmp::{EchoRequest, EchoResult};
use crate::snmp::{Device, Varbind};
use crate::tcp::TlsOptions;
use crate::{HostError, Level, PluginError};

/// Deadline of the HTTP helpers ([`Host::get_json`], [`Host::post_json`]); the host also caps every
/// request at the run's deadline.
pub const DEFAULT_HTTP_TIMEOUT_MS: u32 = 10_000;

/// The host capabilities a plugin can call. Every call except `log` and `clock` needs a grant;
/// without one it fails with [`HostError::Denied`].
pub trait Host {
    /// An open TCP (or TLS) stream from [`Host::tcp_connect`].
    type Connection: TcpConnection;

    // === log and clock (always granted) ===

    /// Writes a line to the agent's log, inside the span of this run.
    fn log(&self, level: Level, message: &str);
    /// Wall-clock time, milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Monotonic nanoseconds from an arbitrary origin, for measuring durations.
    fn monotonic_ns(&self) -> u64;

    // === icmp ===

    /// ICMP echo to every request concurrently; results come back in request order. Loss and
    /// ICMP errors are data in the results; `Err` means the call could not run at all.
    fn icmp_echo(&self, requests: &[EchoRequest]) -> Result<Vec<EchoResult>, HostError>;

    // === snmp ===

    fn snmp_get(&self, device: &Device, oids: &[String]) -> Result<Vec<Varbind>, HostError>;
    fn snmp_get_next(&self, device: &Device, oids: &[String]) -> Result<Vec<Varbind>, HostError>;
    fn snmp_get_bulk(
        &self,
        device: &Device,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[String],
    ) -> Result<Vec<Varbind>, HostError>;
    /// Walks the subtree under `root`, stopping at its end or after `max_rows` varbinds.
    fn snmp_walk(
        &self,
        device: &Device,
        root: &str,
        max_rows: u32,
    ) -> Result<Vec<Varbind>, HostError>;

    // === http ===

    /// Sends one HTTP(S) request to a granted host. Any status is `Ok`; see [`Host::get_json`].
    fn http_send(&self, request: &Request) -> Result<Response, HostError>;

    // === tcp ===

    /// Opens a TCP stream (TLS when `tls` is set) to a granted `host:port`.
    fn tcp_connect(
        &self,
        host: &str,
        port: u16,
        tls: Option<&TlsOptions>,
        timeout_ms: u32,
    ) -> Result<Self::Connection, HostError>;

    // === kv ===

    fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, HostError>;
    fn kv_set(&self, key: &str, value: &[u8]) -> Result<(), HostError>;
    fn kv_delete(&self, key: &str) -> Result<(), HostError>;

    // === secrets ===

    /// The secret stored under `name`, if this probe was granted it.
    fn get_secret(&self, name: &str) -> Result<String, HostError>;

    // === helpers ===

    fn debug(&self, message: &str) {
        self.log(Level::Debug, message);
    }

    fn info(&self, message: &str) {
        self.log(Level::Info, message);
    }

    fn warn(&self, message: &str) {
        self.log(Level::Warn, message);
    }

    fn error(&self, message: &str) {
        self.log(Level::Error, message);
    }

    /// `GET url` expecting a 2xx JSON body, decoded into `T`. Status 401/403 is an `auth` error,
    /// 429 a `budget` error, any other non-2xx or an undecodable body `invalid-response`.
    fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<T, PluginError> {
        let request = json_request(Method::Get, url, headers, None);
        let response = self
            .http_send(&request)
            .map_err(|error| PluginError::from(error).context(format!("GET {url}")))?;
        decode_json(&request, &response)
    }

    /// `POST url` with a JSON body, expecting a 2xx JSON answer; errors as in [`Host::get_json`].
    fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &B,
    ) -> Result<T, PluginError> {
        let body = serde_json::to_vec(body).map_err(|error| {
            PluginError::internal(format!("POST {url}: cannot encode the body: {error}"))
        })?;
        let request = json_request(Method::Post, url, headers, Some(body));
        let response = self
            .http_send(&request)
            .map_err(|error| PluginError::from(error).context(format!("POST {url}")))?;
        decode_json(&request, &response)
    }
}

/// A TCP stream opened by [`Host::tcp_connect`]; closed when dropped.
pub trait TcpConnection {
    /// Reads up to `max_bytes`; an empty vector means the peer closed the stream.
    fn read(&self, max_bytes: u32, timeout_ms: u32) -> Result<Vec<u8>, HostError>;
    /// Writes all of `data`.
    fn write(&self, data: &[u8], timeout_ms: u32) -> Result<(), HostError>;
}

fn json_request(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Request {
    let mut all_headers = vec![("accept".to_owned(), "application/json".to_owned())];
    if body.is_some() {
        all_headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    all_headers.extend(
        headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Request {
        method,
        url: url.to_owned(),
        headers: all_headers,
        body,
        timeout_ms: DEFAULT_HTTP_TIMEOUT_MS,
    }
}

fn decode_json<T: DeserializeOwned>(
    request: &Request,
    response: &Response,
) -> Result<T, PluginError> {
    let what = format!("{} {}", method_name(request.method), request.url);
    match response.status {
        200..=299 => serde_json::from_slice(&response.body).map_err(|error| {
            PluginError::invalid_response(format!("{what}: unexpected json body: {error}"))
        }),
        401 | 403 => Err(PluginError::auth(format!(
            "{what}: status {}",
            response.status
        ))),
        429 => Err(PluginError::budget(format!(
            "{what}: status 429 (rate limited)"
        ))),
        status => Err(PluginError::invalid_response(format!(
            "{what}: status {status}"
        ))),
    }
}

pub(crate) fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}
