//! The `AgentLink` gRPC service: finds the verified agent of the connection and hands the stream to
//! a [`session`](crate::session).

use std::sync::Arc;

use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_link_server::AgentLink;
use vigia_store::IngestStore;

use crate::IngestOptions;
use crate::accept::Peer;
use crate::agents::AgentsView;
use crate::listener::CommitListener;
use crate::metrics::Metrics;
use crate::probes::Links;
use crate::registry::AgentRegistry;
use crate::session;

/// What every stream shares.
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn IngestStore>,
    pub(crate) registry: Arc<dyn AgentRegistry>,
    pub(crate) agents: Arc<AgentsView>,
    pub(crate) metrics: Arc<Metrics>,
    /// Told about newly committed batches, when set.
    pub(crate) listener: Option<Arc<dyn CommitListener>>,
    /// Live streams by agent, for on-demand probe requests.
    pub(crate) links: Arc<Links>,
    pub(crate) options: IngestOptions,
    /// Cancelled when the server shuts down: every stream says Goodbye.
    pub(crate) stop: CancellationToken,
}

pub(crate) struct LinkService {
    pub(crate) shared: Arc<Shared>,
}

#[tonic::async_trait]
impl AgentLink for LinkService {
    type ConnectStream = ReceiverStream<Result<pb::AggregatorMessage, Status>>;

    async fn connect(
        &self,
        request: Request<Streaming<pb::AgentMessage>>,
    ) -> Result<Response<Self::ConnectStream>, Status> {
        let Some(peer) = request.extensions().get::<Peer>().cloned() else {
            // Only reachable if the service were mounted behind another listener.
            return Err(Status::unauthenticated(
                "no verified agent certificate on this connection",
            ));
        };
        // The registry was asked during the handshake; asking again per stream lets a
        // revocation (issue 4) take effect on long-lived connections at their next stream.
        if let Err(refusal) = self.shared.registry.admit(&peer.agent) {
            tracing::warn!(agent_id = %peer.agent.id, %refusal, "stream refused");
            return Err(Status::permission_denied(refusal.to_string()));
        }
        let stream = session::open(Arc::clone(&self.shared), peer, request.into_inner()).await?;
        Ok(Response::new(ReceiverStream::new(stream)))
    }
}
