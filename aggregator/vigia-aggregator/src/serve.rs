//! `vigia-aggregator serve`: opens the store, binds the listener, serves agents until SIGINT or
//! SIGTERM, then ends every agent stream with a Goodbye and stops.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use vigia_ingest::{AgentRegistry, Ingest, IngestOptions, StaticRegistry};
use vigia_store::SqliteStore;

use crate::config::{AgentsConfig, Backend};
use crate::{EX_USAGE, check};

pub(crate) async fn run(path: &Path) -> ExitCode {
    let loaded = match check::load(path) {
        Ok(loaded) => loaded,
        Err(errors) => {
            check::report(&errors);
            return ExitCode::from(EX_USAGE);
        }
    };
    match serve(loaded).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "aggregator stopped");
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(loaded: check::Loaded) -> anyhow::Result<()> {
    let check::Loaded { config, tls } = loaded;
    // Register for the signals before anything can take long, so an early SIGTERM is not lost.
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;

    let Backend::Sqlite { data_dir } = &config.storage.backend else {
        anyhow::bail!("the postgres backend is not wired yet");
    };
    let data_dir = &data_dir.value;
    let store = tokio::task::spawn_blocking({
        let data_dir = data_dir.clone();
        move || SqliteStore::open(&data_dir)
    })
    .await
    .context("store open task failed")?
    .with_context(|| format!("cannot open the store in {}", data_dir.display()))?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr().context("no local address")?;

    let registry: Arc<dyn AgentRegistry> = Arc::new(registry(&config.agents));
    let options = IngestOptions {
        max_message_bytes: config.max_message_bytes,
        ..IngestOptions::default()
    };
    let ingest = Ingest::new(Arc::new(store), registry).with_options(options);
    tracing::info!(%addr, data_dir = %data_dir.display(), "aggregator listening");
    // On stdout for whoever started us (scripts, tests) to learn the port when it was 0.
    println!("listening on {addr}");

    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM received"),
            _ = interrupt.recv() => tracing::info!("SIGINT received"),
        }
    };
    ingest
        .serve(listener, tls, shutdown)
        .await
        .context("ingest server failed")?;
    tracing::info!("aggregator stopped");
    Ok(())
}

/// The agents admitted by the config: allowed ones (or any certified), minus revoked ids and
/// certificate serials.
fn registry(agents: &AgentsConfig) -> StaticRegistry {
    let base = match &agents.allowed {
        Some(ids) => StaticRegistry::allow(ids.iter().cloned()),
        None => StaticRegistry::any(),
    };
    base.revoke_ids(agents.revoked.iter().cloned())
        .revoke_serials(&agents.revoked_serials)
}
