//! Native test support: [`FakeHost`] answers host calls from recorded responses and records every
//! call, so plugin logic is unit-tested with plain `cargo test` (no wasm, no network).
//!
//! ```
//! use vigia_plugin_sdk::testing::{Call, FakeHost};
//! use vigia_plugin_sdk::{Host, HostError};
//!
//! let host = FakeHost::new().secret("api-token", "s3cr3t");
//! assert_eq!(host.get_secret("api-token"), Ok("s3cr3t".to_owned()));
//! // Anything the fake has no answer for is denied, as an ungranted call would be.
//! assert!(matches!(host.get_secret("other"), Err(HostError::Denied(_))));
//! assert_eq!(host.calls(), vec![Call::Secret("api-token".into()), Call::Secret("other".into())]);
//! ```
//!
//! Not here: timing. The fake answers instantly; its clock is fixed (`now_ms`) and its monotonic
//! clock advances a fixed step per call, so runs are deterministic.

mod call;
mod fixture;
mod host_impl;
mod mib;
#[cfg(test)]
mod tests;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

pub use call::Call;
pub use fixture::FixtureError;
pub use host_impl::FakeConnection;

use crate::http::{Method, Response};
use crate::snmp::Value;
use crate::{Host, HostError, Level, Observation, Plugin, PluginError, Target};
use mib::Mib;

/// Runs a plugin the way the export glue does (config JSON parsed first, a bad one is a `config`
/// error), against any host, usually a [`FakeHost`].
pub fn run<P: Plugin>(
    config_json: &str,
    targets: &[Target],
    host: &impl Host,
) -> Result<Vec<Observation>, PluginError> {
    crate::export::run_with::<P>(config_json, targets, host)
}

/// What the plugin's `describe` export returns (its info plus its config's JSON Schema).
pub fn describe<P: Plugin>() -> crate::PluginInfo {
    crate::export::plugin_info::<P>()
}

/// A scripted [`Host`]. Build it with the builder methods (or [`FakeHost::from_fixture`]), run the
/// plugin against it, then assert on [`FakeHost::calls`] and [`FakeHost::logs`].
///
/// Calls it has no answer for fail with [`HostError::Denied`], like an ungranted capability.
#[derive(Debug, Default)]
pub struct FakeHost {
    now_ms: u64,
    monotonic_ns: Cell<u64>,
    icmp: BTreeMap<String, IcmpAnswer>,
    icmp_failure: Option<HostError>,
    snmp: BTreeMap<String, Result<Mib, HostError>>,
    http: Vec<HttpRoute>,
    tcp: BTreeMap<(String, u16), TcpScript>,
    kv: Option<RefCell<BTreeMap<String, Vec<u8>>>>,
    secrets: BTreeMap<String, String>,
    calls: Rc<RefCell<Vec<Call>>>,
}

/// How much the fake monotonic clock advances per call: 1 ms.
pub const MONOTONIC_STEP_NS: u64 = 1_000_000;

/// What connecting to a `host:port` gives: the reads of the connection, or the connect error.
type TcpScript = Result<Vec<Vec<u8>>, HostError>;

#[derive(Debug, Clone)]
struct IcmpAnswer {
    sent: Option<u16>,
    rtts_us: Vec<u32>,
    error: Option<String>,
}

#[derive(Debug, Clone)]
struct HttpRoute {
    method: Method,
    url: String,
    answer: Result<Response, HostError>,
}

impl FakeHost {
    /// A host that denies everything except `log` and `clock` (`now_ms` is 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the wall clock, Unix milliseconds.
    #[must_use]
    pub fn clock(mut self, now_ms: u64) -> Self {
        self.now_ms = now_ms;
        self
    }

    /// `address` answers every echo request; `rtts_us` are the replies (microseconds), at most
    /// `count` of them are used. Fewer replies than `count` is packet loss.
    #[must_use]
    pub fn icmp_reply(mut self, address: &str, rtts_us: &[u32]) -> Self {
        let answer = IcmpAnswer {
            sent: None,
            rtts_us: rtts_us.to_vec(),
            error: None,
        };
        self.icmp.insert(address.to_owned(), answer);
        self
    }

    /// Echo to `address` gets no reply and this ICMP error (e.g. "destination host unreachable").
    #[must_use]
    pub fn icmp_error(mut self, address: &str, error: &str) -> Self {
        let answer = IcmpAnswer {
            sent: None,
            rtts_us: Vec::new(),
            error: Some(error.to_owned()),
        };
        self.icmp.insert(address.to_owned(), answer);
        self
    }

