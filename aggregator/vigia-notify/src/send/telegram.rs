//! Telegram Bot API: `POST {api}/bot{token}/sendMessage` with a JSON body, HTML parse mode.
//!
//! Answers are `{"ok":true,"result":{...}}` or `{"ok":false,"error_code":429,"description":
//! "Too Many Requests: retry after 5","parameters":{"retry_after":5}}`. Flood limits are about one
//! message per second per chat and twenty per minute per group.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use vigia_correlate::Notice;

use super::{BODY_LIMIT, SendError, excerpt, read_body, retry_after_header, transport_error};
use crate::config::TelegramTarget;
use crate::render::{RenderOptions, telegram_text};

/// Wait when a 429 says neither `retry_after` nor `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    migrate_to_chat_id: Option<i64>,
}

pub(super) async fn send(
    http: &reqwest::Client,
    target: &TelegramTarget,
    render: &RenderOptions,
    notice: &Notice,
) -> Result<(), SendError> {
    let url = format!(
        "{}/bot{}/sendMessage",
        target.api_url,
        target.bot_token.expose()
    );
    // A numeric chat id goes as a number, `@channel` as a string.
    let chat_id = match target.chat_id.parse::<i64>() {
        Ok(id) => json!(id),
        Err(_) => json!(target.chat_id),
    };
    let body = json!({
        "chat_id": chat_id,
        "text": telegram_text(notice, render),
        "parse_mode": "HTML",
        "link_preview_options": { "is_disabled": true },
    });
    let response = http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| transport_error("telegram", e))?;
    let status = response.status();
    let header_delay = retry_after_header(response.headers());
    let raw = read_body(response, BODY_LIMIT).await;
    let answer: Option<Answer> = serde_json::from_slice(&raw).ok();
    classify(status, header_delay, answer, &raw)
}

fn classify(
    status: reqwest::StatusCode,
    header_delay: Option<Duration>,
    answer: Option<Answer>,
    raw: &[u8],
) -> Result<(), SendError> {
    if status.is_success() {
        // Accepted. A 2xx without `"ok": true` is odd, but sending again could duplicate.
        if !answer.as_ref().is_some_and(|a| a.ok) {
            tracing::warn!(%status, "telegram answered success without ok=true");
        }
        return Ok(());
    }
    let description = answer
        .as_ref()
        .and_then(|a| a.description.clone())
        .unwrap_or_else(|| excerpt(&String::from_utf8_lossy(raw), 200));
    let parameters = answer.as_ref().and_then(|a| a.parameters.as_ref());
    if let Some(seconds) = parameters.and_then(|p| p.retry_after) {
        return Err(SendError::RetryAfter(Duration::from_secs(seconds)));
    }
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(SendError::RetryAfter(
            header_delay.unwrap_or(DEFAULT_RETRY_AFTER),
        ));
    }
    if status.is_server_error() {
        return Err(SendError::Transient(format!(
            "telegram answered {status}: {description}"
        )));
    }
    if let Some(new_id) = parameters.and_then(|p| p.migrate_to_chat_id) {
        return Err(SendError::Permanent(format!(
            "telegram refused the message ({status}): {description}; the group became a \
             supergroup: set chat_id = {new_id}"
        )));
    }
    Err(SendError::Permanent(format!(
        "telegram refused the message ({status}): {description}"
    )))
}
