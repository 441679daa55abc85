//! `vigia-aggregator`: receives agents' results over mutually authenticated gRPC, stores them,
//! keeps the network's live state and serves it over a REST API.
//!
//! This binary is thin wiring: the CLI, config loading with file:line errors, the store
//! (`vigia-store`: embedded SQLite or PostgreSQL), the ingest server (`vigia-ingest`), the live
//! state (`vigia-state`), the REST API (`vigia-api`, with the adapters in `read_model` and
//! `wiring`), signals, API keys and a small PKI to make certificates. It does not correlate
//! outages or diagnose subscribers yet (issues 6 and 7).
//!
//! Exit codes: 0 success, 1 a runtime failure (store, listener, files), 64 (`EX_USAGE`) bad config
//! or arguments.

mod active_outages;
mod apikey_cmd;
mod catch_up;
mod check;
mod config;
mod desk;
mod outage_model;
mod outages;
mod outbox;
mod pki_cmd;
mod read_model;
mod search_index;
mod serve;
mod store;
mod wiring;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vigia-aggregator",
    version,
    about = "Vigia aggregator: stores agents' probe results"
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
    /// Serve agents until SIGINT or SIGTERM.
    Serve {
        /// Aggregator config file (TOML).
        #[arg(long, env = "VIGIA_CONFIG")]
        config: PathBuf,
    },
    /// Check a config file (and the TLS files it names) without starting anything.
    CheckConfig {
        /// Aggregator config file (TOML).
        config: PathBuf,
    },
    /// Make certificates: a CA, agent certificates, the server certificate.
    Pki {
        #[command(subcommand)]
        command: pki_cmd::PkiCommand,
    },
    /// REST API keys: create (prints the secret once), list, revoke.
    Apikey {
        #[command(subcommand)]
        command: apikey_cmd::ApikeyCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log_filter);
    match cli.command {
        Command::CheckConfig { config } => check::run(&config),
        Command::Pki { command } => pki_cmd::run(command),
        Command::Apikey { command } => apikey_cmd::run(command),
        Command::Serve { config } => {
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
            runtime.block_on(serve::run(&config))
        }
    }
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
