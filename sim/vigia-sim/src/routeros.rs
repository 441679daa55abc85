//! The MikroTik RouterOS binary API (TCP 8728) of every concentrator of the world, one server
//! each, on the wire codec of `vigia-routeros`.
//!
//! What it serves, as a real concentrator would:
//! - login: `/login =name= =password=` on RouterOS 6.43 and later; older versions (the
//!   scenario's `routeros_version`) answer any `/login` without `=response=` with
//!   `!done =ret=<challenge>` and accept `=response=00<md5>`. Refused credentials:
//!   `!trap =message=invalid user name or password (6)`; any command before login:
//!   `!trap =message=not logged in`.
//! - `print` (and `getall`) of `/ppp/active`, `/ppp/secret` (password included, as RouterOS
//!   prints it), `/interface`, `/system/resource`, `/system/identity`, with `=.proplist=` and
//!   query words (`?name=x`, `?=name=x`, `?-name`, `?<`, `?>`, `?#|&!.`); `!empty` before
//!   `!done` when nothing matched on 7.18 and later. Every reply carries the request's `.tag`;
//!   every `!trap` is followed by `!done`.
//! - `/ppp/active/listen`: the world's session changes for this concentrator as they happen
//!   (new session: its row; ended: `=.id=*X =.dead=yes`), until `/cancel =tag=N`
//!   (`!trap =category=2 =message=interrupted` for N, `!done` for the cancel, `!done` for N).
//! - Unknown commands: `!trap =category=0 =message=no such command prefix`; `/quit`: `!fatal`.
//!
//! Bounds: [`MAX_CONNECTIONS`] per router (more get `!fatal` and are closed), the codec's
//! sentence limits (malformed or oversized input gets `!fatal` and the connection is closed;
//! the server goes on), and an idle timeout for connections with no listen running.
//!
//! A `vendor_outage` fault for `routeros` applies to every concentrator: `down` closes new and
//! existing connections without an answer, `slow` delays every reply, `hang` accepts and never
//! answers. What it does not do: TLS (8729), REST, writes (`add`, `set`, `remove`).

mod connection;
mod format;
mod menus;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use vigia_routeros::Reply;

use crate::Sim;
use crate::world::{Vendor, VendorMode};

pub use connection::{IDLE_TIMEOUT, LIMITS};
use format::Version;
use menus::Router;

/// Open API connections per router (RouterOS's `/ip service` `max-sessions`).
pub const MAX_CONNECTIONS: usize = 64;
/// How long ago the simulated routers booted (their `uptime`).
const UPTIME_AT_START: time::Duration = time::Duration::days(23);

/// What every connection of one router shares.
pub(crate) struct Shared {
    sim: Arc<Sim>,
    router: Router,
}

/// One concentrator's API, bound and ready to serve.
pub struct Server {
    service: String,
    listener: TcpListener,
    shared: Arc<Shared>,
    slots: Arc<Semaphore>,
}

/// Binds the API of every concentrator on its `api_listen` (or `127.0.0.1:0` with `ephemeral`).
pub async fn bind(sim: &Arc<Sim>, ephemeral: bool) -> Result<Vec<Server>> {
    let routers: Vec<(String, SocketAddr, String)> = sim
        .world()
        .concentrators
        .iter()
        .map(|c| (c.id.clone(), c.api_listen, c.routeros_version.clone()))
        .collect();
    let booted = OffsetDateTime::now_utc() - UPTIME_AT_START;
    let mut servers = Vec::new();
    for (index, (id, addr, version)) in routers.into_iter().enumerate() {
        let addr = if ephemeral {
            SocketAddr::from(([127, 0, 0, 1], 0))
        } else {
            addr
        };
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for the RouterOS API of {id} on {addr}"))?;
        servers.push(Server {
            service: format!("routeros:{id}"),
            listener,
            shared: Arc::new(Shared {
                sim: sim.clone(),
                router: Router {
                    index,
                    version: Version::parse(&version),
                    booted,
                },
            }),
            slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
        });
    }
    Ok(servers)
}

impl Server {
    /// `routeros:<concentrator id>`.
    pub fn service(&self) -> &str {
        &self.service
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .context("a bound listener has an address")
    }

    /// Accepts connections until the task is dropped (which ends its connections too).
    pub async fn run(self) {
        let mut connections = JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let stream = match self.listener.accept().await {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, service = %self.service, "accept failed");
                    continue;
                }
            };
            let mode = self.shared.sim.world().vendor_mode(Vendor::Routeros);
            if let Some((VendorMode::Down, _)) = mode {
                drop(stream);
                continue;
            }
            match self.slots.clone().try_acquire_owned() {
                Ok(slot) => {
                    let shared = self.shared.clone();
                    connections.spawn(async move {
                        connection::serve(stream, shared).await;
                        drop(slot);
                    });
                }
                Err(_) => {
                    connections.spawn(refuse(stream));
                }
            }
        }
    }
}

/// Over the connection limit: `!fatal` and close.
async fn refuse(mut stream: TcpStream) {
    if let Ok(bytes) = Reply::fatal("too many connections").encode() {
        let _ = stream.write_all(&bytes).await;
    }
    let _ = stream.shutdown().await;
}
