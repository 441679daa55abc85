//! `vigia-agent run`: every configured probe on its interval, results printed as JSON lines.
//!
//! One task per probe. A run never overlaps the previous run of the same probe: the next tick is
//! awaited only after the run ends, and ticks missed meanwhile are skipped and counted. The first
//! run of each probe is delayed by a random jitter (up to a tenth of its interval) so that probes
//! with the same interval do not fire together. SIGINT/SIGTERM stop the loops; a run in progress
//! finishes (it is bounded by its deadline). The full scheduler (offline confirmation, circuit
//! breakers, budgets) and the spool/uplink come with the agent data path.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde_json::json;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use vigia_plugin_host::{Plugin, PluginHost, RunOutcome};

use crate::config::Probe;
use crate::{EX_USAGE, check, host};

pub(crate) async fn run(path: &Path, rounds: Option<u64>) -> ExitCode {
    let check::Loaded {
        config,
        host,
        plugins,
    } = match check::load_checked(path).await {
        Ok(loaded) => loaded,
        Err(errors) => {
            for error in &errors {
                eprintln!("error: {error}");
            }
            return ExitCode::from(EX_USAGE);
        }
    };
    info!(agent = %config.agent_id, probes = config.probes.len(), "agent started");
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));

    let mut tasks = tokio::task::JoinSet::new();
    for probe in config.probes {
        let plugin = plugins[&probe.plugin].clone();
        tasks.spawn(probe_loop(
            host.clone(),
            plugin,
            Arc::new(probe),
            rounds,
            shutdown.clone(),
        ));
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(error) = joined {
            warn!(%error, "probe task ended abnormally");
        }
    }
    info!("agent stopped");
    ExitCode::SUCCESS
}

async fn probe_loop(
    host: PluginHost,
    plugin: Plugin,
    probe: Arc<Probe>,
    rounds: Option<u64>,
    shutdown: CancellationToken,
) {
    let jitter_ms = rand::rng().random_range(0..=(probe.interval.as_millis() as u64 / 10));
    let mut ticks = tokio::time::interval_at(
        Instant::now() + Duration::from_millis(jitter_ms),
        probe.interval,
    );
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut runs = 0u64;
    let mut skipped = 0u64;
    let mut last_tick: Option<Instant> = None;
    loop {
        let tick = tokio::select! {
            _ = shutdown.cancelled() => break,
            tick = ticks.tick() => tick,
        };
        if let Some(last) = last_tick {
            let missed = (tick - last).as_millis() / probe.interval.as_millis().max(1);
            if missed > 1 {
                skipped += (missed - 1) as u64;
                warn!(probe = %probe.name, skipped, "previous run outlasted the interval; ticks skipped");
            }
        }
        last_tick = Some(tick);
        runs += 1;
        let started_ms = now_ms();
        let report = host.run(&plugin, host::request(&probe)).await;
        let mut line = json!({
            "probe": probe.name,
            "plugin": plugin.info().id,
            "plugin_version": plugin.info().version,
            "run": runs,
            "started_ms": started_ms,
            "duration_us": report.stats.wall_time.as_micros() as u64,
            "outcome": report.outcome.label(),
        });
        match report.outcome {
            RunOutcome::Completed(observations) => line["observations"] = json!(observations),
            RunOutcome::Failed(error) => line["error"] = json!(error),
            RunOutcome::Fault(fault) => line["fault"] = json!(fault.to_string()),
        }
        println!("{line}");
        if rounds.is_some_and(|n| runs >= n) {
            break;
        }
    }
}

fn now_ms() -> u64 {
    #[allow(clippy::disallowed_methods)]
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(error) => {
                    warn!(%error, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    info!("stopping: finishing runs in progress");
    shutdown.cancel();
}
