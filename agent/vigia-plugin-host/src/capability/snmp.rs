//! The `snmp` capability: SNMP v2c and v3 GET, GETNEXT, GETBULK and walks with the `snmp2` crate.
//!
//! Credentials are secret names: each one must also be in the probe's `secrets` grant (the
//! `snmp` grant alone does not let a plugin send any secret to any address). One request is in
//! flight per device (address and port) across all runs of a host; different devices run
//! concurrently. Each attempt has the device's timeout, capped by the run's I/O deadline; stale
//! replies are skipped (see [`client`]). Walks use GETBULK and stop at the end of the subtree,
//! at end-of-mib-view, at an OID that does not increase, or after `max-rows` (capped by the host).
//!
//! Not supported: SNMPv1, SET, traps, MIB names (OIDs are numeric), and the AES-192/256 privacy
//! protocols (their key extension is not standardised; they answer `unavailable`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use snmp2::v3::{Auth, AuthProtocol, Cipher, Security};
use tokio::time::Instant;

use crate::bindings::vigia::plugin::snmp::{
    self as wit, Credentials as WitCredentials, Device, Host, Value, Varbind,
};
use crate::bindings::vigia::plugin::types::HostError as WitHostError;
use crate::grants::denied_text;
use crate::state::HostState;

mod client;
mod oid;

use client::{Credentials, Op, Policy, Row};

type SnmpResult = wasmtime::Result<Result<Vec<Varbind>, WitHostError>>;

/// OIDs in one get, get-next or get-bulk call.
const MAX_OIDS: usize = 256;
/// max-repetitions accepted in one get-bulk call.
const MAX_REPETITIONS: u32 = 1000;
/// Varbinds asked per GETBULK of a walk.
const WALK_REPETITIONS: u32 = 32;
/// Host cap on the varbinds of one walk.
pub(crate) const MAX_WALK_ROWS: u32 = 100_000;
/// Device locks kept before unused ones are dropped.
const PRUNE_LOCKS_AT: usize = 1024;

/// The shared SNMP state of a host: one lock per device, so one request is in flight per device.
#[derive(Default)]
pub(crate) struct SnmpClients {
    devices: Mutex<HashMap<SocketAddr, Arc<tokio::sync::Mutex<()>>>>,
    next_request_id: AtomicI32,
}

impl SnmpClients {
    fn device_lock(&self, addr: SocketAddr) -> Arc<tokio::sync::Mutex<()>> {
        let mut devices = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        if devices.len() >= PRUNE_LOCKS_AT {
            devices.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        devices.entry(addr).or_default().clone()
    }

    /// A client for `addr`, and the device's lock: hold it while using the client.
    async fn device(
        &self,
        addr: SocketAddr,
        credentials: Credentials,
        policy: Policy,
    ) -> Result<(tokio::sync::OwnedMutexGuard<()>, client::Device), WitHostError> {
        let lock = self.device_lock(addr);
        let guard = tokio::time::timeout_at(policy.io_deadline, lock.lock_owned())
            .await
            .map_err(|_| WitHostError::Timeout)?;
        let first_id = self
            .next_request_id
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(7919)
            & client::REQUEST_ID_MASK;
        Ok((
            guard,
            client::Device::new(addr, credentials, policy, first_id),
        ))
    }
}

// === impl HostState ===

impl HostState {
    fn snmp_allowed(&mut self) -> wasmtime::Result<Result<(), WitHostError>> {
        self.charge()?;
        if !self.grants.snmp {
            let text = denied_text("snmp", &self.plugin, "`snmp = true` to this probe's grants");
            return Ok(Err(WitHostError::Denied(text)));
        }
        Ok(Ok(()))
    }

    /// Address, credentials and timing of `device`, checked and resolved.
    async fn snmp_device(
        &mut self,
        device: &Device,
    ) -> Result<(SocketAddr, Credentials, Policy), WitHostError> {
        let credentials = self.snmp_credentials(&device.credentials).await?;
        let addr = resolve(&device.address, device.port, self.io_deadline).await?;
        let policy = Policy {
            timeout_ms: device.timeout_ms,
            retries: device.retries,
            io_deadline: self.io_deadline,
        };
        Ok((addr, credentials, policy))
    }

