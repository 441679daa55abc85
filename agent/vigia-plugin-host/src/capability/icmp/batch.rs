//! One `echo` call in flight: per target, what was sent and what came back. The sender task
//! asks it for the next echo of a target, the receive path records answers, and the caller
//! waits on it until every echo is answered or has timed out.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::family::FamilySocket;
use crate::bindings::vigia::plugin::icmp::EchoResult;

/// One target of the call, as the plugin asked for it.
pub(super) struct Echoes {
    pub(super) address: String,
    pub(super) ip: IpAddr,
    pub(super) socket: Arc<FamilySocket>,
    pub(super) count: u16,
    pub(super) interval: Duration,
    pub(super) timeout: Duration,
    pub(super) payload_bytes: usize,
}

struct TargetState {
    sent: u16,
    rtts_us: Vec<u32>,
    error: Option<String>,
}

struct State {
    targets: Vec<TargetState>,
    /// Targets with echoes left to send.
    sending: usize,
    /// Echoes sent and neither answered nor given up on.
    outstanding: usize,
    /// When the last echo sent so far times out.
    last_expiry: Instant,
}

/// What the sender should send next for a target.
pub(super) struct NextEcho {
    /// How long to wait for its reply.
    pub(super) timeout: Duration,
    /// Whether another echo follows this one.
    pub(super) more: bool,
}

pub(super) struct Batch {
    pub(super) echoes: Vec<Echoes>,
    io_deadline: Instant,
    state: Mutex<State>,
    closed: AtomicBool,
    changed: Notify,
}

impl Batch {
    pub(super) fn new(echoes: Vec<Echoes>, io_deadline: Instant) -> Self {
        let targets = echoes
            .iter()
            .map(|e| TargetState {
                sent: 0,
                rtts_us: Vec::with_capacity(usize::from(e.count)),
                error: None,
            })
            .collect();
        let sending = echoes.len();
        Self {
            echoes,
            io_deadline,
            state: Mutex::new(State {
                targets,
                sending,
                outstanding: 0,
                last_expiry: Instant::now(),
            }),
            closed: AtomicBool::new(false),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves counters that are still consistent enough to
        // report: take the data rather than propagate the poison.
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Claims the next echo of `target`, counted as sent now (so an answer that beats the
    /// sender's bookkeeping is never lost). `None` when the target is done or time is up.
    pub(super) fn next_echo(&self, target: usize, now: Instant) -> Option<NextEcho> {
        if self.is_closed() {
            return None;
        }
        let echoes = &self.echoes[target];
        let mut state = self.state();
        let left = self.io_deadline.saturating_duration_since(now);
        let t = &mut state.targets[target];
        if t.sent >= echoes.count || left.is_zero() {
            self.finish_sending(&mut state);
            return None;
        }
        t.sent += 1;
        let more = t.sent < echoes.count;
        let timeout = echoes.timeout.min(left);
        state.outstanding += 1;
        state.last_expiry = state.last_expiry.max(now + timeout);
        if !more {
            self.finish_sending(&mut state);
        }
        Some(NextEcho { timeout, more })
    }

    fn finish_sending(&self, state: &mut State) {
        state.sending -= 1;
        if state.sending == 0 {
            self.changed.notify_one();
        }
    }

    /// The echo claimed by [`Self::next_echo`] could not be sent.
    pub(super) fn send_failed(&self, target: usize, error: String, more: bool) {
        let mut state = self.state();
        state.targets[target].sent -= 1;
        state.targets[target].error = Some(error);
        state.outstanding -= 1;
        if more {
            // The target stops here: a send error (no route, refused by policy) repeats.
            self.finish_sending(&mut state);
        }
        self.notify_if_complete(&state);
    }

    /// The echo was not sent after all and will be tried again (send buffer full).
    pub(super) fn unclaim(&self, target: usize, more: bool) {
        let mut state = self.state();
        state.targets[target].sent -= 1;
        state.outstanding -= 1;
        if !more {
            // `next_echo` counted the target finished; it is sending again.
            state.sending += 1;
        }
    }

    /// An answer to one of this batch's echoes: a reply after `rtt`, or an ICMP error.
    pub(super) fn answered(
        &self,
        target: usize,
        rtt: Duration,
        timeout: Duration,
        error: Option<String>,
    ) {
        if self.is_closed() {
            return;
        }
        let mut state = self.state();
        state.outstanding -= 1;
        let t = &mut state.targets[target];
        match error {
            Some(error) => t.error = Some(error),
            // A reply later than the timeout is loss, even if the agent read it before giving up.
            None if rtt <= timeout => t.rtts_us.push(micros(rtt)),
            None => {}
        }
        self.notify_if_complete(&state);
    }

    fn notify_if_complete(&self, state: &State) {
        if state.sending == 0 && state.outstanding == 0 {
            self.changed.notify_one();
        }
    }

    /// Waits until every echo is answered or timed out, or the I/O deadline passes. `drain`
    /// reads replies already queued in the sockets before the batch gives up on them.
    pub(super) async fn wait(&self, drain: impl Fn()) {
        loop {
            let wake = {
                let state = self.state();
                if state.sending == 0 && state.outstanding == 0 {
                    return;
                }
                if state.sending == 0 {
                    state.last_expiry.min(self.io_deadline)
                } else {
                    self.io_deadline
                }
            };
            if Instant::now() >= wake {
                // Replies the kernel received in time may still sit in a socket buffer when
                // the runtime is busy: read them before calling anything lost.
                drain();
                return;
            }
            tokio::select! {
                () = self.changed.notified() => {}
                () = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// Stops the batch: the sender skips it, late answers are ignored.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Closes the batch and returns the results in request order.
    pub(super) fn finish(&self) -> Vec<EchoResult> {
        self.close();
        let mut state = self.state();
        let targets = std::mem::take(&mut state.targets);
        self.echoes
            .iter()
            .zip(targets)
            .map(|(echoes, t)| EchoResult {
                address: echoes.address.clone(),
                sent: t.sent,
                rtts_us: t.rtts_us,
                error: t.error,
            })
            .collect()
    }
}

/// Whole microseconds, rounded up: a reply is never faster than 1 µs, and 0 would read as "not
/// measured".
pub(super) fn micros(rtt: Duration) -> u32 {
    u32::try_from(rtt.as_nanos().div_ceil(1000)).unwrap_or(u32::MAX)
}
