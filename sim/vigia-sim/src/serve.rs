//! Starting the simulator's servers: the control API, each vendor API and each concentrator's
//! RouterOS API, on the scenario's addresses (or ephemeral ports, for tests).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::world::Vendor;
use crate::{Sim, control, vendor};

/// The running simulator: where each service listens.
#[derive(Debug)]
pub struct Running {
    /// `(service, address)`: `control`, vendor names, and `routeros:<concentrator id>`.
    pub services: Vec<(String, SocketAddr)>,
    tasks: JoinSet<()>,
}

impl Running {
    /// The address of a service (`control`, `smartolt`, `routeros:bng-centro`, ...).
    pub fn addr(&self, service: &str) -> Option<SocketAddr> {
        self.services
            .iter()
            .find(|(name, _)| name == service)
            .map(|(_, addr)| *addr)
    }

    /// Waits until a server stops (they run until the process ends).
    pub async fn wait(mut self) {
        let _ = self.tasks.join_next().await;
    }

    /// Stops every server.
    pub fn stop(mut self) {
        self.tasks.abort_all();
    }
}

/// Starts every service. With `ephemeral`, all listen on `127.0.0.1:0` (tests run in parallel).
pub async fn start(sim: Arc<Sim>, ephemeral: bool) -> Result<Running> {
    let listen = sim.scenario().listen.clone();
    let mut running = Running {
        services: Vec::new(),
        tasks: JoinSet::new(),
    };
    let mut http: Vec<(&str, SocketAddr, axum::Router)> =
        vec![("control", listen.control, control::router(sim.clone()))];
    for (name, vendor, router) in vendor::routers(&sim) {
        let addr = match vendor {
            Vendor::Smartolt => listen.smartolt,
            Vendor::Ixc => listen.ixc,
            Vendor::Ispcube => listen.ispcube,
            Vendor::Cnmaestro => listen.cnmaestro,
            Vendor::Routeros => continue,
        };
        http.push((name, addr, vendor::with_outages(router, &sim, vendor)));
    }
    for (name, addr, router) in http {
        let addr = if ephemeral {
            SocketAddr::from(([127, 0, 0, 1], 0))
        } else {
            addr
        };
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for {name} on {addr}"))?;
        let bound = listener.local_addr()?;
        running.services.push((name.to_owned(), bound));
        running.tasks.spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, service = name, "server stopped");
            }
        });
    }
    for server in crate::routeros::bind(&sim, ephemeral).await? {
        running
            .services
            .push((server.service().to_owned(), server.local_addr()?));
        running.tasks.spawn(server.run());
    }
    Ok(running)
}
