//! The config file as serde reads it: every table `deny_unknown_fields`, optional keys as
//! `Option`, spans kept where an error needs a line. `resolve` turns it into `Config`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) agent: Spanned<RawAgent>,
    /// `[budget.<name>]` tables: vendor account call budgets.
    #[serde(default)]
    pub(super) budget: BTreeMap<String, Spanned<RawBudget>>,
    #[serde(default)]
    pub(super) probe: Vec<Spanned<RawProbe>>,
    pub(super) spool: Option<Spanned<super::link::RawSpool>>,
    pub(super) uplink: Option<Spanned<super::link::RawUplink>>,
    pub(super) metrics: Option<Spanned<super::link::RawMetrics>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgent {
    pub(super) id: String,
    /// Folder holding `<plugin>.wasm`; relative paths are relative to the config file.
    pub(super) plugin_dir: PathBuf,
    pub(super) secrets_file: Option<PathBuf>,
    pub(super) state_dir: Option<PathBuf>,
    pub(super) shutdown_grace_secs: Option<u64>,
    pub(super) concurrency: Option<Spanned<RawConcurrency>>,
    pub(super) icmp: Option<Spanned<RawIcmp>>,
    pub(super) on_demand: Option<Spanned<RawOnDemand>>,
}

/// `[agent.on_demand]`: on-demand probes the aggregator asks for.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOnDemand {
    pub(super) max_concurrent: Option<u32>,
}

/// `[agent.icmp]`: the host-wide ICMP echo pacer.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIcmp {
    pub(super) echoes_per_sec: Option<u32>,
    pub(super) burst: Option<u32>,
}

/// `[agent.concurrency]`: plugin runs in flight at once, overall and per capability.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConcurrency {
    pub(super) overall: Option<u32>,
    pub(super) icmp: Option<u32>,
    pub(super) snmp: Option<u32>,
    pub(super) http: Option<u32>,
    pub(super) tcp: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBudget {
    pub(super) calls: u32,
    pub(super) per_secs: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProbe {
    pub(super) name: String,
    pub(super) plugin: String,
    pub(super) interval_secs: u64,
    pub(super) timeout_ms: Option<u64>,
    pub(super) jitter: Option<f64>,
    pub(super) offline_after: Option<u32>,
    pub(super) breaker: Option<RawBreaker>,
    pub(super) batch_size: Option<usize>,
    pub(super) memory_megabytes: Option<u64>,
    pub(super) max_output_kilobytes: Option<u64>,
    #[serde(default)]
    pub(super) targets: Vec<Spanned<String>>,
    pub(super) targets_file: Option<Spanned<PathBuf>>,
    #[serde(default)]
    pub(super) grants: RawGrants,
    #[serde(default = "empty_object")]
    pub(super) config: toml::Value,
    /// Whether the aggregator may run this probe on demand (default true).
    pub(super) on_demand: Option<bool>,
    /// Whether on-demand runs may name targets this probe does not configure (default false).
    pub(super) on_demand_adhoc: Option<bool>,
}

/// `breaker = { open_after = 4, backoff_min_secs = 60, backoff_max_secs = 3600 }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBreaker {
    pub(super) open_after: Option<u32>,
    pub(super) backoff_min_secs: Option<u64>,
    pub(super) backoff_max_secs: Option<u64>,
}

fn empty_object() -> toml::Value {
    toml::Value::Table(toml::Table::new())
}

/// What the operator granted a probe (`[probe.grants]`); mapped onto the host's `Grants`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGrants {
    #[serde(default)]
    pub(crate) icmp: bool,
    #[serde(default)]
    pub(crate) snmp: bool,
    #[serde(default)]
    pub(crate) http_hosts: Vec<String>,
    #[serde(default)]
    pub(crate) tcp: Vec<String>,
    #[serde(default)]
    pub(crate) kv: bool,
    #[serde(default)]
    pub(crate) secrets: Vec<String>,
    #[serde(default)]
    pub(crate) tls_skip_verify: bool,
    /// Name of a `[budget.<name>]` this probe's HTTP requests and TCP connects draw from.
    pub(crate) budget: Option<Spanned<String>>,
}

impl RawGrants {
    /// The budget name, without its span.
    pub(crate) fn budget_name(&self) -> Option<&str> {
        self.budget.as_ref().map(|b| b.get_ref().as_str())
    }
}
