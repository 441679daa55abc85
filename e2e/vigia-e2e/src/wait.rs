//! Waiting for a condition with a deadline.

use std::time::{Duration, Instant};

/// Polls `check` every 50 ms until it returns `Some`, or panics after `timeout` naming `what`.
/// This waits on a real condition (a log line, a row count, a metric), never a fixed delay.
pub fn wait_until<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
