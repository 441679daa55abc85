//! Wiring of the data path behind the scheduler: the durable spool, the uplink to the aggregator
//! and the local `/metrics` endpoint, started from the config and stopped in order.
//!
//! A spool found corrupt at start is moved aside by `vigia-spool` and a fresh one is used; the
//! agent then logs it, exports `vigia_agent_spool_quarantined_at_start 1` and spools an `alarm`
//! (code `agent.spool_quarantined`, source: this agent) as the first record of the new epoch, so
//! the aggregator learns of it too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};
use vigia_core::run::{PluginRef, RunOutcome, RunResult};
use vigia_core::{Alarm, EntityKind, EntityRef, Observation, ObservationKind, Severity};
use vigia_spool::{SledSpool, Spool, SpoolOptions};
use vigia_uplink::{OnDemand, TlsIdentity, Uplink, UplinkConfig};

use crate::config::{Config, SpoolConfig, UplinkSettings};
use crate::health::AgentHealth;
use crate::metrics;
use crate::scheduler::Counters;
use crate::scheduler::clock::unix_now_ms;

/// How long a `run --rounds N` agent waits, after its last round, for the uplink to deliver
/// what is spooled before it stops.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The started (not yet running) data path.
pub(crate) struct Link {
    pub(crate) spool: Option<Arc<dyn Spool>>,
    uplink: Option<Uplink>,
    metrics: Option<tokio::net::TcpListener>,
    health: Arc<AgentHealth>,
}

/// The running uplink and metrics tasks.
pub(crate) struct Background {
    tasks: JoinSet<()>,
    uplink_stop: CancellationToken,
    spool: Option<Arc<dyn Spool>>,
}

/// Opens the spool, prepares the uplink (TLS files read and checked; the aggregator's on-demand
/// probe requests go to `on_demand`) and binds the metrics listener. Fails before anything runs
/// when one of them cannot start.
pub(crate) async fn start(
    config: &Config,
    installed: Vec<PluginRef>,
    counters: Arc<Counters>,
    on_demand: Arc<dyn OnDemand>,
) -> Result<Link> {
    let link = &config.link;
    let (spool, quarantined) = match &link.spool {
        Some(settings) => {
            let (spool, quarantined) = open_spool(settings.clone()).await?;
            (Some(spool), quarantined)
        }
        None => (None, false),
    };
    let health = Arc::new(AgentHealth {
        spool: spool.clone(),
        counters,
        spool_quarantined_at_start: u64::from(quarantined),
        started: Instant::now(),
    });
    let uplink = match (&link.uplink, &spool) {
        (Some(settings), Some(spool)) => Some(
            build_uplink(
                settings,
                &config.agent_id,
                installed,
                spool.clone(),
                health.clone(),
            )?
            .with_on_demand(on_demand),
        ),
        _ => None,
    };
    let metrics = match link.metrics_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for metrics on {addr}"))?,
        ),
        None => None,
    };
    if let (true, Some(spool)) = (quarantined, &spool) {
        report_quarantine(spool.as_ref(), &config.agent_id).await;
    }
    Ok(Link {
        spool,
        uplink,
        metrics,
        health,
    })
}

impl Link {
    /// Starts the uplink and the metrics endpoint.
    pub(crate) fn spawn(self) -> Background {
        let mut tasks = JoinSet::new();
        let uplink_stop = CancellationToken::new();
        let status = self.uplink.as_ref().map(Uplink::status);
        if let Some(uplink) = self.uplink {
            tasks.spawn(uplink.run(uplink_stop.clone()));
        }
        if let Some(listener) = self.metrics {
            let health = self.health.clone();
            let render: metrics::Render = Arc::new(move || health.render(status.as_ref()));
            if let Ok(addr) = listener.local_addr() {
                info!(%addr, "metrics endpoint listening on /metrics");
            }
            tasks.spawn(metrics::serve(listener, render, uplink_stop.clone()));
        }
        Background {
            tasks,
            uplink_stop,
            spool: self.spool,
        }
    }
}

