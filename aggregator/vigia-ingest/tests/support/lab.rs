//! An ingest server on 127.0.0.1:0 with a real SQLite store in a temporary directory and
//! certificates made at test time, and an agent-side stream helper.

#![allow(dead_code)] // each test file uses a different part

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};
use vigia_ingest::pki::{CertificateAuthority, Validity};
use vigia_ingest::testing::{self, ClientIdentity};
use vigia_ingest::{
    AgentId, AgentsView, CommitListener, Ingest, IngestError, IngestOptions, Metrics, Probes,
    ServerTls, StaticRegistry,
};
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::aggregator_message::Message as ToAgent;
use vigia_store::SqliteStore;

/// A bound on every wait, so a protocol bug fails the test instead of hanging it.
pub const WAIT: Duration = Duration::from_secs(20);

pub fn agent(id: &str) -> AgentId {
    AgentId::new(id).expect("valid agent id")
}

pub struct Lab {
    pub ca: CertificateAuthority,
    pub addr: SocketAddr,
    pub store: Arc<SqliteStore>,
    pub agents: Arc<AgentsView>,
    pub metrics: Arc<Metrics>,
    /// The on-demand probe handle.
    pub probes: Probes,
    /// What the ingest passed on to its listener.
    pub committed: Arc<Recorder>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), IngestError>>>,
    _dir: tempfile::TempDir,
}

impl Lab {
    pub async fn start(registry: StaticRegistry) -> Self {
        Self::start_with(registry, IngestOptions::default()).await
    }

    pub async fn start_with(registry: StaticRegistry, options: IngestOptions) -> Self {
        let ca = CertificateAuthority::generate("test agent CA", &Validity::days_from_now(2))
            .expect("CA");
        Self::start_with_ca(registry, options, ca).await
    }

