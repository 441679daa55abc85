//! What the scheduler is given: each probe's schedule, targets, request template and resilience
//! policy, and the agent-wide concurrency limits.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use vigia_plugin_host::{Grants, Limits, PluginInfo, Target};

use super::runner::Runner;

/// Plugin runs in flight at once: overall, and per capability a probe is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Concurrency {
    pub(crate) overall: u32,
    pub(crate) icmp: u32,
    pub(crate) snmp: u32,
    pub(crate) http: u32,
    pub(crate) tcp: u32,
}

impl Default for Concurrency {
    /// ICMP runs are few and large (one shared socket, 1,000 targets a run); SNMP runs wait on
    /// slow devices; HTTP/TCP runs talk to vendor APIs with call budgets.
    fn default() -> Self {
        Self {
            overall: 64,
            icmp: 8,
            snmp: 32,
            http: 16,
            tcp: 16,
        }
    }
}

/// When a target's circuit breaker opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BreakerPolicy {
    /// Consecutive failed runs that open the breaker.
    pub(crate) open_after: u32,
    /// Wait before the first retry; doubles after each failed retry...
    pub(crate) backoff_min: Duration,
    /// ...up to this.
    pub(crate) backoff_max: Duration,
}

/// The capabilities a probe's runs hold concurrency permits for (from its grants).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Capabilities {
    pub(crate) icmp: bool,
    pub(crate) snmp: bool,
    pub(crate) http: bool,
    pub(crate) tcp: bool,
}

impl Capabilities {
    pub(crate) fn of(grants: &Grants) -> Self {
        Self {
            icmp: grants.icmp,
            snmp: grants.snmp,
            http: !grants.http_hosts.is_empty(),
            tcp: !grants.tcp.is_empty(),
        }
    }
}

/// The plugin build a probe runs: what every result names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PluginIdentity {
    pub(crate) id: String,
    pub(crate) version: String,
    /// SHA-256 of the component bytes, lowercase hex.
    pub(crate) sha256: String,
}

impl From<&PluginInfo> for PluginIdentity {
    fn from(info: &PluginInfo) -> Self {
        Self {
            id: info.id.clone(),
            version: info.version.clone(),
            sha256: info.sha256.clone(),
        }
    }
}

/// One probe as the scheduler runs it.
pub(crate) struct ProbeSpec {
    pub(crate) name: String,
    pub(crate) plugin: PluginIdentity,
    pub(crate) runner: Arc<dyn Runner>,
    pub(crate) interval: Duration,
    /// Fraction of the interval by which each start moves at random (0..=0.5).
    pub(crate) jitter: f64,
    /// Consecutive failed runs before a target is reported down.
    pub(crate) offline_after: u32,
    pub(crate) breaker: BreakerPolicy,
    /// Most targets in one plugin run; more targets make several concurrent runs.
    pub(crate) batch_size: usize,
    pub(crate) targets: Vec<Target>,
    /// The plugin config, grants and limits of every run of this probe.
    pub(crate) config: serde_json::Value,
    pub(crate) grants: Grants,
    pub(crate) limits: Limits,
}

impl ProbeSpec {
    pub(crate) fn capabilities(&self) -> Capabilities {
        Capabilities::of(&self.grants)
    }
}
