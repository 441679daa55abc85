//! A loaded plugin: its validated self-description and its compiled, linked component.

use std::sync::Arc;

use serde::Serialize;

use crate::cache::Compiled;
use crate::error::{ConfigError, ConfigViolation};

/// A capability a plugin asks for in `describe` (the operator's grant is what counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    Icmp,
    Snmp,
    Http(Vec<String>),
    Tcp(Vec<String>),
    Kv,
    Secrets(Vec<String>),
}

/// Who a plugin is, as it described itself at load time, plus what the host knows of its binary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginInfo {
    /// `[a-z0-9-]`, 1..=64 characters.
    pub id: String,
    /// The plugin's own semver version.
    pub version: String,
    pub description: String,
    pub capabilities: Vec<Capability>,
    /// JSON Schema of the probe config that `run` takes.
    pub config_schema: serde_json::Value,
    /// Version of the `vigia:plugin/probe` interface it exports.
    pub wit_version: String,
    /// SHA-256 of the component bytes, lowercase hex.
    pub sha256: String,
}

/// A loaded plugin. Cheap to clone.
#[derive(Clone)]
pub struct Plugin {
    pub(crate) inner: Arc<PluginInner>,
}

pub(crate) struct PluginInner {
    pub(crate) info: PluginInfo,
    pub(crate) compiled: Arc<Compiled>,
    pub(crate) validator: jsonschema::Validator,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("info", &self.inner.info)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    pub fn info(&self) -> &PluginInfo {
        &self.inner.info
    }

    /// Checks a probe's config against the plugin's schema; every violation carries the JSON
    /// pointer of the offending value.
    pub fn validate_config(&self, config: &serde_json::Value) -> Result<(), ConfigError> {
        let violations: Vec<ConfigViolation> = self
            .inner
            .validator
            .iter_errors(config)
            .map(|e| ConfigViolation {
                pointer: e.instance_path().to_string(),
                message: e.to_string(),
            })
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                plugin: self.inner.info.id.clone(),
                violations,
            })
        }
    }

    /// Whether two plugins share one compiled component (same bytes, same host).
    pub fn shares_code_with(&self, other: &Plugin) -> bool {
        Arc::ptr_eq(&self.inner.compiled, &other.inner.compiled)
    }
}

/// Plugin ids: `[a-z0-9-]`, 1..=64 characters (they name files and kv namespaces).
pub(crate) fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_charset_and_length() {
        assert!(is_valid_id("ping"));
        assert!(is_valid_id("smart-olt-2"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("Ping"));
        assert!(!is_valid_id("../x"));
        assert!(!is_valid_id("a_b"));
        assert!(!is_valid_id(&"a".repeat(65)));
    }
}
