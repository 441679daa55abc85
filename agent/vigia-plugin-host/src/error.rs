//! Errors of this crate: building the host, loading a plugin, validating a probe's config.
//!
//! Guest failures during a run are not errors: they are a [`crate::Fault`] in the run report.

use std::path::PathBuf;

use crate::Fault;

/// The host itself could not be set up (engine, linker, TLS roots).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("failed to create the wasm engine: {reason}")]
    Engine { reason: String },
    #[error("failed to link the {interface} host interface: {reason}")]
    Link {
        interface: &'static str,
        reason: String,
    },
    #[error("host config is invalid: {reason}")]
    Config { reason: String },
    #[error("failed to set up TLS: {reason}")]
    Tls { reason: String },
}

/// A plugin could not be loaded. Every variant names the plugin (its file or name hint).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read plugin file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("plugin '{plugin}' is not a valid WebAssembly component: {reason}")]
    Compile { plugin: String, reason: String },
    #[error(
        "plugin '{plugin}' targets vigia:plugin/probe@{wanted}, but this agent supports only {}",
        supported.join(", ")
    )]
    UnsupportedVersion {
        plugin: String,
        wanted: String,
        supported: Vec<String>,
    },
    #[error(
        "plugin '{plugin}' does not export vigia:plugin/probe (its exports: {})",
        exports_text(exports)
    )]
    NotAPlugin {
        plugin: String,
        exports: Vec<String>,
    },
    #[error("plugin '{plugin}' needs imports this agent does not provide: {reason}")]
    Link { plugin: String, reason: String },
    #[error("plugin '{plugin}' failed in describe: {fault}")]
    Describe { plugin: String, fault: Fault },
    #[error("plugin '{plugin}' describes itself wrongly: {reason}")]
    InvalidInfo { plugin: String, reason: String },
}

fn exports_text(exports: &[String]) -> String {
    if exports.is_empty() {
        "none".to_owned()
    } else {
        exports.join(", ")
    }
}

/// One way a config document breaks the plugin's config schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigViolation {
    /// JSON pointer to the offending value (`""` is the whole document).
    pub pointer: String,
    pub message: String,
}

/// A probe's config does not match the schema its plugin declared.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "config for plugin '{plugin}' is invalid: {}",
    violations_text(violations)
)]
pub struct ConfigError {
    pub plugin: String,
    pub violations: Vec<ConfigViolation>,
}

fn violations_text(violations: &[ConfigViolation]) -> String {
    let parts: Vec<String> = violations
        .iter()
        .map(|v| {
            let at = if v.pointer.is_empty() {
                "/"
            } else {
                &v.pointer
            };
            format!("at {at}: {}", v.message)
        })
        .collect();
    parts.join("; ")
}
