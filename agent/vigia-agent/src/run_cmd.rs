//! `vigia-agent run`: the scheduler over every configured probe. With an `[uplink]`, each
//! finished run is appended to the durable spool and the uplink streams the spool to the
//! aggregator, which may also ask for on-demand probes (`on_demand`, sharing the scheduler's run
//! permits); without one, runs are printed as JSON lines on stdout. `[metrics]` adds the local
//! Prometheus endpoint. SIGINT/SIGTERM stop it: no new run starts, runs in progress get
//! `agent.shutdown_grace_secs` to finish and reach the spool, then the uplink stops.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use vigia_core::run::PluginRef;

use crate::on_demand::OnDemandRunner;
use crate::scheduler::{
    Counters, JsonLinesSink, Options, Permits, PluginIdentity, ProbeSpec, RunSink, Scheduler,
};
use crate::spool_sink::SpoolSink;
use crate::{EX_USAGE, check, host, link};

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
    let probes: Vec<ProbeSpec> = config
        .probes
        .iter()
        .filter_map(|probe| {
            // load_checked loaded the plugin of every probe, or failed.
            let plugin = plugins.get(&probe.plugin)?;
            Some(host::probe_spec(probe, &host, plugin))
        })
        .collect();
    let options = Options {
        concurrency: config.concurrency,
        shutdown_grace: config.shutdown_grace,
        max_rounds: rounds,
        seed: None,
    };
    let installed: Vec<PluginRef> = plugins.values().map(plugin_ref).collect();
    let counters = Arc::new(Counters::default());
    let permits = Arc::new(Permits::new(config.concurrency));
    let on_demand = Arc::new(OnDemandRunner::new(
        &config,
        host.clone(),
        plugins.clone(),
        permits.clone(),
    ));
    let link = match link::start(&config, installed, counters.clone(), on_demand).await {
        Ok(link) => link,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let sink: Arc<dyn RunSink> = match &link.spool {
        Some(spool) => Arc::new(SpoolSink::new(spool.clone())),
        None => Arc::new(JsonLinesSink),
    };
    let scheduler = Scheduler::new(probes, sink, options)
        .with_counters(counters.clone())
        .with_permits(permits);
    let stop = CancellationToken::new();
    tokio::spawn(stop_on_signal(stop.clone()));
    let background = link.spawn();
    scheduler.run(stop.clone()).await;
    // Rounds are over (stopped, or --rounds reached): the uplink and metrics stop too. With
    // --rounds, the uplink first gets a moment to deliver what is spooled (Background::finish).
    background.finish(stop).await;
    let counters = counters.snapshot();
    info!(
        runs = counters.runs_finished,
        faults = counters.faults,
        skipped_overlapping_runs = counters.skipped_overlapping_runs,
        budget_exhaustions = counters.budget_exhaustions,
        abandoned_rounds = counters.abandoned_rounds,
        "agent stopped"
    );
    ExitCode::SUCCESS
}

fn plugin_ref(plugin: &vigia_plugin_host::Plugin) -> PluginRef {
    crate::spool_sink::plugin_ref(PluginIdentity::from(plugin.info()))
}

async fn stop_on_signal(stop: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(error) => {
                    warn!(%error, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    stop.cancel();
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
    info!("stopping: no new runs; runs in progress get the shutdown grace");
    stop.cancel();
}
