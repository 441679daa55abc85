//! Loads a synthetic ISP of N subscribers into a running aggregator through its real mTLS
//! ingest, as three agents would: a router agent whose `mikrotik` plugin reports every
//! subscriber's PPPoE session (one run per concentrator of ~2,000), an OLT agent whose `smartolt`
//! plugin reports every ONU (one run per OLT per poll, a few polls a minute apart so Rx medians
//! exist) and a CRM agent whose `ixc` plugin reports every customer (name, address, CPF as the
//! `document` label, billing). The data is described in `isp.rs`.
//!
//! ```text
//! cargo run --release -p vigia-aggregator --example diagnosis_load -- \
//!     --endpoint https://127.0.0.1:7443 --ca pki/ca.pem --certs pki --subscribers 100000
//! ```
//!
//! `--certs` holds `agent-bench-router.pem`/`.key`, `agent-bench-olt.*` and `agent-bench-crm.*`
//! (`vigia-aggregator pki issue-agent --id ...`). It returns once every batch is acked (stored);
//! the live state and the search index apply them after that, so a caller waits on the
//! aggregator's `/metrics`. On stdout, one JSON line: the observations sent, the login pattern
//! and a desk's search queries for this data. Exits 1 when a stream failed, 2 on bad arguments.
//!
//! `cargo xtask bench diagnosis` runs it; see `xtask/src/bench/diagnosis.rs`.

mod isp;
mod link;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use vigia_ingest::testing::ClientIdentity;

use link::{Agent, Run};

/// Time between two polls of the OLTs.
const POLL_MS: u64 = 60_000;
const ROUTER_AGENT: &str = "bench-router";
const OLT_AGENT: &str = "bench-olt";
const CRM_AGENT: &str = "bench-crm";

#[derive(Parser)]
#[command(about = "A synthetic ISP's sessions, ONUs and customers sent to a Vigia aggregator")]
struct Args {
    /// The aggregator's ingest, `https://HOST:PORT` (HOST is also the name the server
    /// certificate is checked against).
    #[arg(long)]
    endpoint: String,
    /// The CA certificate (PEM) that signed the aggregator's certificate.
    #[arg(long)]
    ca: PathBuf,
    /// Directory with `agent-<id>.pem` / `.key` for the three agents.
    #[arg(long)]
    certs: PathBuf,
    /// Subscribers.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    subscribers: u32,
    /// OLT polls, a minute apart (the Rx median needs 3).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=60))]
    rounds: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
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
    match runtime.block_on(run(&args)) {
        Ok(Ok(summary)) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Ok(Err(errors)) => {
            for error in errors {
                eprintln!("error: {error}");
            }
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// `Err` on bad setup; `Ok(Err)` with what failed while sending.
async fn run(args: &Args) -> Result<Result<serde_json::Value, Vec<String>>, String> {
    let (addr, server_name) = endpoint(&args.endpoint).await?;
    let read = |path: PathBuf| {
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let ca = read(args.ca.clone())?;
    let base_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let now_ms = base_epoch / 1_000_000;
    let agent = |id: &str, salt: u64| -> Result<Agent, String> {
        Ok(Agent {
            id: id.to_owned(),
            addr,
            server_name: server_name.clone(),
            identity: ClientIdentity {
                server_ca_pem: ca.clone(),
                cert_pem: read(args.certs.join(format!("agent-{id}.pem")))?,
                key_pem: read(args.certs.join(format!("agent-{id}.key")))?,
            },
            // Fresh per run, below 2^62 so it fits a signed 64-bit column.
            epoch: ((base_epoch ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) & ((1 << 62) - 1))
                .max(1),
        })
    };
    let n = args.subscribers;
    let started = Instant::now();
    let sends = [
        (agent(ROUTER_AGENT, 1)?, sessions(n, now_ms)),
        (agent(OLT_AGENT, 2)?, onus(n, args.rounds, now_ms)),
        (agent(CRM_AGENT, 3)?, customers(n, now_ms)),
    ]
    .into_iter()
    .map(|(agent, runs)| tokio::spawn(link::send_all(agent, runs)))
    .collect::<Vec<_>>();
    let (mut observations, mut errors) = (0u64, Vec::new());
    for send in sends {
        match send.await {
            Ok(Ok(sent)) => observations += sent,
            Ok(Err(error)) => errors.push(error),
            Err(error) => errors.push(format!("agent task failed: {error}")),
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("{observations} observations of {n} subscribers acked in {seconds:.1}s");
    Ok(Ok(serde_json::json!({
        "subscribers": n,
        "observations": observations,
        "seconds": seconds,
        "login_pattern": isp::LOGIN_PATTERN,
        "queries": isp::queries(n),
        // Found by search only once the index holds the last customers sent.
        "check_query": isp::cpf(n - 1),
        "check_login": isp::login(n - 1),
        // A subscriber on a PON whose light dropped in the last poll (when there are enough).
        "degraded_pon_login": isp::degraded_pon_login(n),
    })))
}

/// The router agent's runs: one per concentrator.
fn sessions(n: u32, now_ms: u64) -> Vec<Run> {
    chunks(n, isp::PER_CONCENTRATOR)
        .map(|range| Run {
            probe: "pppoe-sessions",
            plugin: "mikrotik",
            observations: range.map(|i| isp::session(i, now_ms)).collect(),
        })
        .collect()
}

/// The OLT agent's runs: every OLT once per poll, the oldest poll first.
fn onus(n: u32, rounds: u32, now_ms: u64) -> Vec<Run> {
    let per_olt = isp::ONUS_PER_PON * isp::PONS_PER_OLT;
    let mut runs = Vec::new();
    for round in 0..rounds {
        let at = now_ms.saturating_sub(u64::from(rounds - 1 - round) * POLL_MS);
        runs.extend(chunks(n, per_olt).map(|range| {
            Run {
                probe: "olt-poll",
                plugin: "smartolt",
                observations: range
                    .map(|i| isp::onu(i, round, rounds, "smartolt-cloud", at))
                    .collect(),
            }
        }));
    }
    runs
}

/// The CRM agent's runs: one per page of customers.
fn customers(n: u32, now_ms: u64) -> Vec<Run> {
    chunks(n, isp::CUSTOMERS_PER_PAGE)
        .map(|range| Run {
            probe: "crm-sync",
            plugin: "ixc",
            observations: range
                .map(|i| isp::customer(i, "ixc-main", now_ms))
                .collect(),
        })
        .collect()
}

fn chunks(n: u32, size: u32) -> impl Iterator<Item = std::ops::Range<u32>> {
    (0..n.div_ceil(size)).map(move |k| k * size..((k + 1) * size).min(n))
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
