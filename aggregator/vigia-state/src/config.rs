//! Configuration of the live state (deserialisable, every field defaulted, so the aggregator can
//! embed it as a `[state]` table).

use serde::Deserialize;

/// Everything tunable about the live state and its service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    /// Latest observations kept per entity (bounded memory).
    pub observations_per_entity: usize,
    /// An entity row is re-written when only its `last_seen_ms` moved by at least this much.
    pub last_seen_granularity_ms: u64,
    /// An entity whose state no observation confirmed for this long becomes `unknown`.
    pub stale_after_ms: u64,
    /// Children listed in an entity view (the total is always given).
    pub children_in_view: usize,
    /// Latest alarms kept per entity (as the `alarms` attribute).
    pub alarms_per_entity: usize,
    /// Interfaces kept per device (as the `interfaces` attribute).
    pub interfaces_per_entity: usize,
    pub thresholds: Thresholds,
    pub metrics: MetricsConfig,
    pub service: ServiceConfig,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            observations_per_entity: 16,
            last_seen_granularity_ms: 60_000,
            stale_after_ms: 15 * 60_000,
            children_in_view: 100,
            alarms_per_entity: 8,
            interfaces_per_entity: 64,
            thresholds: Thresholds::default(),
            metrics: MetricsConfig::default(),
            service: ServiceConfig::default(),
        }
    }
}

/// Readings that make an otherwise up entity `degraded`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// ONU optical Rx below this (dBm) is degraded (SmartOLT calls < -25 "Critical").
    pub onu_rx_min_dbm: f64,
    /// ONU optical Rx above this (dBm) is degraded (overload).
    pub onu_rx_max_dbm: f64,
    /// Radio RSSI below this (dBm) is degraded (our default; vendors publish none).
    pub radio_rssi_min_dbm: f64,
    /// Radio SNR below this (dB) is degraded (our default; vendors publish none).
    pub radio_snr_min_db: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            onu_rx_min_dbm: -25.0,
            onu_rx_max_dbm: -8.0,
            radio_rssi_min_dbm: -80.0,
            radio_snr_min_db: 15.0,
        }
    }
}

/// The bounded metrics window.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Samples older than this (relative to the series' newest) are dropped.
    pub window_ms: u64,
    /// At most this many samples per series.
    pub max_samples_per_series: usize,
    /// At most this many series; beyond it the least recently updated series is dropped.
    pub max_series: usize,
    /// Export per-subscriber kinds (`subscriber`, `onu`, `subscriber_module`, `customer`) to
    /// Prometheus too (off: only infrastructure kinds, to bound cardinality).
    pub export_subscriber_kinds: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            window_ms: 3_600_000,
            max_samples_per_series: 360,
            // Three per ONU (Rx, Tx, OLT Rx) and two per radio for 200,000 subscribers, with
            // room: the diagnosis's Rx medians need every ONU's series kept.
            max_series: 1_000_000,
            export_subscriber_kinds: false,
        }
    }
}

/// The runtime task: queue, periodic work, retention and write retries.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// Capacity of the committed-batch queue (back-pressure on ingest beyond it).
    pub queue: usize,
    /// Most queued batches applied before one persist.
    pub max_batches_per_write: usize,
    pub sweep_every_ms: u64,
    pub prune_every_ms: u64,
    /// State changes older than this are pruned (each entity's latest is kept).
    pub history_days: u64,
    /// Stored result batches older than this are pruned.
    pub batches_days: u64,
    /// State changes held while the store fails; beyond it the oldest are dropped (counted).
    pub max_pending_changes: usize,
    pub retry_initial_ms: u64,
    pub retry_max_ms: u64,
    /// How long shutdown keeps retrying to flush pending writes.
    pub shutdown_flush_ms: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            queue: 256,
            max_batches_per_write: 64,
            sweep_every_ms: 30_000,
            prune_every_ms: 3_600_000,
            history_days: 90,
            batches_days: 7,
            max_pending_changes: 100_000,
            retry_initial_ms: 200,
            retry_max_ms: 30_000,
            shutdown_flush_ms: 10_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_toml_keeps_defaults() {
        let config: StateConfig = toml::from_str(
            "stale_after_ms = 60000\n[metrics]\nmax_series = 10\n[service]\nhistory_days = 30\n",
        )
        .unwrap();
        assert_eq!(config.stale_after_ms, 60_000);
        assert_eq!(config.metrics.max_series, 10);
        assert_eq!(config.metrics.window_ms, 3_600_000);
        assert_eq!(config.service.history_days, 30);
        assert_eq!(config.service.batches_days, 7);
        assert_eq!(config.observations_per_entity, 16);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = toml::from_str::<StateConfig>("stale_after = 1\n").unwrap_err();
        assert!(err.to_string().contains("stale_after"), "{err}");
    }
}
