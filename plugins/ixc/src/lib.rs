//! `ixc`: IXC Provedor (IXCSoft), the Brazilian ISP CRM, as Vigia sees it. Each target is one
//! IXC install (its base URL); per run, through the `http` capability (`POST
//! /webservice/v1/{table}`, header `ixcsoft: listar`, Basic auth with the `user_id:token` secret),
//! paged with `rp` ≤ 1000 until IXC's `total` is reached or a page is empty:
//!
//! - `radusuarios` (active logins unless `include_inactive`) → one `pppoe-session` per login as
//!   IXC sees it (online flag, since = last start or end in IXC's local time, concentrator mapped
//!   to the name the router plugin uses, caller = CPE MAC, last terminate cause), a
//!   `topology-edge` login → `crm-group:<conexao>` (logical), and the counts `ixc_logins` and
//!   `ixc_logins_online`.
//! - `cliente` + `cliente_contrato` → one `customer` per customer: billing state from
//!   `status_internet` (raw code in `billing-code`), plan, address, logins.
//! - Secret columns (`senha`, `senha_*`, anything named password/token/secret) are dropped while
//!   a page is parsed: they never reach an observation or a log line.
//! - A failed table is a `failure` observation (classified: `auth`, `config`, `timeout`,
//!   `unreachable`, `invalid-response`, `budget`); an auth, network or budget failure stops the
//!   remaining tables of that install. Never a panic.
//!
//! It does NOT write to IXC, retry, diff snapshots (the aggregator does), or read ONUs
//! (`radpop_radio_cliente_fibra`: SmartOLT is the ONU source). IXC's `online` flag trails RADIUS:
//! the router plugin is the fast source of sessions, this one the CRM's truth and the groups.

mod budget;
mod client;
mod config;
mod customers;
mod logins;
mod rows;
mod time;

use vigia_plugin_sdk::prelude::*;

pub use config::{Config, MAX_PAGE_SIZE, Table};

use budget::RunBudget;
use client::{Client, Condition};

pub struct Ixc;

impl Plugin for Ixc {
    type Config = Config;

    fn info() -> Info {
        // Hosts and secret names are the operator's to grant: nothing is declared up front.
        Info::new(
            "ixc",
            env!("CARGO_PKG_VERSION"),
            "ixc provedor (ixcsoft): pppoe logins, customers with billing state, conexao groups",
        )
        .capability(Capability::Http(Vec::new()))
        .capability(Capability::Secrets(Vec::new()))
    }

    fn run(
        config: &Config,
        targets: &[Target],
        host: &impl Host,
    ) -> Result<Vec<Observation>, PluginError> {
        config.validate()?;
        let secret = host.get_secret(&config.token_secret).map_err(|error| {
            PluginError::from(error).context(format!("secret `{}`", config.token_secret))
        })?;
        let authorization = authorization(&secret, &config.token_secret)?;
        let budget = RunBudget::start(host, config.run_budget_ms);
        let mut observations = Vec::new();
        for target in targets {
            observations.extend(probe(config, target, host, &authorization, budget));
        }
        Ok(observations)
    }
}

/// `Basic base64(user_id:token)`; the secret's value never appears in an error.
fn authorization(secret: &str, name: &str) -> Result<String, PluginError> {
    let secret = secret.trim();
    match secret.split_once(':') {
        Some((user, token)) if !user.is_empty() && !token.is_empty() => {
            Ok(format!("Basic {}", base64(secret.as_bytes())))
        }
        _ => Err(PluginError::config(format!(
            "secret `{name}` must be `user_id:token` as IXC shows the API token"
        ))),
    }
}

/// `<base>/webservice/v1` from a target address, with or without the suffix.
fn base_url(address: &str) -> Result<String, PluginError> {
    let address = address.trim().trim_end_matches('/');
    let lower = address.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(PluginError::config(format!(
            "target address `{address}` must be the install's http(s) URL"
        )));
    }
    let base = address
        .strip_suffix("/webservice/v1")
        .unwrap_or(address)
        .trim_end_matches('/');
    Ok(format!("{base}/webservice/v1"))
}

const ACTIVE_LOGINS: &[Condition] = &[Condition {
    column: "ativo",
    op: "=",
    value: "S",
}];
const ACTIVE_CUSTOMERS: &[Condition] = &[Condition {
    column: "ativo",
    op: "=",
    value: "S",
}];
const LIVE_CONTRACTS: &[Condition] = &[Condition {
    column: "status",
    op: "!=",
    value: "C",
}];

/// Everything about one install: its observations, then its failures.
fn probe(
    config: &Config,
    target: &Target,
    host: &impl Host,
    authorization: &str,
    budget: RunBudget,
) -> Vec<Observation> {
    let base = match base_url(&target.address) {
        Ok(base) => base,
        Err(error) => return vec![Observation::failure(target, error)],
    };
    let client = Client {
        host,
        base,
        authorization: authorization.to_owned(),
        page_size: config.page_size,
        max_pages: config.max_pages,
        timeout_ms: config.timeout_ms,
        verify_tls: config.verify_tls,
        budget,
    };
    let filter = |conditions: &'static [Condition]| {
        if config.include_inactive {
            &[][..]
        } else {
            conditions
        }
    };
    let mut failures = Vec::new();
    let mut stop = false;
    let mut read = |table: &str, conditions: &[Condition], failures: &mut Vec<PluginError>| {
        if stop {
            return None;
        }
        match client.list_all(table, conditions) {
            Ok(rows) => Some(rows),
            Err(error) => {
                stop = client::is_final(&error);
                failures.push(error);
                None
            }
        }
    };
    let mut observations = Vec::new();
    let logins = if config.reads(Table::Logins) {
        read("radusuarios", filter(ACTIVE_LOGINS), &mut failures)
    } else {
        None
    };
    if let Some(rows) = &logins {
        let seen = logins::observe(rows, config, target);
        if seen.ignored > 0 {
            host.debug(&format!(
                "{} radusuarios rows without a login or online flag ignored",
                seen.ignored
            ));
        }
        observations.extend(seen.observations);
    }
    if config.reads(Table::Customers) {
        let customers = read("cliente", filter(ACTIVE_CUSTOMERS), &mut failures);
        let contracts = customers
            .as_ref()
            .and_then(|_| read("cliente_contrato", filter(LIVE_CONTRACTS), &mut failures));
        if let (Some(customers), Some(contracts)) = (&customers, &contracts) {
            observations.extend(customers::observe(
                customers,
                contracts,
                logins.as_deref(),
                target,
            ));
        }
    }
    observations.extend(
        failures
            .into_iter()
            .map(|error| Observation::failure(target, error)),
    );
    observations
}

/// Standard base64 with padding (RFC 4648), for the Basic authorization header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let bits = u32::from_be_bytes([0, group[0], group[1], group[2]]);
        let symbols = chunk.len() + 1;
        for i in 0..4 {
            if i < symbols {
                let index = (bits >> (18 - 6 * i)) & 0x3F;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

export_plugin!(Ixc);

#[cfg(test)]
mod tests;
