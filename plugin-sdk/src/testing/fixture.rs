//! [`FakeHost::from_fixture`]: a fake host scripted by a JSON file.
//!
//! Every section is optional; what a fixture does not mention is denied:
//!
//! ```json
//! {
//!   "now_ms": 1700000000000,
//!   "icmp": {
//!     "10.0.0.1": { "rtts_us": [420, 500, 610] },
//!     "10.0.0.2": { "error": "destination host unreachable" }
//!   },
//!   "icmp_failure": { "denied": "icmp is not granted" },
//!   "snmp": {
//!     "10.0.0.9": { "values": { "1.3.6.1.2.1.1.5.0": { "octets": "olt-sao-1" },
//!                               "1.3.6.1.2.1.2.2.1.10.1": { "counter32": 1234 } } },
//!     "10.0.0.10": { "failure": "timeout" }
//!   },
//!   "http": [
//!     { "method": "get", "url": "https://api.example/onus", "json": { "onus": [] } },
//!     { "url": "https://api.example/raw", "status": 503, "body": "busy" },
//!     { "url": "https://api.example/slow", "failure": "timeout" }
//!   ],
//!   "tcp": [ { "host": "10.0.0.1", "port": 8728, "reads": ["!done"] } ],
//!   "kv": { "last_snapshot": "{}" },
//!   "secrets": { "api-token": "s3cr3t" }
//! }
//! ```
//!
//! Host errors are written `"timeout"` or `{ "<kind>": "text" }` with kinds `denied`,
//! `unreachable`, `budget_exhausted`, `invalid_argument`, `protocol`, `auth`, `unavailable`.
//! SNMP values are `{ "<type>": value }` with types `integer`, `octets` (a string), `object_id`,
//! `ip_address` ("a.b.c.d"), `counter32`, `gauge32`, `timeticks`, `counter64`, or the strings
//! `"null"`, `"no_such_object"`, `"no_such_instance"`, `"end_of_mib_view"`.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{FakeHost, IcmpAnswer};
use crate::HostError;
use crate::http::Method;
use crate::snmp::Value;

