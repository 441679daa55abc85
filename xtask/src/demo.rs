//! `cargo xtask demo`: builds everything and runs the ping plugin through the agent against loopback.
//!
//! Today the demo is the agent half: describe the plugin, run it once, then run the demo agent config
//! on its schedule for a few rounds. Later issues add the aggregator, the simulated ISP and the UI.

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
    cmd::run(root, "cargo", &["build", "-p", "vigia-agent"])?;
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
    eprintln!("\ndemo finished");
    Ok(())
}

fn banner(text: &str) {
    eprintln!("\n=== {text} ===");
}
