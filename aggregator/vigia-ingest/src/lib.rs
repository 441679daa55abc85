//! The aggregator's ingest: the `vigia.agent.v1` `AgentLink` gRPC server over mutually
//! authenticated TLS, which stores agents' result batches and acknowledges them, and asks
//! connected agents for on-demand probe runs.
//!
//! # What this crate does
//!
//! - **TLS and identity** ([`ServerTls`], [`identity`], [`AgentRegistry`]): rustls (ring provider)
//!   requires a client certificate chained to the agent CA and valid now; the agent's identity is
//!   the certificate's SAN `<agent-id>.agents.vigia` ([`identity::AGENT_SAN_SUFFIX`]), never the
//!   `agent_id` the agent writes in its Hello (a mismatch is logged). The registry admits or
//!   refuses the identity, all during the handshake; a refused agent gets a TLS alert
//!   (`access_denied`, `certificate_expired`, `unknown_ca`, ...) and never reaches gRPC.
//! - **The stream** ([`Ingest::serve`]): Hello, then an `Ack` of what the store holds for the
//!   Hello's epoch and a `Throttle`; then every `ResultBatch` is validated (epoch of the Hello,
//!   sequence >= 1, at least one result, size within the decoding limit), queued, committed to
//!   the [`IngestStore`] in groups, and acked only after the commit returned (durable).
//!   Duplicates are acked and not stored twice (the store's primary key). Heartbeats update the
//!   in-memory [`AgentsView`]. A malformed message ends only its own stream with a status that
//!   says why; other agents are unaffected.
//! - **On-demand probes** ([`Probes`], from [`Ingest::probes`]): sends a `ProbeRequest` on the
//!   agent's newest stream and waits, bounded by the deadline plus [`IngestOptions::probe_grace`],
//!   for the `ProbeAnswer` with its request id. Offline agents, and agents with
//!   [`IngestOptions::max_probes_per_agent`] requests already waiting, are answered at once
//!   ([`ProbeError`]); a stream that ends fails its waiting requests at once. Answers nobody waits
//!   for are counted and ignored, never an error that ends the stream.
//! - **Shutdown**: on the shutdown signal every stream stops reading, commits and acks what it
//!   holds, sends `Goodbye`, and ends; connections then close.
//! - **Counters** ([`Metrics`]) and a small PKI ([`pki`]) that makes certificates in the shape
//!   the ingest expects.
//!
//! # What it does not do
//!
//! It does not keep the live state, correlate or serve the REST API: newly committed batches are
//! decoded to `vigia_core` runs and handed to a [`CommitListener`] (the aggregator's live state),
//! and the API reads the [`AgentsView`] and calls [`Probes`]. It does not store on-demand run
//! results (they go back to the caller only) and does not retry a probe request. It sends no
//! plugin offers or config updates yet (their `PluginStatus` answers are ignored). It does not
//! persist agent state: the [`AgentsView`] starts empty at every start.

mod accept;
pub mod agents;
pub mod identity;
mod listener;
mod metrics;
pub mod pki;
mod probes;
mod registry;
mod service;
mod session;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
mod verifier;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use vigia_proto::agent::v1::agent_link_server::AgentLinkServer;

pub use accept::Peer;
pub use agents::AgentsView;
pub use listener::CommitListener;
pub use metrics::{Metrics, MetricsSnapshot};
pub use probes::{ProbeCall, ProbeError, ProbeTarget, Probes};
pub use registry::{AgentRegistry, Refusal, StaticRegistry, normalise_serial};
pub use tls::{ServerTls, TlsError};
pub use vigia_store::{AgentId, IngestStore};

use probes::Links;
use service::{LinkService, Shared};

/// Limits and timings of the ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Largest gRPC message accepted or sent, bytes.
    pub max_message_bytes: usize,
    /// Deadline for a TLS handshake.
    pub handshake_timeout: Duration,
    /// Deadline for the Hello after the stream opens.
    pub hello_timeout: Duration,
    /// Batches an agent may have sent without an ack (sent to it as `Throttle`); also the depth of
    /// each stream's commit queue.
    pub max_batches_in_flight: u32,
    /// Most batches of one stream in one store commit.
    pub max_batches_per_commit: usize,
    /// HTTP/2 ping interval, to notice dead agents (e.g. a backhaul cut without a TCP reset).
    pub keepalive_interval: Duration,
    /// How long a ping may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
    /// After the shutdown signal, how long streams get to finish before `serve` returns anyway.
    pub shutdown_grace: Duration,
    /// How long agents are told to wait before reconnecting after a shutdown.
    pub reconnect_after: Duration,
    /// Most on-demand probe requests waiting for one agent's answers; more are `Busy`.
    pub max_probes_per_agent: usize,
    /// How long past a probe's deadline its answer is still awaited (the network's share).
    pub probe_grace: Duration,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 * 1024 * 1024,
            handshake_timeout: Duration::from_secs(10),
            hello_timeout: Duration::from_secs(30),
            max_batches_in_flight: 256,
            max_batches_per_commit: 256,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(20),
            shutdown_grace: Duration::from_secs(10),
            reconnect_after: Duration::from_secs(5),
            max_probes_per_agent: 16,
            probe_grace: Duration::from_secs(2),
        }
    }
}

