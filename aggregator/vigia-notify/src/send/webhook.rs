//! Webhooks: a signed JSON `POST` (see the crate docs for the headers and the signature).

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use vigia_correlate::Notice;

use super::{SendError, excerpt, read_body, retry_after_header, transport_error};
use crate::config::WebhookTarget;
use crate::render::webhook_body;
use crate::signature::{HEADER_DELIVERY, HEADER_NOTICE, HEADER_SIGNATURE, HEADER_TIMESTAMP, sign};

pub(super) async fn send(
    http: &reqwest::Client,
    target: &WebhookTarget,
    delivery_id: u64,
    notice: &Notice,
) -> Result<(), SendError> {
    let body = webhook_body(notice)
        .map_err(|e| SendError::Permanent(format!("cannot encode the notice: {e}")))?;
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let signature = sign(target.secret.expose().as_bytes(), timestamp, &body);
    let mut headers = HeaderMap::new();
    // Names and values were validated at load; an invalid one is skipped.
    for (name, value) in &target.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            headers.insert(name, value);
        }
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        HEADER_NOTICE,
        HeaderValue::from_static(notice.kind.as_str()),
    );
    headers.insert(HEADER_DELIVERY, HeaderValue::from(delivery_id));
    headers.insert(HEADER_TIMESTAMP, HeaderValue::from(timestamp));
    let signature = HeaderValue::try_from(signature)
        .map_err(|e| SendError::Permanent(format!("invalid signature header: {e}")))?;
    headers.insert(HEADER_SIGNATURE, signature);

    let response = http
        .post(&target.url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(|e| transport_error("webhook", e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let header_delay = retry_after_header(response.headers());
    let raw = read_body(response, 4096).await;
    let text = excerpt(&String::from_utf8_lossy(&raw), 200);
    let detail = if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    };
    if let Some(delay) = header_delay
        && matches!(status.as_u16(), 429 | 503)
    {
        return Err(SendError::RetryAfter(delay));
    }
    match status.as_u16() {
        408 | 425 | 429 => Err(SendError::Transient(format!(
            "webhook answered {status}{detail}"
        ))),
        500..=599 => Err(SendError::Transient(format!(
            "webhook answered {status}{detail}"
        ))),
        300..=399 => Err(SendError::Permanent(format!(
            "webhook answered {status} (redirects are not followed: configure the final URL)"
        ))),
        _ => Err(SendError::Permanent(format!(
            "webhook refused the notice ({status}){detail}"
        ))),
    }
}
