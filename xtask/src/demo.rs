//! `cargo xtask demo`: builds everything and runs the ping plugin through the agent against loopback.
//!
//! Describe the plugin, run it once, run the demo agent config on its schedule for a few rounds,
//! then the data path: an aggregator and the agent on loopback over mutual TLS, results spooled
//! and delivered (`demo/link.rs`). Later issues add the simulated ISP, the REST API and the UI.

mod link;

use std::path::Path;

use anyhow::{Result, bail};

use crate::{cmd, plugins};

pub(crate) fn run(root: &Path) -> Result<()> {
    if !cmd::is_root() {
        bail!(
            "the demo pings loopback with raw ICMP sockets: run it as root (e.g. `sudo -E cargo xtask demo`)"
        );
    }
    plugins::build_all(root)?;
    cmd::run(
        root,
        "cargo",
        &["build", "-p", "vigia-agent", "-p", "vigia-aggregator"],
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
    link::run(root)?;
    eprintln!("\ndemo finished");
    Ok(())
}

fn banner(text: &str) {
    eprintln!("\n=== {text} ===");
}
