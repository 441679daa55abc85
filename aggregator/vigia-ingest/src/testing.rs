//! Test support (feature `testing`): a gRPC client that dials the ingest over mutually
//! authenticated TLS, and builders for agent messages. Used by this crate's tests and the
//! aggregator binary's; the real agent-side client is `vigia-uplink`.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Uri};
use vigia_proto::agent::v1 as pb;
use vigia_proto::agent::v1::agent_link_client::AgentLinkClient;
use vigia_proto::agent::v1::agent_message::Message as FromAgent;

/// What a test client presents and trusts, PEM.
#[derive(Debug, Clone)]
pub struct ClientIdentity {
    /// The CA that signed the server certificate.
    pub server_ca_pem: String,
    /// The client certificate.
    pub cert_pem: String,
    /// Its key.
    pub key_pem: String,
}

/// Why the test client could not connect.
pub type ConnectError = Box<dyn std::error::Error + Send + Sync>;

/// Connects to the ingest at `addr`, verifying the server as `server_name` (DNS or IP).
///
/// With TLS 1.3 a refused client certificate is usually reported on the first call rather than
/// here, because the client finishes its side of the handshake before the server has judged it.
pub async fn connect(
    addr: SocketAddr,
    server_name: &str,
    identity: &ClientIdentity,
) -> Result<AgentLinkClient<Channel>, ConnectError> {
    let channel = channel(addr, server_name, identity).await?;
    Ok(AgentLinkClient::new(channel).max_decoding_message_size(64 * 1024 * 1024))
}

/// The TLS channel under [`connect`], for tests that speak gRPC at a lower level.
pub async fn channel(
    addr: SocketAddr,
    server_name: &str,
    identity: &ClientIdentity,
) -> Result<Channel, ConnectError> {
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(identity.server_ca_pem.as_bytes()) {
        roots.add(ca?)?;
    }
    let chain = CertificateDer::pem_slice_iter(identity.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes())?;
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_client_auth_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = TlsConnector::from(Arc::new(config));
    let server_name = ServerName::try_from(server_name.to_owned())?;
    let dial = tower::service_fn(move |_: Uri| {
        let (connector, server_name) = (connector.clone(), server_name.clone());
        async move {
            let tcp = TcpStream::connect(addr).await?;
            tcp.set_nodelay(true)?;
            let tls = connector.connect(server_name, tcp).await?;
            Ok::<_, std::io::Error>(TokioIo::new(tls))
        }
    });
    // The scheme is http because TLS is done by the connector above, not by tonic.
    Ok(Endpoint::from_shared(format!("http://{addr}"))?
        .connect_with_connector(dial)
        .await?)
}

/// A Hello for `epoch` claiming `agent_id`.
pub fn hello(agent_id: &str, epoch: u64, last_acked_sequence: u64) -> pb::AgentMessage {
    pb::AgentMessage {
        message: Some(FromAgent::Hello(pb::Hello {
            agent_id: agent_id.to_owned(),
            agent_version: "0.1.0-test".into(),
            epoch,
            last_acked_sequence,
            plugin_wit_versions: vec!["vigia:plugin@0.1.0".into()],
            installed_plugins: vec![],
        })),
    }
}

/// A result batch of one run whose `run_id` names the batch, so stored payloads are told apart.
pub fn result_batch(epoch: u64, sequence: u64, live: bool) -> pb::ResultBatch {
    pb::ResultBatch {
        epoch,
        sequence,
        live,
        results: vec![pb::RunResult {
            probe: "core-ping".into(),
            plugin: Some(pb::PluginRef {
                plugin_id: "ping".into(),
                version: "0.1.0".into(),
                sha256: vec![7; 32],
            }),
            run_id: format!("run-{epoch}-{sequence}"),
            started_at_ms: 1_700_000_000_000 + sequence,
            finished_at_ms: 1_700_000_000_050 + sequence,
            outcome: Some(pb::run_result::Outcome::Observations(pb::ObservationList {
                observations: vec![],
            })),
        }],
    }
}

/// Wraps a batch as an agent message.
pub fn batch_message(batch: pb::ResultBatch) -> pb::AgentMessage {
    pb::AgentMessage {
        message: Some(FromAgent::ResultBatch(batch)),
    }
}

/// A heartbeat reporting `spool_records` waiting.
pub fn heartbeat(spool_records: u64) -> pb::AgentMessage {
    pb::AgentMessage {
        message: Some(FromAgent::Heartbeat(pb::Heartbeat {
            spool_records,
            uptime_ms: 1234,
            sent_at_ms: 1_700_000_000_000,
            ..pb::Heartbeat::default()
        })),
    }
}
