//! The `log` capability (always granted): plugin log lines are re-emitted with `tracing` and kept
//! in the run report, both capped. A line at error level starting `panic: ` is the SDK's panic
//! hook speaking; the last one is kept apart so a trap can be reported as the guest's panic.

use serde::Serialize;

use crate::bindings::vigia::plugin::log::{Host, Level};
use crate::limits::MAX_LOG_LINE_BYTES;
use crate::state::HostState;

/// Prefix of the line the SDK's panic hook logs before the guest traps.
const PANIC_PREFIX: &str = "panic: ";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// One plugin log line, as kept in the run report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// The log lines of one store (a run or a describe call).
#[derive(Debug, Default)]
pub(crate) struct LogBuffer {
    pub(crate) lines: Vec<LogLine>,
    pub(crate) dropped: u32,
    /// The message of the last `panic: ` line, without the prefix.
    pub(crate) last_panic: Option<String>,
}

impl From<Level> for LogLevel {
    fn from(level: Level) -> Self {
        match level {
            Level::Trace => Self::Trace,
            Level::Debug => Self::Debug,
            Level::Info => Self::Info,
            Level::Warn => Self::Warn,
            Level::Error => Self::Error,
        }
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub(crate) fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

impl Host for HostState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.charge()?;
        let level = LogLevel::from(level);
        let message = truncate(message, MAX_LOG_LINE_BYTES);
        if level == LogLevel::Error
            && let Some(panic) = message.strip_prefix(PANIC_PREFIX)
        {
            self.log.last_panic = Some(panic.to_owned());
        }
        if self.log.lines.len() >= self.limits.max_log_lines as usize {
            self.log.dropped += 1;
            return Ok(());
        }
        let (plugin, targets) = (self.plugin.as_str(), self.target_count);
        match level {
            LogLevel::Trace => tracing::trace!(plugin, targets, "{message}"),
            LogLevel::Debug => tracing::debug!(plugin, targets, "{message}"),
            LogLevel::Info => tracing::info!(plugin, targets, "{message}"),
            LogLevel::Warn => tracing::warn!(plugin, targets, "{message}"),
            LogLevel::Error => tracing::error!(plugin, targets, "{message}"),
        }
        self.log.lines.push(LogLine { level, message });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("abc".into(), 10), "abc");
        assert_eq!(truncate("abcdef".into(), 4), "abcd");
        // "é" is two bytes: cutting inside it backs off to the boundary before it.
        assert_eq!(truncate("aé".into(), 2), "a");
    }
}
