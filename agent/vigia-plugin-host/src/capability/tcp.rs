//! The `tcp` capability: TCP streams, optionally TLS (tokio-rustls), to granted `host:port` pairs.
//!
//! Connections are WIT resources held in the run's `ResourceTable`; they close when the guest
//! drops them or when the run's store goes away. Every connect, read and write is bounded by the
//! plugin's timeout and the run's deadline. A probe with a call budget spends one token per
//! granted connect (`crate::budget`); reads and writes are not metered.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use wasmtime::component::Resource;

use crate::bindings::vigia::plugin::tcp::{Host, HostConnection, TlsOptions};
use crate::bindings::vigia::plugin::types::HostError as WitHostError;
use crate::error_chain;
use crate::grants::{denied_text, host_port_text};
use crate::state::HostState;

/// Open connections one run may hold at once.
const MAX_CONNECTIONS: usize = 16;
/// Largest single read.
const MAX_READ_BYTES: u32 = 1 << 20;

/// An open stream, plain or TLS.
pub struct Connection {
    peer: String,
    stream: Stream,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

type HostResult<T> = wasmtime::Result<Result<T, WitHostError>>;

/// Connects (and handshakes, with `tls`) within `timeout`.
async fn open(
    host: &str,
    port: u16,
    tls: Option<(TlsOptions, Arc<rustls::ClientConfig>)>,
    timeout: Duration,
) -> Result<Connection, WitHostError> {
    let peer = host_port_text(host, port);
    let connect = async {
        let tcp = TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))
            .await
            .map_err(|e| WitHostError::Unreachable(format!("connect to {peer}: {e}")))?;
        // Small request/response protocols: send each write at once.
        let _ = tcp.set_nodelay(true);
        let Some((options, config)) = tls else {
            return Ok(Stream::Plain(tcp));
        };
        let name = options.server_name.unwrap_or_else(|| host.to_owned());
        let server_name = ServerName::try_from(name.clone()).map_err(|_| {
            WitHostError::InvalidArgument(format!("'{name}' is not a valid TLS server name"))
        })?;
        let connector = TlsConnector::from(config);
        let stream = connector.connect(server_name, tcp).await.map_err(|e| {
            WitHostError::Protocol(format!("tls handshake with {peer}: {}", error_chain(&e)))
        })?;
        Ok(Stream::Tls(Box::new(stream)))
    };
    let stream = tokio::time::timeout(timeout, connect)
        .await
        .map_err(|_| WitHostError::Timeout)??;
    Ok(Connection { peer, stream })
}

impl Host for HostState {
    async fn connect(
        &mut self,
        host: String,
        port: u16,
        tls: Option<TlsOptions>,
        timeout_ms: u32,
    ) -> HostResult<Resource<Connection>> {
        self.charge()?;
        if !self.grants.allows_tcp(&host, port) {
            let what = format!("tcp to {}", host_port_text(&host, port));
            return Ok(Err(WitHostError::Denied(denied_text(
                &what,
                &self.plugin,
                "it to this probe's grants.tcp",
            ))));
        }
        if self.tcp_open >= MAX_CONNECTIONS {
            return Ok(Err(WitHostError::BudgetExhausted(format!(
                "at most {MAX_CONNECTIONS} open tcp connections per run"
            ))));
        }
        let timeout = match self.io_timeout(timeout_ms) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = self.spend_budget() {
            return Ok(Err(e));
        }
        let tls = tls.map(|options| (options, self.services.tls.get(self.grants.tls_skip_verify)));
        match open(&host, port, tls, timeout).await {
            Ok(conn) => {
                let handle = self.table.push(conn)?;
                self.tcp_open += 1;
                Ok(Ok(handle))
            }
            Err(e) => Ok(Err(e)),
        }
    }
}

impl HostConnection for HostState {
    async fn read(
        &mut self,
        conn: Resource<Connection>,
        max_bytes: u32,
        timeout_ms: u32,
    ) -> HostResult<Vec<u8>> {
        self.charge()?;
        let timeout = match self.io_timeout(timeout_ms) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let conn = self.table.get_mut(&conn)?;
        let mut buf = vec![0u8; max_bytes.clamp(1, MAX_READ_BYTES) as usize];
        let read = async {
            match &mut conn.stream {
                Stream::Plain(s) => s.read(&mut buf).await,
                Stream::Tls(s) => s.read(&mut buf).await,
            }
        };
        Ok(match tokio::time::timeout(timeout, read).await {
            Err(_) => Err(WitHostError::Timeout),
            Ok(Err(e)) => Err(WitHostError::Unreachable(format!(
                "read from {}: {e}",
                conn.peer
            ))),
            Ok(Ok(n)) => {
                buf.truncate(n);
                Ok(buf)
            }
        })
    }

    async fn write(
        &mut self,
        conn: Resource<Connection>,
        data: Vec<u8>,
        timeout_ms: u32,
    ) -> HostResult<()> {
        self.charge()?;
        let timeout = match self.io_timeout(timeout_ms) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let conn = self.table.get_mut(&conn)?;
        let write = async {
            match &mut conn.stream {
                Stream::Plain(s) => s.write_all(&data).await,
                Stream::Tls(s) => {
                    s.write_all(&data).await?;
                    s.flush().await
                }
            }
        };
        Ok(match tokio::time::timeout(timeout, write).await {
            Err(_) => Err(WitHostError::Timeout),
            Ok(Err(e)) => Err(WitHostError::Unreachable(format!(
                "write to {}: {e}",
                conn.peer
            ))),
            Ok(Ok(())) => Ok(()),
        })
    }

    async fn drop(&mut self, conn: Resource<Connection>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        self.tcp_open = self.tcp_open.saturating_sub(1);
        Ok(())
    }
}
