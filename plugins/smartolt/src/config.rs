//! The probe's config: the token, which OLTs and reads, the details cache, on-demand diagnosis,
//! and timeouts.

use vigia_plugin_sdk::prelude::*;

/// Most ONUs `full_status_for` may name: each costs a call that takes about 10 s.
pub const MAX_FULL_STATUS: usize = 10;

/// Config of a smartolt probe. Only `token_secret` is required.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Name of the secret holding the account's API token (sent as `X-Token`). A target label
    /// `token_secret` overrides it for that target (one target = one account).
    pub token_secret: String,
    /// SmartOLT OLT ids to read; empty reads every OLT `get_olts` lists.
    #[serde(default)]
    pub olt_ids: Vec<u32>,
    /// Bulk reads per OLT: `statuses` (`get_onus_statuses`), `signals` (`get_onus_signals`),
    /// `details` (`get_all_onus_details`, cached), `outages` (`get_outage_pons`).
    #[serde(default = "default_read")]
    pub read: Vec<Read>,
    /// How long the cached ONU details (splitter, model, zone) and OLT list are used before they
    /// are read again, seconds. New ONUs trigger an earlier refresh.
    #[serde(default = "default_details_max_age_secs")]
    #[schemars(range(min = 60))]
    pub details_max_age_secs: u64,
    /// ONUs to diagnose with `get_onu_full_status_info` (about 10 s each), by
    /// `unique_external_id` or serial: last down cause, Tx power, distance. For investigating a
    /// reported problem, not for polling.
    #[serde(default)]
    #[schemars(length(max = 10))]
    pub full_status_for: Vec<String>,
    /// ONUs to check live by serial (a support desk's on-demand check): for each, its
    /// `get_onu_details` and `get_onu_full_status_info` (about 10 s), and nothing else: no bulk
    /// read and no OLT list in such a run, to spare the account's calls. Each gives one `onu`
    /// observation with status, Rx/Tx powers and the last down cause.
    #[serde(default)]
    #[schemars(length(max = 10))]
    pub full_status_onus: Vec<String>,
    /// SmartOLT's clock offset from UTC, minutes (it prints local times).
    #[serde(default)]
    #[schemars(range(min = -720, max = 840))]
    pub timezone_offset_minutes: i32,
    /// Deadline of each bulk request, milliseconds.
    #[serde(default = "default_timeout_ms")]
    #[schemars(range(min = 1))]
    pub timeout_ms: u32,
    /// Deadline of each `get_onu_full_status_info` request, milliseconds.
    #[serde(default = "default_full_status_timeout_ms")]
    #[schemars(range(min = 1))]
    pub full_status_timeout_ms: u32,
    /// Below this many calls left in the account's hour (`X-RateLimit-Remaining`), only
    /// `statuses` are read: details refreshes, signals, outages and full status wait.
    #[serde(default = "default_reserve_calls")]
    pub reserve_calls: u32,
}

/// A bulk read per OLT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Read {
    Statuses,
    Signals,
    Details,
    Outages,
}

fn default_read() -> Vec<Read> {
    vec![Read::Statuses, Read::Signals, Read::Details, Read::Outages]
}

fn default_details_max_age_secs() -> u64 {
    6 * 3600
}

fn default_timeout_ms() -> u32 {
    15_000
}

fn default_full_status_timeout_ms() -> u32 {
    20_000
}

fn default_reserve_calls() -> u32 {
    50
}

impl Config {
    /// The host validates against the schema too; this keeps the plugin safe on its own.
    pub(crate) fn validate(&self) -> Result<(), PluginError> {
        if self.token_secret.trim().is_empty() {
            return Err(PluginError::config("`token_secret` must not be empty"));
        }
        if !self.reads(Read::Statuses) {
            return Err(PluginError::config(
                "`read` must include `statuses` (the other reads complete it)",
            ));
        }
        if self.full_status_for.len() > MAX_FULL_STATUS {
            return Err(PluginError::config(format!(
                "`full_status_for` names {} ONUs, at most {MAX_FULL_STATUS} (each call takes ~10 s)",
                self.full_status_for.len()
            )));
        }
        if self.full_status_onus.len() > MAX_FULL_STATUS {
            return Err(PluginError::config(format!(
                "`full_status_onus` names {} ONUs, at most {MAX_FULL_STATUS} (each call takes ~10 s)",
                self.full_status_onus.len()
            )));
        }
        if let Some(bad) = self.full_status_onus.iter().find(|s| !valid_serial(s)) {
            return Err(PluginError::config(format!(
                "`full_status_onus` entry {bad:?} is not an ONU serial or external id ([A-Za-z0-9_-])"
            )));
        }
        if self.details_max_age_secs < 60 {
            return Err(PluginError::config(
                "`details_max_age_secs` must be at least 60",
            ));
        }
        if !(-720..=840).contains(&self.timezone_offset_minutes) {
            return Err(PluginError::config(format!(
                "`timezone_offset_minutes` must be -720..=840, got {}",
                self.timezone_offset_minutes
            )));
        }
        for (name, value) in [
            ("timeout_ms", self.timeout_ms),
            ("full_status_timeout_ms", self.full_status_timeout_ms),
        ] {
            if value == 0 {
                return Err(PluginError::config(format!("`{name}` must be at least 1")));
            }
        }
        Ok(())
    }

    pub(crate) fn reads(&self, read: Read) -> bool {
        self.read.contains(&read)
    }
}

/// A serial or external id that can go in a URL path as it is.
fn valid_serial(serial: &str) -> bool {
    let serial = serial.trim();
    !serial.is_empty()
        && serial
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
