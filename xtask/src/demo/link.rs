//! The second half of the demo: an aggregator and an agent on loopback, over mutual TLS with
//! certificates made by `vigia-aggregator pki`, the agent's results spooled and delivered.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cmd;

const METRICS: &str = "127.0.0.1:9464";

/// Stops the aggregator when the demo ends, however it ends.
struct Aggregator(Child);

impl Drop for Aggregator {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

pub(crate) fn run(root: &Path) -> Result<()> {
    let dir = root.join("target/demo");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let aggregator = root.join("target/debug/vigia-aggregator");
    let agent = root.join("target/debug/vigia-agent");
    let pki = dir.join("pki");
    let pki_s = pki.to_str().context("utf-8 path")?;
    let aggregator_s = aggregator.to_str().context("utf-8 path")?;
    for args in [
        vec!["pki", "init", "--dir", pki_s],
        vec!["pki", "issue-server", "--dir", pki_s, "--name", "127.0.0.1"],
        vec!["pki", "issue-agent", "--dir", pki_s, "--id", "demo-agent"],
    ] {
        cmd::run(root, aggregator_s, &args)?;
    }
    let agg_config = dir.join("aggregator.toml");
    std::fs::write(
        &agg_config,
        format!(
            "[server]\nlisten = \"127.0.0.1:7443\"\n[storage]\ndata_dir = \"{d}/aggregator-data\"\n\
             [tls]\ncert = \"{p}/server.pem\"\nkey = \"{p}/server.key\"\nclient_ca = \"{p}/ca.pem\"\n\
             [agents]\nallowed = [\"demo-agent\"]\n",
            d = dir.display(),
            p = pki.display()
        ),
    )?;
    let agent_config = dir.join("agent.toml");
    let demo = std::fs::read_to_string(root.join("deploy/demo/agent.toml"))?;
    let plugins = format!("plugin_dir = \"{}\"", root.join("target/plugins").display());
    std::fs::write(
        &agent_config,
        format!(
            "{}\n[spool]\ndir = \"{d}/spool\"\n\n[uplink]\nendpoint = \"https://127.0.0.1:7443\"\n\
             ca = \"{p}/ca.pem\"\ncert = \"{p}/agent-demo-agent.pem\"\nkey = \"{p}/agent-demo-agent.key\"\n\
             heartbeat_secs = 2\n\n[metrics]\nlisten = \"{METRICS}\"\n",
            demo.replace("plugin_dir = \"../../target/plugins\"", &plugins),
            d = dir.display(),
            p = pki.display()
        ),
    )?;

    super::banner("the aggregator listens on 127.0.0.1:7443 (mutual TLS, embedded SQLite)");
    let mut child = Command::new(&aggregator)
        .args(["serve", "--config"])
        .arg(&agg_config)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start vigia-aggregator")?;
    let mut first = [0u8; 128];
    let n = child
        .stdout
        .as_mut()
        .context("aggregator stdout")?
        .read(&mut first)?;
    let _guard = Aggregator(child);
    let line = String::from_utf8_lossy(&first[..n]);
    if !line.contains("listening on") {
        bail!("the aggregator did not start: {line}");
    }
    eprint!("{line}");

    super::banner("the agent spools each run and streams it to the aggregator (5 rounds)");
    let mut agent = Command::new(&agent)
        .args(["run", "--rounds", "5", "--config"])
        .arg(&agent_config)
        .spawn()
        .context("cannot start vigia-agent")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut shown = false;
    while agent.try_wait()?.is_none() && Instant::now() < deadline {
        if !shown && let Some(text) = scrape().filter(|t| acked(t) >= 3.0) {
            super::banner("the agent's /metrics (http://127.0.0.1:9464/metrics) after 3 acks");
            for line in text
                .lines()
                .filter(|l| !l.starts_with('#') && (l.contains("uplink") || l.contains("spool")))
            {
                eprintln!("  {line}");
            }
            shown = true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = agent.wait()?;
    if !status.success() {
        bail!("the demo agent failed: {status}");
    }
    if !shown {
        bail!("the aggregator never acknowledged the agent's results");
    }
    eprintln!(
        "\nresults are stored in {}/aggregator-data/vigia.sqlite3 (table result_batch)",
        dir.display()
    );
    Ok(())
}

/// GET /metrics with a plain HTTP/1.0 request (the demo needs no HTTP client library).
fn scrape() -> Option<String> {
    let mut stream = TcpStream::connect(METRICS).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

fn acked(text: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix("vigia_agent_uplink_batches_acked_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}
