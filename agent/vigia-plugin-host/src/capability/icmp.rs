//! The `icmp` capability: ICMP echo through one shared socket per address family.
//!
//! - Sockets open on first use (raw, falling back to the unprivileged datagram "ping" socket) with
//!   a large receive buffer and kernel receive timestamps, and are shared by every run. One
//!   host-wide thread sends and reads for all of them; it stops with the host.
//! - Every echo of every run goes through one queue, paced by a host-wide token bucket
//!   ([`IcmpConfig::echoes_per_sec`]), so thousands of targets in many concurrent runs never
//!   arrive as a burst that the receive path would drop.
//! - Round trips run from a stamp taken right before `sendto` to the kernel's receive timestamp:
//!   neither time spent in the pacer's queue nor a busy runtime reading the reply late is
//!   counted (see `docs/adr/0008-icmp-engine.md` for why this is not surge-ping's client).
//! - The next echo to a target leaves one interval after the previous one left. Each echo waits
//!   for its own timeout from when it actually left; a reply later than that is loss.
//! - Loss, timeouts and ICMP errors are data in the result, never call errors.
//!
//! Not here: name resolution, TTL or traceroute probes, link-local IPv6 (no scope id).

mod batch;
mod family;
mod pacer;
mod packet;
mod queue;
mod socket;
mod stamp;
#[cfg(test)]
mod tests;
mod worker;

use std::net::IpAddr;
use std::sync::{Arc, mpsc};

use nix::sys::eventfd::EventFd;
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;

use self::batch::{Batch, Echoes};
use self::family::FamilySocket;
pub use self::socket::SocketKind;
use self::socket::{Family, RECV_BATCH, RECV_PACKET_BYTES};
use crate::bindings::vigia::plugin::icmp::{EchoRequest, EchoResult, Host};
use crate::bindings::vigia::plugin::types::HostError as WitHostError;
use crate::grants::denied_text;
use crate::state::HostState;

const MAX_REQUESTS_PER_CALL: usize = 65_536;
const MAX_COUNT: u16 = 100;
const MAX_PAYLOAD: u16 = 1472;

/// Settings of the ICMP engine, shared by every run of a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcmpConfig {
    /// Echo requests per second, all runs and both address families together.
    pub echoes_per_sec: u32,
    /// Requests that may leave back to back after a pause (the token bucket's depth).
    pub burst: u32,
    /// Receive buffer asked for each socket (`SO_RCVBUFFORCE` as root, else capped by
    /// `net.core.rmem_max`; the kernel reports twice the size for its own bookkeeping).
    pub recv_buffer_bytes: usize,
}

impl Default for IcmpConfig {
    fn default() -> Self {
        Self {
            echoes_per_sec: 20_000,
            burst: 100,
            recv_buffer_bytes: 8 << 20,
        }
    }
}

impl IcmpConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.echoes_per_sec == 0 || self.burst == 0 || self.recv_buffer_bytes == 0 {
            return Err("icmp echoes_per_sec, burst and recv_buffer_bytes must be positive".into());
        }
        Ok(())
    }
}

/// One open ICMP socket of a host, for health reporting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcmpSocketInfo {
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    pub kind: SocketKind,
    /// The receive buffer the kernel granted (as `SO_RCVBUF` reports it).
    pub recv_buffer_bytes: usize,
    /// Echo requests waiting for an answer.
    pub in_flight: usize,
}

/// The ICMP engine of a host: its sockets and its thread.
pub(crate) struct Icmp {
    config: IcmpConfig,
    v4: OnceCell<Arc<FamilySocket>>,
    v6: OnceCell<Arc<FamilySocket>>,
    worker: OnceCell<Result<Worker, String>>,
}

/// The way to the ICMP thread: dropping it (with the host) ends the thread.
struct Worker {
    calls: mpsc::Sender<Arc<Batch>>,
    wake: Arc<EventFd>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Disconnect first, then wake the thread (it may sleep on its sockets) to notice.
        let (disconnected, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.calls, disconnected));
        let _ = self.wake.write(1);
    }
}

impl Icmp {
    pub(crate) fn new(config: IcmpConfig) -> Self {
        Self {
            config,
            v4: OnceCell::new(),
            v6: OnceCell::new(),
            worker: OnceCell::new(),
        }
    }

    async fn socket(&self, family: Family) -> Result<Arc<FamilySocket>, WitHostError> {
        let cell = match family {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        };
        cell.get_or_try_init(|| async {
            let socket = FamilySocket::open(family, self.config.recv_buffer_bytes)?;
            let socket = Arc::new(socket);
            tracing::info!(
                family = family.name(),
                kind = ?socket.socket.kind,
                recv_buffer_bytes = socket.socket.recv_buffer_bytes,
                "icmp socket open"
            );
            Ok::<_, std::io::Error>(socket)
        })
        .await
        .cloned()
        .map_err(|e| {
            tracing::error!(error = %e, family = family.name(), "cannot open icmp socket");
            WitHostError::Unavailable(format!("cannot open an {} socket: {e}", family.name()))
        })
    }

