//! The crate's errors: configuration (fatal at startup), payloads (one spool record) and the
//! reasons a connection ends (retried forever).

use std::path::PathBuf;
use std::time::Duration;

/// A configuration the uplink cannot run with. Reported once at startup, before dialling.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {what} from {path}")]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} is not valid PEM")]
    Pem {
        what: &'static str,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("{what} holds no {expected}")]
    Empty {
        what: &'static str,
        expected: &'static str,
    },
    #[error("CA certificate {index} cannot be used as a trust anchor")]
    BadCaCertificate {
        index: usize,
        #[source]
        source: rustls::Error,
    },
    #[error("the client key does not match the client certificate")]
    KeyMismatch,
    #[error("the client certificate and key cannot be used")]
    ClientIdentity {
        #[source]
        source: rustls::Error,
    },
    #[error("endpoint {endpoint:?} is invalid: {reason}")]
    Endpoint {
        endpoint: String,
        reason: &'static str,
    },
    #[error("server name {name:?} is neither a DNS name nor an IP address")]
    ServerName { name: String },
    #[error("{field} is invalid: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
}

/// A spool record that is not a sendable `ResultBatch`. The uplink quarantines the record and
/// carries on with the next one.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("payload is not a ResultBatch")]
    Decode(#[from] vigia_proto::DecodeError),
    #[error("payload holds no run results")]
    Empty,
    #[error("payload holds a run the domain cannot represent")]
    Convert(#[from] vigia_proto::ConvertError),
    #[error(
        "payload sets epoch {epoch}, sequence {sequence} or live {live}, which only the uplink sets"
    )]
    HeaderSet {
        epoch: u64,
        sequence: u64,
        live: bool,
    },
    #[error("payload of {len} bytes exceeds max_batch_bytes {max}")]
    TooLarge { len: usize, max: usize },
}

/// Why a connection to the aggregator ended (or never started). Every one is retried after a
/// backoff; the latest is shown in [`UplinkStatus`](crate::UplinkStatus).
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("cannot connect to {endpoint}")]
    Connect {
        endpoint: String,
        #[source]
        source: tonic::transport::Error,
    },
    #[error("the aggregator refused the stream{}", transport_note(.transport))]
    Refused {
        /// The connection's first I/O error, when it had one (e.g. a TLS alert).
        transport: Option<String>,
        #[source]
        source: tonic::Status,
    },
    #[error("the stream failed{}", transport_note(.transport))]
    Stream {
        transport: Option<String>,
        #[source]
        source: tonic::Status,
    },
    #[error("the aggregator closed the stream without a goodbye")]
    Closed,
    #[error("no {what} within {after:?}")]
    Timeout { what: &'static str, after: Duration },
    #[error("spool access failed")]
    Spool {
        #[source]
        source: vigia_spool::SpoolError,
    },
    #[error("{what} task failed")]
    Task {
        what: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
}

/// Why dialling (TCP plus TLS) failed; the source of a [`LinkError::Connect`].
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    #[error("tcp connect to {addr} failed")]
    Tcp {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("tls handshake with {server_name} failed")]
    Handshake {
        server_name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the server negotiated ALPN protocol {protocol:?}, not h2")]
    NotH2 { protocol: String },
}

fn transport_note(transport: &Option<String>) -> String {
    transport
        .as_ref()
        .map(|error| format!(" (connection error: {error})"))
        .unwrap_or_default()
}

/// `error: cause: cause...`, for logs and the status: tonic's own messages say little without
/// their sources (e.g. "transport error").
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // tonic repeats its inner error in its own message sometimes; skip exact repeats.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
