//! Reconnect delays: exponential growth with full jitter ("Exponential Backoff And Jitter",
//! AWS Architecture Blog): after the n-th failure in a row, wait a uniformly random time in
//! `[0, min(max, min * 2^n)]`. Full jitter spreads the reconnects of many agents that lost the
//! aggregator at the same moment.

use std::time::Duration;

use rand::Rng;

/// Backoff state for one uplink; [`reset`](Backoff::reset) after a connection that worked.
#[derive(Debug)]
pub(crate) struct Backoff<R> {
    min: Duration,
    max: Duration,
    failures: u32,
    rng: R,
}

impl<R: Rng> Backoff<R> {
    pub(crate) fn new(min: Duration, max: Duration, rng: R) -> Self {
        Self {
            min,
            max: max.max(min),
            failures: 0,
            rng,
        }
    }

    /// The upper bound of the next delay: `min * 2^failures`, capped at `max`.
    pub(crate) fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        self.min.saturating_mul(factor).min(self.max)
    }

    /// The delay before the next attempt; counts one more failure.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(self.rng.random_range(0..=nanos))
    }

    /// The delay after the aggregator said goodbye: at least what it asked for.
    pub(crate) fn after_goodbye(&mut self, reconnect_after: Duration) -> Duration {
        self.next_delay().max(reconnect_after)
    }

    /// A connection worked: the next failure starts from `min` again.
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn backoff(seed: u64) -> Backoff<StdRng> {
        Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(3),
            StdRng::seed_from_u64(seed),
        )
    }

    #[test]
    fn the_ceiling_doubles_up_to_the_max() {
        let mut b = backoff(1);
        let mut ceilings = Vec::new();
        for _ in 0..8 {
            ceilings.push(b.ceiling().as_millis());
            b.next_delay();
        }
        assert_eq!(ceilings, [100, 200, 400, 800, 1600, 3000, 3000, 3000]);
        // Many more failures never overflow.
        for _ in 0..100 {
            b.next_delay();
        }
        assert_eq!(b.ceiling(), Duration::from_secs(3));
    }

    #[test]
    fn delays_stay_under_the_ceiling_and_are_jittered() {
        for seed in 0..20 {
            let mut b = backoff(seed);
            let mut capped = Vec::new();
            for _ in 0..40 {
                let ceiling = b.ceiling();
                let delay = b.next_delay();
                assert!(delay <= ceiling, "{delay:?} > {ceiling:?}");
                if ceiling == Duration::from_secs(3) {
                    capped.push(delay);
                }
            }
            // Full jitter: delays at the cap spread over most of [0, 3 s].
            let lo = capped.iter().min().unwrap();
            let hi = capped.iter().max().unwrap();
            assert!(
                *hi - *lo > Duration::from_secs(2),
                "seed {seed}: {capped:?}"
            );
        }
    }

    #[test]
    fn delays_grow_on_average() {
        // Mean over many seeds of the n-th delay is ceiling/2: 50, 100, 200, 400 ms.
        let mut sums = [Duration::ZERO; 4];
        for seed in 0..400 {
            let mut b = backoff(seed);
            for sum in &mut sums {
                *sum += b.next_delay();
            }
        }
        let means: Vec<u128> = sums.iter().map(|s| s.as_millis() / 400).collect();
        for pair in means.windows(2) {
            assert!(pair[1] > pair[0] * 3 / 2, "{means:?}");
        }
    }

    #[test]
    fn reset_starts_over_and_goodbye_sets_a_floor() {
        let mut b = backoff(7);
        for _ in 0..5 {
            b.next_delay();
        }
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(100));
        let delay = b.after_goodbye(Duration::from_secs(10));
        assert_eq!(delay, Duration::from_secs(10));
        assert_eq!(b.ceiling(), Duration::from_millis(200), "a goodbye counts");
    }
}
