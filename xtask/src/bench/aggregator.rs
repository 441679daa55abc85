//! `cargo xtask bench aggregator`: the aggregator's ingest and read path against the issue's
//! goals (2-core machine): durable ingest >= 250,000 observations/s per core with ack p99
//! <= 50 ms on the embedded backend, the same figures on PostgreSQL side by side, 1,000 agents
//! connected, and entity reads p99 <= 5 ms at 5,000 requests/s.
//!
//! It builds `vigia-aggregator` and the `ingest_load` example (release), makes a PKI and a
//! config in a temporary directory, starts `vigia-aggregator serve`, and runs the load twice per
//! backend: unpaced (the saturation rate) and paced at the goal rate (the ack latency there).
//! Observations/s per core divides what was acked in the load window by the aggregator's own
//! CPU seconds over that window (`/proc/<pid>/stat`), since the load generator shares the
//! machine. Sections: `VIGIA_BENCH_SECTIONS=ingest-sqlite,ingest-postgres,read` (default all);
//! `VIGIA_BENCH_DURATION_SECS` shortens the windows (default 20). Every child is stopped at the
//! end, on error and on Ctrl-C; the work directory is removed.

mod load;
mod postgres;
mod process;
mod read;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use nix::sys::resource::{Resource, getrlimit, setrlimit};

use super::lab::stop_on_ctrl_c;
use super::report::{header, heading, ratio, row, verdict};
use crate::cmd;
use load::{Figures, Load};
use process::Aggregator;

const AGENTS: u32 = 1_000;
const OBSERVATIONS_PER_BATCH: u32 = 100;
/// ONUs each simulated agent reports (`ONUS` in the example's workload).
const ONUS_PER_AGENT: u32 = 100;
const GOAL_OBS_PER_CORE: f64 = 250_000.0;
const GOAL_ACK_P99_MS: f64 = 50.0;
const GOAL_READ_P99_MS: f64 = 5.0;
/// In-flight window per agent when unpaced: deep enough for the aggregator's group commits,
/// shallow enough that the queue drains within the example's drain bound.
const UNPACED_IN_FLIGHT: u32 = 16;
const PACED_IN_FLIGHT: u32 = 64;
/// After a load, how long the aggregator may take to finish what it queued (live state).
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Removes the work folder when dropped.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The two runs on one backend.
struct Ingest {
    unpaced: Figures,
    paced: Figures,
}

