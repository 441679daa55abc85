//! [`WasmHost`]: [`Host`] over the component's real imports.
//!
//! It compiles on every target so that native builds type-check it, but its calls only work inside
//! a component: natively wit-bindgen's import stubs panic. Only the export glue creates one.

use crate::bindings::vigia::plugin::{clock, http, icmp, kv, log, secrets, snmp, tcp};
use crate::{Host, HostError, Level, TcpConnection};

/// The host of a running component.
#[derive(Debug)]
pub struct WasmHost {
    _private: (),
}

impl WasmHost {
    /// Only for the export glue: the imports exist only inside a component.
    pub(crate) fn new() -> Self {
        Self { _private: () }
    }
}

/// A TCP stream of a running component (the `connection` resource).
#[derive(Debug)]
pub struct WasmConnection(tcp::Connection);

impl TcpConnection for WasmConnection {
    fn read(&self, max_bytes: u32, timeout_ms: u32) -> Result<Vec<u8>, HostError> {
        self.0.read(max_bytes, timeout_ms)
    }

    fn write(&self, data: &[u8], timeout_ms: u32) -> Result<(), HostError> {
        self.0.write(data, timeout_ms)
    }
}

impl Host for WasmHost {
    type Connection = WasmConnection;

    fn log(&self, level: Level, message: &str) {
        log::log(level, message);
    }

    fn now_ms(&self) -> u64 {
        clock::now_ms()
    }

    fn monotonic_ns(&self) -> u64 {
        clock::monotonic_ns()
    }

    fn icmp_echo(
        &self,
        requests: &[icmp::EchoRequest],
    ) -> Result<Vec<icmp::EchoResult>, HostError> {
        icmp::echo(requests)
    }

    fn snmp_get(
        &self,
        device: &snmp::Device,
        oids: &[String],
    ) -> Result<Vec<snmp::Varbind>, HostError> {
        snmp::get(device, oids)
    }

    fn snmp_get_next(
        &self,
        device: &snmp::Device,
        oids: &[String],
    ) -> Result<Vec<snmp::Varbind>, HostError> {
        snmp::get_next(device, oids)
    }

    fn snmp_get_bulk(
        &self,
        device: &snmp::Device,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[String],
    ) -> Result<Vec<snmp::Varbind>, HostError> {
        snmp::get_bulk(device, non_repeaters, max_repetitions, oids)
    }

    fn snmp_walk(
        &self,
        device: &snmp::Device,
        root: &str,
        max_rows: u32,
    ) -> Result<Vec<snmp::Varbind>, HostError> {
        snmp::walk(device, root, max_rows)
    }

    fn http_send(&self, request: &http::Request) -> Result<http::Response, HostError> {
        http::send(request)
    }

    fn tcp_connect(
        &self,
        host: &str,
        port: u16,
        tls: Option<&tcp::TlsOptions>,
        timeout_ms: u32,
    ) -> Result<WasmConnection, HostError> {
        tcp::connect(host, port, tls, timeout_ms).map(WasmConnection)
    }

    fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, HostError> {
        kv::get(key)
    }

    fn kv_set(&self, key: &str, value: &[u8]) -> Result<(), HostError> {
        kv::set(key, value)
    }

    fn kv_delete(&self, key: &str) -> Result<(), HostError> {
        kv::delete(key)
    }

    fn get_secret(&self, name: &str) -> Result<String, HostError> {
        secrets::get(name)
    }
}
