//! Backoff after transient failures: exponential from the initial delay, doubling, capped, with
//! jitter so channels failing together do not retry together.

use std::time::Duration;

use rand::Rng;

/// The delay before the next attempt, after `attempts` attempts (1 = the first one failed):
/// `initial * 2^(attempts-1)` capped at `max`, then scaled by a random factor in [0.75, 1.0].
pub(super) fn delay(
    attempts: u32,
    initial: Duration,
    max: Duration,
    rng: &mut impl Rng,
) -> Duration {
    let doublings = attempts.saturating_sub(1).min(31);
    let base = initial.saturating_mul(1 << doublings).min(max);
    base.mul_f64(rng.random_range(0.75..=1.0))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::delay;

    #[test]
    fn doubles_from_initial_up_to_the_cap_with_bounded_jitter() {
        let initial = Duration::from_secs(1);
        let max = Duration::from_secs(600);
        let mut rng = rand::rng();
        for (attempts, base_secs) in [(1, 1), (2, 2), (3, 4), (10, 512), (11, 600), (40, 600)] {
            for _ in 0..50 {
                let d = delay(attempts, initial, max, &mut rng);
                let base = Duration::from_secs(base_secs);
                assert!(d <= base, "attempt {attempts}: {d:?} > {base:?}");
                assert!(
                    d >= base.mul_f64(0.75),
                    "attempt {attempts}: {d:?} too short"
                );
            }
        }
    }
}
