//! Unit tests of the parts that need no socket: pacing, packets, stamps, batch bookkeeping.
//! The engine against real sockets is tested in `tests/host/icmp*.rs`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use tokio::time::Instant;

use super::batch::micros;
use super::pacer::Pacer;
use super::packet::{self, checksum};
use super::socket::{Family, SocketKind};
use super::stamp::Stamp;

#[test]
fn pacer_grants_its_burst_then_its_rate() {
    let start = Instant::now();
    let mut pacer = Pacer::new(20_000, 100, start);
    assert_eq!(pacer.take(start, 1000), 100, "a full bucket is the burst");
    assert_eq!(pacer.take(start, 1), 0);
    // One token every 50 µs.
    assert_eq!(pacer.tokens_at(1), start + Duration::from_micros(50));
    assert_eq!(pacer.take(start + Duration::from_micros(49), 1), 0);
    assert_eq!(pacer.take(start + Duration::from_micros(50), 1), 1);
    // 1 ms later: 20 more, not 21 (no rounding creep), and never more than the burst.
    let t = start + Duration::from_micros(1050);
    assert_eq!(pacer.take(t, 1000), 20);
    assert_eq!(pacer.take(t + Duration::from_secs(60), 1000), 100);
}

#[test]
fn pacer_sustains_exactly_its_rate_over_a_second() {
    let start = Instant::now();
    let mut pacer = Pacer::new(20_000, 100, start);
    let mut granted = pacer.take(start, u64::MAX);
    // A sender waking every millisecond, as tokio's timer does.
    for ms in 1..=1000 {
        granted += pacer.take(start + Duration::from_millis(ms), u64::MAX);
    }
    assert_eq!(granted, 100 + 20_000);
}

#[test]
fn pacer_gives_back_unused_tokens_up_to_the_burst() {
    let start = Instant::now();
    let mut pacer = Pacer::new(10, 2, start);
    assert_eq!(pacer.take(start, 5), 2);
    pacer.give_back(1);
    assert_eq!(pacer.take(start, 5), 1);
    pacer.give_back(5);
    assert_eq!(pacer.take(start, 5), 2);
}

#[test]
fn checksum_matches_rfc_1071_example() {
    // RFC 1071 section 3: the sum of these words is 0xddf2, the checksum its complement.
    let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    assert_eq!(checksum(&data), !0xddf2);
    // A packet carrying its own checksum sums to zero.
    let mut packet = Vec::new();
    packet::echo_request(&mut packet, Family::V4, SocketKind::Raw, 0x1234, 7, 13);
    assert_eq!(checksum(&packet), 0);
}

#[test]
fn echo_requests_carry_ident_sequence_and_payload() {
    let mut packet = vec![0xff; 3];
    packet::echo_request(&mut packet, Family::V6, SocketKind::Raw, 0xbeef, 0x0102, 56);
    assert_eq!(packet.len(), 64);
    assert_eq!(&packet[..8], &[128, 0, 0, 0, 0xbe, 0xef, 0x01, 0x02]);
    assert!(packet[8..].iter().all(|&b| b == 0));
    // The kernel checksums datagram ICMPv4.
    packet::echo_request(&mut packet, Family::V4, SocketKind::Datagram, 1, 2, 0);
    assert_eq!(packet, [8, 0, 0, 0, 0, 1, 0, 2]);
}

/// An IPv4 packet from `from` carrying `icmp`, as a raw socket reads it.
fn ipv4(from: Ipv4Addr, icmp: &[u8]) -> Vec<u8> {
    let total = u16::try_from(20 + icmp.len()).unwrap().to_be_bytes();
    let mut p = vec![0x45, 0, total[0], total[1], 0, 0, 0, 0, 64, 1, 0, 0];
    p.extend_from_slice(&from.octets());
    p.extend_from_slice(&[10, 0, 0, 1]);
    p.extend_from_slice(icmp);
    p
}

#[test]
fn replies_and_errors_decode_to_the_request_they_answer() {
    let target = Ipv4Addr::new(10, 251, 0, 9);
    let mut request = Vec::new();
    packet::echo_request(&mut request, Family::V4, SocketKind::Raw, 0x4242, 300, 8);
    let mut reply = request.clone();
    reply[0] = 0;
    let answer = packet::decode(SocketKind::Raw, target.into(), &ipv4(target, &reply)).unwrap();
    assert_eq!(
        (answer.target, answer.ident, answer.seq, answer.error),
        (IpAddr::from(target), 0x4242, 300, None)
    );
    // Datagram sockets hand over the ICMP message without the IP header.
    let answer = packet::decode(SocketKind::Datagram, target.into(), &reply).unwrap();
    assert_eq!((answer.target, answer.seq), (IpAddr::from(target), 300));

    // A router says the host is unreachable, quoting our request.
    let router = Ipv4Addr::new(10, 250, 0, 2);
    let mut error = vec![3, 1, 0, 0, 0, 0, 0, 0];
    let mut quoted = ipv4(Ipv4Addr::new(10, 250, 0, 1), &request);
    quoted[16..20].copy_from_slice(&target.octets());
    error.extend_from_slice(&quoted[..28]);
    let answer = packet::decode(SocketKind::Raw, router.into(), &ipv4(router, &error)).unwrap();
    assert_eq!(answer.target, IpAddr::from(target), "routed to the target");
    assert_eq!((answer.ident, answer.seq), (0x4242, 300));
    assert_eq!(
        answer.error.as_deref(),
        Some("destination host unreachable")
    );

    // Our own request, seen on a raw socket on loopback, is not an answer.
    assert_eq!(
        packet::decode(SocketKind::Raw, target.into(), &ipv4(target, &request)),
        None
    );
    assert_eq!(
        packet::decode(SocketKind::Raw, target.into(), &[0x45, 0]),
        None
    );
}

