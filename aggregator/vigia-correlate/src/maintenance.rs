//! Maintenance windows: planned work on chosen entities during a time range. A window silences the
//! notifications of events whose root is one of its entities or below one (detection and
//! recording go on).

use serde::{Deserialize, Serialize};

/// One maintenance window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    pub id: u64,
    /// Entity ids (`olt:...`, `pon_port:...`, `tower:...`): the window covers them and everything
    /// that depends on them.
    pub entities: Vec<String>,
    /// Unix ms, inclusive.
    pub starts_ms: u64,
    /// Unix ms, exclusive.
    pub ends_ms: u64,
    /// Why (`"PON 1/1 splice"`).
    pub reason: String,
    /// Who created it (the API key id, or `config`).
    #[serde(default)]
    pub created_by: String,
}

impl MaintenanceWindow {
    pub fn is_active(&self, now_ms: u64) -> bool {
        self.starts_ms <= now_ms && now_ms < self.ends_ms
    }
}
