//! What the heartbeat reports: the agent's health, supplied by the agent through
//! [`HealthSource`] (the uplink adds when it last saw an ack).

/// Agent health at one moment, independent of the wire format. Counters are cumulative since
/// the agent process started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HealthSnapshot {
    /// Records waiting in the spool (not yet acked).
    pub spool_records: u64,
    /// Payload bytes in the spool.
    pub spool_bytes: u64,
    /// Age of the oldest unacked record, milliseconds; 0 when the spool is empty.
    pub oldest_unacked_age_ms: u64,
    /// Records dropped because the spool was full.
    pub dropped_records: u64,
    /// Runs that ended in a fault.
    pub plugin_faults: u64,
    /// Runs that ended because a call budget was exhausted.
    pub budget_exhaustions: u64,
    /// Probe runs started.
    pub probe_runs: u64,
    /// Runs skipped because the previous run of the same probe was still going.
    pub skipped_overlapping_runs: u64,
    /// How long the agent process has been running, milliseconds.
    pub uptime_ms: u64,
}

/// Supplies the heartbeat's figures. Called from a blocking thread once per heartbeat, so it
/// may read the spool.
pub trait HealthSource: Send + Sync {
    fn snapshot(&self) -> HealthSnapshot;
}
