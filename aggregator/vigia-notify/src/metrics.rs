//! Delivery counters, per channel, in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Reads one counter from a snapshot.
type Pick = fn(&ChannelCounts) -> u64;

/// Counters of one channel.
#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    retried: AtomicU64,
    rate_limited: AtomicU64,
    failed: AtomicU64,
}

/// A snapshot of one channel's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelCounts {
    pub sent: u64,
    /// Retries scheduled (rate limits included).
    pub retried: u64,
    /// Retries scheduled because the API asked to wait.
    pub rate_limited: u64,
    pub failed: u64,
}

/// The notifier's counters.
#[derive(Debug, Default)]
pub struct NotifyMetrics {
    channels: BTreeMap<String, Counters>,
    unknown_channel: AtomicU64,
    outbox_errors: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome {
    Sent,
    Retried { rate_limited: bool },
    Failed,
}

impl NotifyMetrics {
    pub(crate) fn new<'a>(channels: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            channels: channels
                .into_iter()
                .map(|name| (name.to_owned(), Counters::default()))
                .collect(),
            ..Self::default()
        }
    }

    pub(crate) fn record(&self, channel: &str, outcome: Outcome) {
        let Some(c) = self.channels.get(channel) else {
            return;
        };
        let counter = match outcome {
            Outcome::Sent => &c.sent,
            Outcome::Retried { rate_limited } => {
                if rate_limited {
                    c.rate_limited.fetch_add(1, Ordering::Relaxed);
                }
                &c.retried
            }
            Outcome::Failed => &c.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn unknown_channel(&self) {
        self.unknown_channel.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn outbox_error(&self) {
        self.outbox_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// One channel's counters (`None` for a channel not configured).
    pub fn channel(&self, name: &str) -> Option<ChannelCounts> {
        self.channels.get(name).map(|c| ChannelCounts {
            sent: c.sent.load(Ordering::Relaxed),
            retried: c.retried.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        })
    }

    /// Outbox entries failed because their channel is not configured.
    pub fn unknown_channel_failures(&self) -> u64 {
        self.unknown_channel.load(Ordering::Relaxed)
    }

    /// Outbox calls that failed.
    pub fn outbox_errors(&self) -> u64 {
        self.outbox_errors.load(Ordering::Relaxed)
    }

    /// Prometheus text exposition: `vigia_notify_{sent,retried,rate_limited,failed}_total
    /// {channel}`, `vigia_notify_unknown_channel_total` and `vigia_notify_outbox_errors_total`.
    pub fn render_prometheus(&self, out: &mut String) {
        let per_channel: [(&str, &str, Pick); 4] = [
            ("sent", "Notices delivered.", |c| c.sent),
            (
                "retried",
                "Deliveries that failed and were scheduled again.",
                |c| c.retried,
            ),
            (
                "rate_limited",
                "Retries scheduled because the API asked to wait.",
                |c| c.rate_limited,
            ),
            (
                "failed",
                "Deliveries given up (refused, or retried too long).",
                |c| c.failed,
            ),
        ];
        for (name, help, value) in per_channel {
            let _ = writeln!(
                out,
                "# HELP vigia_notify_{name}_total {help}\n# TYPE vigia_notify_{name}_total counter"
            );
            for channel in self.channels.keys() {
                let counts = self.channel(channel).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "vigia_notify_{name}_total{{channel=\"{}\"}} {}",
                    escape_label(channel),
                    value(&counts)
                );
            }
        }
        for (name, help, value) in [
            (
                "vigia_notify_unknown_channel_total",
                "Outbox entries failed because their channel is not configured.",
                self.unknown_channel_failures(),
            ),
            (
                "vigia_notify_outbox_errors_total",
                "Outbox calls that failed.",
                self.outbox_errors(),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::{NotifyMetrics, Outcome};

    #[test]
    fn renders_counters_per_channel() {
        let metrics = NotifyMetrics::new(["noc", "tickets"]);
        metrics.record("noc", Outcome::Sent);
        metrics.record("noc", Outcome::Sent);
        metrics.record("noc", Outcome::Retried { rate_limited: true });
        metrics.record("tickets", Outcome::Failed);
        metrics.record("nobody", Outcome::Failed);
        metrics.unknown_channel();
        let mut out = String::new();
        metrics.render_prometheus(&mut out);
        for line in [
            "# TYPE vigia_notify_sent_total counter",
            "vigia_notify_sent_total{channel=\"noc\"} 2",
            "vigia_notify_sent_total{channel=\"tickets\"} 0",
            "vigia_notify_retried_total{channel=\"noc\"} 1",
            "vigia_notify_rate_limited_total{channel=\"noc\"} 1",
            "vigia_notify_failed_total{channel=\"tickets\"} 1",
            "vigia_notify_unknown_channel_total 1",
            "vigia_notify_outbox_errors_total 0",
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
        }
    }
}
