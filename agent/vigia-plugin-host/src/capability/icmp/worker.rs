//! The host-wide ICMP thread: it sends every echo of every call, paced, and reads the answers.
//!
//! Echoes wait in one queue ordered by when they are due and leave when the pacer has a token
//! for them. The thread wakes when a quantum of tokens is there (or a call arrives), sends what
//! is due, and reads what came back; while echoes are queued it reads only at those wake-ups
//! (a reply's time is the kernel's stamp, so reading it a millisecond later changes nothing),
//! and when none are queued it waits on the sockets. A thread, not tokio tasks: it sleeps with
//! microsecond precision, wakes once per quantum for sending and reading together, and keeps
//! pace while the runtime is busy with plugin code.

use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, ppoll};
use nix::sys::eventfd::EventFd;
use nix::sys::time::TimeSpec;
use tokio::time::Instant;

use super::batch::Batch;
use super::family::{FamilySocket, InFlight};
use super::pacer::Pacer;
use super::packet;
use super::queue::{Due, Queue};
use super::socket::{RECV_BATCH, RECV_PACKET_BYTES};
use super::stamp::Stamp;

/// Tokens the thread waits for before it wakes to send (fewer if fewer echoes are due).
const QUANTUM: u64 = 100;
/// When the next send is further away than this, the thread waits on the sockets meanwhile.
const LAZY_READ: Duration = Duration::from_millis(5);
/// How long to wait when the kernel had no buffer for an echo.
const RETRY_FULL_BUFFER: Duration = Duration::from_millis(1);
/// Echoes sent in one go before new calls and answers are looked at.
const SENDS_PER_TURN: usize = 256;

struct Sender {
    queue: Queue<Arc<Batch>>,
    pacer: Pacer,
    packet: Vec<u8>,
    /// Every socket a call has used so far (at most one per family).
    sockets: Vec<Arc<FamilySocket>>,
    buffer: Vec<u8>,
}

/// What became of one turn of sending.
enum Turn {
    /// Sleep until then: tokens, the next due echo, or a kernel buffer with room again.
    WaitUntil(Instant),
    /// Nothing is queued.
    Idle,
    /// The turn's allowance is used up and more is due now.
    Busy,
}

/// Runs until every handle to `calls` is gone; `wake` is written after each call is queued.
pub(super) fn run(calls: Receiver<Arc<Batch>>, wake: Arc<EventFd>, per_sec: u32, burst: u32) {
    let mut sender = Sender {
        queue: Queue::default(),
        pacer: Pacer::new(per_sec, burst, Instant::now()),
        packet: Vec::with_capacity(2048),
        sockets: Vec::new(),
        buffer: vec![0u8; RECV_BATCH * RECV_PACKET_BYTES],
    };
    loop {
        loop {
            match calls.try_recv() {
                Ok(batch) => sender.add(&batch, Instant::now()),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let wait = match sender.send_due(Instant::now()) {
            Turn::Busy => {
                sender.read();
                continue;
            }
            Turn::Idle => None,
            Turn::WaitUntil(at) => Some(at.saturating_duration_since(Instant::now())),
        };
        // Answers to what just left may be queued already (loopback, veth), and answers that
        // arrived while the thread slept are read here.
        sender.read();
        let watch_sockets = wait.is_none_or(|w| w > LAZY_READ);
        let mut fds = vec![PollFd::new(wake.as_fd(), PollFlags::POLLIN)];
        if watch_sockets {
            fds.extend(
                sender
                    .sockets
                    .iter()
                    .map(|s| PollFd::new(s.socket.as_fd(), PollFlags::POLLIN)),
            );
        }
        let timeout = wait.map(TimeSpec::from_duration);
        // EINTR or a failure of ppoll itself: go round again (the loop re-reads everything).
        let _ = ppoll(&mut fds, timeout, None);
        let woken = fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLIN));
        drop(fds);
        if woken {
            let _ = wake.read();
        }
    }
}

impl Sender {
    fn add(&mut self, batch: &Arc<Batch>, now: Instant) {
        for echoes in &batch.echoes {
            if !self.sockets.iter().any(|s| Arc::ptr_eq(s, &echoes.socket)) {
                self.sockets.push(echoes.socket.clone());
            }
        }
        self.queue
            .add(batch, batch.echoes.iter().map(|e| e.interval), now);
    }

    /// Reads every answer queued now.
    fn read(&mut self) {
        for socket in &self.sockets {
            socket.drain(&mut self.buffer);
        }
    }

    /// Sends what is due while tokens last, at most [`SENDS_PER_TURN`].
    fn send_due(&mut self, now: Instant) -> Turn {
        for _ in 0..SENDS_PER_TURN {
            let Some(at) = self.queue.next_at() else {
                return Turn::Idle;
            };
            if at > now {
                return Turn::WaitUntil(at);
            }
            if self.pacer.take(now, 1) == 0 {
                return Turn::WaitUntil(self.pacer.tokens_at(QUANTUM));
            }
            let Some((due, batch)) = self.queue.pop() else {
                return Turn::Idle;
            };
            let lane = due.lane;
            let outcome = if batch.is_closed() {
                Sent::Nothing
            } else {
                self.send(due, &batch, now)
            };
            self.queue.release(lane);
            match outcome {
                Sent::Echo => {}
                Sent::Nothing => self.pacer.give_back(1),
                Sent::BufferFull => {
                    self.pacer.give_back(1);
                    return Turn::WaitUntil(now + RETRY_FULL_BUFFER);
                }
            }
        }
        Turn::Busy
    }

    /// Sends the next echo of a target, queueing the one after it.
    fn send(&mut self, due: Due, batch: &Arc<Batch>, now: Instant) -> Sent {
        let Some(next) = batch.next_echo(due.target, now) else {
            return Sent::Nothing;
        };
        let echoes = &batch.echoes[due.target];
        let family = &echoes.socket;
        // The send stamp: taken before registering (the answer may be read before `sendto`
        // returns), a few hundred nanoseconds before the packet leaves.
        let entry = InFlight {
            batch: batch.clone(),
            target: due.target,
            sent: Stamp::now(),
            timeout: next.timeout,
        };
        let Some(seq) = family.register(echoes.ip, entry) else {
            let error = format!("every sequence number to {} is in flight", echoes.ip);
            batch.send_failed(due.target, error, next.more);
            return Sent::Nothing;
        };
        let socket = &family.socket;
        packet::echo_request(
            &mut self.packet,
            socket.family,
            socket.kind,
            family.ident,
            seq,
            echoes.payload_bytes,
        );
        match socket.send_to(&self.packet, echoes.ip) {
            Ok(()) => {
                if next.more {
                    self.queue
                        .push_back(due.lane, now + echoes.interval, due.target);
                }
                Sent::Echo
            }
            Err(error) if is_full(&error) => {
                family.unregister(echoes.ip, seq);
                batch.unclaim(due.target, next.more);
                self.queue.push_front(due);
                Sent::BufferFull
            }
            Err(error) => {
                family.unregister(echoes.ip, seq);
                batch.send_failed(due.target, format!("send failed: {error}"), next.more);
                Sent::Nothing
            }
        }
    }
}

enum Sent {
    Echo,
    Nothing,
    BufferFull,
}

fn is_full(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::WouldBlock
        || error.raw_os_error() == Some(nix::errno::Errno::ENOBUFS as i32)
}
