//! `vigia-agent plugin describe|run`: the plugin developer's loop, on the production host.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;
use vigia_plugin_host::{
    Capability, FileKv, FileSecrets, Grants, HostConfig, Limits, PluginHost, RunOutcome, RunRequest,
};

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
    /// The plugin is granted the capabilities it declares (this is a developer tool), plus the
    /// hosts and secrets given with `--grant-tcp`, `--grant-http` and `--secrets` (for plugins
    /// that leave them to the operator); `--deny` withdraws them all, to see how it behaves
    /// without.
    Run(RunArgs),
}

#[derive(clap::Args)]
pub(crate) struct RunArgs {
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
    /// Also grant TCP to `HOST:PORT`; repeat for several.
    #[arg(long = "grant-tcp", value_name = "HOST:PORT")]
    grant_tcp: Vec<String>,
    /// Also grant HTTP(S) to `HOST` (the scheme's port) or `HOST:PORT`; repeat for several.
    #[arg(long = "grant-http", value_name = "HOST[:PORT]")]
    grant_http: Vec<String>,
    /// Secrets file (the agent's format: a 0600 TOML table of `name = "value"`); every name in
    /// it is granted.
    #[arg(long, value_name = "FILE")]
    secrets: Option<PathBuf>,
    /// Keep the plugin's `kv` state in this directory, so repeated runs see it (default: in
    /// memory, gone after the run).
    #[arg(long, value_name = "DIR")]
    kv_dir: Option<PathBuf>,
    /// Accept any TLS certificate (self-signed devices).
    #[arg(long)]
    tls_skip_verify: bool,
    /// Grant nothing.
    #[arg(long)]
    deny: bool,
}

pub(crate) async fn run(command: PluginCommand) -> ExitCode {
    match command {
        PluginCommand::Describe { file } => describe(file).await,
        PluginCommand::Run(args) => run_once(args).await,
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

async fn run_once(args: RunArgs) -> ExitCode {
    let config: serde_json::Value = match serde_json::from_str(&args.config) {
        Ok(value) => value,
        Err(error) => {
            eprintln!("error: --config is not valid JSON: {error}");
            return ExitCode::from(EX_USAGE);
        }
    };
    let specs = match args
        .targets
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
    let (host, secret_names) = match run_host(&args) {
        Ok(built) => built,
        Err(error) => return fail(&error),
    };
    let plugin = match host.load_file(&args.file).await {
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
    let grants = if args.deny {
        Grants::default()
    } else {
        let mut raw = declared_grants(&plugin.info().capabilities);
        raw.tcp.extend(args.grant_tcp.iter().cloned());
        raw.http_hosts.extend(args.grant_http.iter().cloned());
        raw.secrets.extend(secret_names);
        raw.tls_skip_verify = args.tls_skip_verify;
        host::grants(&raw)
    };
    let request = RunRequest {
        config,
        targets: host::targets(&specs),
        grants,
        limits: Limits {
            deadline: Duration::from_millis(args.timeout_ms),
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

/// The plugin host of one run: secrets from `--secrets` (and their names, to grant), `kv` in
/// `--kv-dir`.
fn run_host(args: &RunArgs) -> anyhow::Result<(PluginHost, Vec<String>)> {
    let mut config = HostConfig::default();
    let mut names = Vec::new();
    if let Some(path) = &args.secrets {
        let secrets = FileSecrets::load(path)
            .with_context(|| format!("cannot load secrets from {}", path.display()))?;
        // Loaded (permissions and format checked): the names are the file's keys.
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let table: toml::Table =
            toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
        names.extend(table.keys().cloned());
        config.secrets = Arc::new(secrets);
    }
    if let Some(dir) = &args.kv_dir {
        let kv = FileKv::open(dir)
            .with_context(|| format!("cannot open plugin state in {}", dir.display()))?;
        config.kv = Arc::new(kv);
    }
    let host = PluginHost::new(config).context("cannot start the plugin host")?;
    Ok((host, names))
}

/// Grants exactly what the plugin declares.
fn declared_grants(capabilities: &[Capability]) -> RawGrants {
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
    raw
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
