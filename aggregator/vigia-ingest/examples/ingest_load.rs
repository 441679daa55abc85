//! Load generator for the aggregator's ingest: many simulated agents, each on its own mutually
//! authenticated TLS connection, sending result batches of realistic observations and timing
//! each batch from its send to the `Ack` that covers it (acks come after the durable commit).
//!
//! ```text
//! cargo run --release -p vigia-ingest --example ingest_load -- \
//!     --endpoint https://127.0.0.1:7443 --ca ca.pem --ca-key ca.key \
//!     --agents 1000 --observations-per-batch 100 --duration-secs 20 [--rate-per-agent 2.5]
//! ```
//!
//! Every agent connects first; then the load window opens for everyone at once. On stdout it
//! prints `load window started` and `load window ended` as they happen (so a caller can sample the
//! aggregator's CPU time across exactly that window), and at the end one JSON line of figures.
//! It exits 1 when fewer agents connected than asked or any stream failed, 2 on bad arguments or
//! setup. It stops by itself: every wait is bounded.
//!
//! `cargo xtask bench aggregator` runs it; see `xtask/src/bench/aggregator.rs`.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;

use support::identities::{self, Source};
use support::session::{self, Agent, Context, Gauge, Settings, Window};
use support::summary::Summary;

/// Handshakes in progress at once.
const CONNECTS_AT_ONCE: usize = 64;
/// Bound on one agent's connect + Hello, and on its close.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on connecting every agent.
const CONNECT_PHASE: Duration = Duration::from_secs(300);

#[derive(Parser)]
#[command(about = "Simulated agents sending result batches to a Vigia aggregator")]
struct Args {
    /// The aggregator's ingest, `https://HOST:PORT` (HOST is also the name the server
    /// certificate is checked against).
    #[arg(long)]
    endpoint: String,
    /// The CA certificate (PEM) that signed the aggregator's certificate and signs agents'.
    #[arg(long)]
    ca: PathBuf,
    /// The CA key (PEM): agent certificates are minted here, one per agent.
    #[arg(long, conflicts_with = "certs", required_unless_present = "certs")]
    ca_key: Option<PathBuf>,
    /// Or a directory with `agent-load-NNNN.pem` / `.key` (from `vigia-aggregator pki issue-agent`).
    #[arg(long)]
    certs: Option<PathBuf>,
    /// Simulated agents (agent ids `load-0000`, `load-0001`, ...).
    #[arg(long, default_value_t = 1000)]
    agents: u32,
    /// Observations in each batch.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    observations_per_batch: u32,
    /// Length of the load window, seconds.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    duration_secs: u64,
    /// Batches per second per agent; without it, each agent sends as fast as its in-flight
    /// window allows.
    #[arg(long)]
    rate_per_agent: Option<f64>,
    /// Most unacked batches per agent (lowered to the aggregator's Throttle if that is less).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_in_flight: u32,
    /// How long after the window the last batches may take to be acked, seconds.
    #[arg(long, default_value_t = 30)]
    drain_secs: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    raise_open_files_limit();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(summary) => {
            println!("{}", summary.to_json());
            for error in summary.errors.iter().take(3) {
                eprintln!("error: {error}");
            }
            if summary.succeeded() {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "error: {} of {} agents connected, {} streams failed",
                    summary.agents_connected,
                    summary.agents_asked,
                    summary.errors.len()
                );
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// One TLS connection per agent: 1,000 agents need more descriptors than the usual soft limit.
fn raise_open_files_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => {
            if let Err(error) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
                eprintln!("warning: cannot raise the open files limit from {soft}: {error}");
            }
        }
        Ok(_) => {}
        Err(error) => eprintln!("warning: cannot read the open files limit: {error}"),
    }
}

