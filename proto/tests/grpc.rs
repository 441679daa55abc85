//! The generated client and server talk over a real HTTP/2 connection on loopback: a client opens
//! `Connect`, sends Hello and three result batches, and sees each sequence acked, in order.
//!
//! The listener is bound before the client connects, so there is nothing to wait for.

#[path = "support/sample.rs"]
mod sample;

use std::pin::Pin;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Endpoint, Server};
use tonic::{Request, Response, Status, Streaming};
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_link_client::AgentLinkClient;
use vigia_proto::agent::v1::agent_link_server::{AgentLink, AgentLinkServer};

use pb::agent_message::Message as FromAgent;
use pb::aggregator_message::Message as FromAggregator;

/// A minimal aggregator: requires Hello first, then acks every batch cumulatively. It reports the
/// Hello it saw so the test can check what crossed the wire.
struct AckingAggregator {
    hello_seen: std::sync::Mutex<Option<oneshot::Sender<pb::Hello>>>,
}

type AggregatorStream = Pin<Box<dyn Stream<Item = Result<pb::AggregatorMessage, Status>> + Send>>;

#[tonic::async_trait]
impl AgentLink for AckingAggregator {
    type ConnectStream = AggregatorStream;

    async fn connect(
        &self,
        request: Request<Streaming<pb::AgentMessage>>,
    ) -> Result<Response<Self::ConnectStream>, Status> {
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
        let hello_seen = self.hello_seen.lock().expect("not poisoned").take();
        if let Some(sender) = hello_seen {
            let _ = sender.send(hello.clone());
        }

        let (outbound, rx) = mpsc::channel(8);
        tokio::spawn(async move {
            while let Ok(Some(message)) = inbound.message().await {
                let Some(FromAgent::ResultBatch(batch)) = message.message else {
                    continue;
                };
                let ack = pb::AggregatorMessage {
                    message: Some(FromAggregator::Ack(pb::Ack {
                        epoch: batch.epoch,
                        up_to: batch.sequence,
                        sequences: vec![],
                    })),
                };
                if outbound.send(Ok(ack)).await.is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

/// A bound on each test, so a protocol deadlock fails the test instead of hanging it.
const TEST_TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn client_sees_each_batch_acked_in_order() {
    tokio::time::timeout(TEST_TIMEOUT, hello_then_three_acked_batches())
        .await
        .expect("exchange finished (no deadlock)");
}

async fn hello_then_three_acked_batches() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (hello_tx, hello_rx) = oneshot::channel();
    let service = AgentLinkServer::new(AckingAggregator {
        hello_seen: std::sync::Mutex::new(Some(hello_tx)),
    });
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(
        Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(TcpIncoming::from(listener), async {
                let _ = stop_rx.await;
            }),
    );

    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("connect to the listening server");
    let mut client = AgentLinkClient::new(channel);

    // Hello goes on the request stream BEFORE awaiting the call: the aggregator reads Hello
    // before it answers with response headers, so awaiting first would deadlock.
    let (to_server, outbound) = mpsc::channel(8);
    to_server
        .send(sample::agent_hello())
        .await
        .expect("queue hello");
    let mut inbound = client
        .connect(ReceiverStream::new(outbound))
        .await
        .expect("open Connect")
        .into_inner();
    let hello = hello_rx.await.expect("server saw hello");
    assert_eq!(hello, sample::hello());

    let mut acked = Vec::new();
    for sequence in 1..=3 {
        let batch = pb::AgentMessage {
            message: Some(FromAgent::ResultBatch(sample::result_batch(sequence))),
        };
        to_server.send(batch).await.expect("send batch");
        let reply = inbound
            .next()
            .await
            .expect("stream still open")
            .expect("no error status");
        match reply.message {
            Some(FromAggregator::Ack(ack)) => {
                assert_eq!(ack.epoch, 42);
                acked.push(ack.up_to);
            }
            other => panic!("expected an ack, got {other:?}"),
        }
    }
    assert_eq!(acked, [1, 2, 3]);

    // Closing our side ends the server's stream, and then the response stream.
    drop(to_server);
    assert!(inbound.next().await.is_none(), "stream should end");

    stop_tx.send(()).expect("server still running");
    server
        .await
        .expect("server task")
        .expect("server ran cleanly");
}

#[tokio::test]
async fn server_rejects_a_stream_that_does_not_start_with_hello() {
    tokio::time::timeout(TEST_TIMEOUT, heartbeat_first_is_refused())
        .await
        .expect("exchange finished (no deadlock)");
}

async fn heartbeat_first_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let service = AgentLinkServer::new(AckingAggregator {
        hello_seen: std::sync::Mutex::new(None),
    });
    let server = tokio::spawn(
        Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpIncoming::from(listener)),
    );

    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("connect to the listening server");
    let mut client = AgentLinkClient::new(channel);
    let first = sample::agent_heartbeat();
    let status = client
        .connect(tokio_stream::iter([first]))
        .await
        .expect_err("server refuses");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().starts_with("first message must be hello"));
    server.abort();
}
