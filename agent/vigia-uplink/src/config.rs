//! [`UplinkConfig`]: where the aggregator is, who the agent is, and the knobs of the stream.

use std::time::Duration;

use vigia_core::run::PluginRef;

use crate::error::ConfigError;
use crate::tls::TlsIdentity;

/// Upper bound on [`UplinkConfig::max_in_flight`]: the window is kept in memory.
const MAX_IN_FLIGHT: u32 = 65_536;

/// Everything the uplink needs. Build it with [`UplinkConfig::new`] (defaults for the knobs),
/// adjust the public fields, and [`Uplink::new`](crate::Uplink::new) validates it.
#[derive(Debug, Clone)]
pub struct UplinkConfig {
    /// The aggregator, `https://host:port` (the port defaults to 443).
    pub endpoint: String,
    /// The name the aggregator's certificate must carry (a DNS name or an IP address). Separate
    /// from the endpoint so an agent can dial an address and still verify a name.
    pub server_name: String,
    pub tls: TlsIdentity,
    /// The agent's configured id; informational on the wire (the certificate is the identity).
    pub agent_id: String,
    /// The agent's software version, sent in `Hello`.
    pub agent_version: String,
    /// Plugin WIT packages this agent runs, e.g. `vigia:plugin@0.1.0`, sent in `Hello`.
    pub plugin_wit_versions: Vec<String>,
    /// The installed plugin builds, sent in `Hello`.
    pub installed_plugins: Vec<PluginRef>,
    /// Reconnect delay: exponential from `backoff_min` up to `backoff_max`, full jitter.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Most batches sent and not yet acked. A `Throttle` from the aggregator may lower it (and
    /// raise it again, never above this).
    pub max_in_flight: u32,
    /// Backlog batches replayed per second, behind live ones.
    pub backlog_rate: u32,
    pub heartbeat_interval: Duration,
    /// Largest encoded `ResultBatch` sent; a spooled record above it is quarantined (the
    /// aggregator could never accept it).
    pub max_batch_bytes: usize,
    /// Bound on TCP connect plus TLS handshake.
    pub connect_timeout: Duration,
    /// Bound on the aggregator answering the `Connect` call.
    pub open_timeout: Duration,
    /// How long to wait for the aggregator's first `Ack` (what it already holds) before
    /// replaying the backlog anyway; it de-duplicates.
    pub resume_timeout: Duration,
    /// A connection with batches in flight and no `Ack` for this long is considered dead and
    /// replaced (everything unacked is resent).
    pub ack_timeout: Duration,
}

impl UplinkConfig {
    /// A configuration with the default knobs: backoff 1 s to 60 s, 64 batches in flight,
    /// backlog 200 batches/s, heartbeat every 30 s, batches up to 4 MiB.
    pub fn new(
        endpoint: impl Into<String>,
        server_name: impl Into<String>,
        tls: TlsIdentity,
        agent_id: impl Into<String>,
    ) -> Self {
        Self {
            endpoint: endpoint.into(),
            server_name: server_name.into(),
            tls,
            agent_id: agent_id.into(),
            agent_version: env!("CARGO_PKG_VERSION").to_owned(),
            plugin_wit_versions: Vec::new(),
            installed_plugins: Vec::new(),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            max_in_flight: 64,
            backlog_rate: 200,
            heartbeat_interval: Duration::from_secs(30),
            max_batch_bytes: 4 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            open_timeout: Duration::from_secs(10),
            resume_timeout: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(120),
        }
    }

    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.target()?;
        self.server_name()?;
        let invalid = |field, reason| Err(ConfigError::Invalid { field, reason });
        if self.backoff_min.is_zero() {
            return invalid("backoff_min", "must be above zero");
        }
        if self.backoff_max < self.backoff_min {
            return invalid("backoff_max", "must not be below backoff_min");
        }
        if !(1..=MAX_IN_FLIGHT).contains(&self.max_in_flight) {
            return invalid("max_in_flight", "must be from 1 to 65536");
        }
        if self.backlog_rate == 0 {
            return invalid("backlog_rate", "must be at least 1 batch per second");
        }
        if self.max_batch_bytes < 1024 {
            return invalid("max_batch_bytes", "must be at least 1024");
        }
        for (field, value) in [
            ("heartbeat_interval", self.heartbeat_interval),
            ("connect_timeout", self.connect_timeout),
            ("open_timeout", self.open_timeout),
            ("resume_timeout", self.resume_timeout),
            ("ack_timeout", self.ack_timeout),
        ] {
            if value.is_zero() {
                return invalid(field, "must be above zero");
            }
        }
        Ok(())
    }

    /// `(host, port)` of the endpoint.
    pub(crate) fn target(&self) -> Result<(String, u16), ConfigError> {
        let bad = |reason| ConfigError::Endpoint {
            endpoint: self.endpoint.clone(),
            reason,
        };
        let uri: tonic::transport::Uri = self.endpoint.parse().map_err(|_| bad("not a URL"))?;
        if uri.scheme_str() != Some("https") {
            return Err(bad("the scheme must be https"));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad("a path or query is not allowed"));
        }
        let host = uri.host().ok_or_else(|| bad("no host"))?;
        // `[::1]` in a URL is `::1` to a socket.
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Ok((host.to_owned(), uri.port_u16().unwrap_or(443)))
    }

    pub(crate) fn server_name(
        &self,
    ) -> Result<rustls::pki_types::ServerName<'static>, ConfigError> {
        rustls::pki_types::ServerName::try_from(self.server_name.clone()).map_err(|_| {
            ConfigError::ServerName {
                name: self.server_name.clone(),
            }
        })
    }
}