    /// Hands a call to the ICMP thread, starting it on first use.
    async fn submit(&self, batch: Arc<Batch>) -> Result<(), WitHostError> {
        let worker = self
            .worker
            .get_or_init(|| async {
                let wake = Arc::new(EventFd::new().map_err(|e| format!("eventfd: {e}"))?);
                let (calls, queue) = mpsc::channel();
                let (per_sec, burst) = (self.config.echoes_per_sec, self.config.burst);
                let thread_wake = wake.clone();
                std::thread::Builder::new()
                    .name("vigia-icmp".into())
                    .spawn(move || worker::run(queue, thread_wake, per_sec, burst))
                    .map_err(|e| e.to_string())?;
                Ok(Worker { calls, wake })
            })
            .await
            .as_ref()
            .map_err(|e| WitHostError::Unavailable(format!("cannot start the icmp thread: {e}")))?;
        if worker.calls.send(batch).is_err() {
            return Err(WitHostError::Unavailable(
                "the icmp thread has stopped".into(),
            ));
        }
        // A failed write leaves the thread asleep until its next timer at worst.
        let _ = worker.wake.write(1);
        Ok(())
    }

    /// The sockets opened so far.
    pub(crate) fn sockets(&self) -> Vec<IcmpSocketInfo> {
        [(&self.v4, "ipv4"), (&self.v6, "ipv6")]
            .into_iter()
            .filter_map(|(cell, family)| {
                cell.get().map(|s| IcmpSocketInfo {
                    family,
                    kind: s.socket.kind,
                    recv_buffer_bytes: s.socket.recv_buffer_bytes,
                    in_flight: s.in_flight(),
                })
            })
            .collect()
    }

    /// Probes every request; results come back in request order.
    pub(crate) async fn echo(
        &self,
        requests: Vec<EchoRequest>,
        io_deadline: Instant,
    ) -> Result<Vec<EchoResult>, WitHostError> {
        if requests.len() > MAX_REQUESTS_PER_CALL {
            return Err(WitHostError::InvalidArgument(format!(
                "{} echo requests in one call, the limit is {MAX_REQUESTS_PER_CALL}",
                requests.len()
            )));
        }
        let mut checked = Vec::with_capacity(requests.len());
        for req in requests {
            let ip = check_request(&req)?;
            checked.push((ip, req));
        }
        if checked.is_empty() {
            return Ok(Vec::new());
        }
        let mut echoes = Vec::with_capacity(checked.len());
        let mut used: Vec<Arc<FamilySocket>> = Vec::with_capacity(2);
        for (ip, req) in checked {
            let socket = self.socket(Family::of(ip)).await?;
            if !used.iter().any(|s| Arc::ptr_eq(s, &socket)) {
                used.push(socket.clone());
            }
            echoes.push(Echoes {
                address: req.address,
                ip,
                socket,
                count: req.count,
                interval: Duration::from_millis(u64::from(req.interval_ms)),
                timeout: Duration::from_millis(u64::from(req.timeout_ms.max(1))),
                payload_bytes: usize::from(req.payload_bytes),
            });
        }
        let batch = Arc::new(Batch::new(echoes, io_deadline));
        let guard = CloseOnDrop {
            batch: batch.clone(),
            sockets: used,
        };
        self.submit(batch.clone()).await?;
        batch
            .wait(|| {
                let mut buffer = vec![0u8; RECV_BATCH * RECV_PACKET_BYTES];
                for socket in &guard.sockets {
                    socket.drain(&mut buffer);
                }
            })
            .await;
        Ok(batch.finish())
    }
}

/// Ends a call's batch however the call ends (also when its future is dropped at the run
/// deadline): the sender skips it and its unanswered echoes leave the in-flight tables.
struct CloseOnDrop {
    batch: Arc<Batch>,
    sockets: Vec<Arc<FamilySocket>>,
}

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.batch.close();
        for socket in &self.sockets {
            socket.sweep();
        }
    }
}

fn check_request(req: &EchoRequest) -> Result<IpAddr, WitHostError> {
    let invalid = |what: String| Err(WitHostError::InvalidArgument(what));
    let Ok(ip) = req.address.parse::<IpAddr>() else {
        return invalid(format!("'{}' is not an IP address literal", req.address));
    };
    if req.count == 0 || req.count > MAX_COUNT {
        return invalid(format!(
            "count {} for {} is outside 1..={MAX_COUNT}",
            req.count, req.address
        ));
    }
    if req.payload_bytes > MAX_PAYLOAD {
        return invalid(format!(
            "payload of {} bytes is over {MAX_PAYLOAD}",
            req.payload_bytes
        ));
    }
    Ok(ip)
}

impl Host for HostState {
    async fn echo(
        &mut self,
        requests: Vec<EchoRequest>,
    ) -> wasmtime::Result<Result<Vec<EchoResult>, WitHostError>> {
        self.charge()?;
        if !self.grants.icmp {
            let text = denied_text("icmp", &self.plugin, "`icmp = true` to this probe's grants");
            return Ok(Err(WitHostError::Denied(text)));
        }
        Ok(self.services.icmp.echo(requests, self.io_deadline).await)
    }
}
