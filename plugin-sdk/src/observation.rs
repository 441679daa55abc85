//! Constructors that keep plugins concise: observations, metrics, reachability from RTTs, targets.

use crate::{Metric, MetricKind, Observation, ObservationKind, PluginError, Reachability, Target};

impl Observation {
    /// An observation about `target`, carrying the target's labels (the WIT convention).
    /// `observed_at_ms` is 0: the host fills in the run's end time.
    pub fn new(target: &Target, kind: ObservationKind) -> Self {
        Self {
            target: target.id.clone(),
            observed_at_ms: 0,
            kind,
            labels: target.labels.clone(),
        }
    }

    pub fn reachability(target: &Target, reachability: Reachability) -> Self {
        Self::new(target, ObservationKind::Reachability(reachability))
    }

    pub fn metric(target: &Target, metric: Metric) -> Self {
        Self::new(target, ObservationKind::Metric(metric))
    }

    /// This target failed while the run as a whole went on.
    pub fn failure(target: &Target, error: PluginError) -> Self {
        Self::new(target, ObservationKind::Failure(error.into()))
    }

    /// Adds a label (`snake_case` key).
    #[must_use]
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }

    /// Sets when it was observed, Unix milliseconds.
    #[must_use]
    pub fn at_ms(mut self, observed_at_ms: u64) -> Self {
        self.observed_at_ms = observed_at_ms;
        self
    }
}

impl Metric {
    pub fn gauge(name: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Self::new(MetricKind::Gauge, name, value, unit)
    }

    /// A monotonic counter; consumers compute rates and handle resets.
    pub fn counter(name: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Self::new(MetricKind::Counter, name, value, unit)
    }

    fn new(kind: MetricKind, name: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind,
            value,
            unit: unit.into(),
            labels: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }
}

impl Reachability {
    /// Summarises `sent` probes of `address` and the RTTs (microseconds) of the replies, in the
    /// order they came back: up when any reply came back; min/avg/max over the replies; jitter
    /// as the mean absolute difference of consecutive RTTs (absent with fewer than two replies).
    pub fn from_rtts(address: impl Into<String>, sent: u32, rtts_us: &[u32]) -> Self {
        let received = u32::try_from(rtts_us.len()).unwrap_or(u32::MAX);
        let (min, avg, max) = match (rtts_us.iter().min(), rtts_us.iter().max()) {
            (Some(&min), Some(&max)) => {
                let sum: u64 = rtts_us.iter().map(|&rtt| u64::from(rtt)).sum();
                let avg = mean_rounded(sum, rtts_us.len());
                (Some(min), Some(avg), Some(max))
            }
            _ => (None, None, None),
        };
        let jitter = (rtts_us.len() >= 2).then(|| {
            let total: u64 = rtts_us
                .windows(2)
                .map(|pair| u64::from(pair[0].abs_diff(pair[1])))
                .sum();
            mean_rounded(total, rtts_us.len() - 1)
        });
        Self {
            address: address.into(),
            up: received > 0,
            sent,
            received,
            rtt_min_us: min,
            rtt_avg_us: avg,
            rtt_max_us: max,
            rtt_jitter_us: jitter,
            detail: None,
        }
    }

    /// Why it is down, when known.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Fraction of probes without a reply, 0.0..=1.0; `None` when nothing was sent.
    pub fn loss_ratio(&self) -> Option<f64> {
        (self.sent > 0).then(|| {
            let lost = self.sent.saturating_sub(self.received);
            f64::from(lost) / f64::from(self.sent)
        })
    }
}

/// `sum / count` rounded to the nearest integer; the mean of u32 values fits in a u32.
fn mean_rounded(sum: u64, count: usize) -> u32 {
    let count = count as u64;
    u32::try_from((sum + count / 2) / count).unwrap_or(u32::MAX)
}

impl Target {
    /// A target with no labels (handy in tests).
    pub fn new(id: impl Into<String>, address: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            address: address.into(),
            labels: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorClass;

    #[test]
    fn rtt_summary_over_replies() {
        let r = Reachability::from_rtts("10.0.0.1", 4, &[400, 600, 500]);
        assert!(r.up);
        assert_eq!((r.sent, r.received), (4, 3));
        assert_eq!(
            (r.rtt_min_us, r.rtt_avg_us, r.rtt_max_us),
            (Some(400), Some(500), Some(600))
        );
        // |400-600| + |600-500| = 300 over 2 pairs.
        assert_eq!(r.rtt_jitter_us, Some(150));
        assert_eq!(r.loss_ratio(), Some(0.25));
    }

    #[test]
    fn one_reply_has_no_jitter_and_no_reply_has_no_rtts() {
        let one = Reachability::from_rtts("a", 3, &[700]);
        assert_eq!((one.rtt_avg_us, one.rtt_jitter_us), (Some(700), None));
        let none = Reachability::from_rtts("a", 3, &[]).with_detail("destination host unreachable");
        assert!(!none.up);
        assert_eq!(
            (none.rtt_min_us, none.rtt_avg_us, none.rtt_jitter_us),
            (None, None, None)
        );
        assert_eq!(none.loss_ratio(), Some(1.0));
        assert_eq!(none.detail.as_deref(), Some("destination host unreachable"));
        assert_eq!(Reachability::from_rtts("a", 0, &[]).loss_ratio(), None);
    }

    #[test]
    fn average_rounds_and_does_not_overflow() {
        assert_eq!(Reachability::from_rtts("a", 2, &[1, 2]).rtt_avg_us, Some(2));
        let huge = Reachability::from_rtts("a", 2, &[u32::MAX, u32::MAX]);
        assert_eq!(huge.rtt_avg_us, Some(u32::MAX));
    }

    #[test]
    fn observations_carry_target_id_and_labels() {
        let target = Target::new("cpe-1", "10.0.0.1").with_label("site", "sao");
        let obs = Observation::metric(&target, Metric::gauge("packet_loss_ratio", 0.5, "1"))
            .with_label("probe", "icmp");
        assert_eq!(obs.target, "cpe-1");
        assert_eq!(obs.observed_at_ms, 0);
        assert_eq!(
            obs.labels,
            vec![
                ("site".into(), "sao".into()),
                ("probe".into(), "icmp".into())
            ]
        );
        let failure = Observation::failure(&target, PluginError::config("not an ip"));
        match failure.kind {
            ObservationKind::Failure(error) => assert_eq!(error.class, ErrorClass::Config),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}