impl Background {
    /// Stops the uplink and metrics. When the rounds ended by themselves (`--rounds`) rather than
    /// by a signal, the uplink first gets up to [`DRAIN_TIMEOUT`] to empty the spool.
    pub(crate) async fn finish(mut self, stop: CancellationToken) {
        if let (false, Some(spool)) = (stop.is_cancelled(), &self.spool) {
            let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
            while spool.depth().records > 0 && tokio::time::Instant::now() < deadline {
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
            let left = spool.depth().records;
            if left > 0 {
                info!(
                    left,
                    "stopping with results still spooled; they are sent on the next start"
                );
            }
        }
        self.uplink_stop.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn open_spool(settings: SpoolConfig) -> Result<(Arc<dyn Spool>, bool)> {
    let dir = settings.dir.clone();
    let options = SpoolOptions {
        max_bytes: settings.max_bytes,
        ..SpoolOptions::default()
    };
    let (spool, report) = tokio::task::spawn_blocking(move || SledSpool::open(&dir, options))
        .await
        .context("spool open task failed")?
        .with_context(|| format!("cannot open the spool in {}", settings.dir.display()))?;
    let quarantined = match &report.quarantined {
        Some(q) => {
            error!(
                dir = %settings.dir.display(),
                moved_to = %q.moved_to.display(),
                cause = %q.cause,
                "the spool was corrupt: moved aside, starting a fresh one (its unsent results are kept there, not sent)"
            );
            true
        }
        None => false,
    };
    info!(
        dir = %settings.dir.display(),
        epoch = spool.epoch(),
        recovered = report.recovered,
        "spool open"
    );
    Ok((Arc::new(spool), quarantined))
}

fn build_uplink(
    settings: &UplinkSettings,
    agent_id: &str,
    installed: Vec<PluginRef>,
    spool: Arc<dyn Spool>,
    health: Arc<AgentHealth>,
) -> Result<Uplink> {
    let tls = TlsIdentity::from_files(&settings.ca, &settings.cert, &settings.key)
        .with_context(|| format!("{}: uplink TLS files", settings.location))?;
    let server_name = settings
        .server_name
        .clone()
        .unwrap_or_else(|| host_of(&settings.endpoint).unwrap_or_default().to_owned());
    let mut config = UplinkConfig::new(&settings.endpoint, server_name, tls, agent_id);
    config.installed_plugins = installed;
    config.plugin_wit_versions = vigia_plugin_host::SUPPORTED_WIT_VERSIONS
        .iter()
        .map(|v| (*v).to_owned())
        .collect();
    if let Some(v) = settings.backoff_min {
        config.backoff_min = v;
    }
    if let Some(v) = settings.backoff_max {
        config.backoff_max = v;
    }
    if let Some(v) = settings.max_in_flight {
        config.max_in_flight = v;
    }
    if let Some(v) = settings.backlog_rate {
        config.backlog_rate = v;
    }
    if let Some(v) = settings.heartbeat {
        config.heartbeat_interval = v;
    }
    Uplink::new(config, spool, health)
        .with_context(|| format!("{}: uplink settings", settings.location))
}

/// The host part of `https://host[:port][/...]` (brackets kept off IPv6 literals).
fn host_of(endpoint: &str) -> Option<&str> {
    let rest = endpoint.strip_prefix("https://")?;
    let authority = rest.split('/').next()?;
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next();
    }
    authority.split(':').next()
}

async fn report_quarantine(spool: &dyn Spool, agent_id: &str) {
    let now = unix_now_ms();
    let alarm = Observation {
        target: agent_id.to_owned(),
        observed_at_ms: now,
        kind: ObservationKind::Alarm(Alarm {
            source: EntityRef {
                kind: EntityKind::Other("agent".into()),
                id: agent_id.to_owned(),
            },
            severity: Severity::Major,
            code: "agent.spool_quarantined".into(),
            text: "the agent's spool was corrupt at start and was moved aside; results it held \
                   were not delivered"
                .into(),
            raised_ms: Some(now),
            cleared_ms: None,
        }),
        labels: Vec::new(),
    };
    let result = RunResult {
        probe: "vigia-agent".into(),
        plugin: PluginRef {
            plugin_id: "vigia-agent".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            sha256: [0; 32],
        },
        run_id: format!("vigia-agent-{now}-spool"),
        started_at_ms: now,
        finished_at_ms: now,
        outcome: RunOutcome::Observations(vec![alarm]),
    };
    if let Err(e) = spool
        .append(vec![vigia_uplink::encode_batch(vec![result])])
        .await
    {
        warn!(error = %e, "cannot spool the spool-quarantine alarm");
    }
}
