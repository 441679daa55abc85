//! A fake webhook receiver that verifies signatures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use tokio::time::Instant;

use super::recorder::{Recorder, WaitTimeout};
use super::server::{Server, lock};
use crate::signature;

/// One delivery the fake received.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    pub path: String,
    /// `X-Vigia-Notice`.
    pub notice: Option<String>,
    /// `X-Vigia-Delivery`.
    pub delivery: Option<String>,
    /// `X-Vigia-Timestamp`.
    pub timestamp: Option<u64>,
    /// `X-Vigia-Signature`.
    pub signature: Option<String>,
    /// Every header, names lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the signature verified with the fake's secret.
    pub verified: bool,
    /// What the fake answered.
    pub status: u16,
    pub at: Instant,
}

impl WebhookDelivery {
    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
struct Shared {
    secret: Vec<u8>,
    requests: Recorder<WebhookDelivery>,
    server_errors: Mutex<u32>,
}

/// A fake webhook receiver on loopback: answers 204 to a `POST` (any path) whose signature
/// verifies, 401 to one whose does not, and records both. See the [module docs](crate::testing).
#[derive(Debug)]
pub struct FakeWebhook {
    server: Server,
    shared: Arc<Shared>,
}

impl FakeWebhook {
    /// Starts a receiver that verifies signatures with this secret.
    pub async fn start(secret: &str) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            secret: secret.as_bytes().to_vec(),
            requests: Recorder::new(),
            server_errors: Mutex::new(0),
        });
        let router = Router::new().fallback(handle).with_state(shared.clone());
        Ok(Self {
            server: Server::start(router).await?,
            shared,
        })
    }

    /// The URL to post to (`{base}/hook`).
    pub fn url(&self) -> String {
        format!("{}/hook", self.server.url())
    }

    /// Answers the next `n` deliveries with 500.
    pub fn fail_next(&self, n: u32) {
        *lock(&self.shared.server_errors) = n;
    }

    /// Every delivery received, in arrival order.
    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.requests.all()
    }

    /// Waits until `n` deliveries arrived (any answer), at most `timeout`.
    pub async fn wait_for_deliveries(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<WebhookDelivery>, WaitTimeout> {
        self.shared.requests.wait_for(n, timeout).await
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let at = Instant::now();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let timestamp = header(signature::HEADER_TIMESTAMP).and_then(|t| t.parse::<u64>().ok());
    let signature = header(signature::HEADER_SIGNATURE);
    let verified = match (timestamp, &signature) {
        (Some(ts), Some(sig)) => signature::verify(&shared.secret, ts, &body, sig),
        _ => false,
    };
    let status = {
        let mut failures = lock(&shared.server_errors);
        if *failures > 0 {
            *failures -= 1;
            StatusCode::INTERNAL_SERVER_ERROR
        } else if !verified {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::NO_CONTENT
        }
    };
    shared.requests.push(WebhookDelivery {
        path: uri.path().to_owned(),
        notice: header(signature::HEADER_NOTICE),
        delivery: header(signature::HEADER_DELIVERY),
        timestamp,
        signature,
        headers: headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
        verified,
        status: status.as_u16(),
        at,
    });
    status
}
