//! `cargo xtask bench diagnosis`: the support desk's reads against the goals (2-core
//! machine, 100,000 subscribers loaded): `GET /v1/diagnosis/{login}` p99 <= 10 ms at 5,000
//! requests/s and >= 20,000 requests/s at saturation; `GET /v1/search?q=` p99 <= 20 ms. The
//! baseline, measured in the same run at the same pacing, is `GET /v1/entities/subscriber:<login>`,
//! the cheapest keyed read the API already had.
//!
//! It builds `vigia-aggregator` and its `diagnosis_load` example (release), makes a PKI (the
//! server's and three agents' certificates with `vigia-aggregator pki`) and a config (embedded
//! SQLite, the API's rate limit out of the way) in a temporary directory, starts `vigia-aggregator
//! serve`, creates a read API key, and loads a synthetic ISP through the real mTLS ingest: every
//! subscriber's PPPoE session from a `mikrotik` router agent, ONU from a `smartolt` OLT agent
//! (four polls, so Rx medians exist) and customer from an `ixc` CRM agent. It waits until the
//! live state applied every observation and the search index finds the last customer sent
//! (`/metrics` and a search, polled with a deadline), then runs wrk: paced and unpaced, diagnosis
//! and entity reads round-robin over every login, search over a desk's query mix.
//! `VIGIA_BENCH_DURATION_SECS` sets each wrk run's length (default 15; six runs);
//! `VIGIA_BENCH_SUBSCRIBERS` the load (default 100,000). Every child is stopped at the end, on
//! error and on Ctrl-C; the work directory is removed.

mod http;
// The aggregator bench's `serve` child (start, CPU time, idle wait, stop), reused as is: its
// module is private to that bench, whose files this suite leaves alone. Moving it up to
// `bench/` would make this a plain `use`.
#[allow(clippy::duplicate_mod)]
#[path = "aggregator/process.rs"]
mod process;
mod wrk;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::lab::{check_interrupted, stop_on_ctrl_c};
use super::report::{header, heading, ratio, row};
use crate::cmd;
use http::{Metrics, encode};
use process::Aggregator;
use wrk::{Figures, Paths};

const SUBSCRIBERS: u32 = 100_000;
/// The goal's diagnosis rate, and the rate the baseline is paced at too.
const DIAGNOSIS_RATE: u32 = 5_000;
const GOAL_DIAGNOSIS_P99_MS: f64 = 10.0;
const GOAL_DIAGNOSIS_SATURATION: f64 = 20_000.0;
/// The search pacing: a desk of 100 attendants each searching as they type, about five
/// keystroke-requests per second each while typing (the UI does not debounce), is 500/s: a
/// large ISP's call-centre peak.
const SEARCH_RATE: u32 = 500;
const GOAL_SEARCH_P99_MS: f64 = 20.0;
/// A paced run counts when it offered at least this share of its rate.
const RATE_TOLERANCE: f64 = 0.9;
/// Bound on the live state applying the load and the search index catching up.
const APPLY_TIMEOUT: Duration = Duration::from_secs(300);
/// Diagnoses fetched one by one before the runs, to show the verdict mix of the data.
const SAMPLED_DIAGNOSES: u32 = 200;
/// No index build for this long: none is due any more.
const INDEX_QUIET: Duration = Duration::from_secs(3);
const AGENTS: [&str; 3] = ["bench-router", "bench-olt", "bench-crm"];

/// Removes the work folder when dropped.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the load example printed.
struct Loaded {
    subscribers: u32,
    observations: f64,
    login_pattern: String,
    queries: Vec<String>,
    check_query: String,
    check_login: String,
    degraded_pon_login: Option<String>,
}

