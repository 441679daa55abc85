//! One run of the `ingest_load` example against a running aggregator, with the aggregator's CPU
//! time sampled exactly when the example opens and closes its load window.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::process::{Aggregator, wait_for_line, watch_lines};
use crate::bench::lab::KillOnDrop;
use crate::bench::report::children_cpu_seconds;

/// Bound on one run besides its window: connecting 1,000 agents, draining, closing.
const RUN_OVERHEAD: Duration = Duration::from_secs(420);

/// What to run.
pub(super) struct Load {
    pub(super) agents: u32,
    pub(super) observations_per_batch: u32,
    pub(super) duration_secs: u64,
    /// Batches/s per agent; `None`: unpaced.
    pub(super) rate_per_agent: Option<f64>,
    pub(super) max_in_flight: u32,
}

/// The example's figures plus the aggregator's CPU use over the window.
#[derive(Debug, Clone)]
pub(super) struct Figures {
    pub(super) agents_connected: u64,
    pub(super) obs_per_sec: f64,
    pub(super) ack_p50_ms: f64,
    pub(super) ack_p99_ms: f64,
    pub(super) ack_max_ms: f64,
    pub(super) errors: u64,
    pub(super) first_errors: Vec<String>,
    /// Aggregator CPU seconds per wall second over the window.
    pub(super) aggregator_cores: f64,
    /// Observations acked in the window per aggregator CPU second.
    pub(super) obs_per_core_sec: f64,
    /// CPU seconds of the load generator, for context (it shares the machine).
    pub(super) generator_cpu_secs: f64,
}

/// Runs the load; a failed run (agents missing, streams failed) still returns its figures, with
/// `errors` set, so they are printed before the benchmark fails.
pub(super) fn run(
    example: &Path,
    pki: &Path,
    aggregator: &Aggregator,
    load: &Load,
) -> Result<Figures> {
    let mut command = Command::new(example);
    command
        .arg("--endpoint")
        .arg(format!("https://{}", aggregator.ingest))
        .arg("--ca")
        .arg(pki.join("ca.pem"))
        .arg("--ca-key")
        .arg(pki.join("ca.key"))
        .args(["--agents", &load.agents.to_string()])
        .args([
            "--observations-per-batch",
            &load.observations_per_batch.to_string(),
        ])
        .args(["--duration-secs", &load.duration_secs.to_string()])
        .args(["--max-in-flight", &load.max_in_flight.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    if let Some(rate) = load.rate_per_agent {
        command.args(["--rate-per-agent", &rate.to_string()]);
    }
    let generator_cpu_before = children_cpu_seconds();
    let mut child = KillOnDrop(command.spawn().context("cannot start ingest_load")?);
    let stdout = child.0.stdout.take().context("no stdout pipe")?;
    let lines = watch_lines(stdout, None);
    let limit = RUN_OVERHEAD + Duration::from_secs(load.duration_secs);
    let started = Instant::now();
    wait_for_line(&lines, "load window started", limit, "ingest_load")?;
    let (cpu_start, wall_start) = (aggregator.cpu_seconds()?, Instant::now());
    wait_for_line(&lines, "load window ended", limit, "ingest_load")?;
    let (cpu_end, wall_end) = (aggregator.cpu_seconds()?, Instant::now());
    let json = wait_for_line(
        &lines,
        "{",
        limit.saturating_sub(started.elapsed()),
        "ingest_load",
    )?;
    let status = child.0.wait().context("waiting for ingest_load")?;
    let generator_cpu_secs = children_cpu_seconds() - generator_cpu_before;
    let value: serde_json::Value =
        serde_json::from_str(&format!("{{{json}")).context("ingest_load printed bad JSON")?;
    let number = |key: &str| value[key].as_f64().unwrap_or(0.0);
    let cpu = cpu_end - cpu_start;
    let wall = (wall_end - wall_start).as_secs_f64();
    let in_window = number("observations_in_window");
    let mut figures = Figures {
        agents_connected: number("agents_connected") as u64,
        obs_per_sec: number("obs_per_sec"),
        ack_p50_ms: number("ack_p50_ms"),
        ack_p99_ms: number("ack_p99_ms"),
        ack_max_ms: number("ack_max_ms"),
        errors: number("errors") as u64,
        first_errors: value["first_errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        aggregator_cores: if wall > 0.0 { cpu / wall } else { 0.0 },
        obs_per_core_sec: if cpu > 0.0 { in_window / cpu } else { 0.0 },
        generator_cpu_secs,
    };
    if !status.success() && figures.errors == 0 {
        figures.errors = 1;
        figures
            .first_errors
            .push(format!("ingest_load exited with {status}"));
    }
    Ok(figures)
}
