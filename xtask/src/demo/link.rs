//! The second half of the demo: an aggregator and an agent on loopback, over mutual TLS with
//! certificates made by `vigia-aggregator pki`, the agent's results spooled and delivered, then
//! the live state read back through the REST API with a key made by `vigia-aggregator apikey`.

use std::io::{IsTerminal, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cmd;

const METRICS: &str = "127.0.0.1:9464";
const API: &str = "127.0.0.1:8080";

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
             [agents]\nallowed = [\"demo-agent\"]\n[api]\nlisten = \"{API}\"\n",
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

    super::banner("a read-only API key (vigia-aggregator apikey create), and the live state");
    let config_s = agg_config.to_str().context("utf-8 path")?;
    let key = cmd::output(Command::new(&aggregator).args([
        "apikey", "create", "--config", config_s, "--name", "demo", "--scope", "read",
    ]))?;
    let key = key.trim().to_owned();
    eprintln!("  key: {key}");
    let entities = http_get(API, "/v1/entities?kind=host", Some(&key))
        .context("the REST API did not answer")?;
    eprintln!("  GET http://{API}/v1/entities?kind=host\n  {entities}");
    if !entities.contains("\"state\":\"up\"") {
        bail!("the REST API shows no host up after the agent pinged loopback: {entities}");
    }
    eprintln!(
        "\nThe REST API: http://{API}/v1/docs (Swagger UI; Authorize with the key above)\n\
         e.g. curl -H 'Authorization: Bearer {key}' 'http://{API}/v1/entities?kind=host'"
    );
    if std::io::stdin().is_terminal() {
        eprintln!("The aggregator keeps serving; press Enter to stop it.");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
    }
    Ok(())
}

/// GET `path` with a plain HTTP/1.0 request, optionally with an API key; the body when 2xx.
fn http_get(addr: &str, path: &str, key: Option<&str>) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let auth = key.map_or_else(String::new, |k| format!("Authorization: Bearer {k}\r\n"));
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n{auth}\r\n").as_bytes())
        .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.split_whitespace()
        .nth(1)
        .is_some_and(|code| code.starts_with('2'))
        .then(|| body.to_owned())
}

/// The agent's /metrics text.
fn scrape() -> Option<String> {
    http_get(METRICS, "/metrics", None)
}

fn acked(text: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix("vigia_agent_uplink_batches_acked_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}
