//! The triage's thresholds. Defaults follow the domain rules (SmartOLT's "Critical" optics,
//! a 2 dB drop against the recent median); the aggregator's config file overrides them.

use serde::{Deserialize, Serialize};

/// Rules and thresholds of the triage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TriageConfig {
    /// A reading older than this is stale: not used for a verdict, listed as missing.
    pub stale_after_ms: u64,
    /// The CRM's customer record (billing) is polled far less often than the network (IXC lists
    /// run to 100k rows): it stays usable for this long.
    pub billing_stale_after_ms: u64,
    /// CRM billing codes that mean blocked (IXC `status_internet`), besides the normalised
    /// `blocked` / `cancelled` billing state.
    pub blocked_billing_codes: Vec<String>,
    /// ONU Rx outside `[rx_min_dbm, rx_max_dbm]` is an optical problem.
    pub rx_min_dbm: f64,
    pub rx_max_dbm: f64,
    /// An Rx this many dB below the recent median is an optical problem.
    pub rx_drop_db: f64,
    /// Neighbours on the same PON that dropped this many dB...
    pub pon_drop_db: f64,
    /// ...at least this many of them (besides the subscriber) make it a PON/splitter problem.
    pub pon_drop_min_onus: u32,
    /// A LOS at most this old is "fresh" (confirm then dispatch); older ones are still LOS but the
    /// reason says how long it has been.
    pub fresh_los_ms: u64,
    /// Radio: RSSI below this (dBm) or SNR below this (dB) is a poor link. No vendor defaults are
    /// known; these are common field values for 5 GHz PMP.
    pub radio_rssi_min_dbm: f64,
    pub radio_snr_min_db: f64,
    /// Session drops within the recent window above which a `remote` verdict says the session is
    /// flapping.
    pub flapping_disconnects: u32,
}

impl Default for TriageConfig {
    fn default() -> Self {
        Self {
            stale_after_ms: 15 * 60_000,
            billing_stale_after_ms: 6 * 3_600_000,
            blocked_billing_codes: ["CA", "CM", "FA"].map(str::to_owned).to_vec(),
            rx_min_dbm: -25.0,
            rx_max_dbm: -8.0,
            rx_drop_db: 2.0,
            pon_drop_db: 1.5,
            pon_drop_min_onus: 2,
            fresh_los_ms: 24 * 3_600_000,
            radio_rssi_min_dbm: -80.0,
            radio_snr_min_db: 15.0,
            flapping_disconnects: 5,
        }
    }
}
