//! `vigia-agent plugin describe|run`: the plugin developer's loop, on the production host.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use serde_json::json;
use vigia_plugin_host::{Capability, Grants, Limits, RunOutcome, RunRequest};

use crate::config::{RawGrants, TargetSpec};
use crate::{EX_USAGE, host};

#[derive(Subcommand)]
pub(crate) enum PluginCommand {
    /// Print the plugin's descriptor (id, version, capabilities, config schema) as JSON.
    Describe {
        /// The plugin component (.wasm).
        file: PathBuf,
    },
    /// Run the plugin once and print its observations as JSON.
    ///
    /// The plugin is granted the capabilities it declares (this is a developer tool); `--deny`
    /// withdraws them all, to see how it behaves without.
    Run {
        /// The plugin component (.wasm).
        file: PathBuf,
        /// A target, `address` or `id=address`; repeat for several.
        #[arg(long = "target", required = true)]
        targets: Vec<String>,
        /// The plugin config as a JSON document (default `{}`).
        #[arg(long, default_value = "{}")]
        config: String,
        /// Deadline of the run, milliseconds.
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
        /// Grant nothing.
        #[arg(long)]
        deny: bool,
    },
}

pub(crate) async fn run(command: PluginCommand) -> ExitCode {
    match command {
        PluginCommand::Describe { file } => describe(file).await,
        PluginCommand::Run {
            file,
            targets,
            config,
            timeout_ms,
            deny,
        } => run_once(file, targets, config, timeout_ms, deny).await,
    }
}

async fn describe(file: PathBuf) -> ExitCode {
    let host = match host::build(None) {
        Ok(host) => host,
        Err(error) => return fail(&error),
    };
    match host.load_file(&file).await {
        Ok(plugin) => {
            print_json(&json!(plugin.info()));
            ExitCode::SUCCESS
        }
        Err(error) => fail(&anyhow::Error::new(error)),
    }
}

async fn run_once(
    file: PathBuf,
    targets: Vec<String>,
    config: String,
    timeout_ms: u64,
    deny: bool,
) -> ExitCode {
    let config: serde_json::Value = match serde_json::from_str(&config) {
        Ok(value) => value,
        Err(error) => {
            eprintln!("error: --config is not valid JSON: {error}");
            return ExitCode::from(EX_USAGE);
        }
    };
    let specs = match targets
        .iter()
        .map(|t| TargetSpec::parse(t))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(specs) => specs,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EX_USAGE);
        }
    };
    let host = match host::build(None) {
        Ok(host) => host,
        Err(error) => return fail(&error),
    };
    let plugin = match host.load_file(&file).await {
        Ok(plugin) => plugin,
        Err(error) => return fail(&anyhow::Error::new(error)),
    };
    if let Err(error) = plugin.validate_config(&config) {
        eprintln!(
            "error: config rejected by plugin `{}`: {error}",
            plugin.info().id
        );
        return ExitCode::from(EX_USAGE);
    }
    let grants = if deny {
        Grants::default()
    } else {
        declared_grants(&plugin.info().capabilities)
    };
    let request = RunRequest {
        config,
        targets: host::targets(&specs),
        grants,
        limits: Limits {
            deadline: Duration::from_millis(timeout_ms),
            ..Limits::default()
        },
    };
    let report = host.run(&plugin, request).await;
    eprintln!(
        "plugin {} {}: {} in {:?}, {} host calls, peak memory {} KiB",
        plugin.info().id,
        plugin.info().version,
        report.outcome.label(),
        report.stats.wall_time,
        report.stats.host_calls,
        report.stats.peak_memory_bytes / 1024,
    );
    match report.outcome {
        RunOutcome::Completed(observations) => {
            print_json(&json!(observations));
            ExitCode::SUCCESS
        }
        RunOutcome::Failed(error) => {
            eprintln!("error: the plugin reported a failure: {error}");
            ExitCode::FAILURE
        }
        RunOutcome::Fault(fault) => {
            eprintln!("error: plugin fault: {fault}");
            ExitCode::FAILURE
        }
    }
}

/// Grants exactly what the plugin declares.
fn declared_grants(capabilities: &[Capability]) -> Grants {
    let mut raw = RawGrants::default();
    for capability in capabilities {
        match capability {
            Capability::Icmp => raw.icmp = true,
            Capability::Snmp => raw.snmp = true,
            Capability::Http(hosts) => raw.http_hosts.extend(hosts.iter().cloned()),
            Capability::Tcp(endpoints) => raw.tcp.extend(endpoints.iter().cloned()),
            Capability::Kv => raw.kv = true,
            Capability::Secrets(names) => raw.secrets.extend(names.iter().cloned()),
        }
    }
    host::grants(&raw)
}

fn print_json(value: &serde_json::Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(error) => eprintln!("error: cannot print JSON: {error}"),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}