    /// A lab whose agent and server certificates come from `ca` (made by the test, so it can
    /// issue certificates before the registry is decided).
    pub async fn start_with_ca(
        registry: StaticRegistry,
        options: IngestOptions,
        ca: CertificateAuthority,
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteStore::open(dir.path()).expect("open store"));
        let server = ca
            .issue_server(
                &["localhost".into(), "127.0.0.1".into()],
                &Validity::days_from_now(2),
            )
            .expect("server cert");
        let tls = ServerTls::from_pem(
            server.cert_pem.as_bytes(),
            server.key_pem.as_bytes(),
            ca.cert_pem().as_bytes(),
        )
        .expect("server tls");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let committed = Arc::new(Recorder::default());
        let ingest = Ingest::new(store.clone(), Arc::new(registry))
            .with_options(options)
            .with_listener(committed.clone());
        let (agents, metrics, probes) = (ingest.agents(), ingest.metrics(), ingest.probes());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(ingest.serve(listener, tls, async {
            let _ = stopped.await;
        }));
        Self {
            ca,
            addr,
            committed,
            store,
            agents,
            metrics,
            probes,
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        }
    }

    /// An agent certificate for `id` from this lab's CA, valid now.
    pub fn identity(&self, id: &str) -> ClientIdentity {
        self.identity_from(&self.ca, id, Validity::days_from_now(1))
    }

    /// An agent certificate from any CA and validity; the server is trusted as usual.
    pub fn identity_from(
        &self,
        ca: &CertificateAuthority,
        id: &str,
        validity: Validity,
    ) -> ClientIdentity {
        let issued = ca.issue_agent(&agent(id), &validity).expect("agent cert");
        ClientIdentity {
            server_ca_pem: self.ca.cert_pem().to_owned(),
            cert_pem: issued.cert_pem,
            key_pem: issued.key_pem,
        }
    }

    /// Signals shutdown and waits for `serve` to return.
    pub async fn shutdown(mut self) -> Result<(), IngestError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let server = self.server.take().expect("server running");
        tokio::time::timeout(WAIT, server)
            .await
            .expect("serve returned within the deadline")
            .expect("server task")
    }

    /// Waits until `condition` holds on the metrics (they are updated by server tasks).
    pub async fn metrics_reach(&self, condition: impl Fn(&vigia_ingest::MetricsSnapshot) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let snapshot = self.metrics.snapshot();
            if condition(&snapshot) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "metrics never reached the condition: {snapshot:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// One agent's `Connect` stream, from the agent side.
pub struct AgentStream {
    to_server: mpsc::Sender<pb::AgentMessage>,
    from_server: Streaming<pb::AggregatorMessage>,
}

impl AgentStream {
    /// Connects with `identity`, sends Hello (claiming `claimed_id`) and returns the stream and
    /// the aggregator's first message, which must be an Ack, and its Throttle.
    pub async fn open(
        lab: &Lab,
        identity: &ClientIdentity,
        claimed_id: &str,
        epoch: u64,
    ) -> Result<(Self, pb::Ack), Status> {
        let mut client = testing::connect(lab.addr, "localhost", identity)
            .await
            .map_err(|error| Status::unavailable(format!("connect: {error}")))?;
        let (to_server, outbound) = mpsc::channel(16);
        // Hello is queued before the call is awaited: the server reads it before answering.
        to_server
            .send(testing::hello(claimed_id, epoch, 0))
            .await
            .expect("queue hello");
        let from_server = tokio::time::timeout(WAIT, client.connect(ReceiverStream::new(outbound)))
            .await
            .expect("call answered in time")?
            .into_inner();
        let mut stream = Self {
            to_server,
            from_server,
        };
        let ack = match stream.next().await {
            Some(Ok(ToAgent::Ack(ack))) => ack,
            other => panic!("first message must be an ack, got {other:?}"),
        };
        match stream.next().await {
            Some(Ok(ToAgent::Throttle(throttle))) => assert!(throttle.max_batches_in_flight > 0),
            other => panic!("second message must be a throttle, got {other:?}"),
        }
        Ok((stream, ack))
    }

    pub async fn send(&self, message: pb::AgentMessage) {
        // The server may already have ended the stream; the test then reads why.
        let _ = self.to_server.send(message).await;
    }

    pub async fn send_batch(&self, epoch: u64, sequence: u64) {
        self.send(testing::batch_message(testing::result_batch(
            epoch, sequence, true,
        )))
        .await;
    }

    /// The next message from the aggregator; `None` when the stream ended cleanly.
    pub async fn next(&mut self) -> Option<Result<ToAgent, Status>> {
        let next = tokio::time::timeout(WAIT, self.from_server.message())
            .await
            .expect("aggregator answered in time");
        match next {
            Ok(Some(message)) => Some(Ok(message.message.expect("message set"))),
            Ok(None) => None,
            Err(status) => Some(Err(status)),
        }
    }

    pub async fn next_ack(&mut self) -> pb::Ack {
        match self.next().await {
            Some(Ok(ToAgent::Ack(ack))) => ack,
            other => panic!("expected an ack, got {other:?}"),
        }
    }

    /// Reads acks until `up_to` reaches `target`, returning every ack seen.
    pub async fn acks_until(&mut self, target: u64) -> Vec<pb::Ack> {
        let mut acks = Vec::new();
        loop {
            let ack = self.next_ack().await;
            let done = ack.up_to >= target;
            acks.push(ack);
            if done {
                return acks;
            }
        }
    }

    /// Reads until the stream ends with an error status, which is returned.
    pub async fn error(&mut self) -> Status {
        loop {
            match self.next().await {
                Some(Ok(_)) => continue,
                Some(Err(status)) => return status,
                None => panic!("stream ended cleanly, expected an error status"),
            }
        }
    }
}

/// A [`CommitListener`] that records the run ids it is given, per agent, in order.
#[derive(Default)]
pub struct Recorder {
    runs: std::sync::Mutex<Vec<(String, String)>>,
    changed: tokio::sync::Notify,
}

impl Recorder {
    /// `(agent, run_id)` of every run passed on so far.
    pub fn runs(&self) -> Vec<(String, String)> {
        self.runs.lock().expect("recorder lock").clone()
    }

    /// Waits (bounded) until `count` runs were passed on.
    pub async fn wait_for(&self, count: usize) {
        let wait = async {
            loop {
                let notified = self.changed.notified();
                if self.runs().len() >= count {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(WAIT, wait)
            .await
            .unwrap_or_else(|_| panic!("{count} runs passed on in time: got {:?}", self.runs()));
    }
}

#[async_trait::async_trait]
impl CommitListener for Recorder {
    async fn committed(&self, agent: &AgentId, runs: Vec<vigia_core::run::RunResult>) {
        self.runs
            .lock()
            .expect("recorder lock")
            .extend(runs.into_iter().map(|run| (agent.to_string(), run.run_id)));
        self.changed.notify_waiters();
    }
}
