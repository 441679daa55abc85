//! WhatsApp Cloud API: `POST {api}/{version}/{phone_number_id}/messages` with a Bearer token and
//! a template message:
//!
//! ```json
//! {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "5511999990000",
//!  "type": "template", "template": {"name": "vigia_outage", "language": {"code": "pt_BR"},
//!  "components": [{"type": "body", "parameters": [{"type": "text", "text": "..."}]}]}}
//! ```
//!
//! Errors are `{"error": {"message", "type", "code", "error_subcode", "error_data":
//! {"details"}, "fbtrace_id"}}`. Rate limits (codes 4, 80007, 130429, 131056) carry no delay, so
//! this waits a fixed time per code unless a `Retry-After` header says otherwise.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use vigia_correlate::Notice;

use super::{BODY_LIMIT, SendError, excerpt, read_body, retry_after_header, transport_error};
use crate::config::WhatsAppTarget;
use crate::render::{RenderOptions, whatsapp_parameters};

/// How long to wait after a rate-limit error code, or `None` if the code is not one.
fn rate_limit_delay(code: i64) -> Option<Duration> {
    match code {
        // Application-level API call limit; WABA rate limit.
        4 | 80007 => Some(Duration::from_secs(60)),
        // Cloud API throughput reached.
        130429 => Some(Duration::from_secs(10)),
        // Business/consumer pair limit: about one message per six seconds to the same number.
        131056 => Some(Duration::from_secs(6)),
        _ => None,
    }
}

/// Codes Meta documents as temporary (unknown error, service unavailable, generic failure).
fn is_temporary(code: i64) -> bool {
    matches!(code, 1 | 2 | 131000 | 133004)
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: ApiError,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    error_data: Option<ErrorData>,
    #[serde(default)]
    fbtrace_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: Option<String>,
}

pub(super) async fn send(
    http: &reqwest::Client,
    target: &WhatsAppTarget,
    render: &RenderOptions,
    notice: &Notice,
) -> Result<(), SendError> {
    let url = format!(
        "{}/{}/{}/messages",
        target.api_url, target.api_version, target.phone_number_id
    );
    let parameters: Vec<_> = whatsapp_parameters(notice, &target.parameters, render)
        .into_iter()
        .map(|text| json!({ "type": "text", "text": text }))
        .collect();
    let mut template = json!({
        "name": target.template,
        "language": { "code": target.language },
    });
    if !parameters.is_empty() {
        template["components"] = json!([{ "type": "body", "parameters": parameters }]);
    }
    let body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": target.to,
        "type": "template",
        "template": template,
    });
    let response = http
        .post(url)
        .bearer_auth(target.access_token.expose())
        .json(&body)
        .send()
        .await
        .map_err(|e| transport_error("whatsapp", e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let header_delay = retry_after_header(response.headers());
    let raw = read_body(response, BODY_LIMIT).await;
    let error = serde_json::from_slice::<ErrorAnswer>(&raw)
        .ok()
        .map(|a| a.error);
    classify(status, header_delay, error, &raw)
}

fn classify(
    status: reqwest::StatusCode,
    header_delay: Option<Duration>,
    error: Option<ApiError>,
    raw: &[u8],
) -> Result<(), SendError> {
    let code = error.as_ref().and_then(|e| e.code);
    let description = match &error {
        Some(e) => {
            let mut text = format!("{} (code {})", e.message, code.unwrap_or_default());
            if let Some(details) = e.error_data.as_ref().and_then(|d| d.details.as_deref()) {
                text.push_str(": ");
                text.push_str(details);
            }
            if let Some(trace) = &e.fbtrace_id {
                text.push_str(&format!(" [fbtrace_id {trace}]"));
            }
            excerpt(&text, 400)
        }
        None => excerpt(&String::from_utf8_lossy(raw), 200),
    };
    if let Some(delay) = code.and_then(rate_limit_delay) {
        return Err(SendError::RetryAfter(header_delay.unwrap_or(delay)));
    }
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(SendError::RetryAfter(
            header_delay.unwrap_or(Duration::from_secs(60)),
        ));
    }
    if status.is_server_error() || code.is_some_and(is_temporary) {
        return Err(SendError::Transient(format!(
            "whatsapp answered {status}: {description}"
        )));
    }
    Err(SendError::Permanent(format!(
        "whatsapp refused the message ({status}): {description}"
    )))
}