    /// The whole `icmp.echo` call fails (e.g. not granted, or no ICMP socket on this agent).
    #[must_use]
    pub fn icmp_failure(mut self, error: HostError) -> Self {
        self.icmp_failure = Some(error);
        self
    }

    /// Adds `oid = value` to the MIB of the SNMP agent at `address` (get, get-next, get-bulk and
    /// walk are answered from it). Panics on a malformed OID: that is a bug in the test.
    #[must_use]
    pub fn snmp_value(mut self, address: &str, oid: &str, value: Value) -> Self {
        let entry = self
            .snmp
            .entry(address.to_owned())
            .or_insert_with(|| Ok(Mib::default()));
        match entry {
            Ok(mib) => mib
                .insert(oid, value)
                .unwrap_or_else(|problem| panic!("{problem}")),
            Err(_) => panic!("snmp agent {address} was already set to fail"),
        }
        self
    }

    /// Every SNMP request to `address` fails with `error` (e.g. [`HostError::Timeout`]).
    #[must_use]
    pub fn snmp_failure(mut self, address: &str, error: HostError) -> Self {
        self.snmp.insert(address.to_owned(), Err(error));
        self
    }

    /// `method url` answers `status` with `body` (the first matching route wins).
    #[must_use]
    pub fn http(self, method: Method, url: &str, status: u16, body: impl Into<Vec<u8>>) -> Self {
        self.http_with_headers(method, url, status, Vec::new(), body)
    }

    /// `GET url` answers 200 with `json` and a JSON content type.
    #[must_use]
    pub fn http_json(self, url: &str, json: &serde_json::Value) -> Self {
        let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        self.http_with_headers(Method::Get, url, 200, headers, json.to_string())
    }

    /// `method url` answers `status` with these headers and `body`.
    #[must_use]
    pub fn http_with_headers(
        mut self,
        method: Method,
        url: &str,
        status: u16,
        headers: Vec<(String, String)>,
        body: impl Into<Vec<u8>>,
    ) -> Self {
        let response = Response {
            status,
            headers,
            body: body.into(),
        };
        self.http.push(HttpRoute {
            method,
            url: url.to_owned(),
            answer: Ok(response),
        });
        self
    }

    /// `method url` fails with `error`.
    #[must_use]
    pub fn http_failure(mut self, method: Method, url: &str, error: HostError) -> Self {
        self.http.push(HttpRoute {
            method,
            url: url.to_owned(),
            answer: Err(error),
        });
        self
    }

    /// `host:port` accepts a connection whose reads return `reads` in order, then end of stream.
    #[must_use]
    pub fn tcp(mut self, host: &str, port: u16, reads: &[&[u8]]) -> Self {
        let reads = reads.iter().map(|chunk| chunk.to_vec()).collect();
        self.tcp.insert((host.to_owned(), port), Ok(reads));
        self
    }

    /// Connecting to `host:port` fails with `error`.
    #[must_use]
    pub fn tcp_failure(mut self, host: &str, port: u16, error: HostError) -> Self {
        self.tcp.insert((host.to_owned(), port), Err(error));
        self
    }

    /// Grants `kv` with an empty store (without it, kv calls are denied).
    #[must_use]
    pub fn with_kv(mut self) -> Self {
        self.kv.get_or_insert_with(Default::default);
        self
    }

    /// Grants `kv` and stores `value` under `key`.
    #[must_use]
    pub fn kv(mut self, key: &str, value: &[u8]) -> Self {
        self.kv
            .get_or_insert_with(Default::default)
            .get_mut()
            .insert(key.to_owned(), value.to_vec());
        self
    }

    /// Grants the secret `name` with this value.
    #[must_use]
    pub fn secret(mut self, name: &str, value: &str) -> Self {
        self.secrets.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Every call made so far, in order (log and clock included).
    pub fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    /// The log lines written so far, in order.
    pub fn logs(&self) -> Vec<(Level, String)> {
        self.calls
            .borrow()
            .iter()
            .filter_map(|call| match call {
                Call::Log { level, message } => Some((*level, message.clone())),
                _ => None,
            })
            .collect()
    }

    /// The value now stored under `key` (after the plugin's `kv_set`/`kv_delete`).
    pub fn kv_value(&self, key: &str) -> Option<Vec<u8>> {
        self.kv
            .as_ref()
            .and_then(|kv| kv.borrow().get(key).cloned())
    }

    fn record(&self, call: Call) {
        self.calls.borrow_mut().push(call);
    }
}
