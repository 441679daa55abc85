//! A token bucket that paces the backlog replay: `rate` batches per second, with a burst of a
//! tenth of a second's worth so replay does not stall on timer granularity.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Pacer {
    per_second: f64,
    burst: f64,
    tokens: f64,
    updated: Instant,
}

impl Pacer {
    /// A full bucket at `now`. `per_second` must be at least 1.
    pub(crate) fn new(per_second: u32, now: Instant) -> Self {
        let per_second = f64::from(per_second.max(1));
        let burst = (per_second / 10.0).max(1.0);
        Self {
            per_second,
            burst,
            tokens: burst,
            updated: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.updated = now;
    }

    /// Whole tokens available at `now`.
    pub(crate) fn available(&mut self, now: Instant) -> usize {
        self.refill(now);
        // Bounded by `burst`, a small positive number.
        self.tokens.floor() as usize
    }

    /// Spends one token (call only after [`available`](Self::available) said there is one).
    pub(crate) fn take(&mut self) {
        self.tokens = (self.tokens - 1.0).max(0.0);
    }

    /// When it is worth waking up to send again: once 10 ms worth of tokens (at least one, at
    /// most `wanted` and the burst) are available. Waking for every single token would make
    /// timer granularity, not the rate, the limit.
    pub(crate) fn ready_at(&mut self, now: Instant, wanted: usize) -> Instant {
        self.refill(now);
        let chunk = (self.per_second / 100.0)
            .min(wanted as f64)
            .min(self.burst)
            .max(1.0);
        let missing = (chunk - self.tokens).max(0.0);
        now + Duration::from_secs_f64(missing / self.per_second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn replay_is_bounded_by_the_rate_plus_the_burst() {
        let start = Instant::now();
        let mut pacer = Pacer::new(200, start);
        let mut sent = 0usize;
        // Take as fast as the pacer allows for 2 s of (paused) time.
        while Instant::now() < start + Duration::from_secs(2) {
            let now = Instant::now();
            if pacer.available(now) > 0 {
                pacer.take();
                sent += 1;
            } else {
                tokio::time::sleep_until(pacer.ready_at(now, usize::MAX)).await;
            }
        }
        // 20 burst + 200/s * 2 s, give or take the last token.
        assert!((400..=421).contains(&sent), "{sent}");
    }

    #[test]
    fn an_idle_pacer_saves_only_a_burst() {
        let start = Instant::now();
        let mut pacer = Pacer::new(1000, start);
        assert_eq!(pacer.available(start + Duration::from_secs(60)), 100);
        let mut slow = Pacer::new(1, start);
        assert_eq!(slow.available(start), 1);
        slow.take();
        assert_eq!(slow.available(start), 0);
        assert_eq!(slow.ready_at(start, 5), start + Duration::from_secs(1));
        // A fast pacer waits for 10 ms worth, or for what is wanted if that is less.
        let mut fast = Pacer::new(1000, start);
        for _ in 0..100 {
            fast.take();
        }
        assert_eq!(fast.ready_at(start, 64), start + Duration::from_millis(10));
        assert_eq!(fast.ready_at(start, 2), start + Duration::from_millis(2));
    }
}
