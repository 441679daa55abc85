//! The host-wide token bucket that paces echo requests: however many runs ping at once, the
//! kernel sees at most `rate` requests a second, in bursts of at most `burst`, so replies never
//! arrive faster than the receive path (socket buffer, one reader task) drains them.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(super) struct Pacer {
    per_sec: u64,
    burst: u64,
    /// Tokens in nanoseconds-of-rate units (one token = 1e9 units), so refills stay exact.
    units: u64,
    last: Instant,
}

const UNITS_PER_TOKEN: u64 = 1_000_000_000;

impl Pacer {
    /// A full bucket. `per_sec` and `burst` are at least 1.
    pub(super) fn new(per_sec: u32, burst: u32, now: Instant) -> Self {
        let burst = u64::from(burst.max(1));
        Self {
            per_sec: u64::from(per_sec.max(1)),
            burst,
            units: burst * UNITS_PER_TOKEN,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = now;
        let added = u64::try_from(elapsed.as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_mul(self.per_sec);
        self.units = self
            .units
            .saturating_add(added)
            .min(self.burst * UNITS_PER_TOKEN);
    }

    /// Takes up to `want` tokens; returns how many were granted.
    pub(super) fn take(&mut self, now: Instant, want: u64) -> u64 {
        self.refill(now);
        let granted = (self.units / UNITS_PER_TOKEN).min(want);
        self.units -= granted * UNITS_PER_TOKEN;
        granted
    }

    /// Gives back tokens taken but not used.
    pub(super) fn give_back(&mut self, tokens: u64) {
        self.units = self
            .units
            .saturating_add(tokens * UNITS_PER_TOKEN)
            .min(self.burst * UNITS_PER_TOKEN);
    }

    /// When `tokens` tokens (at most the burst) will be there.
    pub(super) fn tokens_at(&self, tokens: u64) -> Instant {
        let wanted = tokens.clamp(1, self.burst) * UNITS_PER_TOKEN;
        let missing = wanted.saturating_sub(self.units);
        self.last + Duration::from_nanos(missing.div_ceil(self.per_sec))
    }
}