/// A fixture file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read fixture {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("fixture {path} is not valid")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("fixture {path} is not valid: {problem}")]
    Invalid { path: PathBuf, problem: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    now_ms: Option<u64>,
    #[serde(default)]
    icmp: BTreeMap<String, IcmpFixture>,
    icmp_failure: Option<HostErrorFixture>,
    #[serde(default)]
    snmp: BTreeMap<String, SnmpFixture>,
    #[serde(default)]
    http: Vec<HttpFixture>,
    #[serde(default)]
    tcp: Vec<TcpFixture>,
    kv: Option<BTreeMap<String, String>>,
    #[serde(default)]
    secrets: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IcmpFixture {
    /// Overrides the number of requests the host reports as sent.
    sent: Option<u16>,
    #[serde(default)]
    rtts_us: Vec<u32>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnmpFixture {
    #[serde(default)]
    values: BTreeMap<String, ValueFixture>,
    failure: Option<HostErrorFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpFixture {
    #[serde(default = "default_method")]
    method: String,
    url: String,
    #[serde(default = "default_status")]
    status: u16,
    #[serde(default)]
    headers: Vec<(String, String)>,
    body: Option<String>,
    json: Option<serde_json::Value>,
    failure: Option<HostErrorFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TcpFixture {
    host: String,
    port: u16,
    #[serde(default)]
    reads: Vec<String>,
    failure: Option<HostErrorFixture>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum HostErrorFixture {
    Denied(String),
    Timeout,
    Unreachable(String),
    BudgetExhausted(String),
    InvalidArgument(String),
    Protocol(String),
    Auth(String),
    Unavailable(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ValueFixture {
    Integer(i64),
    Octets(String),
    ObjectId(String),
    IpAddress(Ipv4Addr),
    Counter32(u32),
    Gauge32(u32),
    Timeticks(u32),
    Counter64(u64),
    Null,
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
}

fn default_method() -> String {
    "get".to_owned()
}

fn default_status() -> u16 {
    200
}

impl FakeHost {
    /// Loads a fake host from a JSON fixture (format in this module's docs). In a test, name
    /// the file from the crate root: `concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/x.json")`.
    pub fn from_fixture(path: impl AsRef<Path>) -> Result<Self, FixtureError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.to_owned(),
            source,
        })?;
        let fixture: Fixture =
            serde_json::from_str(&text).map_err(|source| FixtureError::Parse {
                path: path.to_owned(),
                source,
            })?;
        fixture
            .into_host()
            .map_err(|problem| FixtureError::Invalid {
                path: path.to_owned(),
                problem,
            })
    }
}

impl Fixture {
    fn into_host(self) -> Result<FakeHost, String> {
        let mut host = FakeHost::new().clock(self.now_ms.unwrap_or(0));
        for (address, icmp) in self.icmp {
            let answer = IcmpAnswer {
                sent: icmp.sent,
                rtts_us: icmp.rtts_us,
                error: icmp.error,
            };
            host.icmp.insert(address, answer);
        }
        host.icmp_failure = self.icmp_failure.map(HostError::from);
        for (address, snmp) in self.snmp {
            if let Some(failure) = snmp.failure {
                host = host.snmp_failure(&address, failure.into());
                continue;
            }
            for (oid, value) in snmp.values {
                crate::testing::mib::parse_oid(&oid)
                    .map_err(|_| format!("snmp {address}: malformed oid `{oid}`"))?;
                host = host.snmp_value(&address, &oid, value.into());
            }
        }
        for http in self.http {
            let method = parse_method(&http.method)?;
            host = match (http.failure, http.json, http.body) {
                (Some(failure), _, _) => host.http_failure(method, &http.url, failure.into()),
                (None, Some(_), Some(_)) => {
                    return Err(format!(
                        "http {}: give `json` or `body`, not both",
                        http.url
                    ));
                }
                (None, Some(json), None) => {
                    let mut headers = http.headers;
                    headers.push(("content-type".to_owned(), "application/json".to_owned()));
                    host.http_with_headers(
                        method,
                        &http.url,
                        http.status,
                        headers,
                        json.to_string(),
                    )
                }
                (None, None, body) => host.http_with_headers(
                    method,
                    &http.url,
                    http.status,
                    http.headers,
                    body.unwrap_or_default(),
                ),
            };
        }
        for tcp in self.tcp {
            host = match tcp.failure {
                Some(failure) => host.tcp_failure(&tcp.host, tcp.port, failure.into()),
                None => {
                    let reads: Vec<&[u8]> = tcp.reads.iter().map(|read| read.as_bytes()).collect();
                    host.tcp(&tcp.host, tcp.port, &reads)
                }
            };
        }
        if let Some(kv) = self.kv {
            host = host.with_kv();
            for (key, value) in kv {
                host = host.kv(&key, value.as_bytes());
            }
        }
        for (name, value) in self.secrets {
            host = host.secret(&name, &value);
        }
        Ok(host)
    }
}

fn parse_method(method: &str) -> Result<Method, String> {
    Ok(match method.to_ascii_lowercase().as_str() {
        "get" => Method::Get,
        "head" => Method::Head,
        "post" => Method::Post,
        "put" => Method::Put,
        "patch" => Method::Patch,
        "delete" => Method::Delete,
        other => return Err(format!("unknown http method `{other}`")),
    })
}

impl From<HostErrorFixture> for HostError {
    fn from(error: HostErrorFixture) -> Self {
        match error {
            HostErrorFixture::Denied(text) => HostError::Denied(text),
            HostErrorFixture::Timeout => HostError::Timeout,
            HostErrorFixture::Unreachable(text) => HostError::Unreachable(text),
            HostErrorFixture::BudgetExhausted(text) => HostError::BudgetExhausted(text),
            HostErrorFixture::InvalidArgument(text) => HostError::InvalidArgument(text),
            HostErrorFixture::Protocol(text) => HostError::Protocol(text),
            HostErrorFixture::Auth(text) => HostError::Auth(text),
            HostErrorFixture::Unavailable(text) => HostError::Unavailable(text),
        }
    }
}

impl From<ValueFixture> for Value {
    fn from(value: ValueFixture) -> Self {
        match value {
            ValueFixture::Integer(v) => Value::Integer(v),
            ValueFixture::Octets(text) => Value::Octets(text.into_bytes()),
            ValueFixture::ObjectId(oid) => Value::ObjectId(oid),
            ValueFixture::IpAddress(ip) => {
                let [a, b, c, d] = ip.octets();
                Value::IpAddress((a, b, c, d))
            }
            ValueFixture::Counter32(v) => Value::Counter32(v),
            ValueFixture::Gauge32(v) => Value::Gauge32(v),
            ValueFixture::Timeticks(v) => Value::Timeticks(v),
            ValueFixture::Counter64(v) => Value::Counter64(v),
            ValueFixture::Null => Value::Null,
            ValueFixture::NoSuchObject => Value::NoSuchObject,
            ValueFixture::NoSuchInstance => Value::NoSuchInstance,
            ValueFixture::EndOfMibView => Value::EndOfMibView,
        }
    }
}
