//! Building the plugin host and run requests from the agent's config.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use vigia_plugin_host::{Grants, HostConfig, Limits, Plugin, PluginHost, Target};

use crate::config::{Config, Probe, RawGrants, TargetSpec};
use crate::scheduler::{PluginIdentity, PluginRunner, ProbeSpec};

/// Instances kept for `describe` calls besides the runs the concurrency limit allows.
const SPARE_INSTANCES: u32 = 16;

/// Creates the plugin host with the secrets, state and call budgets the config names, and an
/// instance pool sized to the concurrency limit.
pub(crate) fn build(config: Option<&Config>) -> Result<PluginHost> {
    let mut host_config = HostConfig::default();
    if let Some(config) = config {
        host_config.max_instances = config.concurrency.overall.saturating_add(SPARE_INSTANCES);
        host_config.budgets = config.budgets.clone();
        host_config.icmp = config.icmp.clone();
        if let Some(path) = &config.secrets_file {
            let secrets = vigia_plugin_host::FileSecrets::load(path)
                .with_context(|| format!("cannot load secrets from {}", path.display()))?;
            host_config.secrets = Arc::new(secrets);
        }
        if let Some(dir) = &config.state_dir {
            let kv = vigia_plugin_host::FileKv::open(dir)
                .with_context(|| format!("cannot open plugin state in {}", dir.display()))?;
            host_config.kv = Arc::new(kv);
        }
    }
    PluginHost::new(host_config).context("cannot start the plugin host")
}

/// Loads `<plugin_dir>/<id>.wasm`.
pub(crate) async fn load_plugin(host: &PluginHost, dir: &Path, id: &str) -> Result<Plugin> {
    let path = dir.join(format!("{id}.wasm"));
    let plugin = host
        .load_file(&path)
        .await
        .with_context(|| format!("cannot load plugin `{id}`"))?;
    if plugin.info().id != id {
        anyhow::bail!(
            "{} describes itself as plugin `{}`, not `{id}`",
            path.display(),
            plugin.info().id
        );
    }
    Ok(plugin)
}

pub(crate) fn grants(raw: &RawGrants) -> Grants {
    Grants {
        icmp: raw.icmp,
        snmp: raw.snmp,
        http_hosts: raw.http_hosts.clone(),
        tcp: raw.tcp.clone(),
        kv: raw.kv,
        secrets: raw.secrets.clone(),
        tls_skip_verify: raw.tls_skip_verify,
        budget: raw.budget_name().map(str::to_owned),
    }
}

pub(crate) fn targets(specs: &[TargetSpec]) -> Vec<Target> {
    specs
        .iter()
        .map(|t| Target {
            id: t.id.clone(),
            address: t.address.clone(),
            labels: Vec::new(),
        })
        .collect()
}

/// The limits of every run of a probe.
pub(crate) fn limits(probe: &Probe) -> Limits {
    Limits {
        deadline: probe.timeout,
        memory_bytes: probe.memory_bytes,
        max_output_bytes: probe.max_output_bytes,
        ..Limits::default()
    }
}

/// The scheduler's view of a configured probe, running `plugin` on `host`.
pub(crate) fn probe_spec(probe: &Probe, host: &PluginHost, plugin: &Plugin) -> ProbeSpec {
    ProbeSpec {
        name: probe.name.clone(),
        plugin: PluginIdentity::from(plugin.info()),
        runner: Arc::new(PluginRunner::new(host.clone(), plugin.clone())),
        interval: probe.interval,
        jitter: probe.jitter,
        offline_after: probe.offline_after,
        breaker: probe.breaker,
        batch_size: probe.batch_size,
        targets: targets(&probe.targets),
        config: probe.config.clone(),
        grants: grants(&probe.grants),
        limits: limits(probe),
    }
}
