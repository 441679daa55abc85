//! The third part of the demo: the simulated ISP (`vigia-sim` with `sim/scenarios/small-isp.toml`)
//! read by a second agent (config from the template `deploy/demo/isp-agent.toml`), delivering to
//! the aggregator of [`super::link`]; then the support desk's API on it: search, a diagnosis, a
//! fibre cut injected through the simulator's control API, the verdict turning to `outage`, and
//! the repair.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::daemon::Daemon;
use super::link::{API, Link};
use super::stop::Stop;
use super::{http, show};
use crate::cmd;

#[cfg(test)]
mod tests;

const SCENARIO: &str = "sim/scenarios/small-isp.toml";
const TEMPLATE: &str = "deploy/demo/isp-agent.toml";
const SECRETS: &str = "deploy/demo/isp-secrets.toml";
/// The simulator's services the agent config needs.
const SERVICES: [&str; 6] = [
    "control",
    "smartolt",
    "ixc",
    "cnmaestro",
    "routeros:bng-centro",
    "routeros:bng-norte",
];
/// A fibre subscriber of the scenario, and his PON.
pub(crate) const JOAO: &str = "joao.silva";
pub(crate) const PON: &str = "olt-centro/1/1";
/// Every routine probe has run within this; a verdict follows a fault within a SmartOLT poll
/// (30 s) and a correlation cycle.
const READY: Duration = Duration::from_secs(180);
const VERDICT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(500);

/// The simulator and its agent, stopped (agent first) when dropped.
pub(crate) struct Isp {
    /// The simulator's control API (`/v1/world`, `/v1/faults`).
    pub(crate) control: String,
    agent: Daemon,
    sim: Daemon,
}

impl Isp {
    /// Fails when the simulator or its agent has exited.
    pub(crate) fn check_running(&mut self) -> Result<()> {
        self.sim.check_running()?;
        self.agent.check_running()
    }
}

pub(crate) fn run(root: &Path, link: &mut Link, stop: &Stop) -> Result<Isp> {
    super::banner(&format!(
        "the simulated ISP: vigia-sim serves {SCENARIO} on ephemeral loopback ports"
    ));
    let mut sim = Daemon::spawn_logged(
        "vigia-sim",
        Command::new(root.join("target/debug/vigia-sim"))
            .args(["serve", "--scenario", SCENARIO, "--ephemeral"])
            .current_dir(root),
        &link.dir.join("sim.log"),
    )?;
    let services = stop.poll(
        "the simulator to listen",
        Duration::from_secs(30),
        Duration::from_millis(100),
        || {
            sim.check_running()?;
            let found = listening(&sim.log());
            Ok(SERVICES
                .iter()
                .all(|s| found.contains_key(*s))
                .then_some(found))
        },
    )?;
    for (name, addr) in &services {
        eprintln!("  {name} listening on {addr}");
    }
    let control = services["control"].clone();
    let world = http::json(&control, "GET", "/v1/world", None, None)?;
    let counts = &world["counts"];
    let sessions = counts["sessions_online"]
        .as_u64()
        .context("the simulator's world has no sessions_online count")?;
    let pons = world["olts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|olt| olt["pons"].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    eprintln!(
        "  GET http://{control}/v1/world: {} subscribers, {sessions} PPPoE sessions online, \
         {pons} PON ports, {} ONUs online, {} in LOS",
        counts["subscribers"], counts["onus_online"], counts["onus_los"]
    );

    super::banner(&format!(
        "an agent reads the ISP's RouterOS, SmartOLT, cnMaestro and IXC ({TEMPLATE}, filled in)"
    ));
    let config = write_agent_config(root, &link.dir, &services)?;
    let agent_bin = root.join("target/debug/vigia-agent");
    let agent_s = agent_bin.to_str().context("utf-8 path")?;
    let config_s = config.to_str().context("utf-8 path")?;
    cmd::run(root, agent_s, &["check-config", config_s])?;
    let agent = Daemon::spawn_logged(
        "vigia-agent (simulated ISP)",
        Command::new(&agent_bin).args(["run", "--config", config_s]),
        &link.dir.join("isp-agent.log"),
    )?;
    let mut isp = Isp {
        control: control.clone(),
        agent,
        sim,
    };
    let key = link.key.clone();
    let mut alive = || -> Result<()> {
        isp.check_running()?;
        link.aggregator.check_running()
    };

    super::banner("the aggregator learns the ISP (polling the REST API)");
    let started = Instant::now();
    let mut last = (usize::MAX, usize::MAX);
    stop.poll(
        "the aggregator to know the ISP's subscribers and PON ports",
        READY,
        Duration::from_secs(1),
        || {
            alive()?;
            let up = count(&key, "/v1/entities?kind=subscriber&state=up&limit=1000");
            let known = count(&key, "/v1/entities?kind=pon_port&limit=1000");
            if (up, known) != last {
                eprintln!(
                    "  after {:>3} s: {up} of {sessions} subscribers up, {known} of {pons} PON ports",
                    started.elapsed().as_secs()
                );
                last = (up, known);
            }
            Ok((up as u64 >= sessions && known >= pons).then_some(()))
        },
    )?;
    // Ok, with the router's session, the OLT's ONU and the CRM's customer all in.
    let fine = wait_verdict(stop, &mut alive, &key, JOAO, "ok", |d| {
        ["session", "onu", "customer"]
            .iter()
            .all(|fact| d["facts"][fact].is_object())
    })?;

    super::banner("search: who is João? (accents and case do not matter)");
    eprintln!("$ {}", curl(&key, "/v1/search?q=joao"));
    let page = stop.poll("search to find joao.silva", VERDICT, POLL, || {
        alive()?;
        let page = http::json(API, "GET", "/v1/search?q=joao", Some(&key), None)?;
        let found = page["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|h| h["login"] == JOAO));
        Ok(found.then_some(page))
    })?;
    show::hits(&page, 5);

    super::banner(&format!("the diagnosis of {JOAO}"));
    eprintln!("$ {}", curl(&key, &format!("/v1/diagnosis/{JOAO}")));
    show::diagnosis(&fine);

    super::banner(&format!(
        "a fibre cut on PON {PON}, injected in the simulator"
    ));
    let fault = json!({"kind": "pon_cut", "pon": PON}).to_string();
    eprintln!(
        "$ curl -s -X POST http://{control}/v1/faults -H 'Content-Type: application/json' -d '{fault}'"
    );
    let answer = http::json(&control, "POST", "/v1/faults", None, Some(&fault))?;
    eprintln!("  {answer}");
    let cut = Instant::now();
    let outage = wait_verdict(stop, &mut alive, &key, JOAO, "outage", |_| true)?;
    eprintln!(
        "$ {}   (after {} s)",
        curl(&key, &format!("/v1/diagnosis/{JOAO}")),
        cut.elapsed().as_secs()
    );
    show::diagnosis(&outage);
    if let Some(event) = outage["verdict"]["events"]
        .as_array()
        .and_then(|e| e.first())
    {
        eprintln!(
            "  the outage event: {}",
            curl(&key, &format!("/v1/events/{event}"))
        );
    }

    super::banner("repair: the simulator clears every fault");
    eprintln!("$ curl -s -X DELETE http://{control}/v1/faults");
    http::json(&control, "DELETE", "/v1/faults", None, None)?;
    let repaired = Instant::now();
    let back = wait_verdict(stop, &mut alive, &key, JOAO, "ok", |_| true)?;
    eprintln!(
        "  repaired: {JOAO} is {} again after {} s ({})",
        back["verdict"]["verdict"].as_str().unwrap_or("?"),
        repaired.elapsed().as_secs(),
        back["verdict"]["summary"].as_str().unwrap_or("")
    );
    Ok(isp)
}

/// `<service> listening on <addr>` lines of the simulator's output.
fn listening(log: &str) -> BTreeMap<String, String> {
    log.lines()
        .filter_map(|line| {
            let (name, addr) = line.trim().split_once(" listening on ")?;
            Some((name.trim().to_owned(), addr.trim().to_owned()))
        })
        .collect()
}

/// Fills the template's `${SERVICE}` placeholders with the simulator's addresses and writes the
/// agent config to `dir/isp-agent.toml`, its secrets beside it (0600).
fn write_agent_config(
    root: &Path,
    dir: &Path,
    services: &BTreeMap<String, String>,
) -> Result<PathBuf> {
    let template = std::fs::read_to_string(root.join(TEMPLATE))
        .with_context(|| format!("cannot read {TEMPLATE}"))?;
    let text = fill(&template, services)?;
    let config = dir.join("isp-agent.toml");
    std::fs::write(&config, text)?;
    let secrets =
        std::fs::read(root.join(SECRETS)).with_context(|| format!("cannot read {SECRETS}"))?;
    let path = dir.join("isp-secrets.toml");
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| f.write_all(&secrets))
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("  wrote {} and {} (0600)", config.display(), path.display());
    Ok(config)
}

