//! Wall-clock time and run ids. Scheduling uses `tokio::time` (so tests can pause it); only the
//! timestamps written into results come from the system clock, here.

use std::sync::atomic::{AtomicU64, Ordering};

/// Milliseconds since the Unix epoch (0 if the system clock is before 1970).
#[allow(clippy::disallowed_methods)] // the one place in the scheduler that reads the wall clock
pub(crate) fn unix_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs started by this process, for run ids.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// A run id unique in this agent: `<probe>-<unix ms>-<counter>`. The counter makes ids unique
/// within the process; the start time makes them unique across restarts.
pub(crate) fn run_id(probe: &str, started_at_ms: u64) -> String {
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    format!("{probe}-{started_at_ms}-{n}")
}
