//! A test aggregator: a real `AgentLink` server over mutually authenticated TLS that stores
//! batches in memory, de-duplicates them by `(epoch, sequence)` and acks them. Tests steer it:
//! stop and restart it on the same port (the store survives, like a durable one), hold acks,
//! drop connections, send any message (Goodbye, Throttle, ProbeRequest).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_link_server::AgentLinkServer;

use super::pki::{Ca, Pem};
use super::service::{Conns, Service};
use super::store::Store;
use super::tls_incoming;

/// What every incarnation of one test aggregator shares.
pub struct State {
    pub store: Mutex<Store>,
    /// Bumped on every change to the store, for waiters.
    pub version: watch::Sender<u64>,
    pub conns: Conns,
    pub hold_acks: AtomicBool,
    /// Whether the first Ack of a stream reports what is already stored (a real aggregator
    /// does); when false it claims nothing, so the agent resends everything unacked.
    pub report_holdings: AtomicBool,
    pub handshake_failures: Arc<AtomicU64>,
}

impl State {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().expect("store lock")
    }

    pub fn changed(&self) {
        self.version.send_modify(|v| *v += 1);
    }
}

struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

pub struct TestAggregator {
    addr: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    state: Arc<State>,
    running: Option<Running>,
}

impl TestAggregator {
    /// A server certificate from `ca` for `localhost`, client certificates required from
    /// `client_ca`. Listens on `addr` (use port 0 for any); not started.
    pub async fn start(addr: SocketAddr, ca: &Ca, client_ca: &Ca) -> Self {
        let server: Pem = ca.server();
        let mut aggregator = Self {
            addr,
            tls: tls_incoming::server_config(&server, &client_ca.pem()),
            state: Arc::new(State {
                store: Mutex::new(Store::default()),
                version: watch::Sender::new(0),
                conns: Conns::default(),
                hold_acks: AtomicBool::new(false),
                report_holdings: AtomicBool::new(true),
                handshake_failures: Arc::new(AtomicU64::new(0)),
            }),
            running: None,
        };
        aggregator.restart().await;
        aggregator
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Binds the same address again and serves.
    pub async fn restart(&mut self) {
        assert!(self.running.is_none(), "already running");
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("bind test aggregator");
        self.addr = listener.local_addr().expect("local addr");
        let stop = CancellationToken::new();
        let incoming = tls_incoming::incoming(
            listener,
            Arc::clone(&self.tls),
            Arc::clone(&self.state.handshake_failures),
            stop.clone(),
        );
        let service = AgentLinkServer::new(Service::new(Arc::clone(&self.state)));
        let shutdown = stop.clone();
        let task = tokio::spawn(async move {
            let served = Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
                .await;
            served.expect("test aggregator served");
        });
        self.running = Some(Running { stop, task });
    }

    /// Stops listening and ends every stream, as a crashed aggregator would look to the agent.
    pub async fn stop(&mut self) {
        let Running { stop, task } = self.running.take().expect("running");
        stop.cancel();
        self.state.conns.drop_all();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("test aggregator stopped in time")
            .expect("server task");
    }

    /// Ends every open stream (the server keeps listening).
    pub fn drop_connections(&self) {
        self.state.conns.drop_all();
    }

    pub fn hold_acks(&self) {
        self.state.hold_acks.store(true, Ordering::SeqCst);
    }

    /// Stops holding and sends the held acks to the streams that are still open (acks held for
    /// a stream that has ended are lost, as they would be on a broken link).
    pub fn release_acks(&self) {
        self.state.hold_acks.store(false, Ordering::SeqCst);
        let held = std::mem::take(&mut self.state.store().held);
        for (conn, epoch, seq) in held {
            if self.state.conns.is_open(conn) {
                let ack = self.state.store().ack_for(epoch, seq);
                self.state.conns.send(conn, ack);
            }
        }
        self.state.changed();
    }

    pub fn report_holdings(&self, report: bool) {
        self.state.report_holdings.store(report, Ordering::SeqCst);
    }

    /// Sends a message on every open stream.
    pub fn broadcast(&self, message: pb::aggregator_message::Message) {
        self.state.conns.broadcast(pb::AggregatorMessage {
            message: Some(message),
        });
    }

    pub fn handshake_failures(&self) -> u64 {
        self.state.handshake_failures.load(Ordering::Relaxed)
    }

    /// Waits (on store changes, up to `timeout`) until `done` holds; panics with `what` if not.
    pub async fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&Store) -> bool) {
        let mut version = self.state.version.subscribe();
        let wait = async {
            loop {
                version.borrow_and_update();
                if done(&self.state.store()) {
                    return;
                }
                version.changed().await.expect("state alive");
            }
        };
        if tokio::time::timeout(timeout, wait).await.is_err() {
            let store = self.state.store();
            panic!(
                "timed out after {timeout:?} waiting for {what}: {} batches stored ({} live, {} \
                 backlog receptions)",
                store.batches.len(),
                store.count(true),
                store.count(false)
            );
        }
    }
}

impl Drop for TestAggregator {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop.cancel();
            self.state.conns.drop_all();
            running.task.abort();
        }
    }
}
