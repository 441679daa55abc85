//! The second part of the demo: an aggregator and an agent on loopback, over mutual TLS with
//! certificates made by `vigia-aggregator pki`, the agent's results spooled and delivered, then
//! the live state read back through the REST API with a key made by `vigia-aggregator apikey`.
//! The aggregator keeps running for the simulated ISP ([`super::isp`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::daemon::Daemon;
use super::http;
use super::stop::Stop;
use crate::cmd;

const METRICS: &str = "127.0.0.1:9464";
/// The aggregator's REST API.
pub(crate) const API: &str = "127.0.0.1:8080";
/// The agent ids the aggregator accepts: the loopback pinger and the simulated ISP's agent.
const PING_AGENT: &str = "demo-agent";
pub(crate) const ISP_AGENT: &str = "demo-isp";

/// The running aggregator and what the rest of the demo needs to use it.
pub(crate) struct Link {
    /// `target/demo/`: configs, PKI (`pki/`), data, logs.
    pub(crate) dir: PathBuf,
    /// A read-only API key.
    pub(crate) key: String,
    pub(crate) aggregator: Daemon,
}

pub(crate) fn run(root: &Path, stop: &Stop) -> Result<Link> {
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
        vec!["pki", "issue-agent", "--dir", pki_s, "--id", PING_AGENT],
        vec!["pki", "issue-agent", "--dir", pki_s, "--id", ISP_AGENT],
    ] {
        cmd::run(root, aggregator_s, &args)?;
    }
    let agg_config = dir.join("aggregator.toml");
    std::fs::write(
        &agg_config,
        format!(
            "[server]\nlisten = \"127.0.0.1:7443\"\n[storage]\ndata_dir = \"{d}/aggregator-data\"\n\
             [tls]\ncert = \"{p}/server.pem\"\nkey = \"{p}/server.key\"\nclient_ca = \"{p}/ca.pem\"\n\
             [agents]\nallowed = [\"{PING_AGENT}\", \"{ISP_AGENT}\"]\n[api]\nlisten = \"{API}\"\n",
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
             ca = \"{p}/ca.pem\"\ncert = \"{p}/agent-{PING_AGENT}.pem\"\nkey = \"{p}/agent-{PING_AGENT}.key\"\n\
             heartbeat_secs = 2\n\n[metrics]\nlisten = \"{METRICS}\"\n",
            demo.replace("plugin_dir = \"../../target/plugins\"", &plugins),
            d = dir.display(),
            p = pki.display()
        ),
    )?;

    super::banner("the aggregator listens on 127.0.0.1:7443 (mutual TLS, embedded SQLite)");
    let mut daemon = Daemon::spawn(
        "vigia-aggregator",
        Command::new(&aggregator)
            .args(["serve", "--config"])
            .arg(&agg_config)
            .stdout(Stdio::piped()),
    )?;
    let mut first = [0u8; 128];
    let n = daemon
        .child()
        .stdout
        .as_mut()
        .context("aggregator stdout")?
        .read(&mut first)?;
    let line = String::from_utf8_lossy(&first[..n]);
    if !line.contains("listening on") {
        bail!("the aggregator did not start: {line}");
    }
    eprint!("{line}");

    super::banner("the agent spools each run and streams it to the aggregator (5 rounds)");
    let mut pinger = Daemon::spawn(
        "vigia-agent",
        Command::new(&agent)
            .args(["run", "--rounds", "5", "--config"])
            .arg(&agent_config),
    )?;
    let shown = stop.poll(
        "the agent's 5 rounds",
        Duration::from_secs(60),
        Duration::from_millis(200),
        || {
            Ok(match pinger.child().try_wait()? {
                Some(_) => Some(false),
                None => scrape().filter(|t| acked(t) >= 3.0).map(|text| {
                    super::banner(
                        "the agent's /metrics (http://127.0.0.1:9464/metrics) after 3 acks",
                    );
                    for line in text.lines().filter(|l| {
                        !l.starts_with('#') && (l.contains("uplink") || l.contains("spool"))
                    }) {
                        eprintln!("  {line}");
                    }
                    true
                }),
            })
        },
    )?;
    let status = stop.poll(
        "the agent to finish its rounds",
        Duration::from_secs(60),
        Duration::from_millis(200),
        || Ok(pinger.child().try_wait()?),
    )?;
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
    let entities = http::get_ok(API, "/v1/entities?kind=host", Some(&key))
        .context("the REST API did not answer")?;
    eprintln!("  GET http://{API}/v1/entities?kind=host\n  {entities}");
    if !entities.contains("\"state\":\"up\"") {
        bail!("the REST API shows no host up after the agent pinged loopback: {entities}");
    }
    eprintln!(
        "\nThe REST API: http://{API}/v1/docs (Swagger UI; Authorize with the key above)\n\
         e.g. curl -H 'Authorization: Bearer {key}' 'http://{API}/v1/entities?kind=host'"
    );
    Ok(Link {
        dir,
        key,
        aggregator: daemon,
    })
}

/// The agent's /metrics text.
fn scrape() -> Option<String> {
    http::get_ok(METRICS, "/metrics", None)
}

fn acked(text: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix("vigia_agent_uplink_batches_acked_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}
