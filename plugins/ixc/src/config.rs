//! The probe's config: the token, what to read, paging and time bounds, and how IXC's ids map to
//! the names other plugins use.

use std::collections::BTreeMap;

use vigia_plugin_sdk::prelude::*;

/// IXC's largest page in practice.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Config of an ixc probe. Each target is one IXC install: its base URL
/// (`https://ixc.example.com.br`, with or without `/webservice/v1`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Name of the secret holding the API token as IXC shows it: `user_id:token`
    /// (grant it under `secrets`).
    pub token_secret: String,
    /// Rows per page (`rp`), 1..=1000.
    #[serde(default = "default_page_size")]
    #[schemars(range(min = 1, max = 1000))]
    pub page_size: u32,
    /// Most pages read from one table in one run; more is a `budget` failure of that table.
    #[serde(default = "default_max_pages")]
    #[schemars(range(min = 1))]
    pub max_pages: u32,
    /// What to read: `logins` (`radusuarios`: PPPoE sessions and `conexao` groups) and
    /// `customers` (`cliente` + `cliente_contrato`: billing state).
    #[serde(default = "default_read")]
    pub read: Vec<Table>,
    /// Also read inactive logins and customers (`ativo = N`) and cancelled contracts.
    #[serde(default)]
    pub include_inactive: bool,
    /// IXC concentrator (`concentrador` IP or `id_concentrador`) → the concentrator's name as
    /// the other plugins know it (the mikrotik probe's target id). Unmapped ones keep the IP.
    #[serde(default)]
    pub concentrators: BTreeMap<String, String>,
    /// The IXC server's clock offset from UTC, minutes (IXC stores local time; Brasília is -180).
    #[serde(default = "default_timezone")]
    #[schemars(range(min = -720, max = 840))]
    pub timezone_offset_minutes: i32,
    /// Verify the server's TLS certificate. Many installs are self-signed: `false` documents
    /// that, and the probe must also be granted `tls_skip_verify` (the host decides).
    #[serde(default = "default_true")]
    pub verify_tls: bool,
    /// Deadline of each request, milliseconds (IXC pages of 1000 rows take seconds).
    #[serde(default = "default_timeout_ms")]
    #[schemars(range(min = 1))]
    pub timeout_ms: u32,
    /// Time the whole run may take, milliseconds: keep it under the probe's own timeout.
    #[serde(default = "default_run_budget_ms")]
    #[schemars(range(min = 1))]
    pub run_budget_ms: u32,
}

/// A set of IXC tables the plugin can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    Logins,
    Customers,
}

fn default_page_size() -> u32 {
    MAX_PAGE_SIZE
}

fn default_max_pages() -> u32 {
    200
}

fn default_read() -> Vec<Table> {
    vec![Table::Logins, Table::Customers]
}

fn default_timezone() -> i32 {
    -180
}

fn default_true() -> bool {
    true
}

fn default_timeout_ms() -> u32 {
    20_000
}

fn default_run_budget_ms() -> u32 {
    120_000
}

impl Config {
    /// The host validates against the schema too; this keeps the plugin safe on its own.
    pub(crate) fn validate(&self) -> Result<(), PluginError> {
        if self.token_secret.trim().is_empty() {
            return Err(PluginError::config("`token_secret` must not be empty"));
        }
        if self.read.is_empty() {
            return Err(PluginError::config("`read` names nothing to read"));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(PluginError::config(format!(
                "`page_size` must be 1..={MAX_PAGE_SIZE}, got {}",
                self.page_size
            )));
        }
        if !(-720..=840).contains(&self.timezone_offset_minutes) {
            return Err(PluginError::config(format!(
                "`timezone_offset_minutes` must be -720..=840, got {}",
                self.timezone_offset_minutes
            )));
        }
        for (name, value) in [
            ("max_pages", self.max_pages),
            ("timeout_ms", self.timeout_ms),
            ("run_budget_ms", self.run_budget_ms),
        ] {
            if value == 0 {
                return Err(PluginError::config(format!("`{name}` must be at least 1")));
            }
        }
        Ok(())
    }

    pub(crate) fn reads(&self, table: Table) -> bool {
        self.read.contains(&table)
    }

    /// The concentrator name for a login's `concentrador` (IP) and `id_concentrador`.
    pub(crate) fn concentrator(&self, address: &str, id: &str) -> String {
        let mapped = [address, id]
            .into_iter()
            .filter(|key| !key.is_empty())
            .find_map(|key| self.concentrators.get(key));
        match mapped {
            Some(name) => name.clone(),
            None if !address.is_empty() => address.to_owned(),
            None if !id.is_empty() => format!("ixc-concentrador-{id}"),
            None => "ixc-concentrador-unknown".to_owned(),
        }
    }
}
