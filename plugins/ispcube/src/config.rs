//! The probe's config: who to log in as, and the bounds of a run.

use vigia_plugin_sdk::prelude::*;

/// Config of an ispcube probe. Each target is one ISPCube tenant; its address is the API base
/// URL (`https://online21.ispcube.com/api`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The API user (`username` of `/sanctum/token`).
    pub username: String,
    /// Name of the secret holding the user's password.
    pub password_secret: String,
    /// Name of the secret holding the tenant's `api-key`.
    pub api_key_secret: String,
    /// The tenant's `client-id` header (not secret).
    pub client_id: String,
    /// Customers per page of `customers_list` (ISPCube serves at most 500).
    #[serde(default = "default_page_size")]
    #[schemars(range(min = 1, max = 500))]
    pub page_size: u32,
    /// Most customer pages read in one run; more is a `budget` failure.
    #[serde(default = "default_max_pages")]
    #[schemars(range(min = 1))]
    pub max_pages: u32,
    /// Deadline of each request, milliseconds (`connections_list` of 50k rows takes ~2 s).
    #[serde(default = "default_timeout_ms")]
    #[schemars(range(min = 1))]
    pub timeout_ms: u32,
}

fn default_page_size() -> u32 {
    500
}

fn default_max_pages() -> u32 {
    1000
}

fn default_timeout_ms() -> u32 {
    60_000
}

impl Config {
    /// The host validates against the schema too; this keeps the plugin safe on its own.
    pub(crate) fn validate(&self) -> Result<(), PluginError> {
        if self.username.trim().is_empty() {
            return Err(PluginError::config("`username` must not be empty"));
        }
        if !(1..=500).contains(&self.page_size) {
            return Err(PluginError::config(format!(
                "`page_size` must be 1..=500, got {}",
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