/// Why the ingest server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The TLS material is unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The gRPC server failed.
    #[error("grpc server failed")]
    Transport(#[source] tonic::transport::Error),
    /// The server task panicked.
    #[error("grpc server task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// The ingest server with its shared state, before it serves.
pub struct Ingest {
    store: Arc<dyn IngestStore>,
    registry: Arc<dyn AgentRegistry>,
    options: IngestOptions,
    agents: Arc<AgentsView>,
    metrics: Arc<Metrics>,
    listener: Option<Arc<dyn CommitListener>>,
    links: Arc<Links>,
}

impl Ingest {
    /// An ingest that stores into `store` and admits agents per `registry`.
    pub fn new(store: Arc<dyn IngestStore>, registry: Arc<dyn AgentRegistry>) -> Self {
        let options = IngestOptions::default();
        let metrics = Arc::<Metrics>::default();
        let links = Arc::new(Links::new(
            Arc::clone(&metrics),
            options.max_probes_per_agent,
            options.probe_grace,
        ));
        Self {
            store,
            registry,
            options,
            agents: Arc::default(),
            metrics,
            listener: None,
            links,
        }
    }

    /// Passes every newly committed batch on to `listener` (see [`CommitListener`]).
    pub fn with_listener(mut self, listener: Arc<dyn CommitListener>) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Replaces the default options.
    pub fn with_options(mut self, options: IngestOptions) -> Self {
        self.links
            .set_limits(options.max_probes_per_agent, options.probe_grace);
        self.options = options;
        self
    }

    /// The live view of agents (keeps working after `serve` returns).
    pub fn agents(&self) -> Arc<AgentsView> {
        Arc::clone(&self.agents)
    }

    /// The counters.
    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// The handle to ask connected agents for on-demand probe runs (keeps working after `serve`
    /// returns: every agent is then offline).
    pub fn probes(&self) -> Probes {
        Probes::new(Arc::clone(&self.links), Arc::clone(&self.metrics))
    }

    /// Serves agents on `listener` until `shutdown` completes, then ends every stream with a
    /// `Goodbye` and returns once connections closed (or after `shutdown_grace`).
    pub async fn serve(
        self,
        listener: TcpListener,
        tls: ServerTls,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), IngestError> {
        let config = tls.server_config(Arc::clone(&self.registry))?;
        let stop = CancellationToken::new();
        let options = self.options.clone();
        let connections = accept::spawn(
            listener,
            config,
            options.handshake_timeout,
            Arc::clone(&self.metrics),
            stop.clone(),
        );
        let shared = Arc::new(Shared {
            store: self.store,
            registry: self.registry,
            agents: self.agents,
            metrics: self.metrics,
            listener: self.listener,
            links: self.links,
            options: options.clone(),
            stop: stop.clone(),
        });
        let service = AgentLinkServer::new(LinkService { shared })
            .max_decoding_message_size(options.max_message_bytes)
            .max_encoding_message_size(options.max_message_bytes);
        let server = Server::builder()
            .http2_keepalive_interval(Some(options.keepalive_interval))
            .http2_keepalive_timeout(Some(options.keepalive_timeout))
            .add_service(service)
            .serve_with_incoming_shutdown(
                ReceiverStream::new(connections),
                stop.clone().cancelled_owned(),
            );
        let mut server = tokio::spawn(server);
        let joined = tokio::select! {
            joined = &mut server => joined,
            () = shutdown => {
                tracing::info!("shutting down: ending agent streams");
                stop.cancel();
                match tokio::time::timeout(options.shutdown_grace, &mut server).await {
                    Ok(joined) => joined,
                    Err(_) => {
                        tracing::warn!(grace = ?options.shutdown_grace,
                            "connections still open after the grace period; leaving them");
                        server.abort();
                        Ok(Ok(()))
                    }
                }
            }
        };
        stop.cancel();
        joined
            .map_err(IngestError::Task)?
            .map_err(IngestError::Transport)
    }
}

/// Serves agents with the default options: see [`Ingest::serve`].
pub async fn serve(
    listener: TcpListener,
    tls: ServerTls,
    store: Arc<dyn IngestStore>,
    registry: Arc<dyn AgentRegistry>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), IngestError> {
    Ingest::new(store, registry)
        .serve(listener, tls, shutdown)
        .await
}
