//! The vendor views of the world, one module per vendor system, and what they share: the
//! behaviour of a vendor API under a `vendor_outage` fault.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Sim;
use crate::world::{Vendor, VendorMode};

// One module per vendor HTTP API; each exposes `pub fn router(sim: Arc<Sim>) -> axum::Router`.
// (RouterOS is not HTTP: see `crate::routeros`.)
pub mod cnmaestro;
pub mod ispcube;
pub mod ixc;
pub mod smartolt;

/// Every vendor HTTP API: its service name, vendor (for outages) and router, unwrapped.
/// `serve` binds each on the scenario's address and adds the outage behaviour.
pub(crate) fn routers(sim: &Arc<Sim>) -> Vec<(&'static str, Vendor, axum::Router)> {
    vec![
        // (service name, Vendor, module::router(sim.clone())),
        (
            "cnmaestro",
            Vendor::Cnmaestro,
            cnmaestro::router(sim.clone()),
        ),
        ("ispcube", Vendor::Ispcube, ispcube::router(sim.clone())),
        ("ixc", Vendor::Ixc, ixc::router(sim.clone())),
        ("smartolt", Vendor::Smartolt, smartolt::router(sim.clone())),
    ]
}

/// How long a hung vendor keeps the request open (clients give up much earlier).
const HANG: Duration = Duration::from_secs(600);

/// Middleware state: which vendor a router serves.
#[derive(Clone)]
pub(crate) struct Outage {
    pub sim: Arc<Sim>,
    pub vendor: Vendor,
}

/// Applies a `vendor_outage` fault: 503 with an HTML page (`down`), a delay (`slow`) or no
/// answer (`hang`).
pub(crate) async fn outage_layer(
    State(o): State<Outage>,
    request: Request,
    next: Next,
) -> Response {
    let mode = o.sim.world().vendor_mode(o.vendor);
    match mode {
        Some((VendorMode::Down, _)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            Body::from(
                "<html><head><title>503 Service Temporarily Unavailable</title></head>\
                 <body><center><h1>503 Service Temporarily Unavailable</h1></center>\
                 <hr><center>nginx</center></body></html>\n",
            ),
        )
            .into_response(),
        Some((VendorMode::Slow, delay_ms)) => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            next.run(request).await
        }
        Some((VendorMode::Hang, _)) => {
            tokio::time::sleep(HANG).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        None => next.run(request).await,
    }
}

/// Wraps a vendor router with the outage behaviour.
pub(crate) fn with_outages(router: axum::Router, sim: &Arc<Sim>, vendor: Vendor) -> axum::Router {
    router.layer(axum::middleware::from_fn_with_state(
        Outage {
            sim: sim.clone(),
            vendor,
        },
        outage_layer,
    ))
}
