//! The probe's config: credentials (by secret name), timing, walk bound and the groups to read.

use schemars::JsonSchema;
use serde::Deserialize;
use vigia_plugin_sdk::PluginError;
use vigia_plugin_sdk::snmp::{AuthProtocol, Credentials, PrivProtocol, Usm};

/// Config of an snmp probe. Only `credentials` is required.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How to authenticate; secrets are named, the agent resolves them.
    pub credentials: CredentialsConfig,
    /// UDP port used when a target address has none.
    #[serde(default = "default_port")]
    #[schemars(range(min = 1))]
    pub port: u16,
    /// Per-attempt timeout, milliseconds.
    #[serde(default = "default_timeout_ms")]
    #[schemars(range(min = 1, max = 60000))]
    pub timeout_ms: u32,
    /// Retries after the first attempt of each request.
    #[serde(default = "default_retries")]
    #[schemars(range(max = 5))]
    pub retries: u8,
    /// Most rows read from any one table (one column walk) of a device.
    #[serde(default = "default_max_rows")]
    #[schemars(range(min = 1, max = 100000))]
    pub max_rows: u32,
    /// What to read besides the system group (always read).
    #[serde(default = "default_groups")]
    #[schemars(length(min = 1))]
    pub groups: Vec<Group>,
}

/// SNMP credentials, by secret name.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CredentialsConfig {
    /// SNMPv2c with the community stored in this secret.
    V2c { community_secret: String },
    /// SNMPv3 user-based security; protocols without their secret are an error.
    V3 {
        user: String,
        #[serde(default)]
        auth_protocol: Option<AuthName>,
        #[serde(default)]
        auth_secret: Option<String>,
        #[serde(default)]
        priv_protocol: Option<PrivName>,
        #[serde(default)]
        priv_secret: Option<String>,
        #[serde(default)]
        context: Option<String>,
    },
}

/// SNMPv3 authentication protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthName {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// SNMPv3 privacy protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrivName {
    Des,
    Aes128,
    Aes192,
    Aes256,
}

/// A group of objects to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// IF-MIB ifTable + ifXTable: one `interface-status` per interface.
    Interfaces,
    /// The vendor tables of the detected device type (radio links, optics, PON ports).
    Vendor,
}

fn default_port() -> u16 {
    161
}
fn default_timeout_ms() -> u32 {
    2000
}
fn default_retries() -> u8 {
    1
}
fn default_max_rows() -> u32 {
    2000
}
fn default_groups() -> Vec<Group> {
    vec![Group::Interfaces, Group::Vendor]
}

impl Config {
    /// The host validates against the schema too; this keeps the plugin safe on its own.
    pub(crate) fn validate(&self) -> Result<(), PluginError> {
        if self.port == 0 {
            return Err(PluginError::config("`port` must be 1..=65535"));
        }
        if !(1..=60_000).contains(&self.timeout_ms) {
            let got = self.timeout_ms;
            return Err(PluginError::config(format!(
                "`timeout_ms` must be 1..=60000, got {got}"
            )));
        }
        if self.retries > 5 {
            let got = self.retries;
            return Err(PluginError::config(format!(
                "`retries` must be 0..=5, got {got}"
            )));
        }
        if !(1..=100_000).contains(&self.max_rows) {
            let got = self.max_rows;
            return Err(PluginError::config(format!(
                "`max_rows` must be 1..=100000, got {got}"
            )));
        }
        if self.groups.is_empty() {
            return Err(PluginError::config(
                "`groups` must name at least one of `interfaces`, `vendor`",
            ));
        }
        self.credentials().map(|_| ())
    }

    pub(crate) fn reads(&self, group: Group) -> bool {
        self.groups.contains(&group)
    }

    /// The WIT credentials (secret names; the host resolves them).
    pub(crate) fn credentials(&self) -> Result<Credentials, PluginError> {
        match &self.credentials {
            CredentialsConfig::V2c { community_secret } => {
                if community_secret.trim().is_empty() {
                    return Err(PluginError::config(
                        "`credentials.community_secret` must name a secret",
                    ));
                }
                Ok(Credentials::V2c(community_secret.clone()))
            }
            CredentialsConfig::V3 {
                user,
                auth_protocol,
                auth_secret,
                priv_protocol,
                priv_secret,
                context,
            } => {
                if user.is_empty() {
                    return Err(PluginError::config("`credentials.user` must not be empty"));
                }
                if auth_protocol.is_some() != auth_secret.is_some() {
                    return Err(PluginError::config(
                        "`credentials.auth_protocol` and `credentials.auth_secret` go together",
                    ));
                }
                if priv_protocol.is_some() != priv_secret.is_some() {
                    return Err(PluginError::config(
                        "`credentials.priv_protocol` and `credentials.priv_secret` go together",
                    ));
                }
                if priv_protocol.is_some() && auth_protocol.is_none() {
                    return Err(PluginError::config(
                        "`credentials.priv_protocol` needs `credentials.auth_protocol` (authPriv)",
                    ));
                }
                Ok(Credentials::V3(Usm {
                    user: user.clone(),
                    auth_protocol: auth_protocol.map(AuthName::wit),
                    auth_secret: auth_secret.clone(),
                    priv_protocol: priv_protocol.map(PrivName::wit),
                    priv_secret: priv_secret.clone(),
                    context: context.clone(),
                }))
            }
        }
    }
}

impl AuthName {
    fn wit(self) -> AuthProtocol {
        match self {
            AuthName::Md5 => AuthProtocol::Md5,
            AuthName::Sha1 => AuthProtocol::Sha1,
            AuthName::Sha224 => AuthProtocol::Sha224,
            AuthName::Sha256 => AuthProtocol::Sha256,
            AuthName::Sha384 => AuthProtocol::Sha384,
            AuthName::Sha512 => AuthProtocol::Sha512,
        }
    }
}

impl PrivName {
    fn wit(self) -> PrivProtocol {
        match self {
            PrivName::Des => PrivProtocol::Des,
            PrivName::Aes128 => PrivProtocol::Aes128,
            PrivName::Aes192 => PrivProtocol::Aes192,
            PrivName::Aes256 => PrivProtocol::Aes256,
        }
    }
}