/// The template with each `${SERVICE}` replaced by that service's address; fails naming the
/// first line (not a comment) left with a placeholder.
fn fill(template: &str, services: &BTreeMap<String, String>) -> Result<String> {
    let mut text = template.to_owned();
    for (service, addr) in services {
        text = text.replace(&format!("${{{}}}", placeholder(service)), addr);
    }
    if let Some(line) = text
        .lines()
        .find(|l| !l.trim_start().starts_with('#') && l.contains("${"))
    {
        bail!(
            "{TEMPLATE}: the simulator serves nothing for `{}`",
            line.trim()
        );
    }
    Ok(text)
}

/// `routeros:bng-centro` → `ROUTEROS_BNG_CENTRO`.
fn placeholder(service: &str) -> String {
    service
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Items in one page of a list (0 when the API does not answer).
fn count(key: &str, path: &str) -> usize {
    http::get_ok(API, path, Some(key))
        .and_then(|body| serde_json::from_str::<Value>(&body).ok())
        .and_then(|page| page["items"].as_array().map(Vec::len))
        .unwrap_or(0)
}

/// The diagnosis of `login` once its verdict is `verdict` and it passes `also`.
fn wait_verdict(
    stop: &Stop,
    alive: &mut dyn FnMut() -> Result<()>,
    key: &str,
    login: &str,
    verdict: &str,
    also: impl Fn(&Value) -> bool,
) -> Result<Value> {
    let path = format!("/v1/diagnosis/{login}");
    let mut last = Value::Null;
    let found = stop.poll(
        &format!("{login}'s verdict to be {verdict}"),
        VERDICT,
        POLL,
        || {
            alive()?;
            // Not known yet (404) is a reason to wait, like any other verdict.
            if let Some(body) = http::get_ok(API, &path, Some(key)) {
                last = serde_json::from_str(&body).context("a diagnosis that is not JSON")?;
            }
            Ok((last["verdict"]["verdict"] == verdict && also(&last)).then(|| last.clone()))
        },
    );
    found.with_context(|| {
        format!(
            "the last diagnosis of {login}: {}",
            last["verdict"]["summary"].as_str().unwrap_or("none")
        )
    })
}

/// A curl command line for `GET path` on the REST API, to copy.
pub(crate) fn curl(key: &str, path: &str) -> String {
    format!("curl -s -H 'Authorization: Bearer {key}' 'http://{API}{path}'")
}
