//! The `icmp` capability: ICMP echo with surge-ping through one shared socket per address family.
//!
//! Sockets are opened on first use (raw, falling back to the unprivileged datagram "ping" socket)
//! and reused by every run; their receive task lives on the tokio runtime that first used them.
//! Each echo request of a call runs concurrently, its echoes paced by the request's interval.
//! Loss, timeouts and ICMP errors are data in the result, never call errors. Sequence numbers come
//! from one counter per host, so concurrent runs pinging the same address never collide.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use surge_ping::{Client, Config, ICMP, IcmpPacket, PingIdentifier, PingSequence, SurgeError};
use tokio::sync::OnceCell;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::bindings::vigia::plugin::icmp::{EchoRequest, EchoResult, Host};
use crate::bindings::vigia::plugin::types::HostError as WitHostError;
use crate::grants::denied_text;
use crate::state::HostState;

const MAX_REQUESTS_PER_CALL: usize = 4096;
const MAX_COUNT: u16 = 100;
const MAX_PAYLOAD: u16 = 1472;

/// The shared ICMP sockets of a host.
#[derive(Default)]
pub(crate) struct IcmpClients {
    v4: OnceCell<Client>,
    v6: OnceCell<Client>,
    next_seq: Arc<AtomicU16>,
    next_ident: AtomicU16,
}

impl IcmpClients {
    async fn client(&self, ip: IpAddr) -> Result<Client, WitHostError> {
        let (cell, kind, family) = match ip {
            IpAddr::V4(_) => (&self.v4, ICMP::V4, "ICMPv4"),
            IpAddr::V6(_) => (&self.v6, ICMP::V6, "ICMPv6"),
        };
        let config = Config::builder()
            .kind(kind)
            .sock_type_hint(socket2::Type::RAW)
            .build();
        cell.get_or_try_init(|| async { Client::new(&config) })
            .await
            .cloned()
            .map_err(|e| {
                tracing::error!(error = %e, family, "cannot open ICMP socket");
                WitHostError::Unavailable(format!(
                    "cannot open an {family} socket (raw or datagram): {e}"
                ))
            })
    }

    /// Probes every request concurrently; results come back in request order.
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
        let mut jobs = Vec::with_capacity(requests.len());
        for req in requests {
            let ip = check_request(&req)?;
            jobs.push((ip, req));
        }
        let mut set = JoinSet::new();
        let count = jobs.len();
        for (index, (ip, req)) in jobs.into_iter().enumerate() {
            let client = self.client(ip).await?;
            let ident = PingIdentifier(self.next_ident.fetch_add(1, Ordering::Relaxed));
            let seq = self.next_seq.clone();
            set.spawn(async move {
                (
                    index,
                    echo_one(client, ip, ident, req, seq, io_deadline).await,
                )
            });
        }
        let mut results: Vec<Option<EchoResult>> = (0..count).map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            let (index, result) =
                joined.map_err(|e| WitHostError::Unavailable(format!("echo task failed: {e}")))?;
            results[index] = Some(result);
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("every task reported"))
            .collect())
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

async fn echo_one(
    client: Client,
    ip: IpAddr,
    ident: PingIdentifier,
    req: EchoRequest,
    seq: Arc<AtomicU16>,
    io_deadline: Instant,
) -> EchoResult {
    let payload = vec![0u8; usize::from(req.payload_bytes)];
    let mut pinger = client.pinger(ip, ident).await;
    let per_reply = Duration::from_millis(u64::from(req.timeout_ms.max(1)));
    let interval = Duration::from_millis(u64::from(req.interval_ms));
    let mut result = EchoResult {
        address: req.address,
        sent: 0,
        rtts_us: Vec::new(),
        error: None,
    };
    let mut next_send = Instant::now();
    for _ in 0..req.count {
        // Pacing: the next echo leaves one interval after the previous one left.
        if next_send >= io_deadline {
            break;
        }
        tokio::time::sleep_until(next_send).await;
        let left = io_deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        next_send = Instant::now() + interval;
        pinger.timeout(per_reply.min(left));
        let sequence = PingSequence(seq.fetch_add(1, Ordering::Relaxed));
        match pinger.ping(sequence, &payload).await {
            Ok((packet, rtt)) => {
                result.sent += 1;
                match icmp_error(&packet) {
                    None => result
                        .rtts_us
                        .push(u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX)),
                    Some(error) => result.error = Some(error),
                }
            }
            Err(SurgeError::Timeout { .. }) => result.sent += 1,
            // Nothing left: a send error (no route, refused by policy) or a closed socket.
            Err(e) => result.error = Some(e.to_string()),
        }
    }
    result
}

/// What an ICMP packet that is not an echo reply says, in words.
fn icmp_error(packet: &IcmpPacket) -> Option<String> {
    let (kind, code) = match packet {
        IcmpPacket::V4(p) => {
            let (t, c) = (p.get_icmp_type().0, p.get_icmp_code().0);
            match (t, c) {
                (0, _) => return None,
                (3, 0) => ("destination network unreachable", None),
                (3, 1) => ("destination host unreachable", None),
                (3, 3) => ("destination port unreachable", None),
                (3, 9 | 10 | 13) => ("communication administratively prohibited", None),
                (3, c) => ("destination unreachable", Some(c)),
                (11, _) => ("time to live exceeded", None),
                (t, _) => return Some(format!("unexpected ICMP type {t}")),
            }
        }
        IcmpPacket::V6(p) => {
            let (t, c) = (p.get_icmpv6_type().0, p.get_icmpv6_code().0);
            match (t, c) {
                (129, _) => return None,
                (1, 0) => ("no route to destination", None),
                (1, 1) => ("communication administratively prohibited", None),
                (1, 3) => ("address unreachable", None),
                (1, 4) => ("port unreachable", None),
                (1, c) => ("destination unreachable", Some(c)),
                (2, _) => ("packet too big", None),
                (3, _) => ("hop limit exceeded", None),
                (t, _) => return Some(format!("unexpected ICMPv6 type {t}")),
            }
        }
    };
    Some(match code {
        Some(code) => format!("{kind} (code {code})"),
        None => kind.to_owned(),
    })
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
