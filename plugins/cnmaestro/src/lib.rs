//! `cnmaestro`: a Cambium cnMaestro (cloud or on-premises) as Vigia sees it. Per target (one
//! cnMaestro, address = API base URL `https://<host>/api/v2`) and run:
//!
//! - gets an OAuth 2.0 client-credentials token from `POST /access/token` (HTTP Basic
//!   `client_id:client_secret`), kept in `kv` with its expiry between runs, renewed once when a
//!   request is refused (401);
//! - reads `GET /devices` (inventory), `GET /devices/statistics` (radio readings) and
//!   `GET /alarms` (active alarms), each paged with `limit`/`offset` (bounded by `max_pages`),
//!   with `fields` projections and the `network`/`tower` filters of the config;
//! - emits one `radio-link` per PMP/ePMP subscriber module (`ap_mac`, `tower`, connected or not,
//!   downlink RSSI, SNR and modulation), one `topology-edge` tower → AP per access point with a
//!   `connected_sms` metric on the AP, one `alarm` per active alarm on the device it names, and
//!   optionally (`link_subscribers`) subscriber → SM edges when SMs are named by PPPoE login;
//! - classifies failures (`auth`, `budget` on 429, `unreachable` on 5xx and HTML pages, `timeout`,
//!   `invalid-response`) as one `failure` per cnMaestro.
//!
//! It does NOT write to cnMaestro (no reboots, jobs or configuration), read Wi-Fi, PTP or other
//! families, or keep a copy of the inventory: every run emits the whole current truth.

mod client;
mod config;
mod model;
mod observe;
mod time;

use vigia_plugin_sdk::prelude::*;

pub use config::Config;

use client::Client;

pub struct Cnmaestro;

impl Plugin for Cnmaestro {
    type Config = Config;

    fn info() -> Info {
        // The cnMaestro host and the secret name are the operator's to grant.
        Info::new(
            "cnmaestro",
            env!("CARGO_PKG_VERSION"),
            "cnmaestro: radio links of pmp/epmp subscriber modules, tower and ap topology, active alarms",
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
        let secret = host.get_secret(&config.client_secret_secret).map_err(|e| {
            PluginError::from(e).context(format!("secret `{}`", config.client_secret_secret))
        })?;
        let mut observations = Vec::new();
        for target in targets {
            let result = Client::new(host, target, config, secret.clone())
                .and_then(|mut client| observe::cnmaestro(&mut client, config, target));
            match result {
                Ok(found) => observations.extend(found),
                Err(error) => observations.push(Observation::failure(target, error)),
            }
        }
        Ok(observations)
    }
}

export_plugin!(Cnmaestro);

#[cfg(test)]
mod tests;
