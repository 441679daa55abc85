//! Reads of entity state through the REST API with `wrk`: a read API key made with
//! `vigia-aggregator apikey create`, requests spread round-robin over the ONUs the load
//! populated (a Lua `request()`), paced to about [`TARGET_RATE`] with the Lua `delay()` hook,
//! then once unpaced for the saturation rate. Latency percentiles come from the Lua `done()` hook.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench::lab::check_interrupted;
use crate::cmd;

/// Requests per second the paced run aims at (the goal's load).
pub(super) const TARGET_RATE: u32 = 5_000;
/// wrk threads and connections for the paced run; each connection waits `delay` ms before
/// each request, so the rate is about connections * 1000 / (delay + latency).
const THREADS: u32 = 2;
const CONNECTIONS: u32 = 100;
/// Bound on the live state showing the first entity after the load.
const VISIBLE_TIMEOUT: Duration = Duration::from_secs(60);

/// One wrk run.
#[derive(Debug, Clone)]
pub(super) struct Figures {
    pub(super) rate: f64,
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) max_ms: f64,
    pub(super) non_2xx: u64,
    pub(super) socket_errors: u64,
}

/// The paced and the unpaced run.
pub(super) struct Reads {
    pub(super) paced: Figures,
    pub(super) unpaced: Figures,
}

/// Creates the key, checks the API answers for a populated entity, and runs wrk twice.
/// The populated ONUs are those of agents `0..agents`, `onus_per_agent` each.
pub(super) fn run(
    aggregator_bin: &Path,
    config: &Path,
    api: SocketAddr,
    work: &Path,
    agents: u32,
    onus_per_agent: u32,
    duration_secs: u64,
) -> Result<Reads> {
    let key = cmd::output(
        Command::new(aggregator_bin)
            .args([
                "apikey",
                "create",
                "--name",
                "bench-read",
                "--scope",
                "read",
            ])
            .arg("--config")
            .arg(config),
    )?
    .trim()
    .to_owned();
    if !key.starts_with("vgk_") {
        bail!("`vigia-aggregator apikey create` printed {key:?}, not a vgk_ key");
    }
    let first = format!("/v1/entities/onu%3A{}", serial(0, 0));
    wait_until_visible(api, &first, &key)?;
    let script = |paced: bool| -> Result<std::path::PathBuf> {
        let path = work.join(if paced { "paced.lua" } else { "unpaced.lua" });
        std::fs::write(&path, lua(&key, agents, onus_per_agent, paced))?;
        Ok(path)
    };
    let paced = wrk(api, &script(true)?, duration_secs)?;
    let unpaced = wrk(api, &script(false)?, duration_secs)?;
    Ok(Reads { paced, unpaced })
}

fn serial(agent: u32, onu: u32) -> String {
    format!("HWTC{agent:04}{onu:04}")
}

/// One GET over a plain socket: the status code.
fn get_status(api: SocketAddr, path: &str, key: &str) -> Result<u16> {
    let mut stream = TcpStream::connect_timeout(&api, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {api}\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP response: {:?}", response.lines().next()))
}

/// Polls until the entity is served (the live state applies committed batches asynchronously).
fn wait_until_visible(api: SocketAddr, path: &str, key: &str) -> Result<()> {
    let deadline = Instant::now() + VISIBLE_TIMEOUT;
    loop {
        check_interrupted()?;
        let status = get_status(api, path, key);
        match status {
            Ok(200) => return Ok(()),
            Ok(404) if Instant::now() < deadline => {}
            Ok(code) => bail!("GET {path} answered {code}, expected 200"),
            Err(error) if Instant::now() >= deadline => {
                return Err(error.context(format!("GET http://{api}{path}")));
            }
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            bail!("GET {path} still 404 after {VISIBLE_TIMEOUT:?}: the load did not populate it");
        }
        // Polling a condition with a deadline.
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The wrk script: round-robin over every populated ONU from a random start per thread, the
/// bearer key, `delay()` when paced, and one JSON line from `done()`.
fn lua(key: &str, agents: u32, onus: u32, paced: bool) -> String {
    // One millisecond less than the ideal, for the request's own latency.
    let delay_ms = (CONNECTIONS * 1000 / TARGET_RATE).saturating_sub(1);
    let delay = if paced {
        format!("function delay()\n  return {delay_ms}\nend\n")
    } else {
        String::new()
    };
    format!(
        r#"local agents, onus = {agents}, {onus}
local total = agents * onus
local counter = 0
local headers = {{ ["Authorization"] = "Bearer {key}" }}

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  counter = math.random(0, total - 1)
end

function request()
  counter = (counter + 1) % total
  local path = string.format("/v1/entities/onu%%3AHWTC%04d%04d", math.floor(counter / onus), counter % onus)
  return wrk.format("GET", path, headers)
end
{delay}
function done(summary, latency, requests)
  io.write(string.format(
    '{{"requests":%d,"duration_us":%d,"non_2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"#
    )
}

fn wrk(api: SocketAddr, script: &Path, duration_secs: u64) -> Result<Figures> {
    let out = cmd::output(
        Command::new("wrk")
            .args([
                format!("-t{THREADS}"),
                format!("-c{CONNECTIONS}"),
                format!("-d{duration_secs}s"),
                "--timeout".into(),
                "5s".into(),
                "-s".into(),
            ])
            .arg(script)
            .arg(format!("http://{api}")),
    )?;
    let line = out
        .lines()
        .find(|l| l.starts_with('{'))
        .with_context(|| format!("wrk printed no figures:\n{out}"))?;
    let v: serde_json::Value = serde_json::from_str(line).context("wrk done() line")?;
    let n = |key: &str| v[key].as_f64().unwrap_or(0.0);
    let secs = n("duration_us") / 1e6;
    Ok(Figures {
        rate: if secs > 0.0 {
            n("requests") / secs
        } else {
            0.0
        },
        p50_ms: n("p50_us") / 1000.0,
        p99_ms: n("p99_us") / 1000.0,
        max_ms: n("max_us") / 1000.0,
        non_2xx: n("non_2xx") as u64,
        socket_errors: (n("connect") + n("read") + n("write") + n("timeout")) as u64,
    })
}
