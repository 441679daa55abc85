//! Building the plugin host and run requests from the agent's config.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use vigia_plugin_host::{Grants, HostConfig, Limits, Plugin, PluginHost, RunRequest, Target};

use crate::config::{Config, Probe, RawGrants, TargetSpec};

/// Creates the plugin host with the secrets and state the config names.
pub(crate) fn build(config: Option<&Config>) -> Result<PluginHost> {
    let mut host_config = HostConfig::default();
    if let Some(config) = config {
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

pub(crate) fn request(probe: &Probe) -> RunRequest {
    let limits = Limits {
        deadline: probe.timeout,
        memory_bytes: probe.memory_bytes,
        max_output_bytes: probe.max_output_bytes,
        ..Limits::default()
    };
    RunRequest {
        config: probe.config.clone(),
        targets: targets(&probe.targets),
        grants: grants(&probe.grants),
        limits,
    }
}
