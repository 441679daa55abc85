//! Dialling the aggregator: TCP, then TLS with the agent's rustls config, then HTTP/2 by tonic.
//!
//! TLS is done here rather than by tonic's TLS features so that the exact `ClientConfig` checked
//! at startup (ring provider, ALPN h2, the agent's certificate) is the one used. tonic is given
//! an `http://` origin for the channel: if any crate in the build turns on a tonic TLS feature,
//! tonic refuses `https://` URIs whose TLS it does not do itself, so the scheme it sees must not
//! be `https` (the bytes on the wire are TLS either way; the scheme only fills `:scheme`).

mod tap;

use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tonic::transport::{Channel, Endpoint, Uri};

use crate::config::UplinkConfig;
use crate::error::{ConfigError, DialError, LinkError};

pub(crate) use tap::FirstError;
use tap::Tapped;

/// How to reach the aggregator; cheap to clone, built once from the config.
#[derive(Clone)]
pub(crate) struct Dialer {
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    tls: TlsConnector,
    endpoint: Endpoint,
    display: String,
}

impl Dialer {
    pub(crate) fn new(config: &UplinkConfig) -> Result<Self, ConfigError> {
        let (host, port) = config.target()?;
        let origin = if host.contains(':') {
            format!("http://[{host}]:{port}")
        } else {
            format!("http://{host}:{port}")
        };
        let endpoint = Endpoint::from_shared(origin)
            .map_err(|_| ConfigError::Endpoint {
                endpoint: config.endpoint.clone(),
                reason: "not a valid origin",
            })?
            .connect_timeout(config.connect_timeout)
            // Dead peers behind NAT are found by pings, not by waiting for TCP to notice.
            .http2_keep_alive_interval(Duration::from_secs(20))
            .keep_alive_timeout(Duration::from_secs(20))
            .keep_alive_while_idle(true);
        Ok(Self {
            host,
            port,
            server_name: config.server_name()?,
            tls: TlsConnector::from(config.tls.client_config()),
            endpoint,
            display: config.endpoint.clone(),
        })
    }

    /// Connects TCP + TLS + HTTP/2; `connect_timeout` bounds the whole of it. The returned
    /// [`FirstError`] holds the connection's first I/O error once there is one.
    pub(crate) async fn connect(&self) -> Result<(Channel, FirstError), LinkError> {
        let dialer = self.clone();
        let first_error = FirstError::default();
        let tap = first_error.clone();
        let connector = tower::service_fn(move |_: Uri| {
            let (dialer, tap) = (dialer.clone(), tap.clone());
            async move {
                let tls = dialer.tls_stream().await?;
                Ok::<_, DialError>(TokioIo::new(Tapped::new(tls, tap)))
            }
        });
        let channel = self
            .endpoint
            .connect_with_connector(connector)
            .await
            .map_err(|source| LinkError::Connect {
                endpoint: self.display.clone(),
                source,
            })?;
        Ok((channel, first_error))
    }

    async fn tls_stream(&self) -> Result<TlsStream<TcpStream>, DialError> {
        let addr = format!("{}:{}", self.host, self.port);
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|source| DialError::Tcp {
                addr: addr.clone(),
                source,
            })?;
        // Small messages (acks, heartbeats) should not wait for Nagle.
        tcp.set_nodelay(true)
            .map_err(|source| DialError::Tcp { addr, source })?;
        let tls = self
            .tls
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|source| DialError::Handshake {
                server_name: self.server_name.to_str().into_owned(),
                source,
            })?;
        match tls.get_ref().1.alpn_protocol() {
            // Absent ALPN: the server may still speak h2; tonic finds out at once if not.
            None | Some(b"h2") => Ok(tls),
            Some(other) => Err(DialError::NotH2 {
                protocol: String::from_utf8_lossy(other).into_owned(),
            }),
        }
    }
}
