//! `mikrotik`: MikroTik RouterOS routers (PPPoE concentrators) as Vigia sees them. Per router and
//! run, over one API connection (`tcp`, 8728 or 8729 with TLS) or RouterOS 7 REST (`http`):
//!
//! - `/ppp/active/print` → one `pppoe-session` (online) per login, `since` = now − uptime; then,
//!   with `listen_ms`, `/ppp/active/listen` on the same connection (tagged) for that long:
//!   `.dead=yes` events become offline sessions (with the reason when the router gives one) and
//!   new sessions online ones, then `/cancel`. Mass disconnects show within one probe interval.
//! - `/ppp/secret/print` → offline `pppoe-session`s for logins with no session, with the router's
//!   `last-logged-out` and `last-disconnect-reason` (disabled secrets labelled). Passwords are never
//!   asked for and are dropped from any row that carries one.
//! - `/interface/print` → `interface-status` with counters (static interfaces unless configured).
//! - With `logins`, only those logins are looked up (`?name=` per login, sessions and secrets):
//!   a login with no session is reported offline (the live check of a support desk); no
//!   interfaces, no listen, no metric, no snapshot in such runs.
//! - `kv` keeps the logins online at the end of each run, so a login gone between two runs (and in
//!   no secret) is reported offline once: every run emits the whole truth (level-based).
//! - A metric `pppoe_sessions_online` per router; a `failure` observation per failed router or
//!   table (classified: `auth`, `timeout`, `unreachable`, `invalid-response`, `unsupported`,
//!   `budget`), never a panic.
//!
//! It does NOT change anything on the router, resolve names, retry, or keep a connection between
//! runs (one connect per router per run). The wire codec is the `vigia-routeros` crate.

mod api;
mod collect;
mod config;
mod endpoint;
mod interfaces;
mod rest;
mod rows;
mod secrets;
mod sessions;
mod snapshot;
mod time;

use std::collections::BTreeSet;

use vigia_plugin_sdk::prelude::*;

pub use config::{Config, Mode, Table};

use collect::Collected;
use endpoint::Endpoint;
use time::RunClock;

pub struct Mikrotik;

impl Plugin for Mikrotik {
    type Config = Config;

    fn info() -> Info {
        // Hosts, ports and secret names are the operator's to grant: nothing is declared up front.
        Info::new(
            "mikrotik",
            env!("CARGO_PKG_VERSION"),
            "mikrotik routeros: pppoe sessions (live disconnects), secrets and interfaces",
        )
        .capability(Capability::Tcp(Vec::new()))
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
        let password = host.get_secret(&config.password_secret).map_err(|error| {
            PluginError::from(error).context(format!("secret `{}`", config.password_secret))
        })?;
        let clock = RunClock::start(host, config.run_budget_ms);
        let mut observations = Vec::new();
        for target in targets {
            observations.extend(probe(config, target, host, &password, clock));
        }
        Ok(observations)
    }
}

/// Everything about one router: its data, then its failures.
fn probe(
    config: &Config,
    target: &Target,
    host: &impl Host,
    password: &str,
    clock: RunClock,
) -> Vec<Observation> {
    let endpoint = match Endpoint::parse(&target.address, config) {
        Ok(endpoint) => endpoint,
        Err(error) => return vec![Observation::failure(target, error)],
    };
    let collected = match config.mode {
        Mode::Api => collect::over_api(host, &endpoint, config, password, clock),
        Mode::Rest => collect::over_rest(host, &endpoint, config, password, clock),
    };
    observe(config, target, host, collected)
}

fn observe(
    config: &Config,
    target: &Target,
    host: &impl Host,
    collected: Collected,
) -> Vec<Observation> {
    let concentrator = config
        .concentrator
        .clone()
        .unwrap_or_else(|| target.id.clone());
    let mut observations = Vec::new();
    let lookup = config.looks_up_logins();
    if let Some(sessions) = &collected.sessions {
        observations.extend(sessions.observations(target, &concentrator));
        if !lookup {
            let online = sessions.online_logins().len();
            observations.push(Observation::metric(
                target,
                Metric::gauge("pppoe_sessions_online", online as f64, "1"),
            ));
        }
    }
    let mut covered = BTreeSet::new();
    if let Some(rows) = &collected.secrets {
        let (offline, logins) = secrets::offline(
            rows,
            collected.sessions.as_ref(),
            target,
            &concentrator,
            config.timezone_offset_minutes,
        );
        observations.extend(offline);
        covered = logins;
    }
    if let (true, Some(sessions)) = (lookup, &collected.sessions) {
        let absent = collected
            .looked_up
            .iter()
            .filter(|login| !sessions.contains(login) && !covered.contains(*login));
        observations.extend(absent.map(|login| sessions::no_session(login, target, &concentrator)));
    }
    // Only a complete session table may move the snapshot: a failed print must not make every
    // login look gone (and a lookup of a few logins is not the table).
    if let (false, Some(sessions)) = (lookup, &collected.sessions) {
        let key = snapshot::key(target);
        match host.kv_get(&key) {
            Ok(previous) => {
                let previous = snapshot::decode(&previous.unwrap_or_default());
                let seen = |login: &str| sessions.contains(login) || covered.contains(login);
                observations.extend(sessions::vanished(&previous, seen, target, &concentrator));
                let now = snapshot::encode(&sessions.online_logins());
                if let Err(error) = host.kv_set(&key, &now) {
                    host.warn(&format!(
                        "cannot store the session snapshot: {}",
                        error.message()
                    ));
                }
            }
            Err(error) => host.warn(&format!(
                "no session snapshot (grant `kv` to report logins gone between runs): {}",
                error.message()
            )),
        }
    }
    if let Some(rows) = &collected.interfaces {
        observations.extend(interfaces::observations(rows, target));
    }
    observations.extend(
        collected
            .failures
            .into_iter()
            .map(|error| Observation::failure(target, error)),
    );
    observations
}

export_plugin!(Mikrotik);

#[cfg(test)]
mod tests;
