//! [`Call`]: one host call as [`super::FakeHost`] recorded it.

use crate::Level;
use crate::http::Request;
use crate::icmp::EchoRequest;
use crate::snmp::Device;

/// A host call, with its arguments, in the order the plugin made it.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Log {
        level: Level,
        message: String,
    },
    NowMs,
    MonotonicNs,
    IcmpEcho(Vec<EchoRequest>),
    SnmpGet {
        device: Device,
        oids: Vec<String>,
    },
    SnmpGetNext {
        device: Device,
        oids: Vec<String>,
    },
    SnmpGetBulk {
        device: Device,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: Vec<String>,
    },
    SnmpWalk {
        device: Device,
        root: String,
        max_rows: u32,
    },
    HttpSend(Request),
    TcpConnect {
        host: String,
        port: u16,
        tls: bool,
        timeout_ms: u32,
    },
    TcpRead {
        host: String,
        port: u16,
        max_bytes: u32,
    },
    TcpWrite {
        host: String,
        port: u16,
        data: Vec<u8>,
    },
    KvGet(String),
    KvSet(String, Vec<u8>),
    KvDelete(String),
    Secret(String),
}
