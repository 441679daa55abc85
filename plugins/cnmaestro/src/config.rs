//! The probe's config: which API client to be, what to read, and the bounds of a run.

use vigia_plugin_sdk::prelude::*;

/// Config of a cnmaestro probe. Each target is one cnMaestro; its address is the API base URL
/// (`https://cloud.cambiumnetworks.com/api/v2`, or `https://<on-prem host>/api/v2`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The API client's id (cnMaestro: Services > API Client). Not secret.
    pub client_id: String,
    /// Name of the secret holding the API client's secret.
    pub client_secret_secret: String,
    /// Items per page (`limit`); cnMaestro serves at most 100.
    #[serde(default = "default_page_size")]
    #[schemars(range(min = 1, max = 100))]
    pub page_size: u32,
    /// Most pages of one list in one run; more is a `budget` failure.
    #[serde(default = "default_max_pages")]
    #[schemars(range(min = 1))]
    pub max_pages: u32,
    /// Only this cnMaestro network (`network` filter).
    #[serde(default)]
    pub network: Option<String>,
    /// Only this tower (`tower` filter).
    #[serde(default)]
    pub tower: Option<String>,
    /// Ask only for the fields the plugin reads (`fields=`), keeping answers small.
    #[serde(default = "default_true")]
    pub project_fields: bool,
    /// Read active alarms (`GET /alarms`).
    #[serde(default = "default_true")]
    pub alarms: bool,
    /// SMs are named by their subscriber's PPPoE login: emit `subscriber:<name>` depends on
    /// `subscriber_module:<mac>`.
    #[serde(default)]
    pub link_subscribers: bool,
    /// Deadline of each request, milliseconds.
    #[serde(default = "default_timeout_ms")]
    #[schemars(range(min = 1))]
    pub timeout_ms: u32,
}

fn default_page_size() -> u32 {
    100
}

fn default_max_pages() -> u32 {
    100
}

fn default_true() -> bool {
    true
}

fn default_timeout_ms() -> u32 {
    30_000
}

impl Config {
    /// The host validates against the schema too; this keeps the plugin safe on its own.
    pub(crate) fn validate(&self) -> Result<(), PluginError> {
        if self.client_id.trim().is_empty() {
            return Err(PluginError::config("`client_id` must not be empty"));
        }
        if !(1..=100).contains(&self.page_size) {
            return Err(PluginError::config(format!(
                "`page_size` must be 1..=100, got {}",
                self.page_size
            )));
        }
        if self.max_pages == 0 || self.timeout_ms == 0 {
            return Err(PluginError::config(
                "`max_pages` and `timeout_ms` must be at least 1",
            ));
        }
        Ok(())
    }
}
