//! Send and receive times. The send stamp is taken right before `sendto`, the receive time is
//! the kernel's (`SO_TIMESTAMPNS`), so neither the pacer's queue nor a busy runtime that reads
//! the reply late is counted in the round trip.

use std::time::Duration;

use nix::time::{ClockId, clock_gettime};
use tokio::time::Instant;

/// When an echo request left, on both clocks.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stamp {
    /// `CLOCK_REALTIME` in nanoseconds: the clock of the kernel's receive timestamps.
    real_ns: Option<i64>,
    /// The monotonic clock: the fallback, and a bound on the kernel-based round trip.
    mono: Instant,
}

/// Slack allowed between the two clocks before the kernel timestamp is distrusted (a slewing
/// NTP daemon moves the real-time clock by at most 500 ppm).
const CLOCK_SLACK: Duration = Duration::from_millis(1);

impl Stamp {
    pub(super) fn now() -> Self {
        Self {
            real_ns: realtime_ns(),
            mono: Instant::now(),
        }
    }

    /// The round trip of a reply that the kernel stamped `kernel_ns` and that we read at `now`.
    /// A kernel stamp that is before the send or after our own reading of the packet means the
    /// real-time clock was stepped in between: then the monotonic reading is used.
    pub(super) fn rtt(&self, kernel_ns: Option<i64>, now: Instant) -> Duration {
        let mono = now.saturating_duration_since(self.mono);
        if let (Some(sent), Some(received)) = (self.real_ns, kernel_ns)
            && let Ok(nanos) = u64::try_from(received - sent)
            && Duration::from_nanos(nanos) <= mono + CLOCK_SLACK
        {
            return Duration::from_nanos(nanos);
        }
        mono
    }
}

fn realtime_ns() -> Option<i64> {
    let ts = clock_gettime(ClockId::CLOCK_REALTIME).ok()?;
    Some(ts.tv_sec() * 1_000_000_000 + ts.tv_nsec())
}

#[cfg(test)]
impl Stamp {
    pub(super) fn real_ns_for_tests(&self) -> i64 {
        self.real_ns.unwrap_or_default()
    }

    pub(super) fn mono_for_tests(&self) -> Instant {
        self.mono
    }
}