#[test]
fn icmpv6_replies_decode_and_neighbour_discovery_is_ignored() {
    let target = Ipv6Addr::new(0xfd00, 0x251, 0, 0, 0, 0, 0, 7);
    let mut reply = Vec::new();
    packet::echo_request(&mut reply, Family::V6, SocketKind::Raw, 9, 65535, 4);
    reply[0] = 129;
    let answer = packet::decode(SocketKind::Raw, target.into(), &reply).unwrap();
    assert_eq!(
        (answer.target, answer.ident, answer.seq),
        (IpAddr::from(target), 9, 65535)
    );
    let neighbour_solicitation = [135u8, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        packet::decode(SocketKind::Raw, target.into(), &neighbour_solicitation),
        None
    );
}

#[test]
fn round_trips_round_up_to_whole_microseconds() {
    assert_eq!(micros(Duration::from_nanos(1)), 1);
    assert_eq!(micros(Duration::from_nanos(1000)), 1);
    assert_eq!(micros(Duration::from_nanos(1001)), 2);
    assert_eq!(micros(Duration::from_secs(5000)), u32::MAX);
}

#[test]
fn the_kernel_stamp_is_used_unless_the_clock_was_stepped() {
    let sent = Stamp::now();
    let read_at = Instant::now() + Duration::from_millis(30);
    let real = |offset_ns: i64| sent.real_ns_for_tests() + offset_ns;
    // Received 40 µs after sending, read 30 ms later by a busy agent: 40 µs.
    assert_eq!(
        sent.rtt(Some(real(40_000)), read_at),
        Duration::from_micros(40)
    );
    // Stamped before it was sent, or after we read it: the real-time clock jumped.
    let mono = read_at - sent.mono_for_tests();
    assert_eq!(sent.rtt(Some(real(-5_000_000)), read_at), mono);
    assert_eq!(sent.rtt(Some(real(10_000_000_000)), read_at), mono);
    assert_eq!(sent.rtt(None, read_at), mono);
}

#[test]
fn the_queue_hands_out_echoes_in_due_order_across_calls_and_intervals() {
    use super::queue::Queue;
    let start = Instant::now();
    let ms = Duration::from_millis;
    let mut queue: Queue<&str> = Queue::default();
    // Call a: targets 0 and 2 every 10 ms, target 1 every 3 ms. Call b, later: one target.
    queue.add(&"a", [ms(10), ms(3), ms(10)], start);
    queue.add(&"b", [ms(1)], start + ms(2));
    let mut sent = Vec::new();
    let mut now = start;
    while let Some(at) = queue.next_at() {
        now = now.max(at);
        let (due, call) = queue.pop().unwrap();
        assert!(due.at <= now);
        sent.push((call, due.target, (due.at - start).as_millis()));
        // Two echoes per target: the second one interval after the first left.
        let interval = match (call, due.target) {
            ("a", 1) => ms(3),
            ("a", _) => ms(10),
            _ => ms(1),
        };
        if sent
            .iter()
            .filter(|(c, t, _)| (*c, *t) == (call, due.target))
            .count()
            < 2
        {
            queue.push_back(due.lane, now + interval, due.target);
        }
        queue.release(due.lane);
    }
    assert_eq!(
        sent,
        [
            ("a", 0, 0),
            ("a", 1, 0),
            ("a", 2, 0),
            ("b", 0, 2),
            ("a", 1, 3),
            ("b", 0, 3),
            ("a", 0, 10),
            ("a", 2, 10),
        ]
    );
}

#[test]
fn an_echo_put_back_leaves_first() {
    use super::queue::Queue;
    let start = Instant::now();
    let mut queue: Queue<u8> = Queue::default();
    queue.add(&7, [Duration::ZERO; 3], start);
    let (due, _) = queue.pop().unwrap();
    assert_eq!(due.target, 0);
    queue.push_front(due);
    queue.release(0);
    let order: Vec<usize> = std::iter::from_fn(|| {
        let (due, _) = queue.pop()?;
        queue.release(due.lane);
        Some(due.target)
    })
    .collect();
    assert_eq!(order, [0, 1, 2]);
    assert_eq!(queue.next_at(), None);
}
