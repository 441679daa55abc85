//! Accepting TCP connections and running their TLS handshakes concurrently (a slow or hostile
//! client cannot hold up the others), handing tonic only connections whose agent was verified.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use crate::identity::AgentCert;
use crate::metrics::Metrics;

/// After a failed `accept` (e.g. out of file descriptors), wait this long before the next one so
/// the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Handshaken connections waiting for tonic.
const READY_QUEUE: usize = 64;

/// Who is on the other end of a connection: the verified agent and its address. Every gRPC request
/// on the connection carries it in its extensions.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The agent, from its verified certificate.
    pub agent: AgentCert,
    /// Its address as seen by the aggregator (after NAT).
    pub remote_addr: SocketAddr,
}

/// A TLS connection from a verified agent.
pub(crate) struct AgentConnection {
    tls: TlsStream<TcpStream>,
    peer: Peer,
}

impl Connected for AgentConnection {
    type ConnectInfo = Peer;

    fn connect_info(&self) -> Peer {
        self.peer.clone()
    }
}

impl AsyncRead for AgentConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_read(cx, buf)
    }
}

impl AsyncWrite for AgentConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tls.is_write_vectored()
    }
}

/// Accepts until `stop` is cancelled or the receiver is dropped; returns the stream of verified
/// connections for tonic.
pub(crate) fn spawn(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    handshake_timeout: Duration,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) -> mpsc::Receiver<io::Result<AgentConnection>> {
    let (ready, connections) = mpsc::channel(READY_QUEUE);
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = stop.cancelled() => break,
                () = ready.closed() => break,
                accepted = listener.accept() => accepted,
            };
            let (tcp, remote_addr) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, %remote_addr, "cannot set TCP_NODELAY");
            }
            let handshake = handshake(acceptor.clone(), tcp, remote_addr, handshake_timeout);
            let (ready, metrics) = (ready.clone(), Arc::clone(&metrics));
            tokio::spawn(async move {
                match handshake.await {
                    Ok(connection) => {
                        // The receiver is gone only when the server is shutting down.
                        let _ = ready.send(Ok(connection)).await;
                    }
                    Err(reason) => {
                        Metrics::add(&metrics.handshakes_refused, 1);
                        tracing::warn!(%remote_addr, %reason, "tls handshake refused");
                    }
                }
            });
        }
        tracing::debug!("acceptor stopped");
    });
    connections
}

async fn handshake(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    remote_addr: SocketAddr,
    timeout: Duration,
) -> Result<AgentConnection, String> {
    let tls = match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => return Err(error.to_string()),
        Err(_) => return Err(format!("no handshake within {timeout:?}")),
    };
    // The verifier has checked this certificate and its identity; reading it again here only
    // fails if rustls did not keep it, which would be a bug, so it is refused, not trusted.
    let agent = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .ok_or_else(|| "no client certificate after the handshake".to_owned())
        .and_then(|cert| AgentCert::from_der(cert).map_err(|error| error.to_string()))?;
    Ok(AgentConnection {
        tls,
        peer: Peer { agent, remote_addr },
    })
}
