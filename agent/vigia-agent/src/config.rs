//! The agent's TOML config: parsed into `RawConfig` (serde, spans kept), then resolved into `Config`
//! with every value checked. Errors point at the file and line.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// Defaults for a probe's limits, chosen for small tower hosts.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
const DEFAULT_MEMORY_MEGABYTES: u64 = 64;
const DEFAULT_MAX_OUTPUT_KILOBYTES: u64 = 4096;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    agent: RawAgent,
    #[serde(default)]
    probe: Vec<Spanned<RawProbe>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    id: String,
    /// Folder holding `<plugin>.wasm`; relative paths are relative to the config file.
    plugin_dir: PathBuf,
    secrets_file: Option<PathBuf>,
    state_dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    name: String,
    plugin: String,
    interval_secs: u64,
    timeout_ms: Option<u64>,
    memory_megabytes: Option<u64>,
    max_output_kilobytes: Option<u64>,
    targets: Vec<String>,
    #[serde(default)]
    grants: RawGrants,
    #[serde(default = "empty_object")]
    config: toml::Value,
}

fn empty_object() -> toml::Value {
    toml::Value::Table(toml::Table::new())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGrants {
    #[serde(default)]
    pub(crate) icmp: bool,
    #[serde(default)]
    pub(crate) snmp: bool,
    #[serde(default)]
    pub(crate) http_hosts: Vec<String>,
    #[serde(default)]
    pub(crate) tcp: Vec<String>,
    #[serde(default)]
    pub(crate) kv: bool,
    #[serde(default)]
    pub(crate) secrets: Vec<String>,
    #[serde(default)]
    pub(crate) tls_skip_verify: bool,
}

/// The resolved agent config: every path absolute, every value checked.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) agent_id: String,
    pub(crate) plugin_dir: PathBuf,
    pub(crate) secrets_file: Option<PathBuf>,
    pub(crate) state_dir: Option<PathBuf>,
    pub(crate) probes: Vec<Probe>,
}

/// One configured probe: a plugin run on an interval over a set of targets.
#[derive(Debug)]
pub(crate) struct Probe {
    pub(crate) name: String,
    pub(crate) plugin: String,
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
    pub(crate) memory_bytes: u64,
    pub(crate) max_output_bytes: u64,
    pub(crate) targets: Vec<TargetSpec>,
    pub(crate) grants: RawGrants,
    pub(crate) config: serde_json::Value,
    /// Where the probe is written, for error messages: `file:line`.
    pub(crate) location: Location,
}

/// A target as written in the config: `address` or `id=address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetSpec {
    pub(crate) id: String,
    pub(crate) address: String,
}

impl TargetSpec {
    /// Parses `address` or `id=address`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (id, address) = match text.split_once('=') {
            Some((id, address)) => (id.trim(), address.trim()),
            None => (text, text),
        };
        if id.is_empty() || address.is_empty() {
            return Err(format!("target `{text}` must be `address` or `id=address`"));
        }
        Ok(Self {
            id: id.to_owned(),
            address: address.to_owned(),
        })
    }
}

/// A place in a config file.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub(crate) file: PathBuf,
    pub(crate) line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A config error with its place in the file.
#[derive(Debug)]
pub(crate) struct ConfigError {
    pub(crate) location: Location,
    pub(crate) message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and resolves a config file. Returns every problem found, not only the first.
    pub(crate) fn load(path: &Path) -> Result<Self, Vec<ConfigError>> {
        let at = |line| Location {
            file: path.to_path_buf(),
            line,
        };
        let text = std::fs::read_to_string(path).map_err(|error| {
            vec![ConfigError {
                location: at(0),
                message: format!("cannot read config: {error}"),
            }]
        })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` is used for messages and to resolve relative paths.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, Vec<ConfigError>> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let at = |line| Location {
            file: path.to_path_buf(),
            line,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            let line = error.span().map_or(0, |span| line_of(span.start));
            vec![ConfigError {
                location: at(line),
                message: error.message().to_owned(),
            }]
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };

        let mut errors = Vec::new();
        if raw.agent.id.trim().is_empty() {
            errors.push(ConfigError {
                location: at(1),
                message: "agent.id must not be empty".into(),
            });
        }
        let mut names = HashSet::new();
        let mut probes = Vec::new();
        for spanned in raw.probe {
            let location = at(line_of(spanned.span().start));
            let raw = spanned.into_inner();
            match resolve_probe(raw, &location, &mut names) {
                Ok(probe) => probes.push(probe),
                Err(message) => errors.push(ConfigError { location, message }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            agent_id: raw.agent.id,
            plugin_dir: resolve(raw.agent.plugin_dir),
            secrets_file: raw.agent.secrets_file.map(resolve),
            state_dir: raw.agent.state_dir.map(resolve),
            probes,
        })
    }
}

fn resolve_probe(
    raw: RawProbe,
    location: &Location,
    names: &mut HashSet<String>,
) -> Result<Probe, String> {
    let name = raw.name.trim().to_owned();
    if name.is_empty() {
        return Err("probe name must not be empty".into());
    }
    if !names.insert(name.clone()) {
        return Err(format!("probe `{name}` is defined twice"));
    }
    if raw.plugin.is_empty()
        || !raw
            .plugin
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(format!(
            "probe `{name}`: plugin `{}` must be a plugin id ([a-z0-9-])",
            raw.plugin
        ));
    }
    if raw.interval_secs == 0 {
        return Err(format!("probe `{name}`: interval_secs must be at least 1"));
    }
    let timeout_ms = raw
        .timeout_ms
        .unwrap_or(DEFAULT_TIMEOUT_MS.min(raw.interval_secs * 1000));
    if timeout_ms == 0 || timeout_ms > raw.interval_secs * 1000 {
        return Err(format!(
            "probe `{name}`: timeout_ms ({timeout_ms}) must be between 1 and interval_secs * 1000 ({})",
            raw.interval_secs * 1000
        ));
    }
    if raw.targets.is_empty() {
        return Err(format!(
            "probe `{name}`: targets must list at least one target"
        ));
    }
    let targets = raw
        .targets
        .iter()
        .map(|t| TargetSpec::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("probe `{name}`: {e}"))?;
    let mut ids = HashSet::new();
    if let Some(dup) = targets.iter().find(|t| !ids.insert(t.id.clone())) {
        return Err(format!(
            "probe `{name}`: target id `{}` appears twice",
            dup.id
        ));
    }
    let config =
        serde_json::to_value(&raw.config).map_err(|e| format!("probe `{name}`: config: {e}"))?;
    Ok(Probe {
        name,
        plugin: raw.plugin,
        interval: Duration::from_secs(raw.interval_secs),
        timeout: Duration::from_millis(timeout_ms),
        memory_bytes: raw.memory_megabytes.unwrap_or(DEFAULT_MEMORY_MEGABYTES) * 1024 * 1024,
        max_output_bytes: raw
            .max_output_kilobytes
            .unwrap_or(DEFAULT_MAX_OUTPUT_KILOBYTES)
            * 1024,
        targets,
        grants: raw.grants,
        config,
        location: location.clone(),
    })
}

#[cfg(test)]
mod tests;
