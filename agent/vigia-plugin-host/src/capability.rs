//! Host capabilities: the `vigia:plugin` imports. Each call is counted against the run's host
//! call budget and checked against the probe's grants before anything else happens.

use std::sync::Arc;

use crate::HostError;
use crate::budget::Budgets;
use crate::state::HostState;

pub(crate) mod clock;
pub(crate) mod http;
pub(crate) mod icmp;
pub(crate) mod kv;
pub(crate) mod log;
pub(crate) mod secrets;
pub(crate) mod snmp;
pub(crate) mod tcp;
pub(crate) mod tls;

/// The backends shared by every run of a host.
pub(crate) struct Services {
    pub(crate) icmp: icmp::Icmp,
    pub(crate) snmp: snmp::SnmpClients,
    pub(crate) http: http::HttpClients,
    pub(crate) tls: tls::TlsConfigs,
    pub(crate) kv: Arc<dyn kv::KvStore>,
    pub(crate) secrets: Arc<dyn secrets::SecretStore>,
    pub(crate) budgets: Budgets,
}

impl Services {
    pub(crate) fn new(config: &crate::HostConfig) -> Result<Self, HostError> {
        let tls = tls::TlsConfigs::new(&config.extra_root_certs)?;
        Ok(Self {
            icmp: icmp::Icmp::new(config.icmp.clone()),
            snmp: snmp::SnmpClients::default(),
            http: http::HttpClients::new(&tls, config.http_body_max_bytes)?,
            tls,
            kv: config.kv.clone(),
            secrets: config.secrets.clone(),
            budgets: Budgets::new(&config.budgets)?,
        })
    }
}

impl crate::bindings::vigia::plugin::types::Host for HostState {}

#[cfg(test)]
mod tests;
