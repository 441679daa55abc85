//! `vigia-agent`: runs probe plugins on a tower/POP host.
//!
//! This binary is thin wiring: the CLI, config loading and resolution, and the probe loop. Plugins
//! run inside `vigia-plugin-host` (the only crate that sees wasmtime), which enforces their grants
//! and limits. Today results are printed as JSON lines; the durable spool and the mTLS uplink to the
//! aggregator arrive with the agent data path.
//!
//! Exit codes: 0 success, 1 a plugin run failed or faulted, 64 (`EX_USAGE`) bad config or arguments.

mod check;
mod config;
mod host;
mod plugin_cmd;
mod runner;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vigia-agent",
    version,
    about = "Vigia agent: probes the network with WebAssembly plugins"
)]
struct Cli {
    /// Log filter (tracing EnvFilter syntax); also VIGIA_LOG.
    #[arg(long, global = true, env = "VIGIA_LOG", default_value = "info")]
    log_filter: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with one plugin file: describe it or run it once.
    Plugin {
        #[command(subcommand)]
        command: plugin_cmd::PluginCommand,
    },
    /// Run the configured probes on their intervals until stopped (SIGINT/SIGTERM).
    Run {
        /// Agent config file (TOML).
        #[arg(long, env = "VIGIA_CONFIG")]
        config: PathBuf,
        /// Stop after every probe has run this many times (for demos and tests).
        #[arg(long)]
        rounds: Option<u64>,
    },
    /// Check a config file (and the plugins and plugin configs it names) without starting anything.
    CheckConfig {
        /// Agent config file (TOML).
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log_filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Plugin { command } => plugin_cmd::run(command).await,
            Command::Run { config, rounds } => runner::run(&config, rounds).await,
            Command::CheckConfig { config } => check::run(&config).await,
        }
    })
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// `EX_USAGE` from sysexits.h: bad command line or config.
const EX_USAGE: u8 = 64;
