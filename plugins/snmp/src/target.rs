//! A target's address (`ip`, `ip:port`, `host`, `host:port`, `[v6]:port`) → the SNMP device.

use std::net::{IpAddr, SocketAddr};

use vigia_plugin_sdk::PluginError;
use vigia_plugin_sdk::snmp::{Credentials, Device};

use crate::Config;

pub(crate) fn device(
    config: &Config,
    credentials: &Credentials,
    address: &str,
) -> Result<Device, PluginError> {
    let (host, port) = split(address, config.port)?;
    Ok(Device {
        address: host,
        port,
        credentials: credentials.clone(),
        timeout_ms: config.timeout_ms,
        retries: config.retries,
    })
}

/// Host and port of an address; `default_port` when it names none.
pub(crate) fn split(address: &str, default_port: u16) -> Result<(String, u16), PluginError> {
    let address = address.trim();
    let bad = |why: &str| PluginError::config(format!("address `{address}` {why}"));
    if address.is_empty() {
        return Err(bad("is empty"));
    }
    if let Ok(ip) = address.parse::<IpAddr>() {
        return Ok((ip.to_string(), default_port));
    }
    if let Ok(socket) = address.parse::<SocketAddr>() {
        return port_of(socket.port(), address).map(|port| (socket.ip().to_string(), port));
    }
    match address.split_once(':') {
        None => Ok((address.to_owned(), default_port)),
        Some((host, port)) if !host.is_empty() && !port.contains(':') && !host.contains('[') => {
            let port = port
                .parse::<u16>()
                .map_err(|_| bad("has an invalid port"))?;
            port_of(port, address).map(|port| (host.to_owned(), port))
        }
        Some(_) => Err(bad("is not `host`, `host:port` or `[ipv6]:port`")),
    }
}

fn port_of(port: u16, address: &str) -> Result<u16, PluginError> {
    if port == 0 {
        return Err(PluginError::config(format!(
            "address `{address}` has port 0"
        )));
    }
    Ok(port)
}
