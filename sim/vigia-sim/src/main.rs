//! `vigia-sim`: runs the simulated ISP of a scenario file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vigia_sim::{Scenario, Sim};

#[derive(Parser)]
#[command(
    name = "vigia-sim",
    version,
    about = "A simulated ISP: vendor APIs, RouterOS and CPEs from one scenario, with fault injection"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the scenario until interrupted.
    Serve {
        #[arg(long)]
        scenario: PathBuf,
        /// Listen on ephemeral loopback ports instead of the scenario's (printed on start).
        #[arg(long)]
        ephemeral: bool,
        /// Put the address of every online CPE on `lo` of this (existing) network namespace, so
        /// they answer ICMP; needs root.
        #[arg(long)]
        cpe_netns: Option<String>,
        /// Serve these SNMP device recordings (`*.snmprec`; community = file name without the
        /// extension) with snmpsim on a loopback port (printed on start).
        #[arg(long, value_name = "DIR")]
        snmprec_dir: Option<PathBuf>,
        /// The snmpsim command responder to run for `--snmprec-dir`.
        #[arg(long, value_name = "PATH", default_value = "snmpsim-command-responder")]
        snmpsim: PathBuf,
    },
    /// Check a scenario file and print what it builds.
    Check {
        #[arg(long)]
        scenario: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let (path, serve, ephemeral, cpe_netns, snmp) = match cli.command {
        Command::Serve {
            scenario,
            ephemeral,
            cpe_netns,
            snmprec_dir,
            snmpsim,
        } => (
            scenario,
            true,
            ephemeral,
            cpe_netns,
            snmprec_dir.map(|d| (d, snmpsim)),
        ),
        Command::Check { scenario } => (scenario, false, false, None, None),
    };
    let scenario = match Scenario::load(&path) {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let sim = Sim::new(scenario);
    if !serve {
        let w = sim.world();
        println!(
            "{}: {} subscribers, {} OLTs, {} PON ports, {} splitters, {} towers, {} APs, {} concentrators",
            w.name,
            w.subscribers.len(),
            w.olts.len(),
            w.pons.len(),
            w.splitters.len(),
            w.towers.len(),
            w.aps.len(),
            w.concentrators.len()
        );
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        if let Some(netns) = cpe_netns {
            match vigia_sim::cpe::follow(sim.clone(), netns.clone()).await {
                Ok(_follower) => println!("cpe addresses in namespace {netns}"),
                Err(error) => {
                    eprintln!("error: {error:#}");
                    return ExitCode::FAILURE;
                }
            }
        }
        let _snmp = match snmp
            .map(|(dir, exe)| serve_recordings(&dir, &exe))
            .transpose()
        {
            Ok(snmp) => snmp,
            Err(error) => {
                eprintln!("error: {error:#}");
                return ExitCode::FAILURE;
            }
        };
        let running = match vigia_sim::start(sim, ephemeral).await {
            Ok(running) => running,
            Err(error) => {
                eprintln!("error: {error:#}");
                return ExitCode::FAILURE;
            }
        };
        for (name, addr) in &running.services {
            println!("{name} listening on {addr}");
        }
        // SIGINT or SIGTERM end the servers and (by drop) the snmpsim child.
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(error) => {
                    eprintln!("error: cannot watch SIGTERM: {error}");
                    return ExitCode::FAILURE;
                }
            };
        tokio::select! {
            () = running.wait() => ExitCode::FAILURE,
            _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
            _ = terminate.recv() => ExitCode::SUCCESS,
        }
    })
}

/// Starts snmpsim over the recordings in `dir` and prints where it listens.
fn serve_recordings(
    dir: &std::path::Path,
    exe: &std::path::Path,
) -> anyhow::Result<vigia_sim::snmp::Snmpsim> {
    use anyhow::Context;
    let mut communities: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            name.strip_suffix(".snmprec").map(str::to_owned)
        })
        .collect();
    communities.sort();
    let first = communities
        .first()
        .with_context(|| format!("{} holds no .snmprec recording", dir.display()))?;
    let snmpsim = vigia_sim::snmp::Snmpsim::start(exe, dir, first)
        .with_context(|| format!("cannot start {}", exe.display()))?;
    println!(
        "snmp listening on {} (communities: {})",
        snmpsim.address(),
        communities.join(", ")
    );
    Ok(snmpsim)
}
