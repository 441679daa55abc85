//! Facts about the WIT contract this SDK was generated from, for hosts and tools.
//!
//! `tests/wit_contract.rs` checks these against `wit/*.wit`, so they cannot drift.

/// The WIT package of the plugin contract.
pub const PACKAGE: &str = "vigia:plugin@0.1.0";

/// The package version alone.
pub const VERSION: &str = "0.1.0";

/// The world a plugin targets.
pub const WORLD: &str = "vigia:plugin/plugin@0.1.0";

/// The name under which a plugin component exports its `probe` interface. A host looks this
/// export up to decide whether it supports the component.
pub const PROBE_EXPORT: &str = "vigia:plugin/probe@0.1.0";

/// The interfaces a plugin may import, as component import names.
pub const IMPORTS: [&str; 8] = [
    "vigia:plugin/log@0.1.0",
    "vigia:plugin/clock@0.1.0",
    "vigia:plugin/icmp@0.1.0",
    "vigia:plugin/snmp@0.1.0",
    "vigia:plugin/http@0.1.0",
    "vigia:plugin/tcp@0.1.0",
    "vigia:plugin/kv@0.1.0",
    "vigia:plugin/secrets@0.1.0",
];

/// The prefix of the error-level log line the export glue writes when the plugin panics; the
/// host looks for it to classify a trap as a panic.
pub const PANIC_LOG_PREFIX: &str = "panic: ";