    async fn snmp_credentials(
        &mut self,
        credentials: &WitCredentials,
    ) -> Result<Credentials, WitHostError> {
        let usm = match credentials {
            WitCredentials::V2c(name) => {
                let community = self.snmp_secret(name).await?.into_bytes();
                return Ok(Credentials::V2c { community });
            }
            WitCredentials::V3(usm) => usm,
        };
        let invalid = |what: &str| Err(WitHostError::InvalidArgument(what.to_owned()));
        if usm.user.is_empty() {
            return invalid("snmpv3 user is empty");
        }
        let auth = match (&usm.auth_protocol, &usm.auth_secret) {
            (None, None) => None,
            (Some(protocol), Some(name)) => Some((auth_protocol(*protocol), name)),
            _ => return invalid("snmpv3 auth-protocol and auth-secret go together"),
        };
        let privacy = match (&usm.priv_protocol, &usm.priv_secret) {
            (None, None) => None,
            (Some(protocol), Some(name)) => Some((cipher(*protocol)?, name)),
            _ => return invalid("snmpv3 priv-protocol and priv-secret go together"),
        };
        let user = usm.user.as_bytes();
        let security = match (auth, privacy) {
            (None, None) => Security::new(user, b"").with_auth(Auth::NoAuthNoPriv),
            (None, Some(_)) => return invalid("snmpv3 privacy needs authentication too"),
            (Some((protocol, name)), privacy) => {
                let password = self.snmp_secret(name).await?;
                let security =
                    Security::new(user, password.as_bytes()).with_auth_protocol(protocol);
                match privacy {
                    None => security.with_auth(Auth::AuthNoPriv),
                    Some((cipher, name)) => security.with_auth(Auth::AuthPriv {
                        cipher,
                        privacy_password: self.snmp_secret(name).await?.into_bytes(),
                    }),
                }
            }
        };
        let security = match &usm.context {
            Some(context) => security.with_context_name(context),
            None => security,
        };
        Ok(Credentials::V3(Box::new(security)))
    }

    /// A secret named by SNMP credentials: it must be in the probe's `secrets` grant.
    async fn snmp_secret(&mut self, name: &str) -> Result<String, WitHostError> {
        if !self.grants.allows_secret(name) {
            return Err(WitHostError::Denied(denied_text(
                &format!("secret '{name}' (snmp credentials)"),
                &self.plugin,
                "it to this probe's grants.secrets",
            )));
        }
        let store = self.services.secrets.clone();
        let lookup = name.to_owned();
        let value = tokio::task::spawn_blocking(move || store.get(&lookup))
            .await
            .map_err(|e| WitHostError::Unavailable(format!("secret store task failed: {e}")))?;
        value.ok_or_else(|| {
            WitHostError::InvalidArgument(format!(
                "secret '{name}' is not defined in the agent's secrets file"
            ))
        })
    }

    /// One request PDU to `device`.
    async fn snmp_request(
        &mut self,
        device: Device,
        oids: Vec<String>,
        non_repeaters_and_repetitions: Option<(u32, u32)>,
    ) -> SnmpResult {
        if let Err(e) = self.snmp_allowed()? {
            return Ok(Err(e));
        }
        Ok(self
            .snmp_request_inner(device, oids, non_repeaters_and_repetitions)
            .await)
    }

    async fn snmp_request_inner(
        &mut self,
        device: Device,
        oids: Vec<String>,
        bulk: Option<(u32, u32)>,
    ) -> Result<Vec<Varbind>, WitHostError> {
        let oids = parse_oids(&oids)?;
        if let Some((_, repetitions)) = bulk
            && repetitions > MAX_REPETITIONS
        {
            return Err(WitHostError::InvalidArgument(format!(
                "max-repetitions {repetitions} is over {MAX_REPETITIONS}"
            )));
        }
        let (addr, credentials, policy) = self.snmp_device(&device).await?;
        let op = match bulk {
            None => Op::Get(&oids),
            Some((non_repeaters, max_repetitions)) => Op::Bulk {
                oids: &oids,
                non_repeaters,
                max_repetitions,
            },
        };
        let (_guard, mut client) = self.services.snmp.device(addr, credentials, policy).await?;
        Ok(varbinds(client.request(&op).await?))
    }