pub(super) fn run(root: &Path) -> Result<()> {
    let sections = std::env::var("VIGIA_BENCH_SECTIONS").unwrap_or_default();
    let wanted = |name: &str| sections.is_empty() || sections.split(',').any(|s| s.trim() == name);
    let duration_secs: u64 = match std::env::var("VIGIA_BENCH_DURATION_SECS") {
        Ok(text) => text
            .parse()
            .with_context(|| format!("VIGIA_BENCH_DURATION_SECS={text:?}"))?,
        Err(_) => 20,
    };
    stop_on_ctrl_c()?;
    raise_open_files_limit()?;
    let mut packages = Vec::new();
    if wanted("ingest-postgres") {
        packages.push("postgresql");
    }
    if wanted("read") {
        packages.push("wrk");
    }
    cmd::apt_install(&packages)?;
    cmd::run(
        root,
        "cargo",
        &["build", "--release", "-p", "vigia-aggregator"],
    )?;
    cmd::run(
        root,
        "cargo",
        &[
            "build",
            "--release",
            "-p",
            "vigia-ingest",
            "--example",
            "ingest_load",
        ],
    )?;
    let release = target_dir(root).join("release");
    let bins = Bins {
        aggregator: release.join("vigia-aggregator"),
        example: release.join("examples/ingest_load"),
    };
    let work =
        WorkDir(std::env::temp_dir().join(format!("vigia-bench-agg-{}", std::process::id())));
    std::fs::create_dir_all(&work.0)?;
    let pki = work.0.join("pki");
    let pki_arg = pki.to_str().context("utf-8 work path")?;
    cmd::output(
        std::process::Command::new(&bins.aggregator).args(["pki", "init", "--dir", pki_arg]),
    )?;
    cmd::output(std::process::Command::new(&bins.aggregator).args([
        "pki",
        "issue-server",
        "--dir",
        pki_arg,
        "--name",
        "127.0.0.1",
        "--name",
        "localhost",
    ]))?;
    let bench = Bench {
        bins,
        work: work.0.clone(),
        pki,
        duration_secs,
    };

    let mut failures = Vec::new();
    let mut sqlite = None;
    if wanted("ingest-sqlite") || wanted("read") {
        let storage = format!(
            "backend = \"sqlite\"\ndata_dir = \"{}\"",
            work.0.join("sqlite").display()
        );
        let config = bench.config("sqlite", &storage)?;
        let aggregator = bench.start(&config, "sqlite")?;
        if wanted("ingest-sqlite") {
            let figures = bench.ingest(&aggregator, "sqlite", &mut failures)?;
            sqlite = Some(figures);
        } else {
            // The read section needs entities: one paced run populates them.
            let figures = bench.paced(&aggregator, "sqlite (populating for reads)")?;
            note_failure(&figures, "populating run", &mut failures);
        }
        if wanted("read") {
            read_section(&bench, &aggregator, &config, &mut failures)?;
        }
        aggregator.stop()?;
    }
    let mut postgres = None;
    if wanted("ingest-postgres") {
        let cluster = postgres::Cluster::start(&work.0.join("pg"))?;
        let storage = format!("backend = \"postgres\"\nurl = \"{}\"", cluster.url());
        let config = bench.config("postgres", &storage)?;
        let aggregator = bench.start(&config, "postgres")?;
        postgres = Some(bench.ingest(&aggregator, "postgres", &mut failures)?);
        aggregator.stop()?;
        cluster.stop()?;
    }
    if sqlite.is_some() || postgres.is_some() {
        print_ingest(sqlite.as_ref(), postgres.as_ref());
    }
    if !failures.is_empty() {
        bail!("benchmark runs failed:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

struct Bins {
    aggregator: PathBuf,
    example: PathBuf,
}

struct Bench {
    bins: Bins,
    work: PathBuf,
    pki: PathBuf,
    duration_secs: u64,
}

impl Bench {
    /// Writes `aggregator-<name>.toml` with the given `[storage]` body; both listeners on
    /// loopback with OS-chosen ports, the API's rate limit out of the way of the benchmark.
    fn config(&self, name: &str, storage: &str) -> Result<PathBuf> {
        let pki = self.pki.display();
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n\n[storage]\n{storage}\n\n[tls]\n\
             cert = \"{pki}/server.pem\"\nkey = \"{pki}/server.key\"\nclient_ca = \"{pki}/ca.pem\"\n\n\
             [api]\nlisten = \"127.0.0.1:0\"\nrate_per_sec = 1000000\nburst = 1000000\n"
        );
        let path = self.work.join(format!("aggregator-{name}.toml"));
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    fn start(&self, config: &Path, name: &str) -> Result<Aggregator> {
        Aggregator::start(
            &self.bins.aggregator,
            config,
            &self.work.join(format!("aggregator-{name}.log")),
        )
    }

    /// The unpaced and the paced run on one backend, each printed as it ends.
    fn ingest(
        &self,
        aggregator: &Aggregator,
        backend: &str,
        failures: &mut Vec<String>,
    ) -> Result<Ingest> {
        heading(&format!(
            "Ingest, {backend}: {AGENTS} agents, {OBSERVATIONS_PER_BATCH} observations per batch, \
             {}s windows",
            self.duration_secs
        ));
        // Paced first: its ack latency is measured on an aggregator that is not still applying
        // the saturation run's backlog to the live state.
        let paced = self.paced(aggregator, &format!("{backend}, paced"))?;
        note_failure(&paced, &format!("{backend} paced"), failures);
        self.settle(aggregator)?;
        let unpaced = self.one(
            aggregator,
            &format!("{backend}, unpaced"),
            None,
            UNPACED_IN_FLIGHT,
        )?;
        note_failure(&unpaced, &format!("{backend} unpaced"), failures);
        self.settle(aggregator)?;
        Ok(Ingest { unpaced, paced })
    }

    /// A run paced so the whole fleet offers the goal's rate (250,000 observations/s).
    fn paced(&self, aggregator: &Aggregator, label: &str) -> Result<Figures> {
        let rate = GOAL_OBS_PER_CORE / f64::from(AGENTS * OBSERVATIONS_PER_BATCH);
        self.one(aggregator, label, Some(rate), PACED_IN_FLIGHT)
    }

    fn one(
        &self,
        aggregator: &Aggregator,
        label: &str,
        rate_per_agent: Option<f64>,
        max_in_flight: u32,
    ) -> Result<Figures> {
        let load = Load {
            agents: AGENTS,
            observations_per_batch: OBSERVATIONS_PER_BATCH,
            duration_secs: self.duration_secs,
            rate_per_agent,
            max_in_flight,
        };
        let figures = load::run(&self.bins.example, &self.pki, aggregator, &load)?;
        let offered = rate_per_agent.map_or("unpaced".to_owned(), |r| {
            format!(
                "offered {:.0} obs/s",
                r * f64::from(AGENTS * OBSERVATIONS_PER_BATCH)
            )
        });
        println!(
            "{label} ({offered}, in flight <= {max_in_flight}/agent): {:.0} obs/s, {:.0} obs/s per \
             aggregator core ({:.2} cores), ack p50 {:.1} ms p99 {:.1} ms max {:.1} ms, {} agents, \
             load generator {:.1} CPU s, {} errors",
            figures.obs_per_sec,
            figures.obs_per_core_sec,
            figures.aggregator_cores,
            figures.ack_p50_ms,
            figures.ack_p99_ms,
            figures.ack_max_ms,
            figures.agents_connected,
            figures.generator_cpu_secs,
            figures.errors,
        );
        for error in figures.first_errors.iter().take(3) {
            println!("  error: {error}");
        }
        Ok(figures)
    }

    /// Lets the aggregator finish what the last load queued, so it does not spill into the next.
    fn settle(&self, aggregator: &Aggregator) -> Result<()> {
        if !aggregator.wait_idle(IDLE_TIMEOUT)? {
            println!(
                "  (the aggregator was still busy {IDLE_TIMEOUT:?} after the load; the next run \
                 shares the machine with that work)"
            );
        }
        Ok(())
    }
}

fn note_failure(figures: &Figures, what: &str, failures: &mut Vec<String>) {
    if figures.errors > 0 || figures.agents_connected < u64::from(AGENTS) {
        let mut text = format!(
            "{what}: {} of {AGENTS} agents connected, {} errors",
            figures.agents_connected, figures.errors
        );
        if let Some(first) = figures.first_errors.first() {
            let _ = write!(text, " (first: {first})");
        }
        failures.push(text);
    }
}

fn read_section(
    bench: &Bench,
    aggregator: &Aggregator,
    config: &Path,
    failures: &mut Vec<String>,
) -> Result<()> {
    heading(&format!(
        "Read: GET /v1/entities/{{onu}} with wrk, {}s, round-robin over {} ONUs",
        bench.duration_secs,
        AGENTS * ONUS_PER_AGENT
    ));
    let Some(api) = aggregator.api else {
        println!("skipped: `vigia-aggregator serve` did not start the REST API for [api] listen");
        return Ok(());
    };
    let has_apikey = std::process::Command::new(&bench.bins.aggregator)
        .args(["apikey", "--help"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_apikey {
        println!("skipped: `vigia-aggregator apikey create` is not available");
        return Ok(());
    }
    let reads = read::run(
        &bench.bins.aggregator,
        config,
        api,
        &bench.work,
        AGENTS,
        ONUS_PER_AGENT,
        bench.duration_secs,
    )?;
    header("paced", "unpaced");
    let (p, u) = (&reads.paced, &reads.unpaced);
    let rate_met = p.rate >= f64::from(read::TARGET_RATE) * 0.9;
    row(
        "requests/s",
        format!("{:.0}", p.rate),
        format!("{:.0}", u.rate),
        ratio(p.rate, u.rate),
        &format!("paced ~{}/s: {}", read::TARGET_RATE, verdict(rate_met)),
    );
    row(
        "p50 ms",
        format!("{:.2}", p.p50_ms),
        format!("{:.2}", u.p50_ms),
        "-".into(),
        "",
    );
    row(
        "p99 ms",
        format!("{:.2}", p.p99_ms),
        format!("{:.2}", u.p99_ms),
        "-".into(),
        &format!(
            "<= {GOAL_READ_P99_MS} ms at {}/s: {}",
            read::TARGET_RATE,
            verdict(rate_met && p.p99_ms <= GOAL_READ_P99_MS)
        ),
    );
    row(
        "max ms",
        format!("{:.2}", p.max_ms),
        format!("{:.2}", u.max_ms),
        "-".into(),
        "",
    );
    row(
        "non-2xx responses",
        p.non_2xx.to_string(),
        u.non_2xx.to_string(),
        "-".into(),
        "must be 0",
    );
    row(
        "socket errors",
        p.socket_errors.to_string(),
        u.socket_errors.to_string(),
        "-".into(),
        "must be 0",
    );
    for (what, figures) in [("paced", p), ("unpaced", u)] {
        if figures.non_2xx > 0 || figures.socket_errors > 0 {
            println!(
                "FAILED: the {what} read run had {} non-2xx responses and {} socket errors",
                figures.non_2xx, figures.socket_errors
            );
            failures.push(format!(
                "read {what}: {} non-2xx, {} socket errors",
                figures.non_2xx, figures.socket_errors
            ));
        }
    }
    Ok(())
}

/// SQLite next to PostgreSQL; goals are for the embedded backend.
fn print_ingest(sqlite: Option<&Ingest>, postgres: Option<&Ingest>) {
    heading(&format!(
        "Ingest summary: {AGENTS} agents; paced = {GOAL_OBS_PER_CORE:.0} obs/s offered"
    ));
    header("SQLite", "PostgreSQL");
    let cell = |ingest: Option<&Ingest>, pick: &dyn Fn(&Ingest) -> f64, digits: usize| {
        ingest.map_or("-".to_owned(), |i| format!("{:.*}", digits, pick(i)))
    };
    let line = |what: &str, pick: &dyn Fn(&Ingest) -> f64, digits: usize, goal: String| {
        let ratio_text = match (sqlite, postgres) {
            (Some(s), Some(p)) => ratio(pick(s), pick(p)),
            _ => "-".into(),
        };
        row(
            what,
            cell(sqlite, pick, digits),
            cell(postgres, pick, digits),
            ratio_text,
            &goal,
        );
    };
    let goal = |met: &dyn Fn(&Ingest) -> bool, text: &str| {
        sqlite.map_or(String::new(), |s| format!("{text}: {}", verdict(met(s))))
    };
    line(
        "obs/s unpaced",
        &|i| i.unpaced.obs_per_sec,
        0,
        String::new(),
    );
    line(
        "obs/s per core, unpaced",
        &|i| i.unpaced.obs_per_core_sec,
        0,
        goal(
            &|s| s.unpaced.obs_per_core_sec >= GOAL_OBS_PER_CORE,
            ">= 250000 /core",
        ),
    );
    line(
        "aggregator cores, unpaced",
        &|i| i.unpaced.aggregator_cores,
        2,
        String::new(),
    );
    line(
        "ack p99 ms, unpaced",
        &|i| i.unpaced.ack_p99_ms,
        1,
        String::new(),
    );
    line("obs/s paced", &|i| i.paced.obs_per_sec, 0, String::new());
    line(
        "obs/s per core, paced",
        &|i| i.paced.obs_per_core_sec,
        0,
        String::new(),
    );
    line(
        "aggregator cores, paced",
        &|i| i.paced.aggregator_cores,
        2,
        String::new(),
    );
    line(
        "ack p50 ms, paced",
        &|i| i.paced.ack_p50_ms,
        1,
        String::new(),
    );
    line(
        "ack p99 ms, paced",
        &|i| i.paced.ack_p99_ms,
        1,
        goal(
            &|s| {
                s.paced.ack_p99_ms <= GOAL_ACK_P99_MS
                    && s.paced.obs_per_sec >= GOAL_OBS_PER_CORE * 0.95
            },
            "<= 50 ms at 250000 obs/s",
        ),
    );
    line(
        "agents connected",
        &|i| i.unpaced.agents_connected.min(i.paced.agents_connected) as f64,
        0,
        goal(
            &|s| s.unpaced.agents_connected.min(s.paced.agents_connected) >= u64::from(AGENTS),
            ">= 1000",
        ),
    );
}

/// 1,000 agent connections exceed the usual soft limit of 1,024 descriptors: raise ours to the
/// hard limit; the aggregator and the load generator inherit it.
fn raise_open_files_limit() -> Result<()> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).context("getrlimit(NOFILE)")?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).context("setrlimit(NOFILE)")?;
    }
    if hard < 4096 {
        println!("warning: the open files hard limit is {hard}; 1,000 agents may not connect");
    }
    Ok(())
}

/// Cargo's target directory (`CARGO_TARGET_DIR` when set).
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}
