//! `ispcube`: an ISPCube tenant (Argentine ISP management and billing) as Vigia sees it. Per
//! target (one tenant, address = API base URL) and run:
//!
//! - logs in with `POST /sanctum/token` (`api-key`, `client-id`, `login-type: api`), keeping the
//!   token in `kv` between runs and logging in again once when it is refused (401);
//! - reads `nodes_list` (the PPPoE concentrators), `plans_list`, `connections_list` (PPPoE logins)
//!   and `customers_list` (paged with `limit`/`offset` until a short page);
//! - emits one `customer` per customer (billing from `status`, `duedebt` and `deleted_at`, the raw
//!   `status` as billing code, the plan of its first connection, its logins), and one
//!   `topology-edge` per PPPoE login: `subscriber:<login>` depends on `concentrator:<node>` (the
//!   node's `comment`, which must match the name the mikrotik probe gives that router);
//! - classifies failures (`auth`, `budget` on 429, `unreachable` on 5xx and HTML error pages,
//!   `invalid-response` on anything else unexpected) as one `failure` per tenant.
//!
//! It does NOT write to ISPCube, read invoices, or keep a copy of the customers: every run emits
//! the whole current truth.

mod client;
mod config;
mod model;
mod observe;

use vigia_plugin_sdk::prelude::*;

pub use config::Config;

use client::Client;

pub struct Ispcube;

impl Plugin for Ispcube {
    type Config = Config;

    fn info() -> Info {
        // The tenant's host and the secret names are the operator's to grant.
        Info::new(
            "ispcube",
            env!("CARGO_PKG_VERSION"),
            "ispcube: customers with billing state, pppoe connections, plans and nodes",
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
        let secret = |name: &str| {
            host.get_secret(name)
                .map_err(|e| PluginError::from(e).context(format!("secret `{name}`")))
        };
        let password = secret(&config.password_secret)?;
        let api_key = secret(&config.api_key_secret)?;
        let mut observations = Vec::new();
        for target in targets {
            let result = Client::new(host, target, config, api_key.clone(), password.clone())
                .and_then(|mut client| observe::tenant(&mut client, config, target));
            match result {
                Ok(found) => observations.extend(found),
                Err(error) => observations.push(Observation::failure(target, error)),
            }
        }
        Ok(observations)
    }
}

export_plugin!(Ispcube);

#[cfg(test)]
mod tests;