    async fn snmp_walk(&mut self, device: Device, root: String, max_rows: u32) -> SnmpResult {
        let root = match oid::parse(&root) {
            Ok(root) => root,
            Err(e) => return Ok(Err(e)),
        };
        if max_rows == 0 {
            return Ok(Err(WitHostError::InvalidArgument(
                "max-rows must be at least 1".to_owned(),
            )));
        }
        let max_rows = max_rows.min(MAX_WALK_ROWS) as usize;
        let (addr, credentials, policy) = match self.snmp_device(&device).await {
            Ok(parts) => parts,
            Err(e) => return Ok(Err(e)),
        };
        let (_guard, mut client) = match self.services.snmp.device(addr, credentials, policy).await
        {
            Ok(device) => device,
            Err(e) => return Ok(Err(e)),
        };
        Ok(walk(&mut client, &root, max_rows).await.map(varbinds))
    }
}

async fn walk(
    device: &mut client::Device,
    root: &[u64],
    max_rows: usize,
) -> Result<Vec<Row>, WitHostError> {
    let mut rows: Vec<Row> = Vec::new();
    let mut cursor = root.to_vec();
    while rows.len() < max_rows {
        let repetitions = (max_rows - rows.len()).min(WALK_REPETITIONS as usize) as u32;
        let start = [oid::encode(&cursor)?];
        let batch = device
            .request(&Op::Bulk {
                oids: &start,
                non_repeaters: 0,
                max_repetitions: repetitions,
            })
            .await?;
        if batch.is_empty() {
            break;
        }
        for (arcs, value) in batch {
            if matches!(value, Value::EndOfMibView) || !arcs.starts_with(root) {
                return Ok(rows);
            }
            if arcs <= cursor {
                tracing::warn!(
                    oid = %oid::format(&arcs),
                    previous = %oid::format(&cursor),
                    "snmp walk stopped: the agent returned an OID that does not increase"
                );
                return Ok(rows);
            }
            cursor.clone_from(&arcs);
            rows.push((arcs, value));
            if rows.len() >= max_rows {
                break;
            }
        }
    }
    Ok(rows)
}

fn parse_oids(oids: &[String]) -> Result<Vec<snmp2::Oid<'static>>, WitHostError> {
    if oids.is_empty() || oids.len() > MAX_OIDS {
        return Err(WitHostError::InvalidArgument(format!(
            "{} OIDs in one call, expected 1..={MAX_OIDS}",
            oids.len()
        )));
    }
    oids.iter()
        .map(|text| oid::encode(&oid::parse(text)?))
        .collect()
}

/// The device's address: an IP literal, or a host name resolved before the I/O deadline.
async fn resolve(address: &str, port: u16, deadline: Instant) -> Result<SocketAddr, WitHostError> {
    if let Ok(ip) = address.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    if address.is_empty() || address.contains(char::is_whitespace) {
        return Err(WitHostError::InvalidArgument(format!(
            "'{address}' is not an IP address or host name"
        )));
    }
    let lookup = tokio::net::lookup_host((address, port));
    match tokio::time::timeout_at(deadline, lookup).await {
        Err(_) => Err(WitHostError::Timeout),
        Ok(Err(e)) => Err(WitHostError::Unreachable(format!(
            "cannot resolve '{address}': {e}"
        ))),
        Ok(Ok(mut addrs)) => addrs
            .next()
            .ok_or_else(|| WitHostError::Unreachable(format!("'{address}' has no address"))),
    }
}

fn varbinds(rows: Vec<Row>) -> Vec<Varbind> {
    rows.into_iter()
        .map(|(arcs, value)| Varbind {
            oid: oid::format(&arcs),
            value,
        })
        .collect()
}

fn auth_protocol(protocol: wit::AuthProtocol) -> AuthProtocol {
    match protocol {
        wit::AuthProtocol::Md5 => AuthProtocol::Md5,
        wit::AuthProtocol::Sha1 => AuthProtocol::Sha1,
        wit::AuthProtocol::Sha224 => AuthProtocol::Sha224,
        wit::AuthProtocol::Sha256 => AuthProtocol::Sha256,
        wit::AuthProtocol::Sha384 => AuthProtocol::Sha384,
        wit::AuthProtocol::Sha512 => AuthProtocol::Sha512,
    }
}

fn cipher(protocol: wit::PrivProtocol) -> Result<Cipher, WitHostError> {
    match protocol {
        wit::PrivProtocol::Des => Ok(Cipher::Des),
        wit::PrivProtocol::Aes128 => Ok(Cipher::Aes128),
        wit::PrivProtocol::Aes192 | wit::PrivProtocol::Aes256 => Err(WitHostError::Unavailable(
            "snmpv3 aes192/aes256 privacy is not supported by this agent: use aes128".to_owned(),
        )),
    }
}

impl Host for HostState {
    async fn get(&mut self, device: Device, oids: Vec<String>) -> SnmpResult {
        self.snmp_request(device, oids, None).await
    }

    /// GETNEXT of every OID as one GETBULK with all of them non-repeaters (RFC 3416 4.2.3).
    async fn get_next(&mut self, device: Device, oids: Vec<String>) -> SnmpResult {
        let count = u32::try_from(oids.len()).unwrap_or(u32::MAX);
        self.snmp_request(device, oids, Some((count, 0))).await
    }

    async fn get_bulk(
        &mut self,
        device: Device,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: Vec<String>,
    ) -> SnmpResult {
        self.snmp_request(device, oids, Some((non_repeaters, max_repetitions)))
            .await
    }

    async fn walk(&mut self, device: Device, root: String, max_rows: u32) -> SnmpResult {
        if let Err(e) = self.snmp_allowed()? {
            return Ok(Err(e));
        }
        self.snmp_walk(device, root, max_rows).await
    }
}

#[cfg(test)]
mod tests;
