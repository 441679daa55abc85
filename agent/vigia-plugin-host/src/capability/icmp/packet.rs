//! ICMP echo requests out, replies and errors in. Decoding (IPv4 header, quoted headers of ICMP
//! errors, IPv6 extension headers) is surge-ping's; encoding an echo request is eight bytes.

use std::net::{IpAddr, Ipv4Addr};

use surge_ping::{IcmpPacket, Icmpv4Packet, Icmpv6Packet};

use super::socket::{Family, SocketKind};

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REQUEST_V6: u8 = 128;

/// Writes an echo request (header and a zeroed payload) into `out`, replacing its content. The
/// kernel fills the checksum of ICMPv6 and of datagram sockets; raw ICMPv4 needs ours.
pub(super) fn echo_request(
    out: &mut Vec<u8>,
    family: Family,
    kind: SocketKind,
    ident: u16,
    seq: u16,
    payload_bytes: usize,
) {
    out.clear();
    let kind_byte = match family {
        Family::V4 => ECHO_REQUEST_V4,
        Family::V6 => ECHO_REQUEST_V6,
    };
    out.extend_from_slice(&[kind_byte, 0, 0, 0]);
    out.extend_from_slice(&ident.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.resize(8 + payload_bytes, 0);
    if family == Family::V4 && kind == SocketKind::Raw {
        let sum = checksum(out);
        out[2..4].copy_from_slice(&sum.to_be_bytes());
    }
}

/// The Internet checksum (RFC 1071) of `data`.
pub(super) fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut words = data.chunks_exact(2);
    for word in &mut words {
        sum += u32::from(u16::from_be_bytes([word[0], word[1]]));
    }
    if let [last] = words.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    // The fold above leaves at most 16 bits.
    !(sum as u16)
}

/// What a received packet says about one of our echo requests.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Answer {
    /// The address the request went to (for an error: quoted inside it).
    pub(super) target: IpAddr,
    pub(super) ident: u16,
    pub(super) seq: u16,
    /// `None` for an echo reply; the error in words otherwise.
    pub(super) error: Option<String>,
}

/// Decodes a packet read from the socket; `None` for anything that is not an answer to an echo
/// request (echo requests seen on a raw socket, neighbour discovery, garbage).
pub(super) fn decode(kind: SocketKind, from: IpAddr, data: &[u8]) -> Option<Answer> {
    let packet = match from {
        IpAddr::V4(from) => {
            let sock_type = match kind {
                SocketKind::Raw => socket2::Type::RAW,
                SocketKind::Datagram => socket2::Type::DGRAM,
            };
            IcmpPacket::V4(Icmpv4Packet::decode(data, sock_type, from, Ipv4Addr::UNSPECIFIED).ok()?)
        }
        IpAddr::V6(from) => IcmpPacket::V6(Icmpv6Packet::decode(data, from).ok()?),
    };
    Some(Answer {
        target: packet.real_destination(),
        ident: packet.get_identifier().0,
        seq: packet.get_sequence().0,
        error: icmp_error(&packet),
    })
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
