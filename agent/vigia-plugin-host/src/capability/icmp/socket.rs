//! The ICMP socket of one address family, and the only code here that talks to the kernel.
//!
//! Raw first, then the unprivileged datagram ("ping") socket. The receive buffer is enlarged
//! (`SO_RCVBUFFORCE` when we may, `SO_RCVBUF` up to `net.core.rmem_max` otherwise) and kernel
//! receive timestamps are on (`SO_TIMESTAMPNS`): a reply's time of arrival is the kernel's, not
//! the moment a busy agent got round to reading it. Receiving is batched (`recvmmsg`).

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use nix::errno::Errno;
use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, MultiHeaders, SockaddrLike, SockaddrStorage, getsockopt,
    recvmmsg, sendto, setsockopt, sockopt,
};
use nix::sys::time::TimeSpec;
use socket2::{Domain, Protocol, Socket, Type};

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    V4,
    V6,
}

impl Family {
    pub(crate) fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self::V4,
            IpAddr::V6(_) => Self::V6,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::V4 => "ICMPv4",
            Self::V6 => "ICMPv6",
        }
    }
}

/// Which kind of socket the kernel gave us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    /// `SOCK_RAW`: needs `CAP_NET_RAW`; sees every ICMP packet of the namespace, so replies are
    /// matched on our identifier too.
    Raw,
    /// `SOCK_DGRAM` ping socket: needs `net.ipv4.ping_group_range`; the kernel picks the
    /// identifier, fills the checksum and hands us only our own replies. ICMP errors are not
    /// delivered on it, so an unreachable target reads as loss.
    Datagram,
}

/// Packets taken per `recvmmsg` call.
pub(super) const RECV_BATCH: usize = 64;
/// Largest ICMP packet we read (an IPv4 header, an ICMP header and a 1472-byte payload fit).
pub(super) const RECV_PACKET_BYTES: usize = 2048;

/// One packet read from the socket.
pub(super) struct Received<'a> {
    pub(super) from: IpAddr,
    pub(super) data: &'a [u8],
    /// When the kernel received it, nanoseconds of `CLOCK_REALTIME`.
    pub(super) kernel_ns: Option<i64>,
}

pub(super) struct IcmpSocket {
    fd: Socket,
    pub(super) family: Family,
    pub(super) kind: SocketKind,
    /// What the kernel reports for `SO_RCVBUF` after we asked for more.
    pub(super) recv_buffer_bytes: usize,
}

impl IcmpSocket {
    /// Opens the socket, non-blocking.
    pub(super) fn open(family: Family, recv_buffer_bytes: usize) -> io::Result<Self> {
        let (domain, protocol) = match family {
            Family::V4 => (Domain::IPV4, Protocol::ICMPV4),
            Family::V6 => (Domain::IPV6, Protocol::ICMPV6),
        };
        let (socket, kind) = match Socket::new(domain, Type::RAW, Some(protocol)) {
            Ok(socket) => (socket, SocketKind::Raw),
            Err(raw_error) => match Socket::new(domain, Type::DGRAM, Some(protocol)) {
                Ok(socket) => (socket, SocketKind::Datagram),
                Err(dgram_error) => {
                    return Err(io::Error::new(
                        raw_error.kind(),
                        format!(
                            "raw socket: {raw_error} (needs CAP_NET_RAW); datagram ping socket: \
                             {dgram_error} (needs our group in net.ipv4.ping_group_range)"
                        ),
                    ));
                }
            },
        };
        socket.set_nonblocking(true)?;
        // Forcing needs CAP_NET_ADMIN; without it the kernel caps the size at rmem_max.
        let wanted = recv_buffer_bytes.min(i32::MAX as usize);
        if setsockopt(&socket, sockopt::RcvBufForce, &wanted).is_err() {
            setsockopt(&socket, sockopt::RcvBuf, &wanted).map_err(io::Error::from)?;
        }
        let recv_buffer_bytes = getsockopt(&socket, sockopt::RcvBuf).map_err(io::Error::from)?;
        setsockopt(&socket, sockopt::ReceiveTimestampns, &true).map_err(io::Error::from)?;
        Ok(Self {
            fd: socket,
            family,
            kind,
            recv_buffer_bytes,
        })
    }

    /// Sends one packet now; `WouldBlock` when the send buffer is full.
    pub(super) fn send_to(&self, packet: &[u8], to: IpAddr) -> io::Result<()> {
        let address = SockaddrStorage::from(SocketAddr::new(to, 0));
        sendto(
            self.fd.as_raw_fd(),
            packet,
            &address,
            MsgFlags::MSG_DONTWAIT,
        )
        .map(|_| ())
        .map_err(io::Error::from)
    }

    pub(super) fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Reads what is queued, up to [`RECV_BATCH`] packets, handing each to `each`. Returns how
    /// many were read; `WouldBlock` when nothing was queued. Never waits.
    pub(super) fn recv_batch(
        &self,
        buffer: &mut [u8],
        mut each: impl FnMut(Received<'_>),
    ) -> io::Result<usize> {
        let cmsg = nix::cmsg_space!(TimeSpec);
        let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(RECV_BATCH, Some(cmsg));
        let mut slices: Vec<[IoSliceMut<'_>; 1]> = buffer
            .chunks_exact_mut(RECV_PACKET_BYTES)
            .take(RECV_BATCH)
            .map(|chunk| [IoSliceMut::new(chunk)])
            .collect();
        let received = match recvmmsg(
            self.fd.as_raw_fd(),
            &mut headers,
            slices.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        ) {
            Ok(received) => received,
            Err(Errno::EAGAIN) => return Err(io::ErrorKind::WouldBlock.into()),
            Err(errno) => return Err(errno.into()),
        };
        let mut count = 0;
        for message in received {
            count += 1;
            let Some(from) = message.address.as_ref().and_then(ip_of) else {
                continue;
            };
            let kernel_ns = message.cmsgs().ok().and_then(|mut cmsgs| {
                cmsgs.find_map(|c| match c {
                    ControlMessageOwned::ScmTimestampns(ts) => {
                        Some(ts.tv_sec() * 1_000_000_000 + ts.tv_nsec())
                    }
                    _ => None,
                })
            });
            let Some(data) = message.iovs().next() else {
                continue;
            };
            each(Received {
                from,
                data,
                kernel_ns,
            });
        }
        Ok(count)
    }
}

fn ip_of(address: &SockaddrStorage) -> Option<IpAddr> {
    match address.family()? {
        nix::sys::socket::AddressFamily::Inet => {
            address.as_sockaddr_in().map(|a| IpAddr::V4(a.ip()))
        }
        nix::sys::socket::AddressFamily::Inet6 => {
            address.as_sockaddr_in6().map(|a| IpAddr::V6(a.ip()))
        }
        _ => None,
    }
}
