//! One `wrk` run over a set of paths, the way `bench aggregator`'s read section drives it: a Lua
//! `request()` going round-robin over the paths from a random start per thread, the bearer key,
//! pacing with the Lua `delay()` hook (each connection waits `delay` ms before each request, so
//! the rate is about connections * 1000 / (delay + latency); wrk has no `-R`, that is wrk2), and
//! the figures from the `done()` hook as one JSON line. The aggregator's CPU time is sampled
//! across the run.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

use super::process::Aggregator;
use crate::cmd;

const THREADS: u32 = 2;
/// Connections of an unpaced run: enough to keep both of the aggregator's cores busy.
const UNPACED_CONNECTIONS: u32 = 100;

/// What to request.
pub(super) enum Paths {
    /// `string.format(pattern, k)` for `k` in `0..count` (a Lua format: `%` escaped as `%%`).
    Pattern { pattern: String, count: u32 },
    /// These paths, in turn.
    List(Vec<String>),
}

/// One run's figures.
#[derive(Debug, Clone, Default)]
pub(super) struct Figures {
    pub(super) rate: f64,
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) max_ms: f64,
    pub(super) non_2xx: u64,
    pub(super) socket_errors: u64,
    /// Response bytes per request.
    pub(super) bytes_per_request: f64,
    /// Aggregator CPU seconds per wall second over the run.
    pub(super) aggregator_cores: f64,
}

/// One run: paced at about `rate` requests/s, or unpaced when `None`.
pub(super) struct Run<'a> {
    pub(super) name: &'a str,
    pub(super) paths: &'a Paths,
    pub(super) rate: Option<u32>,
    /// The request's latency measured one at a time beforehand, ms: part of each connection's
    /// cycle when paced.
    pub(super) latency_ms: f64,
    pub(super) duration_secs: u64,
}

/// The connections and per-request delay (ms) that offer about `rate` requests/s: each
/// connection sends once per `delay + latency + 1 ms` (wrk's own turn: its timers have
/// millisecond resolution; measured about 4% short without it), with a delay of 19 ms at
/// 2,000/s and more (5,000/s: about 100 connections, as `bench aggregator` reads) and 49 ms
/// below. Erring high offers a little more than the rate, never less.
fn pacing(rate: u32, latency_ms: f64) -> (u32, u32) {
    let delay_ms: u32 = if rate >= 2_000 { 19 } else { 49 };
    let cycle_ms = f64::from(delay_ms) + latency_ms.max(0.0) + 1.0;
    let connections = (f64::from(rate) * cycle_ms / 1000.0).round().max(1.0) as u32;
    (connections, delay_ms)
}

pub(super) fn run(
    api: SocketAddr,
    key: &str,
    work: &Path,
    aggregator: &Aggregator,
    run: &Run<'_>,
) -> Result<Figures> {
    let (connections, delay) = match run.rate {
        Some(rate) => {
            let (connections, delay) = pacing(rate, run.latency_ms);
            (connections, Some(delay))
        }
        None => (UNPACED_CONNECTIONS, None),
    };
    let script = work.join(format!("{}.lua", run.name));
    std::fs::write(&script, lua(key, run.paths, delay))
        .with_context(|| format!("cannot write {}", script.display()))?;
    let (cpu_before, wall_before) = (aggregator.cpu_seconds()?, Instant::now());
    let out = cmd::output(
        Command::new("wrk")
            .args([
                format!("-t{THREADS}"),
                format!("-c{connections}"),
                format!("-d{}s", run.duration_secs),
                "--timeout".into(),
                "5s".into(),
                "-s".into(),
            ])
            .arg(&script)
            .arg(format!("http://{api}")),
    )?;
    let cpu = aggregator.cpu_seconds()? - cpu_before;
    let wall = wall_before.elapsed().as_secs_f64();
    let line = out
        .lines()
        .find(|l| l.starts_with('{'))
        .with_context(|| format!("wrk printed no figures:\n{out}"))?;
    let v: serde_json::Value = serde_json::from_str(line).context("wrk done() line")?;
    let n = |key: &str| v[key].as_f64().unwrap_or(0.0);
    let secs = n("duration_us") / 1e6;
    let requests = n("requests");
    Ok(Figures {
        rate: if secs > 0.0 { requests / secs } else { 0.0 },
        p50_ms: n("p50_us") / 1000.0,
        p99_ms: n("p99_us") / 1000.0,
        max_ms: n("max_us") / 1000.0,
        non_2xx: n("non_2xx") as u64,
        socket_errors: (n("connect") + n("read") + n("write") + n("timeout")) as u64,
        bytes_per_request: if requests > 0.0 {
            n("bytes") / requests
        } else {
            0.0
        },
        aggregator_cores: if wall > 0.0 { cpu / wall } else { 0.0 },
    })
}

/// The wrk script.
fn lua(key: &str, paths: &Paths, delay_ms: Option<u32>) -> String {
    let (table, count, path) = match paths {
        Paths::Pattern { pattern, count } => (
            String::new(),
            *count,
            format!("string.format(\"{pattern}\", counter)"),
        ),
        Paths::List(list) => {
            let quoted: Vec<String> = list.iter().map(|p| format!("  \"{p}\",\n")).collect();
            (
                format!("local paths = {{\n{}}}\n", quoted.concat()),
                list.len() as u32,
                "paths[counter + 1]".to_owned(),
            )
        }
    };
    let delay = delay_ms.map_or(String::new(), |ms| {
        format!("function delay()\n  return {ms}\nend\n")
    });
    format!(
        r#"local total = {count}
local counter = 0
local headers = {{ ["Authorization"] = "Bearer {key}" }}
{table}
function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  counter = math.random(0, total - 1)
end

function request()
  counter = (counter + 1) % total
  return wrk.format("GET", {path}, headers)
end
{delay}
function done(summary, latency, requests)
  io.write(string.format(
    '{{"requests":%d,"bytes":%d,"duration_us":%d,"non_2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}}\n',
    summary.requests, summary.bytes, summary.duration, summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"#
    )
}
