//! `vigia-aggregator serve`: opens the store, restores the live state, serves agents (gRPC over
//! mTLS) and, with an `[api]` section, the REST API, until SIGINT or SIGTERM. Then it ends every
//! agent stream with a Goodbye, stops the API, flushes the live state's pending writes and exits.
//! SIGHUP reloads the topology overrides file.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;
use vigia_api::{Api, ApiConfig, ReadModel};
use vigia_ingest::{AgentRegistry, Ingest, IngestOptions, StaticRegistry};
use vigia_notify::Notifier;
use vigia_state::{Overrides, ServiceConfig, StateConfig, StateHandle, StateService};
use vigia_store::{ApiKeyStore, EventStore, IngestStore, StateStore};

use crate::active_outages::ActiveOutages;
use crate::catch_up::{self, Lag, StateFeed};
use crate::config::{AgentsConfig, Config, StateSection};
use crate::desk::Desk;
use crate::outage_model::StoreOutageModel;
use crate::outages::{OutageMetrics, Outages, WindowsChanged};
use crate::outbox::StoreOutbox;
use crate::read_model::LiveReadModel;
use crate::search_index::SearchIndex;
use crate::wiring::{AggregatorHealth, AggregatorMetrics};
use crate::{EX_USAGE, check, store};

/// How long the live state gets to persist what is pending at shutdown.
const STATE_FLUSH_GRACE: Duration = Duration::from_secs(15);

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
    let mut hangup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;

    let store = store::open(&config.storage).await?;
    let overrides = load_overrides(&config.state)?;
    let (state, state_task) = StateService::start(
        Arc::clone(&store) as Arc<dyn StateStore>,
        state_config(&config),
        overrides,
    )
    .await
    .context("cannot restore the live state from the store")?;

    let stop = CancellationToken::new();
    let windows_changed = WindowsChanged::default();
    let outage_metrics = Arc::new(OutageMetrics::default());
    let (notifier_task, wake, notify_metrics) = match &config.notify {
        None => (None, None, None),
        Some(loaded) => {
            let outbox = Arc::new(StoreOutbox {
                store: Arc::clone(&store) as Arc<dyn EventStore>,
            });
            let notifier =
                Notifier::new(loaded.clone(), outbox).context("cannot start notifications")?;
            let (wake, metrics) = (notifier.wake_handle(), notifier.metrics());
            (
                Some(tokio::spawn(notifier.run(stop.clone()))),
                Some(wake),
                Some(metrics),
            )
        }
    };
    let active_outages = Arc::new(ActiveOutages::default());
    let outages_task = Outages {
        state: state.clone(),
        store: Arc::clone(&store) as Arc<dyn EventStore>,
        rules: config.correlation.rules.clone(),
        interval: Duration::from_millis(config.correlation.interval_ms),
        notify: config.notify.clone().map(Arc::new),
        wake,
        windows_changed: windows_changed.clone(),
        metrics: Arc::clone(&outage_metrics),
        retention: Duration::from_secs(config.storage.history_days * 86_400),
        active: Arc::clone(&active_outages),
    }
    .start(stop.clone())
    .await?;

    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr().context("no local address")?;
    let registry: Arc<dyn AgentRegistry> = Arc::new(registry(&config.agents));
    let options = IngestOptions {
        max_message_bytes: config.max_message_bytes,
        ..IngestOptions::default()
    };
    let lag = Arc::new(Lag::default());
    let ingest = Ingest::new(Arc::clone(&store) as Arc<dyn IngestStore>, registry)
        .with_options(options)
        .with_listener(Arc::new(StateFeed {
            tx: state.sender(),
            lag: Arc::clone(&lag),
        }));
    let (agents, ingest_metrics, probes) = (ingest.agents(), ingest.metrics(), ingest.probes());
    let search = Arc::new(SearchIndex::default());
    let search_task = Arc::clone(&search).start(
        state.clone(),
        Duration::from_millis(config.diagnosis.search_refresh_ms),
        stop.clone(),
    );

    let catch_up_task = tokio::spawn(catch_up::run(
        Arc::clone(&store) as Arc<dyn IngestStore>,
        state.sender(),
        Arc::clone(&lag),
        stop.clone(),
    ));
    let api_task = match &config.api {
        None => None,
        Some(section) => {
            let api_listener = TcpListener::bind(section.listen)
                .await
                .with_context(|| format!("cannot listen on {} (api.listen)", section.listen))?;
            let api_addr = api_listener.local_addr().context("no local address")?;
            let model: Arc<dyn ReadModel> = Arc::new(LiveReadModel {
                state: state.clone(),
                agents: Arc::clone(&agents),
                store: Arc::clone(&store) as Arc<dyn StateStore>,
            });
            let router = Api::router(
                ApiConfig {
                    rate_per_sec: section.rate_per_sec,
                    burst: section.burst,
                    cors_origins: section.cors_origins.clone(),
                    ..ApiConfig::default()
                },
                model,
                Arc::new(StoreOutageModel {
                    store: Arc::clone(&store) as Arc<dyn EventStore>,
                    windows_changed: windows_changed.clone(),
                }),
                Arc::new(Desk {
                    state: state.clone(),
                    outages: Arc::clone(&active_outages),
                    search: Arc::clone(&search),
                    probes: Some(probes.clone()),
                    config: config.diagnosis.clone(),
                }),
                Arc::clone(&store) as Arc<dyn ApiKeyStore>,
                Arc::new(AggregatorHealth {
                    state: state.clone(),
                    lag: Arc::clone(&lag),
                    outages: Arc::clone(&outage_metrics),
                }),
                Arc::new(AggregatorMetrics {
                    ingest: Arc::clone(&ingest_metrics),
                    agents: Arc::clone(&agents),
                    state: state.clone(),
                    lag: Arc::clone(&lag),
                    outages: Arc::clone(&outage_metrics),
                    notify: notify_metrics.clone(),
                    search: Arc::clone(&search),
                }),
            )
            .context("invalid [api] settings")?;
            tracing::info!(addr = %api_addr, "REST API listening");
            println!("api listening on {api_addr}");
            let stopped = stop.clone();
            Some(tokio::spawn(vigia_api::serve(
                api_listener,
                router,
                async move {
                    stopped.cancelled().await;
                },
            )))
        }
    };

    tracing::info!(%addr, store = %store::describe(&config.storage), "aggregator listening");
    // On stdout for whoever started us (scripts, tests) to learn the port when it was 0.
    println!("listening on {addr}");

    let signals = {
        let stop = stop.clone();
        let state = state.clone();
        let overrides_path = config.state.overrides.clone();
        async move {
            loop {
                tokio::select! {
                    _ = terminate.recv() => { tracing::info!("SIGTERM received"); break }
                    _ = interrupt.recv() => { tracing::info!("SIGINT received"); break }
                    _ = hangup.recv() => reload_overrides(&state, overrides_path.as_ref()).await,
                }
            }
            stop.cancel();
        }
    };
    let served = ingest
        .serve(listener, tls, signals)
        .await
        .context("ingest server failed");
    stop.cancel();
    if let Some(task) = api_task {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "REST API server failed"),
            Err(error) => tracing::error!(%error, "REST API task failed"),
        }
    }
    if search_task.await.is_err() {
        tracing::error!("search index task failed");
    }
    if catch_up_task.await.is_err() {
        tracing::error!("state catch-up task failed");
    }
    if outages_task.await.is_err() {
        tracing::error!("outage correlation task failed");
    }
    if let Some(task) = notifier_task
        && task.await.is_err()
    {
        tracing::error!("notification task failed");
    }
    state.shutdown();
    if tokio::time::timeout(STATE_FLUSH_GRACE, state_task)
        .await
        .is_err()
    {
        tracing::warn!(grace = ?STATE_FLUSH_GRACE, "live state still flushing; leaving it");
    }
    served?;
    tracing::info!("aggregator stopped");
    Ok(())
}