pub(super) fn run(root: &Path) -> Result<()> {
    let duration_secs: u64 = env_number("VIGIA_BENCH_DURATION_SECS", 15)?;
    let subscribers: u32 = env_number("VIGIA_BENCH_SUBSCRIBERS", u64::from(SUBSCRIBERS))?
        .try_into()
        .context("VIGIA_BENCH_SUBSCRIBERS is too large")?;
    stop_on_ctrl_c()?;
    cmd::apt_install(&["wrk"])?;
    cmd::run(
        root,
        "cargo",
        &[
            "build",
            "--release",
            "-p",
            "vigia-aggregator",
            "--bin",
            "vigia-aggregator",
            "--example",
            "diagnosis_load",
        ],
    )?;
    let release = target_dir(root).join("release");
    let bin = release.join("vigia-aggregator");
    let example = release.join("examples/diagnosis_load");
    let work =
        WorkDir(std::env::temp_dir().join(format!("vigia-bench-diag-{}", std::process::id())));
    std::fs::create_dir_all(&work.0)?;
    let pki = work.0.join("pki");
    let pki_arg = pki.to_str().context("utf-8 work path")?;
    cmd::output(Command::new(&bin).args(["pki", "init", "--dir", pki_arg]))?;
    cmd::output(Command::new(&bin).args([
        "pki",
        "issue-server",
        "--dir",
        pki_arg,
        "--name",
        "127.0.0.1",
    ]))?;
    for agent in AGENTS {
        cmd::output(Command::new(&bin).args([
            "pki",
            "issue-agent",
            "--dir",
            pki_arg,
            "--id",
            agent,
        ]))?;
    }
    let config = write_config(&work.0, &pki)?;
    let aggregator = Aggregator::start(&bin, &config, &work.0.join("aggregator.log"))?;
    let api = aggregator
        .api
        .context("`vigia-aggregator serve` did not start the REST API")?;
    let key = api_key(&bin, &config)?;

    heading(&format!(
        "Load: {subscribers} subscribers through the mTLS ingest (sessions from mikrotik, ONUs \
         from smartolt x4 polls, customers from ixc)"
    ));
    let started = Instant::now();
    let loaded = load(&example, &aggregator, &pki, subscribers)?;
    let acked = started.elapsed();
    wait_applied(api, &loaded)?;
    let applied = started.elapsed();
    wait_searchable(api, &key, &loaded)?;
    let searchable = started.elapsed();
    wait_index_settled(api)?;
    aggregator.wait_idle(Duration::from_secs(60))?;
    let metrics = Metrics::scrape(api)?;
    println!(
        "{:.0} observations acked in {:.1}s, applied to the live state after {:.1}s, search index \
         complete after {:.1}s",
        loaded.observations,
        acked.as_secs_f64(),
        applied.as_secs_f64(),
        searchable.as_secs_f64()
    );
    let (rss, peak) = memory(aggregator.pid())?;
    println!(
        "aggregator RSS after load {:.0} MiB (peak {:.0} MiB); search index: {:.0} subscribers, \
         last build {:.1} ms, ~{:.0} MiB; {:.0} entities in the live state",
        rss,
        peak,
        metrics.sum("vigia_search_subscribers", &[]),
        metrics.sum("vigia_search_last_build_microseconds", &[]) / 1000.0,
        metrics.sum("vigia_search_memory_bytes", &[]) / 1_048_576.0,
        metrics.sum("vigia_entities", &[]),
    );
    let latency = Latency {
        diagnosis: sample_diagnoses(api, &key, &loaded)?,
        entity: sample_entities(api, &key, &loaded)?,
        search: sample_searches(api, &key, &loaded)?,
    };

    let diagnosis = Paths::Pattern {
        pattern: format!("/v1/diagnosis/{}", loaded.login_pattern),
        count: loaded.subscribers,
    };
    let entity = Paths::Pattern {
        pattern: format!("/v1/entities/subscriber%%3A{}", loaded.login_pattern),
        count: loaded.subscribers,
    };
    let search = Paths::List(
        loaded
            .queries
            .iter()
            .map(|q| format!("/v1/search?q={}&limit=20", encode(q)))
            .collect(),
    );
    let mut failures = Vec::new();
    let mut measure = |name: &str, paths: &Paths, rate: Option<u32>, latency_ms: f64| {
        check_interrupted()?;
        let run = wrk::Run {
            name,
            paths,
            rate,
            latency_ms,
            duration_secs,
        };
        let figures = wrk::run(api, &key, &work.0, &aggregator, &run)?;
        println!(
            "{name}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} non-2xx, {} socket \
             errors, aggregator {:.2} cores",
            figures.rate,
            figures.p50_ms,
            figures.p99_ms,
            figures.max_ms,
            figures.non_2xx,
            figures.socket_errors,
            figures.aggregator_cores
        );
        if figures.non_2xx > 0 || figures.socket_errors > 0 {
            failures.push(format!(
                "{name}: {} non-2xx, {} socket errors",
                figures.non_2xx, figures.socket_errors
            ));
        }
        // Whatever the run left queued (none expected) does not spill into the next.
        aggregator.wait_idle(Duration::from_secs(30))?;
        anyhow::Ok(figures)
    };
    // The machine may be shared: say how busy it was.
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    heading(&format!(
        "wrk runs, {duration_secs}s each, round-robin over {} logins / {} queries (load average \
         {})",
        loaded.subscribers,
        loaded.queries.len(),
        load_average
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    ));
    let (rate, search_rate) = (Some(DIAGNOSIS_RATE), Some(SEARCH_RATE));
    let runs = Runs {
        entity_paced: measure("entity-paced", &entity, rate, latency.entity)?,
        diagnosis_paced: measure("diagnosis-paced", &diagnosis, rate, latency.diagnosis)?,
        search_paced: measure("search-paced", &search, search_rate, latency.search)?,
        entity_unpaced: measure("entity-unpaced", &entity, None, 0.0)?,
        diagnosis_unpaced: measure("diagnosis-unpaced", &diagnosis, None, 0.0)?,
        search_unpaced: measure("search-unpaced", &search, None, 0.0)?,
    };
    aggregator.stop()?;
    print_table(&runs, loaded.subscribers, rss);
    if !failures.is_empty() {
        bail!("benchmark runs failed:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

/// Mean latency of one request at a time (connect included), ms: the pacing's estimate.
struct Latency {
    diagnosis: f64,
    entity: f64,
    search: f64,
}

struct Runs {
    entity_paced: Figures,
    diagnosis_paced: Figures,
    search_paced: Figures,
    entity_unpaced: Figures,
    diagnosis_unpaced: Figures,
    search_unpaced: Figures,
}

fn env_number(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name) {
        Ok(text) => text.parse().with_context(|| format!("{name}={text:?}")),
        Err(_) => Ok(default),
    }
}

/// `aggregator.toml`: both listeners on loopback with OS-chosen ports, embedded SQLite, the
/// API's per-key rate limit raised out of wrk's way, and the search index's refresh after
/// reading changes at its 1 s minimum (default 30 s), so the last rebuild the load causes
/// happens before the runs rather than during one (the data does not change after the load).
fn write_config(work: &Path, pki: &Path) -> Result<PathBuf> {
    let pki = pki.display();
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n\n[storage]\nbackend = \"sqlite\"\ndata_dir = \"{}\"\n\n\
         [tls]\ncert = \"{pki}/server.pem\"\nkey = \"{pki}/server.key\"\nclient_ca = \"{pki}/ca.pem\"\n\n\
         [api]\nlisten = \"127.0.0.1:0\"\nrate_per_sec = 1000000\nburst = 1000000\n\n\
         [diagnosis]\nsearch_refresh_ms = 1000\n",
        work.join("sqlite").display()
    );
    let path = work.join("aggregator.toml");
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn api_key(bin: &Path, config: &Path) -> Result<String> {
    let key = cmd::output(
        Command::new(bin)
            .args([
                "apikey",
                "create",
                "--name",
                "bench-desk",
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
    Ok(key)
}

/// Runs the load example (its progress on our stderr) and reads its JSON line.
fn load(example: &Path, aggregator: &Aggregator, pki: &Path, subscribers: u32) -> Result<Loaded> {
    let mut command = Command::new(example);
    command
        .arg("--endpoint")
        .arg(format!("https://{}", aggregator.ingest))
        .arg("--ca")
        .arg(pki.join("ca.pem"))
        .arg("--certs")
        .arg(pki)
        .args(["--subscribers", &subscribers.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    // The example bounds every wait itself.
    let out = command.output().context("cannot start diagnosis_load")?;
    if !out.status.success() {
        bail!("diagnosis_load failed with {}", out.status);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with('{'))
        .context("diagnosis_load printed no JSON")?;
    let v: serde_json::Value = serde_json::from_str(line).context("diagnosis_load JSON")?;
    let text = |key: &str| v[key].as_str().map(str::to_owned);
    Ok(Loaded {
        subscribers: v["subscribers"].as_u64().unwrap_or(0) as u32,
        observations: v["observations"].as_f64().unwrap_or(0.0),
        login_pattern: text("login_pattern").context("no login_pattern")?,
        queries: v["queries"]
            .as_array()
            .map(|q| {
                q.iter()
                    .filter_map(|q| q.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        check_query: text("check_query").context("no check_query")?,
        check_login: text("check_login").context("no check_login")?,
        degraded_pon_login: text("degraded_pon_login"),
    })
}

/// Polls `/metrics` until the live state applied every observation sent and holds every
/// subscriber.
fn wait_applied(api: SocketAddr, loaded: &Loaded) -> Result<()> {
    poll(APPLY_TIMEOUT, "the live state to apply the load", || {
        let m = Metrics::scrape(api)?;
        let applied = m.sum("vigia_state_observations_total", &[])
            + m.sum("vigia_state_invalid_observations_total", &[]);
        let subscribers = m.sum("vigia_entities", &["kind=\"subscriber\""]);
        Ok(
            (applied >= loaded.observations && subscribers >= f64::from(loaded.subscribers))
                .then_some(())
                .ok_or(format!(
                    "{applied:.0} of {:.0} observations applied, {subscribers:.0} subscribers",
                    loaded.observations
                )),
        )
    })?;
    let invalid = Metrics::scrape(api)?.sum("vigia_state_invalid_observations_total", &[]);
    if invalid > 0.0 {
        println!("warning: the live state skipped {invalid:.0} observations as invalid");
    }
    Ok(())
}

/// Polls until the index holds every subscriber and finds the last customer sent by its CPF.
fn wait_searchable(api: SocketAddr, key: &str, loaded: &Loaded) -> Result<()> {
    let path = format!("/v1/search?q={}&limit=5", encode(&loaded.check_query));
    let wanted = format!("\"login\":\"{}\"", loaded.check_login);
    poll(APPLY_TIMEOUT, "the search index to catch up", || {
        let indexed = Metrics::scrape(api)?.sum("vigia_search_subscribers", &[]);
        let (status, body) = http::get(api, &path, Some(key))?;
        Ok(
            (indexed >= f64::from(loaded.subscribers) && status == 200 && body.contains(&wanted))
                .then_some(())
                .ok_or(format!(
                    "{indexed:.0} subscribers indexed; GET {path} answered {status}"
                )),
        )
    })
}

/// Polls until no search index build has finished for [`INDEX_QUIET`]: longer than the
/// refresh (1 s) plus the index loop's check period, so no rebuild is still due.
fn wait_index_settled(api: SocketAddr) -> Result<()> {
    let mut last = (f64::NAN, Instant::now());
    poll(APPLY_TIMEOUT, "the search index builds to stop", || {
        let builds = Metrics::scrape(api)?.sum("vigia_search_builds_total", &[]);
        if builds != last.0 {
            last = (builds, Instant::now());
        }
        Ok((last.1.elapsed() >= INDEX_QUIET)
            .then_some(())
            .ok_or(format!("{builds:.0} builds so far")))
    })
}

/// Calls `check` until it says done (`Ok(Ok)`), fails, or `timeout` passes.
fn poll(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Result<std::result::Result<(), String>>,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        check_interrupted()?;
        let last = match check()? {
            Ok(()) => return Ok(()),
            Err(state) => state,
        };
        if Instant::now() >= deadline {
            bail!("waited {timeout:?} for {what}: {last}");
        }
        // Polling a condition with a deadline.
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// VmRSS and VmHWM of `pid`, MiB.
fn memory(pid: u32) -> Result<(f64, f64)> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let field = |name: &str| -> f64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    Ok((field("VmRSS:"), field("VmHWM:")))
}

/// Fetches diagnoses spread over the logins and prints the verdict mix, so the table's figures
/// are known to come from real 360° views (Rx medians, PON neighbours, customers). Returns the
/// mean latency, ms.
fn sample_diagnoses(api: SocketAddr, key: &str, loaded: &Loaded) -> Result<f64> {
    let n = loaded.subscribers;
    let step = (n / SAMPLED_DIAGNOSES).max(1);
    let mut verdicts: BTreeMap<String, u32> = BTreeMap::new();
    let (mut sampled, mut medians, mut customers, mut bytes) = (0u32, 0u32, 0u32, 0usize);
    let started = Instant::now();
    for k in (0..n)
        .step_by(step as usize)
        .take(SAMPLED_DIAGNOSES as usize)
    {
        let login = lua_login(&loaded.login_pattern, k);
        let (status, body) = http::get(api, &format!("/v1/diagnosis/{login}"), Some(key))?;
        if status != 200 {
            bail!("GET /v1/diagnosis/{login} answered {status}: {body}");
        }
        let v: serde_json::Value = serde_json::from_str(&body).context("diagnosis JSON")?;
        let verdict = v["verdict"]["verdict"].as_str().unwrap_or("?").to_owned();
        *verdicts.entry(verdict).or_default() += 1;
        medians += u32::from(v["facts"]["onu"]["rx_median_dbm"].is_number());
        customers += u32::from(v["facts"]["customer"]["document"].is_string());
        bytes += body.len();
        sampled += 1;
    }
    let mean_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(sampled.max(1));
    let mix: Vec<String> = verdicts.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!(
        "{sampled} diagnoses sampled: verdicts {}; Rx median known for {medians}, customer with \
         CPF for {customers}; {} bytes each on average",
        mix.join(", "),
        bytes / sampled.max(1) as usize
    );
    if let Some(login) = &loaded.degraded_pon_login {
        let (status, body) = http::get(api, &format!("/v1/diagnosis/{login}"), Some(key))?;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        println!(
            "a subscriber on a PON whose light dropped ({login}, HTTP {status}): {} ({}); PON \
             neighbours {} with Rx dropped of {}",
            v["verdict"]["verdict"].as_str().unwrap_or("?"),
            v["verdict"]["summary"].as_str().unwrap_or("?"),
            v["facts"]["pon_neighbours"]["rx_dropped"],
            v["facts"]["pon_neighbours"]["rx_known"],
        );
    }
    Ok(mean_ms)
}

/// Entity reads of the same logins one at a time: their mean latency, ms.
fn sample_entities(api: SocketAddr, key: &str, loaded: &Loaded) -> Result<f64> {
    let step = (loaded.subscribers / SAMPLED_DIAGNOSES).max(1);
    let started = Instant::now();
    let mut sampled = 0u32;
    for k in (0..loaded.subscribers)
        .step_by(step as usize)
        .take(SAMPLED_DIAGNOSES as usize)
    {
        let login = lua_login(&loaded.login_pattern, k);
        let path = format!("/v1/entities/subscriber%3A{login}");
        let (status, body) = http::get(api, &path, Some(key))?;
        if status != 200 {
            bail!("GET {path} answered {status}: {body}");
        }
        sampled += 1;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / f64::from(sampled.max(1)))
}

/// One search per query of the mix: how many subscribers each matches. Returns the mean
/// latency, ms.
fn sample_searches(api: SocketAddr, key: &str, loaded: &Loaded) -> Result<f64> {
    let mut parts = Vec::new();
    let started = Instant::now();
    for query in &loaded.queries {
        let path = format!("/v1/search?q={}&limit=20", encode(query));
        let (status, body) = http::get(api, &path, Some(key))?;
        if status != 200 {
            bail!("GET {path} answered {status}: {body}");
        }
        let v: serde_json::Value = serde_json::from_str(&body).context("search JSON")?;
        parts.push(format!("{query:?} {}", v["total"]));
    }
    println!(
        "search mix (query, subscribers matched): {}",
        parts.join(", ")
    );
    Ok(started.elapsed().as_secs_f64() * 1000.0 / parts.len().max(1) as f64)
}

/// `cli%06d` applied to `k` (the only pattern shape the load example uses: a prefix and a
/// zero-padded number).
fn lua_login(pattern: &str, k: u32) -> String {
    match pattern.split_once('%') {
        Some((prefix, spec)) => {
            let width: usize = spec
                .trim_start_matches('0')
                .trim_end_matches('d')
                .parse()
                .unwrap_or(0);
            format!("{prefix}{k:0width$}")
        }
        None => pattern.to_owned(),
    }
}

fn pass(met: bool) -> &'static str {
    if met { "PASS" } else { "FAIL" }
}

fn print_table(runs: &Runs, subscribers: u32, rss_mib: f64) {
    let (dp, ep, du, eu) = (
        &runs.diagnosis_paced,
        &runs.entity_paced,
        &runs.diagnosis_unpaced,
        &runs.entity_unpaced,
    );
    heading(&format!(
        "Diagnosis vs entity read (baseline), {subscribers} subscribers, aggregator RSS {rss_mib:.0} MiB"
    ));
    header("diagnosis", "entity read");
    let ms = |v: f64| format!("{v:.2}");
    let paced_ok = dp.rate >= f64::from(DIAGNOSIS_RATE) * RATE_TOLERANCE;
    row(
        "paced requests/s",
        format!("{:.0}", dp.rate),
        format!("{:.0}", ep.rate),
        ratio(dp.rate, ep.rate),
        &format!("~{DIAGNOSIS_RATE}/s offered: {}", pass(paced_ok)),
    );
    row(
        "paced p50 ms",
        ms(dp.p50_ms),
        ms(ep.p50_ms),
        ratio(dp.p50_ms, ep.p50_ms),
        "",
    );
    row(
        "paced p99 ms",
        ms(dp.p99_ms),
        ms(ep.p99_ms),
        ratio(dp.p99_ms, ep.p99_ms),
        &format!(
            "<= {GOAL_DIAGNOSIS_P99_MS} ms at {DIAGNOSIS_RATE}/s: {}",
            pass(paced_ok && dp.p99_ms <= GOAL_DIAGNOSIS_P99_MS)
        ),
    );
    row(
        "paced max ms",
        ms(dp.max_ms),
        ms(ep.max_ms),
        ratio(dp.max_ms, ep.max_ms),
        "",
    );
    row(
        "paced aggregator cores",
        ms(dp.aggregator_cores),
        ms(ep.aggregator_cores),
        ratio(dp.aggregator_cores, ep.aggregator_cores),
        "",
    );
    row(
        "unpaced requests/s",
        format!("{:.0}", du.rate),
        format!("{:.0}", eu.rate),
        ratio(du.rate, eu.rate),
        &format!(
            ">= {GOAL_DIAGNOSIS_SATURATION:.0}/s: {}",
            pass(du.rate >= GOAL_DIAGNOSIS_SATURATION)
        ),
    );
    row(
        "unpaced p99 ms",
        ms(du.p99_ms),
        ms(eu.p99_ms),
        ratio(du.p99_ms, eu.p99_ms),
        "",
    );
    row(
        "unpaced aggregator cores",
        ms(du.aggregator_cores),
        ms(eu.aggregator_cores),
        ratio(du.aggregator_cores, eu.aggregator_cores),
        "",
    );
    row(
        "response bytes",
        format!("{:.0}", du.bytes_per_request),
        format!("{:.0}", eu.bytes_per_request),
        ratio(du.bytes_per_request, eu.bytes_per_request),
        "",
    );
    errors_row(&[dp, du], &[ep, eu]);

    let (sp, su) = (&runs.search_paced, &runs.search_unpaced);
    heading(&format!(
        "Search (desk query mix), paced ~{SEARCH_RATE}/s vs unpaced"
    ));
    header("paced", "unpaced");
    let search_ok = sp.rate >= f64::from(SEARCH_RATE) * RATE_TOLERANCE;
    row(
        "requests/s",
        format!("{:.0}", sp.rate),
        format!("{:.0}", su.rate),
        ratio(sp.rate, su.rate),
        &format!("~{SEARCH_RATE}/s offered: {}", pass(search_ok)),
    );
    row("p50 ms", ms(sp.p50_ms), ms(su.p50_ms), "-".into(), "");
    row(
        "p99 ms",
        ms(sp.p99_ms),
        ms(su.p99_ms),
        "-".into(),
        &format!(
            "<= {GOAL_SEARCH_P99_MS} ms at {SEARCH_RATE}/s: {}",
            pass(search_ok && sp.p99_ms <= GOAL_SEARCH_P99_MS)
        ),
    );
    row("max ms", ms(sp.max_ms), ms(su.max_ms), "-".into(), "");
    row(
        "aggregator cores",
        ms(sp.aggregator_cores),
        ms(su.aggregator_cores),
        "-".into(),
        "",
    );
    errors_row(&[sp], &[su]);
}

/// Non-2xx responses and socket errors of the runs in each column; the goal is none.
fn errors_row(ours: &[&Figures], baseline: &[&Figures]) {
    let count =
        |runs: &[&Figures]| -> u64 { runs.iter().map(|f| f.non_2xx + f.socket_errors).sum() };
    let (a, b) = (count(ours), count(baseline));
    row(
        "non-2xx + socket errors",
        a.to_string(),
        b.to_string(),
        "-".into(),
        &format!("must be 0: {}", pass(a == 0 && b == 0)),
    );
}

/// Cargo's target directory (`CARGO_TARGET_DIR` when set), where `cargo build` above put the
/// binaries.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}
