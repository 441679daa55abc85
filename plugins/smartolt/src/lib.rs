//! `smartolt`: ONUs as the SmartOLT cloud manager sees them, per account (one target = one
//! account; its address is the API base URL, `https://<tenant>.smartolt.com/api`). Per run:
//!
//! - the OLT list (`get_olts`, cached in `kv` for `details_max_age_secs`), narrowed to `olt_ids`;
//! - per OLT, `get_onus_statuses` and `get_onus_signals` every run, `get_all_onus_details` only
//!   when its `kv` cache is older than `details_max_age_secs` or an unknown ONU appears, and
//!   `get_outage_pons`: one `onu` observation per ONU (serial, login = ONU `name`, olt = the OLT's
//!   SmartOLT `name`, board/port/onu id, splitter = `odb_name`, status, rx = `signal_1490`, OLT rx
//!   = `signal_1310`, model), the vendor's outage PONs as `alarm`s on the `pon-port` (cleared when
//!   they end), and a gauge `smartolt_onus_online` per OLT;
//! - `get_onu_full_status_info` only for the ONUs named in `full_status_for` (last down cause,
//!   Tx power, distance), retried once with the GPON hex form of the serial on HTTP 400 (the
//!   vendor's hex-id quirk);
//! - with `full_status_onus` (serials), only those ONUs and no bulk read at all: per ONU
//!   `get_onu_details/{serial}` (hex form on HTTP 400) for its external id, OLT and place, then
//!   `get_onu_full_status_info/{external id}` for status, Rx/Tx and last down cause (the support
//!   desk's live check, run on demand);
//! - the account's `X-RateLimit-Remaining` as the gauge `smartolt_api_calls_remaining`, and the
//!   calls of this run as `smartolt_api_calls_run`.
//!
//! Steady state: 3 calls per OLT per run (2 without `outages`). Below `reserve_calls` left in the
//! hour only statuses are read. Failures are `failure` observations, classified (`auth`, `budget`
//! for 429, `unreachable` for 502–504, `timeout`, `invalid-response`, `unsupported` for 405);
//! after `auth`, `budget`, `unreachable`, `timeout` or `denied` the account is not asked again in
//! this run.
//!
//! It does NOT write (no reboots, no authorisations), never reads PPPoE passwords (the bulk
//! details carry them; only the splitter, model and zone are kept), and emits no topology edges
//! of its own: the `onu` observations carry OLT → PON → splitter → ONU → subscriber, which is all
//! SmartOLT knows.

mod account;
mod api;
mod cache;
mod config;
mod diagnose;
mod full_status;
mod olts;
mod onus;
mod outages;
mod values;

use vigia_plugin_sdk::prelude::*;

pub use config::{Config, MAX_FULL_STATUS, Read};

pub struct Smartolt;

impl Plugin for Smartolt {
    type Config = Config;

    fn info() -> Info {
        // The tenant host and the secret names are the operator's to grant.
        Info::new(
            "smartolt",
            env!("CARGO_PKG_VERSION"),
            "smartolt: onu status, signal and splitter per olt, outage pons, on-demand onu diagnosis",
        )
        .capability(Capability::Http(Vec::new()))
        .capability(Capability::Secrets(Vec::new()))
        .capability(Capability::Kv)
    }

    fn run(
        config: &Config,
        targets: &[Target],
        host: &impl Host,
    ) -> Result<Vec<Observation>, PluginError> {
        config.validate()?;
        let now_ms = host.now_ms();
        let mut observations = Vec::new();
        for target in targets {
            observations.extend(account::probe(config, target, host, now_ms));
        }
        Ok(observations)
    }
}

export_plugin!(Smartolt);

#[cfg(test)]
mod tests;