fn state_config(config: &Config) -> StateConfig {
    let defaults = StateConfig::default();
    StateConfig {
        stale_after_ms: config.state.stale_after_secs * 1000,
        service: ServiceConfig {
            history_days: config.storage.history_days,
            batches_days: config.storage.batch_days,
            ..defaults.service.clone()
        },
        ..defaults
    }
}

fn load_overrides(state: &StateSection) -> anyhow::Result<Option<Overrides>> {
    let Some(path) = &state.overrides else {
        return Ok(None);
    };
    Overrides::load(&path.value)
        .map(Some)
        .with_context(|| format!("state.overrides ({})", path.location))
}

/// SIGHUP: reads the overrides file again; a bad file is reported and the previous overrides
/// stay in force.
async fn reload_overrides(
    state: &StateHandle,
    path: Option<&crate::config::Located<std::path::PathBuf>>,
) {
    let Some(path) = path else {
        tracing::info!("SIGHUP: no state.overrides file configured, nothing to reload");
        return;
    };
    match Overrides::load(&path.value) {
        Ok(overrides) => match state.reload_overrides(overrides).await {
            Ok(()) => tracing::info!(file = %path.value.display(), "topology overrides reloaded"),
            Err(error) => tracing::error!(%error, "cannot reload topology overrides"),
        },
        Err(error) => tracing::error!(
            error = format!("{:#}", anyhow::Error::from(error)),
            "topology overrides not reloaded; the previous ones stay"
        ),
    }
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
