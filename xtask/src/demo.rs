//! `cargo xtask demo`: builds everything and runs the main job on embedded defaults, ending in a
//! working diagnosis API on a simulated ISP.
//!
//! First the ping plugin through the agent against loopback: describe it, run it once, run the
//! demo agent config on its schedule for a few rounds. Then the data path: an aggregator and the
//! agent on loopback over mutual TLS, results spooled and delivered, read back through the REST
//! API (`demo/link.rs`). Last the simulated ISP read by a second agent, and the support desk's
//! search and diagnosis on it before, during and after a fibre cut (`demo/isp.rs`). From a
//! terminal everything keeps running until Enter so that the user can inject other faults; every
//! process the demo starts is stopped however it ends ([`daemon::Daemon`], [`stop::Stop`]).
//! It does not build the UI.

mod daemon;
mod http;
mod isp;
mod link;
mod show;
mod stop;

use std::path::Path;

use anyhow::{Result, bail};

use crate::{cmd, plugins};

pub(crate) fn run(root: &Path) -> Result<()> {
    if !cmd::is_root() {
        bail!(
            "the demo pings loopback with raw ICMP sockets: run it as root (e.g. `sudo -E cargo xtask demo`)"
        );
    }
    let stop = stop::Stop::install()?;
    plugins::build_all(root)?;
    cmd::run(
        root,
        "cargo",
        &[
            "build",
            "-p",
            "vigia-agent",
            "-p",
            "vigia-aggregator",
            "-p",
            "vigia-sim",
        ],
    )?;
    let agent = root.join("target/debug/vigia-agent");
    let agent = agent.to_str().expect("utf-8 path");
    let ping = "target/plugins/ping.wasm";

    banner("the ping plugin describes itself");
    cmd::run(root, agent, &["plugin", "describe", ping])?;

    banner("one run of the ping plugin against 127.0.0.1 and ::1");
    cmd::run(
        root,
        agent,
        &[
            "plugin",
            "run",
            ping,
            "--target",
            "127.0.0.1",
            "--target",
            "::1",
            "--config",
            r#"{"count":3}"#,
        ],
    )?;

    banner("the agent runs deploy/demo/agent.toml on its schedule (3 rounds)");
    cmd::run(root, agent, &["check-config", "deploy/demo/agent.toml"])?;
    cmd::run(
        root,
        agent,
        &["run", "--config", "deploy/demo/agent.toml", "--rounds", "3"],
    )?;
    let mut link = link::run(root, &stop)?;
    let isp = isp::run(root, &mut link, &stop)?;
    try_it(&link.key, &isp.control);
    if stop.until_enter() {
        eprintln!("stopping the agent, the simulator and the aggregator");
    } else {
        eprintln!("(no terminal: stopping the agent, the simulator and the aggregator)");
    }
    drop(isp);
    drop(link);
    eprintln!("\ndemo finished");
    Ok(())
}

/// What the user can do while everything runs.
fn try_it(key: &str, control: &str) {
    banner("try it: inject a fault, watch the verdict change");
    eprintln!(
        "  REST API:              http://{}/v1/docs (read-only key below)",
        link::API
    );
    eprintln!("  API key:               {key}");
    eprintln!("  simulator control API: http://{control} (GET /v1/world: the truth)");
    eprintln!(
        "  the diagnosis:         {}",
        isp::curl(key, &format!("/v1/diagnosis/{}", isp::JOAO))
    );
    eprintln!(
        "  faults, one at a time (repair with the DELETE); a verdict that needs the OLT follows \
         its next SmartOLT poll (every 30 s):"
    );
    for (fault, verdict) in [
        (
            r#"{"kind":"subscriber_power","login":"joao.silva"}"#,
            "customer_power",
        ),
        (
            r#"{"kind":"cpe_down","login":"maria.souza"}"#,
            "remote (for maria.souza)",
        ),
        (
            r#"{"kind":"billing_block","login":"joao.silva"}"#,
            "billing",
        ),
        (
            r#"{"kind":"optical_degradation","pon":"olt-centro/1/1","db":8.0}"#,
            "dispatch_optical",
        ),
    ] {
        eprintln!(
            "    curl -s -X POST http://{control}/v1/faults -H 'Content-Type: application/json' -d '{fault}'   # → {verdict}"
        );
    }
    eprintln!("    curl -s -X DELETE http://{control}/v1/faults");
    eprintln!("  logs: target/demo/sim.log, target/demo/isp-agent.log");
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprintln!("Everything keeps running; press Enter (or Ctrl-C) to stop.");
    }
}

fn banner(text: &str) {
    eprintln!("\n=== {text} ===");
}
