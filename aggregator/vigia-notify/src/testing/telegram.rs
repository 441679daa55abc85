//! A fake Telegram Bot API (`sendMessage` only).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::recorder::{Recorder, WaitTimeout};
use super::server::{Server, lock};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct TelegramRequest {
    /// `chat_id` as sent (a number is shown as its digits).
    pub chat_id: String,
    pub text: String,
    pub parse_mode: Option<String>,
    /// What the fake answered.
    pub status: u16,
    /// When it arrived.
    pub at: Instant,
}

#[derive(Debug, Default)]
struct Script {
    rate_limited: u32,
    retry_after: u64,
    server_errors: u32,
    missing_chats: HashSet<String>,
}

#[derive(Debug)]
struct Shared {
    token: String,
    requests: Recorder<TelegramRequest>,
    script: Mutex<Script>,
    next_message_id: Mutex<u64>,
}

/// A fake Telegram Bot API on loopback. See the [module docs](crate::testing).
#[derive(Debug)]
pub struct FakeTelegram {
    server: Server,
    shared: Arc<Shared>,
}

impl FakeTelegram {
    /// Starts a fake bot API that accepts this bot token.
    pub async fn start(token: &str) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            requests: Recorder::new(),
            script: Mutex::new(Script::default()),
            next_message_id: Mutex::new(1),
        });
        let router = Router::new()
            .route("/{bot}/{method}", post(handle))
            .with_state(shared.clone());
        Ok(Self {
            server: Server::start(router).await?,
            shared,
        })
    }

    /// The base URL, for the channel's `api_url`.
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// Answers the next `n` messages with 429 and `retry_after = retry_after_secs`.
    pub fn rate_limit_next(&self, n: u32, retry_after_secs: u64) {
        let mut script = lock(&self.shared.script);
        script.rate_limited = n;
        script.retry_after = retry_after_secs;
    }

    /// Answers the next `n` messages with 502 Bad Gateway.
    pub fn fail_next(&self, n: u32) {
        lock(&self.shared.script).server_errors = n;
    }

    /// Answers messages to this chat with 400 "Bad Request: chat not found".
    pub fn chat_not_found(&self, chat_id: &str) {
        lock(&self.shared.script)
            .missing_chats
            .insert(chat_id.to_owned());
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<TelegramRequest> {
        self.shared.requests.all()
    }

    /// The messages accepted (answered 200).
    pub fn delivered(&self) -> Vec<TelegramRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.status == 200)
            .collect()
    }

    /// Waits until `n` requests arrived (any answer), at most `timeout`.
    pub async fn wait_for_requests(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<TelegramRequest>, WaitTimeout> {
        self.shared.requests.wait_for(n, timeout).await
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let field = |name: &str| -> Option<String> {
        parsed.as_ref().and_then(|v| match v.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let chat_id = field("chat_id").unwrap_or_default();
    let text = field("text").unwrap_or_default();
    let parse_mode = field("parse_mode");
    let (status, answer) = answer(
        &shared,
        &bot,
        &method,
        &chat_id,
        &text,
        parse_mode.as_deref(),
    );
    shared.requests.push(TelegramRequest {
        chat_id,
        text,
        parse_mode,
        status: status.as_u16(),
        at,
    });
    (status, axum::Json(answer)).into_response()
}

fn answer(
    shared: &Shared,
    bot: &str,
    method: &str,
    chat_id: &str,
    text: &str,
    parse_mode: Option<&str>,
) -> (StatusCode, Value) {
    if bot.strip_prefix("bot") != Some(shared.token.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized", None);
    }
    if method != "sendMessage" {
        return error(StatusCode::NOT_FOUND, "Not Found", None);
    }
    if chat_id.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "Bad Request: chat_id is empty",
            None,
        );
    }
    if text.trim().is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "Bad Request: message text is empty",
            None,
        );
    }
    {
        let mut script = lock(&shared.script);
        if script.rate_limited > 0 {
            script.rate_limited -= 1;
            let after = script.retry_after;
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Too Many Requests: retry after {after}"),
                Some(json!({ "retry_after": after })),
            );
        }
        if script.server_errors > 0 {
            script.server_errors -= 1;
            return error(StatusCode::BAD_GATEWAY, "Bad Gateway", None);
        }
        if script.missing_chats.contains(chat_id) {
            return error(StatusCode::BAD_REQUEST, "Bad Request: chat not found", None);
        }
    }
    if let Some(mode) = parse_mode {
        if !mode.eq_ignore_ascii_case("html") {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Bad Request: unsupported parse_mode {mode:?} in this fake"),
                None,
            );
        }
        if let Err(problem) = check_html(text) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Bad Request: can't parse entities: {problem}"),
                None,
            );
        }
    }
    let message_id = {
        let mut next = lock(&shared.next_message_id);
        let id = *next;
        *next += 1;
        id
    };
    (
        StatusCode::OK,
        json!({
            "ok": true,
            "result": {
                "message_id": message_id,
                "chat": { "id": chat_id },
                "date": 0,
                "text": text,
            }
        }),
    )
}

fn error(status: StatusCode, description: &str, parameters: Option<Value>) -> (StatusCode, Value) {
    let mut body = json!({
        "ok": false,
        "error_code": status.as_u16(),
        "description": description,
    });
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    (status, body)
}

/// Telegram's HTML rules, strictly: known tags, balanced; `&` starts a known entity; `<` is
/// always a tag.
fn check_html(text: &str) -> Result<(), String> {
    const TAGS: &[&str] = &[
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "blockquote",
    ];
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find(['<', '&']) {
        let after = &rest[pos..];
        if after.starts_with('&') {
            let end = after
                .find(';')
                .filter(|end| *end <= 10)
                .ok_or_else(|| format!("unescaped `&` at {:?}", excerpt(after)))?;
            let entity = &after[1..end];
            let numeric = entity
                .strip_prefix('#')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric()));
            if !numeric && !matches!(entity, "lt" | "gt" | "amp" | "quot") {
                return Err(format!("unsupported entity &{entity};"));
            }
            rest = &after[end + 1..];
            continue;
        }
        let end = after
            .find('>')
            .ok_or_else(|| format!("unclosed start tag at {:?}", excerpt(after)))?;
        let tag = &after[1..end];
        if let Some(name) = tag.strip_prefix('/') {
            match open.pop() {
                Some(top) if top == name.trim() => {}
                _ => return Err(format!("unmatched end tag </{name}>")),
            }
        } else {
            let name = tag.split_whitespace().next().unwrap_or_default();
            if !TAGS.contains(&name) {
                return Err(format!("unsupported start tag \"{name}\""));
            }
            open.push(name.to_owned());
        }
        rest = &after[end + 1..];
    }
    match open.pop() {
        Some(tag) => Err(format!(
            "can't find end tag corresponding to start tag \"{tag}\""
        )),
        None => Ok(()),
    }
}

fn excerpt(text: &str) -> String {
    text.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::check_html;

    #[test]
    fn html_check_is_like_telegram() {
        assert!(check_html("<b>a &amp; b &lt;c&gt;</b> &quot;x&quot; &#128308;").is_ok());
        assert!(check_html("a & b").is_err());
        assert!(check_html("a <c> b").is_err());
        assert!(check_html("<b>open").is_err());
        assert!(check_html("<b>x</i>").is_err());
        assert!(check_html("x < y").is_err());
    }
}
