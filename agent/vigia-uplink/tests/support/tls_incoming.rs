//! The test aggregator's side of TLS: accept TCP, require a client certificate from the given
//! CA, and hand tonic finished TLS streams. tonic's own TLS features stay off (like the uplink);
//! the client's leaf certificate reaches the service as a request extension ([`PeerCert`]).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use super::pki::Pem;

/// DER of the client's leaf certificate, as the service sees it.
#[derive(Debug, Clone)]
pub struct PeerCert(pub Vec<u8>);

/// A server TLS stream that tonic can serve.
pub struct Conn(TlsStream<TcpStream>);

impl Connected for Conn {
    type ConnectInfo = PeerCert;

    fn connect_info(&self) -> PeerCert {
        let certs = self.0.get_ref().1.peer_certificates().unwrap_or_default();
        PeerCert(certs.first().map(|c| c.to_vec()).unwrap_or_default())
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// rustls server config: the server certificate, client certificates required from `client_ca`.
pub fn server_config(server: &Pem, client_ca_pem: &str) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(client_ca_pem.as_bytes()) {
        roots.add(cert.expect("ca pem")).expect("ca usable");
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("client verifier");
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(server.cert.as_bytes())
            .collect::<Result<_, _>>()
            .expect("server cert pem");
    let key = PrivateKeyDer::from_pem_slice(server.key.as_bytes()).expect("server key pem");
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .expect("server identity");
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// Accepts connections until `stop`, doing each handshake in its own task so a failing client
/// cannot hold up others. Failed handshakes are counted in `failures`.
pub fn incoming(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    failures: Arc<AtomicU64>,
    stop: CancellationToken,
) -> ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = mpsc::channel(16);
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let tcp = tokio::select! {
                () = stop.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok((tcp, _)) => tcp,
                    Err(_) => continue,
                },
            };
            let (acceptor, tx, failures, stop) =
                (acceptor.clone(), tx.clone(), failures.clone(), stop.clone());
            tokio::spawn(async move {
                tokio::select! {
                    () = stop.cancelled() => {}
                    tls = acceptor.accept(tcp) => match tls {
                        Ok(tls) => {
                            let _ = tx.send(Ok(Conn(tls))).await;
                        }
                        Err(_) => {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                }
            });
        }
        // Dropping the listener here closes the port.
    });
    ReceiverStream::new(rx)
}
