//! The test aggregator's `AgentLink` service: Hello first, then store and ack each batch (or
//! hold the ack), record heartbeats and probe answers. Open streams are registered in [`Conns`]
//! so tests can push messages to them or end them.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_link_server::AgentLink;

use super::aggregator::State;
use super::tls_incoming::PeerCert;
use pb::agent_message::Message as FromAgent;

type Outbound = mpsc::Sender<Result<pb::AggregatorMessage, Status>>;

struct Conn {
    tx: Outbound,
    cancel: CancellationToken,
}

/// The open streams, by connection number.
#[derive(Default)]
pub struct Conns {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Conn>>,
}

impl Conns {
    fn add(&self, tx: Outbound, cancel: CancellationToken) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, Conn { tx, cancel });
        id
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Conn>> {
        self.open.lock().expect("conns lock")
    }

    pub fn is_open(&self, id: u64) -> bool {
        self.lock().contains_key(&id)
    }

    /// Sends on one stream; a full or closed stream drops the message (as a broken link would).
    pub fn send(&self, id: u64, message: pb::AggregatorMessage) {
        if let Some(conn) = self.lock().get(&id) {
            let _ = conn.tx.try_send(Ok(message));
        }
    }

    pub fn broadcast(&self, message: pb::AggregatorMessage) {
        for conn in self.lock().values() {
            let _ = conn.tx.try_send(Ok(message.clone()));
        }
    }

    /// Ends every stream: its reader stops and its response stream finishes.
    pub fn drop_all(&self) {
        for (_, conn) in self.lock().drain() {
            conn.cancel.cancel();
        }
    }
}

pub struct Service {
    state: Arc<State>,
}

impl Service {
    pub fn new(state: Arc<State>) -> Self {
        Self { state }
    }
}

type ResponseStream = Pin<Box<dyn Stream<Item = Result<pb::AggregatorMessage, Status>> + Send>>;

#[tonic::async_trait]
impl AgentLink for Service {
    type ConnectStream = ResponseStream;

    async fn connect(
        &self,
        request: Request<Streaming<pb::AgentMessage>>,
    ) -> Result<Response<ResponseStream>, Status> {
        let peer = request.extensions().get::<PeerCert>().cloned();
        let mut inbound = request.into_inner();
        let hello = match inbound.message().await? {
            Some(pb::AgentMessage {
                message: Some(FromAgent::Hello(hello)),
            }) => hello,
            other => {
                return Err(Status::failed_precondition(format!(
                    "first message must be hello, got {other:?}"
                )));
            }
        };
        let (tx, rx) = mpsc::channel(4096);
        let cancel = CancellationToken::new();
        let state = Arc::clone(&self.state);
        let id = state.conns.add(tx.clone(), cancel.clone());
        let first_ack = {
            let mut store = state.store();
            store.peer_certs.push(peer.map(|p| p.0).unwrap_or_default());
            store.hellos.push(hello.clone());
            let report = state.report_holdings.load(Ordering::SeqCst);
            store.first_ack(hello.epoch, report)
        };
        state.changed();
        let _ = tx.try_send(Ok(first_ack));

        tokio::spawn(async move {
            loop {
                let message = tokio::select! {
                    () = cancel.cancelled() => break,
                    message = inbound.message() => message,
                };
                match message {
                    Ok(Some(message)) => handle(&state, id, &tx, message),
                    Ok(None) | Err(_) => break,
                }
            }
            state.conns.remove(id);
            // `tx` drops here: once the registry's copy is gone too, the response ends.
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

fn handle(state: &State, id: u64, tx: &Outbound, message: pb::AgentMessage) {
    let mut store = state.store();
    match message.message {
        Some(FromAgent::ResultBatch(batch)) => {
            let (epoch, seq) = (batch.epoch, batch.sequence);
            store.receive(id, batch);
            if state.hold_acks.load(Ordering::SeqCst) {
                store.held.push((id, epoch, seq));
            } else {
                let ack = store.ack_for(epoch, seq);
                let _ = tx.try_send(Ok(ack));
            }
        }
        Some(FromAgent::Heartbeat(beat)) => store.heartbeats.push(beat),
        Some(FromAgent::ProbeAnswer(answer)) => store.answers.push(answer),
        Some(FromAgent::Hello(_)) | Some(FromAgent::PluginStatus(_)) | None => {}
    }
    drop(store);
    state.changed();
}
