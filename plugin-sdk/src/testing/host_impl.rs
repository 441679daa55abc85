//! [`Host`] for [`FakeHost`]: record the call, then answer from the script or deny.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use super::{Call, FakeHost, MONOTONIC_STEP_NS};
use crate::http::{Request, Response};
use crate::icmp::{EchoRequest, EchoResult};
use crate::snmp::{Device, Varbind};
use crate::tcp::TlsOptions;
use crate::{Host, HostError, Level, TcpConnection};

/// A scripted TCP stream from [`FakeHost::tcp`]; reads and writes are recorded on the host.
#[derive(Debug)]
pub struct FakeConnection {
    host: String,
    port: u16,
    reads: RefCell<VecDeque<Vec<u8>>>,
    calls: Rc<RefCell<Vec<Call>>>,
}

impl TcpConnection for FakeConnection {
    fn read(&self, max_bytes: u32, _timeout_ms: u32) -> Result<Vec<u8>, HostError> {
        self.calls.borrow_mut().push(Call::TcpRead {
            host: self.host.clone(),
            port: self.port,
            max_bytes,
        });
        let mut reads = self.reads.borrow_mut();
        let Some(mut chunk) = reads.pop_front() else {
            return Ok(Vec::new());
        };
        // Deliver at most `max_bytes`; keep the rest for the next read.
        if chunk.len() > max_bytes as usize {
            let rest = chunk.split_off(max_bytes as usize);
            reads.push_front(rest);
        }
        Ok(chunk)
    }

    fn write(&self, data: &[u8], _timeout_ms: u32) -> Result<(), HostError> {
        self.calls.borrow_mut().push(Call::TcpWrite {
            host: self.host.clone(),
            port: self.port,
            data: data.to_vec(),
        });
        Ok(())
    }
}

fn denied(what: String) -> HostError {
    HostError::Denied(format!("fake host has no answer for {what}"))
}

impl FakeHost {
    fn snmp_agent<T>(
        &self,
        device: &Device,
        answer: impl FnOnce(&super::Mib) -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        match self.snmp.get(&device.address) {
            Some(Ok(mib)) => answer(mib),
            Some(Err(error)) => Err(error.clone()),
            None => Err(denied(format!("snmp to {}", device.address))),
        }
    }
}

impl Host for FakeHost {
    type Connection = FakeConnection;

    fn log(&self, level: Level, message: &str) {
        self.record(Call::Log {
            level,
            message: message.to_owned(),
        });
    }

    fn now_ms(&self) -> u64 {
        self.record(Call::NowMs);
        self.now_ms
    }

    fn monotonic_ns(&self) -> u64 {
        self.record(Call::MonotonicNs);
        let now = self.monotonic_ns.get() + MONOTONIC_STEP_NS;
        self.monotonic_ns.set(now);
        now
    }

    fn icmp_echo(&self, requests: &[EchoRequest]) -> Result<Vec<EchoResult>, HostError> {
        self.record(Call::IcmpEcho(requests.to_vec()));
        if let Some(error) = &self.icmp_failure {
            return Err(error.clone());
        }
        requests
            .iter()
            .map(|request| {
                let answer = self
                    .icmp
                    .get(&request.address)
                    .ok_or_else(|| denied(format!("icmp echo to {}", request.address)))?;
                let sent = answer.sent.unwrap_or(request.count);
                Ok(EchoResult {
                    address: request.address.clone(),
                    sent,
                    rtts_us: answer.rtts_us.iter().copied().take(sent as usize).collect(),
                    error: answer.error.clone(),
                })
            })
            .collect()
    }

    fn snmp_get(&self, device: &Device, oids: &[String]) -> Result<Vec<Varbind>, HostError> {
        self.record(Call::SnmpGet {
            device: device.clone(),
            oids: oids.to_vec(),
        });
        self.snmp_agent(device, |mib| mib.get(oids))
    }

    fn snmp_get_next(&self, device: &Device, oids: &[String]) -> Result<Vec<Varbind>, HostError> {
        self.record(Call::SnmpGetNext {
            device: device.clone(),
            oids: oids.to_vec(),
        });
        self.snmp_agent(device, |mib| mib.get_next(oids))
    }

    fn snmp_get_bulk(
        &self,
        device: &Device,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[String],
    ) -> Result<Vec<Varbind>, HostError> {
        self.record(Call::SnmpGetBulk {
            device: device.clone(),
            non_repeaters,
            max_repetitions,
            oids: oids.to_vec(),
        });
        self.snmp_agent(device, |mib| {
            mib.get_bulk(non_repeaters, max_repetitions, oids)
        })
    }

    fn snmp_walk(
        &self,
        device: &Device,
        root: &str,
        max_rows: u32,
    ) -> Result<Vec<Varbind>, HostError> {
        self.record(Call::SnmpWalk {
            device: device.clone(),
            root: root.to_owned(),
            max_rows,
        });
        self.snmp_agent(device, |mib| mib.walk(root, max_rows))
    }

    fn http_send(&self, request: &Request) -> Result<Response, HostError> {
        self.record(Call::HttpSend(request.clone()));
        self.http
            .iter()
            .find(|route| route.method == request.method && route.url == request.url)
            .map(|route| route.answer.clone())
            .unwrap_or_else(|| {
                let method = crate::host::method_name(request.method);
                Err(denied(format!("http {method} {}", request.url)))
            })
    }

    fn tcp_connect(
        &self,
        host: &str,
        port: u16,
        tls: Option<&TlsOptions>,
        timeout_ms: u32,
    ) -> Result<FakeConnection, HostError> {
        self.record(Call::TcpConnect {
            host: host.to_owned(),
            port,
            tls: tls.is_some(),
            timeout_ms,
        });
        match self.tcp.get(&(host.to_owned(), port)) {
            Some(Ok(reads)) => Ok(FakeConnection {
                host: host.to_owned(),
                port,
                reads: RefCell::new(reads.iter().cloned().collect()),
                calls: Rc::clone(&self.calls),
            }),
            Some(Err(error)) => Err(error.clone()),
            None => Err(denied(format!("tcp to {host}:{port}"))),
        }
    }

    fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, HostError> {
        self.record(Call::KvGet(key.to_owned()));
        let kv = self
            .kv
            .as_ref()
            .ok_or_else(|| denied("kv (not granted)".to_owned()))?;
        Ok(kv.borrow().get(key).cloned())
    }

    fn kv_set(&self, key: &str, value: &[u8]) -> Result<(), HostError> {
        self.record(Call::KvSet(key.to_owned(), value.to_vec()));
        let kv = self
            .kv
            .as_ref()
            .ok_or_else(|| denied("kv (not granted)".to_owned()))?;
        kv.borrow_mut().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn kv_delete(&self, key: &str) -> Result<(), HostError> {
        self.record(Call::KvDelete(key.to_owned()));
        let kv = self
            .kv
            .as_ref()
            .ok_or_else(|| denied("kv (not granted)".to_owned()))?;
        kv.borrow_mut().remove(key);
        Ok(())
    }

    fn get_secret(&self, name: &str) -> Result<String, HostError> {
        self.record(Call::Secret(name.to_owned()));
        self.secrets
            .get(name)
            .cloned()
            .ok_or_else(|| HostError::Denied(format!("secret `{name}` is not granted (fake host)")))
    }
}
