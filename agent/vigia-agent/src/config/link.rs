//! `[spool]`, `[uplink]` and `[metrics]`: where results are buffered, where they are sent, and
//! where the agent's own health is exported.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Lines, Location};

const DEFAULT_SPOOL_MEGABYTES: u64 = 512;
const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";

/// `[spool]`: the durable buffer of results not yet acknowledged by the aggregator.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpool {
    dir: Option<PathBuf>,
    max_megabytes: Option<u64>,
}

/// `[uplink]`: the aggregator and this agent's TLS identity.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUplink {
    endpoint: String,
    server_name: Option<String>,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    backoff_min_ms: Option<u64>,
    backoff_max_secs: Option<u64>,
    max_in_flight: Option<u32>,
    backlog_rate: Option<u32>,
    heartbeat_secs: Option<u64>,
}

/// `[metrics]`: the local Prometheus endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    listen: Option<String>,
}

/// Resolved `[spool]`.
#[derive(Debug, Clone)]
pub(crate) struct SpoolConfig {
    pub(crate) dir: PathBuf,
    pub(crate) max_bytes: u64,
}

/// Resolved `[uplink]`; TLS files are read when the agent starts (and by `check-config`).
#[derive(Debug, Clone)]
pub(crate) struct UplinkSettings {
    pub(crate) endpoint: String,
    pub(crate) server_name: Option<String>,
    pub(crate) ca: PathBuf,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) backoff_min: Option<Duration>,
    pub(crate) backoff_max: Option<Duration>,
    pub(crate) max_in_flight: Option<u32>,
    pub(crate) backlog_rate: Option<u32>,
    pub(crate) heartbeat: Option<Duration>,
    pub(crate) location: Location,
}

/// The link settings of a config.
#[derive(Debug, Clone, Default)]
pub(crate) struct Link {
    /// `None` without `[uplink]`: results are printed as JSON lines instead.
    pub(crate) uplink: Option<UplinkSettings>,
    pub(crate) spool: Option<SpoolConfig>,
    pub(crate) metrics_listen: Option<SocketAddr>,
}

pub(super) struct RawLink {
    pub(super) spool: Option<Spanned<RawSpool>>,
    pub(super) uplink: Option<Spanned<RawUplink>>,
    pub(super) metrics: Option<Spanned<RawMetrics>>,
}

pub(super) fn resolve(
    raw: RawLink,
    state_dir: Option<&Path>,
    base: &Path,
    lines: &Lines<'_>,
    errors: &mut Vec<ConfigError>,
) -> Link {
    let resolve_path = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let mut fail = |location: Location, message: String| {
        errors.push(ConfigError { location, message });
    };
    let uplink = raw.uplink.map(|spanned| {
        let location = lines.at(spanned.span().start);
        let u = spanned.into_inner();
        if !(u.endpoint.starts_with("https://")) {
            fail(
                location.clone(),
                format!(
                    "uplink.endpoint must be an https:// URL, got `{}`",
                    u.endpoint
                ),
            );
        }
        if u.max_in_flight == Some(0) || u.backlog_rate == Some(0) || u.heartbeat_secs == Some(0) {
            fail(
                location.clone(),
                "uplink.max_in_flight, backlog_rate and heartbeat_secs must be at least 1".into(),
            );
        }
        if u.backoff_min_ms == Some(0) {
            fail(
                location.clone(),
                "uplink.backoff_min_ms must be at least 1".into(),
            );
        }
        UplinkSettings {
            endpoint: u.endpoint,
            server_name: u.server_name,
            ca: resolve_path(u.ca),
            cert: resolve_path(u.cert),
            key: resolve_path(u.key),
            backoff_min: u.backoff_min_ms.map(Duration::from_millis),
            backoff_max: u.backoff_max_secs.map(Duration::from_secs),
            max_in_flight: u.max_in_flight,
            backlog_rate: u.backlog_rate,
            heartbeat: u.heartbeat_secs.map(Duration::from_secs),
            location,
        }
    });
    let spool_at = raw.spool.as_ref().map(|s| lines.at(s.span().start));
    let spool_raw = raw.spool.map(Spanned::into_inner).unwrap_or_default();
    let spool_dir = spool_raw
        .dir
        .map(resolve_path)
        .or_else(|| state_dir.map(|d| d.join("spool")));
    let max_bytes = spool_raw.max_megabytes.unwrap_or(DEFAULT_SPOOL_MEGABYTES) * 1024 * 1024;
    if let (Some(at), Some(0)) = (&spool_at, spool_raw.max_megabytes) {
        fail(at.clone(), "spool.max_megabytes must be at least 1".into());
    }
    let spool = match (&uplink, spool_dir) {
        (_, Some(dir)) => Some(SpoolConfig { dir, max_bytes }),
        (Some(u), None) => {
            fail(
                u.location.clone(),
                "an [uplink] needs a spool: set spool.dir or agent.state_dir".into(),
            );
            None
        }
        (None, None) => None,
    };
    let metrics_listen = raw.metrics.and_then(|spanned| {
        let at = lines.at(spanned.span().start);
        let text = spanned
            .into_inner()
            .listen
            .unwrap_or_else(|| DEFAULT_METRICS_LISTEN.to_owned());
        text.parse::<SocketAddr>()
            .map_err(|e| fail(at, format!("metrics.listen `{text}` is not ip:port: {e}")))
            .ok()
    });
    Link {
        uplink,
        spool,
        metrics_listen,
    }
}