async fn run(args: Args) -> Result<Summary, String> {
    if let Some(rate) = args.rate_per_agent
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(format!("--rate-per-agent {rate} must be a positive number"));
    }
    let (addr, server_name) = endpoint(&args.endpoint).await?;
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let ca_pem = read(&args.ca)?;
    let ca_key_pem = args.ca_key.as_ref().map(read).transpose()?;
    let source = match (&ca_key_pem, &args.certs) {
        (Some(ca_key_pem), _) => Source::Mint { ca_key_pem },
        (None, Some(dir)) => Source::Directory(dir),
        (None, None) => return Err("give --ca-key or --certs".into()),
    };
    let started = Instant::now();
    let identities = identities::load(&source, &ca_pem, args.agents)?;
    eprintln!(
        "{} agent certificates ready in {:.1}s",
        identities.len(),
        started.elapsed().as_secs_f64()
    );

    let (ready_tx, mut ready_rx) = mpsc::channel(identities.len().max(1));
    let (window_tx, window_rx) = watch::channel(None);
    let cx = Arc::new(Context {
        settings: Settings {
            addr,
            server_name,
            observations_per_batch: args.observations_per_batch as usize,
            max_in_flight: args.max_in_flight as usize,
            rate_per_agent: args.rate_per_agent,
            io_timeout: IO_TIMEOUT,
            drain: Duration::from_secs(args.drain_secs),
        },
        gauge: Gauge::default(),
        connect_permits: Semaphore::new(CONNECTS_AT_ONCE),
        ready: ready_tx,
        window: window_rx,
    });
    let base_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let tasks: Vec<_> = identities
        .into_iter()
        .zip(0u32..)
        .map(|(identity, index)| {
            let agent = Agent {
                index,
                id: identities::agent_id(index),
                // Random enough that a rerun against the same store starts a fresh epoch;
                // kept below 2^62 so it fits a signed 64-bit column.
                epoch: ((base_epoch ^ u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                    & ((1 << 62) - 1))
                    .max(1),
                identity,
            };
            tokio::spawn(session::run(agent, Arc::clone(&cx)))
        })
        .collect();

    // Every agent reports once, connected or not (each connect is bounded by IO_TIMEOUT).
    let mut connected = 0usize;
    let connecting = async {
        for _ in 0..tasks.len() {
            match ready_rx.recv().await {
                Some(true) => connected += 1,
                Some(false) => {}
                None => break,
            }
        }
    };
    if tokio::time::timeout(CONNECT_PHASE, connecting)
        .await
        .is_err()
    {
        eprintln!(
            "warning: agents still connecting after {CONNECT_PHASE:?}; starting without them"
        );
    }
    eprintln!(
        "{connected} of {} agents connected in {:.1}s",
        tasks.len(),
        started.elapsed().as_secs_f64()
    );
    let duration = Duration::from_secs(args.duration_secs);
    let start = Instant::now();
    let window = Window {
        start,
        end: start + duration,
    };
    println!("load window started");
    // Receivers live in the tasks; if every task has ended there is nobody to start.
    let _ = window_tx.send(Some(window));
    tokio::time::sleep_until(window.end).await;
    println!("load window ended");

    let mut reports = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(report) => reports.push(report),
            Err(error) => reports.push(session::Report {
                error: Some(format!("agent task failed: {error}")),
                ..session::Report::default()
            }),
        }
    }
    let peak = cx.gauge.peak();
    Ok(Summary::merge(
        reports,
        args.agents as usize,
        peak,
        duration,
    ))
}

/// The socket address and TLS server name of `https://HOST:PORT`.
async fn endpoint(text: &str) -> Result<(SocketAddr, String), String> {
    let rest = text
        .strip_prefix("https://")
        .ok_or_else(|| format!("--endpoint {text}: must start with https://"))?
        .trim_end_matches('/');
    let addr = tokio::net::lookup_host(rest)
        .await
        .map_err(|error| format!("--endpoint {text}: {error}"))?
        .next()
        .ok_or_else(|| format!("--endpoint {text}: no address"))?;
    let host = rest
        .rsplit_once(':')
        .map_or(rest, |(host, _)| host)
        .trim_start_matches('[')
        .trim_end_matches(']');
    Ok((addr, host.to_owned()))
}
