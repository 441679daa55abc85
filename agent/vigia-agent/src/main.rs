//! `vigia-agent`: runs probe plugins on a tower/POP host.
//!
//! The CLI, config loading and resolution (`config`: every error with file and line, checked
//! completely by `check-config` before anything starts), and the probe scheduler (`scheduler`:
//! jittered intervals without overlapping rounds, batches of targets under per-capability
//! concurrency limits, offline confirmation, per-target circuit breakers, graceful shutdown).
//! Plugins run inside `vigia-plugin-host` (the only crate that sees wasmtime), which enforces
//! their grants, limits and the vendor call budgets (`[budget.<name>]`) shared across runs.
//!
//! `vigia-agent run` prints each finished run as a JSON line on stdout, or, with an `[uplink]`,
//! spools it durably for the mTLS uplink to the aggregator. It does NOT persist scheduler state
//! (breakers and confirmations start fresh on restart) nor call budgets (a restart starts them
//! full).
//!
//! # On-demand probes
//!
//! With an `[uplink]`, the aggregator may ask for a run now (`ProbeRequest`: a support desk
//! checking a PPPoE session, an ONU's full status, a ping to a CPE); `on_demand` serves it:
//!
//! - `plugin_id` names an installed plugin. The run uses a configured probe of that plugin that
//!   has `on_demand = true` (the default), preferring the probe that configures the requested
//!   target ids. It runs with that probe's grants, secrets, limits and config, with the request's
//!   `config_json` (a JSON object) laid over the config key by key and validated against the
//!   plugin's schema like at config load (invalid: refused `INVALID_REQUEST` with the message).
//! - Targets, 1 to 16: a configured target id runs with its configured address (a non-empty
//!   request address must equal it, else `INVALID_REQUEST`); an id the probe does not configure
//!   runs with the request's address only if the probe has `on_demand_adhoc = true` (default
//!   false; meant for pinging a CPE), else `NOT_ALLOWED`. The host's grants still apply to every
//!   call (ICMP, HTTP and TCP allow-lists).
//! - `deadline_ms` must be 1..=120000 (else `INVALID_REQUEST`); the run's deadline is the smaller
//!   of what is left of it and the probe's `timeout_ms`.
//! - At most `[agent.on_demand] max_concurrent` (default 4) requests run at once; more are
//!   refused `BUSY` at once. Each run also takes the scheduler's capability permits
//!   (`[agent.concurrency]`), so it never delays scheduled runs beyond those limits; no permit
//!   within the deadline is `BUSY` too.
//! - The answer is the run's result (a plugin error or a fault included), named after the probe.
//!   It is not spooled and does not touch the probe's schedule, breakers or states. An unknown
//!   plugin is `PLUGIN_NOT_INSTALLED`.
//!
//! Exit codes: 0 success, 1 a plugin run failed or faulted, 64 (`EX_USAGE`) bad config or arguments.

mod check;
mod config;
mod health;
mod host;
mod link;
mod metrics;
mod on_demand;
mod plugin_cmd;
mod run_cmd;
mod scheduler;
mod spool_sink;

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
            Command::Run { config, rounds } => run_cmd::run(&config, rounds).await,
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
