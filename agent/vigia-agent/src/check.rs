//! `vigia-agent check-config`: everything the agent would refuse at start, reported before starting.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use vigia_plugin_host::{Plugin, PluginHost};
use vigia_uplink::TlsIdentity;

use crate::config::{Config, ConfigError};
use crate::{EX_USAGE, host};

pub(crate) async fn run(path: &Path) -> ExitCode {
    match load_checked(path).await {
        Ok(loaded) => {
            println!(
                "{}: ok ({} probes)",
                path.display(),
                loaded.config.probes.len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("error: {error}");
            }
            ExitCode::from(EX_USAGE)
        }
    }
}

/// A config with its plugins loaded on the host that will run them.
pub(crate) struct Loaded {
    pub(crate) config: Config,
    pub(crate) host: PluginHost,
    pub(crate) plugins: HashMap<String, Plugin>,
}

/// Loads the config, every plugin it names, and checks each probe's config against its plugin.
pub(crate) async fn load_checked(path: &Path) -> Result<Loaded, Vec<ConfigError>> {
    let config = Config::load(path)?;
    let host = host::build(Some(&config)).map_err(|error| {
        vec![ConfigError {
            location: crate::config::Location {
                file: path.to_path_buf(),
                line: 1,
            },
            message: format!("{error:#}"),
        }]
    })?;
    let mut plugins: HashMap<String, Plugin> = HashMap::new();
    let mut errors = Vec::new();
    for probe in &config.probes {
        let plugin = match plugins.get(&probe.plugin) {
            Some(plugin) => plugin.clone(),
            None => match host::load_plugin(&host, &config.plugin_dir, &probe.plugin).await {
                Ok(plugin) => {
                    plugins.insert(probe.plugin.clone(), plugin.clone());
                    plugin
                }
                Err(error) => {
                    errors.push(ConfigError {
                        location: probe.location.clone(),
                        message: format!("probe `{}`: {error:#}", probe.name),
                    });
                    continue;
                }
            },
        };
        if let Err(error) = host::grants(&probe.grants).validate() {
            errors.push(ConfigError {
                location: probe.location.clone(),
                message: format!("probe `{}`: {error}", probe.name),
            });
        }
        if let Err(error) = plugin.validate_config(&probe.config) {
            errors.push(ConfigError {
                location: probe.location.clone(),
                message: format!(
                    "probe `{}`: config rejected by plugin `{}`: {error}",
                    probe.name, probe.plugin
                ),
            });
        }
    }
    if let Some(uplink) = &config.link.uplink
        && let Err(error) = TlsIdentity::from_files(&uplink.ca, &uplink.cert, &uplink.key)
    {
        errors.push(ConfigError {
            location: uplink.location.clone(),
            message: format!("uplink TLS: {:#}", anyhow::Error::from(error)),
        });
    }
    if errors.is_empty() {
        Ok(Loaded {
            config,
            host,
            plugins,
        })
    } else {
        Err(errors)
    }
}
