//! The local `/metrics` HTTP endpoint (hyper, HTTP/1.1). Anything else is a 404; only GET and
//! HEAD are accepted. Meant for a Prometheus on the same host or management network: it listens
//! where the config says (default loopback) and has no authentication.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Renders the exposition text at scrape time.
pub(crate) type Render = Arc<dyn Fn() -> String + Send + Sync>;

/// Serves until `shutdown`; connections in progress are dropped then.
pub(crate) async fn serve(listener: TcpListener, render: Render, shutdown: CancellationToken) {
    loop {
        let (stream, _) = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "metrics listener accept failed");
                    continue;
                }
            },
        };
        let render = Arc::clone(&render);
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| respond(req, Arc::clone(&render)));
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                () = shutdown.cancelled() => {}
                result = conn => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "metrics connection ended with an error");
                    }
                }
            }
        });
    }
}

async fn respond(
    req: Request<Incoming>,
    render: Render,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/metrics") => (StatusCode::OK, render()),
        (&Method::GET | &Method::HEAD, _) => (
            StatusCode::NOT_FOUND,
            "not found: try /metrics\n".to_owned(),
        ),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET /metrics\n".to_owned(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
