//! `cargo xtask bench <suite>`: benchmarks that print figures next to their goals and, where
//! one exists, next to a baseline measured in the same run.

mod agent;
mod aggregator;
mod diagnosis;
mod icmp;
mod lab;
mod memory;
mod report;
mod snmp;

use std::path::Path;

use anyhow::Result;

use crate::{cmd, plugins};

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Suite {
    /// Cost of one plugin run (new store + instantiate + run with two host calls) and of one host call.
    /// Goals on a 2-core machine: run <= 50 µs, host call <= 5 µs.
    PluginHost,
    /// The agent data path against baselines: ICMP (ping plugin vs fping), SNMP (snmp capability vs
    /// snmpbulkwalk), the spool's own benchmark, and the agent's resident memory with 10,000 targets.
    /// Needs root (network namespaces, raw ICMP).
    Agent,
    /// The aggregator: durable ingest from 1,000 simulated agents on SQLite and on PostgreSQL
    /// (observations/s per core, ack latency), and entity reads through the REST API with wrk.
    /// Goals on a 2-core machine: >= 250,000 observations/s per core with ack p99 <= 50 ms on
    /// SQLite; read p99 <= 5 ms at 5,000 requests/s.
    Aggregator,
    /// Outage correlation: detection and resolution latency end to end (simulated ISP, agent
    /// with the RouterOS listen push, aggregator, Telegram fake) next to the ISPs' existing
    /// 300 s-cycle mass-disconnection monitor run against the same ISP; then the correlation
    /// cycle over 100,000 subscribers (input from the live state, and the engine).
    /// Goals: detection <= 15 s, resolution <= 15 s, cycle <= 100 ms.
    Outage,
    /// The support desk's reads with 100,000 subscribers loaded through the real ingest (PPPoE
    /// sessions, ONUs, customers): `GET /v1/diagnosis/{login}` and `GET /v1/search` with wrk, next
    /// to a plain entity read. Goals on a 2-core machine: diagnosis p99 <= 10 ms at 5,000
    /// requests/s and >= 20,000 requests/s at saturation; search p99 <= 20 ms.
    Diagnosis,
}

pub(crate) fn run(root: &Path, suite: Suite) -> Result<()> {
    match suite {
        Suite::PluginHost => {
            plugins::build_all(root)?;
            cmd::run(
                root,
                "cargo",
                &["bench", "-p", "vigia-plugin-host", "--bench", "plugin_run"],
            )
        }
        Suite::Agent => agent::run(root),
        Suite::Aggregator => aggregator::run(root),
        Suite::Outage => outage(root),
        Suite::Diagnosis => diagnosis::run(root),
    }
}

fn outage(root: &Path) -> Result<()> {
    plugins::build_all(root)?;
    cmd::run(
        root,
        "cargo",
        &[
            "build",
            "--release",
            "-p",
            "vigia-aggregator",
            "-p",
            "vigia-agent",
            "-p",
            "vigia-sim",
        ],
    )?;
    eprintln!(
        "\n== outage latency: Vigia vs the existing 300 s monitor (takes about 20 minutes) =="
    );
    cmd::run(
        root,
        "cargo",
        &[
            "run",
            "--release",
            "-p",
            "vigia-e2e",
            "--example",
            "outage_bench",
        ],
    )?;
    eprintln!("\n== correlation cycle over 100,000 subscribers: the engine alone ==");
    cmd::run(
        root,
        "cargo",
        &["bench", "-p", "vigia-correlate", "--bench", "cycle"],
    )?;
    eprintln!("\n== correlation cycle over 100,000 subscribers: its input from the live state ==");
    cmd::run(
        root,
        "cargo",
        &[
            "run",
            "--release",
            "-p",
            "vigia-state",
            "--example",
            "correlation_input",
        ],
    )
}
