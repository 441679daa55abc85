//! The shared socket of one address family with its table of echoes in flight: answers read
//! from it go to the call that is waiting for them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::batch::Batch;
use super::packet;
use super::socket::{Family, IcmpSocket, RECV_BATCH, SocketKind};
use super::stamp::Stamp;

/// An echo request waiting for its answer.
pub(super) struct InFlight {
    pub(super) batch: Arc<Batch>,
    pub(super) target: usize,
    pub(super) sent: Stamp,
    pub(super) timeout: Duration,
}

pub(crate) struct FamilySocket {
    pub(super) socket: IcmpSocket,
    /// Our echo identifier on a raw socket (a raw socket also sees other programs' replies).
    pub(super) ident: u16,
    /// Keyed by (target, sequence): sequences come from one counter per family.
    in_flight: Mutex<HashMap<(IpAddr, u16), InFlight>>,
    next_seq: AtomicU16,
}

/// Identifiers differ between the hosts of one process and, likely, between processes.
fn new_ident() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let pid = std::process::id();
    // Truncation intended: the low bits of the pid, spread by a per-process counter.
    (pid as u16) ^ NEXT.fetch_add(0x9e37, Ordering::Relaxed)
}

impl FamilySocket {
    pub(super) fn open(family: Family, recv_buffer_bytes: usize) -> std::io::Result<Self> {
        Ok(Self {
            socket: IcmpSocket::open(family, recv_buffer_bytes)?,
            ident: new_ident(),
            in_flight: Mutex::new(HashMap::new()),
            next_seq: AtomicU16::new(0),
        })
    }

    fn table(&self) -> MutexGuard<'_, HashMap<(IpAddr, u16), InFlight>> {
        // Entries are plain data: a panic elsewhere leaves them usable.
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers an echo to `ip` under a free sequence number and returns it; `None` when every
    /// sequence number to that address is in flight.
    pub(super) fn register(&self, ip: IpAddr, entry: InFlight) -> Option<u16> {
        let mut table = self.table();
        for _ in 0..=u16::MAX {
            let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
            if let std::collections::hash_map::Entry::Vacant(slot) = table.entry((ip, seq)) {
                slot.insert(entry);
                return Some(seq);
            }
        }
        None
    }

    pub(super) fn unregister(&self, ip: IpAddr, seq: u16) {
        self.table().remove(&(ip, seq));
    }

    /// Drops entries of calls that have finished (their echoes were never answered).
    pub(super) fn sweep(&self) {
        self.table().retain(|_, entry| !entry.batch.is_closed());
    }

    pub(super) fn in_flight(&self) -> usize {
        self.table().len()
    }

    /// Reads every packet queued now, without waiting.
    pub(super) fn drain(&self, buffer: &mut [u8]) {
        loop {
            match self
                .socket
                .recv_batch(buffer, |p| self.dispatch(p.from, p.data, p.kernel_ns))
            {
                Ok(n) if n == RECV_BATCH => continue,
                Ok(_) => return,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(error) => {
                    // A pending socket error (reported once, then cleared): keep reading.
                    tracing::debug!(%error, family = self.socket.family.name(), "icmp receive error");
                }
            }
        }
    }

    fn dispatch(&self, from: IpAddr, data: &[u8], kernel_ns: Option<i64>) {
        let now = Instant::now();
        let Some(answer) = packet::decode(self.socket.kind, from, data) else {
            return;
        };
        if self.socket.kind == SocketKind::Raw && answer.ident != self.ident {
            return;
        }
        let Some(entry) = self.table().remove(&(answer.target, answer.seq)) else {
            return;
        };
        let rtt = entry.sent.rtt(kernel_ns, now);
        entry
            .batch
            .answered(entry.target, rtt, entry.timeout, answer.error);
    }
}
