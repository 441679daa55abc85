//! Wall-clock time, for the wire only (`Heartbeat.sent_at_ms`, the last ack time). Intervals and
//! deadlines use `tokio::time` so tests can control them.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix milliseconds now; 0 if the clock is before 1970.
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
