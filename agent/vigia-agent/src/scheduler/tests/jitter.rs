//! Jitter: the first start within `jitter × interval`, every gap within `interval × (1 ± jitter)`,
//! and actually spread over that range.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::support::{FakeRunner, answers, options, probe, start};

#[tokio::test(start_paused = true)]
async fn starts_are_spread_within_the_jitter_bounds() {
    let epoch = Instant::now();
    let runner = || {
        Arc::new(FakeRunner::new(epoch, |targets, _| {
            answers(targets, Duration::from_millis(10), |_| false)
        }))
    };
    let (one, two) = (runner(), runner());
    let mut specs = vec![probe("one", &one, &["a"]), probe("two", &two, &["a"])];
    for spec in &mut specs {
        spec.interval = Duration::from_secs(100);
        spec.jitter = 0.2;
    }
    let mut options = options();
    options.max_rounds = Some(60);
    start(specs, options).finished().await;

    let mut firsts = Vec::new();
    for runner in [&one, &two] {
        let starts: Vec<f64> = runner.calls().iter().map(|c| c.at.as_secs_f64()).collect();
        assert_eq!(starts.len(), 60);
        assert!(
            (0.0..=20.0).contains(&starts[0]),
            "first start {}",
            starts[0]
        );
        firsts.push(starts[0]);
        let gaps: Vec<f64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
        for gap in &gaps {
            assert!(
                (80.0..=120.0).contains(gap),
                "gap {gap} outside 100 s ± 20%"
            );
        }
        // Spread, not constant: both halves of the range are used.
        let min = gaps.iter().copied().fold(f64::MAX, f64::min);
        let max = gaps.iter().copied().fold(f64::MIN, f64::max);
        assert!(min < 90.0 && max > 110.0, "gaps between {min} and {max}");
    }
    // Two probes with the same interval do not start together.
    assert_ne!(firsts[0], firsts[1]);
}
