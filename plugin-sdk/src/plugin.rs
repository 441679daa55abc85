//! The [`Plugin`] trait a plugin author implements, and [`Info`], what `describe` reports.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::{Capability, Host, Observation, PluginError, Target};

/// A Vigia plugin. Implement it on a unit struct and export it with [`crate::export_plugin!`].
pub trait Plugin {
    /// The probe's config, deserialized from the JSON the operator wrote. Its JSON Schema
    /// (derived with `#[derive(JsonSchema)]`) is what `describe` reports to the host.
    type Config: DeserializeOwned + JsonSchema;

    /// Who the plugin is and what capabilities it may use. Must be cheap; must not call the host.
    fn info() -> Info;

    /// One run over a batch of targets.
    ///
    /// Return every observation of the run. A failure of one target among several is an
    /// observation ([`Observation::failure`]); an `Err` fails the whole run.
    fn run(
        config: &Self::Config,
        targets: &[Target],
        host: &impl Host,
    ) -> Result<Vec<Observation>, PluginError>;
}

/// What a plugin reports about itself; the config schema is added by the SDK.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    /// `[a-z0-9-]`, 1..=64 characters; equals the `.wasm` file stem by convention.
    pub id: String,
    /// The plugin's own semver version, usually `env!("CARGO_PKG_VERSION")`.
    pub version: String,
    /// One line for operators.
    pub description: String,
    /// Capabilities the plugin may use; the operator grants them per probe.
    pub capabilities: Vec<Capability>,
}

impl Info {
    pub fn new(
        id: impl Into<String>,
        version: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            version: version.into(),
            description: description.into(),
            capabilities: Vec::new(),
        }
    }

    /// Adds a capability the plugin may use.
    #[must_use]
    pub fn capability(mut self, capability: Capability) -> Self {
        self.capabilities.push(capability);
        self
    }
}
