//! A fake WhatsApp Cloud API (template messages only).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::recorder::{Recorder, WaitTimeout};
use super::server::{Server, lock};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct WhatsAppRequest {
    pub version: String,
    pub phone_number_id: String,
    pub to: String,
    pub template: String,
    pub language: String,
    /// The body component's text parameters, in order.
    pub parameters: Vec<String>,
    /// What the fake answered.
    pub status: u16,
    pub at: Instant,
}

#[derive(Debug, Default)]
struct Script {
    rate_limited: u32,
    server_errors: u32,
    rejected_templates: HashSet<String>,
    /// Known templates and their body parameter count; when empty, any template is accepted.
    templates: HashMap<String, usize>,
}

#[derive(Debug)]
struct Shared {
    token: String,
    phone_number_id: String,
    requests: Recorder<WhatsAppRequest>,
    script: Mutex<Script>,
    next_id: Mutex<u64>,
}

/// A fake WhatsApp Cloud API on loopback. See the [module docs](crate::testing).
#[derive(Debug)]
pub struct FakeWhatsApp {
    server: Server,
    shared: Arc<Shared>,
}

impl FakeWhatsApp {
    /// Starts a fake that accepts this access token for this sending phone number id.
    pub async fn start(access_token: &str, phone_number_id: &str) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            token: access_token.to_owned(),
            phone_number_id: phone_number_id.to_owned(),
            requests: Recorder::new(),
            script: Mutex::new(Script::default()),
            next_id: Mutex::new(1),
        });
        let router = Router::new()
            .route("/{version}/{phone}/messages", post(handle))
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

    /// Registers an approved template with its number of body parameters. Once any is
    /// registered, other names get error 132001 and wrong counts error 132000.
    pub fn approve_template(&self, name: &str, body_parameters: usize) {
        lock(&self.shared.script)
            .templates
            .insert(name.to_owned(), body_parameters);
    }

    /// Answers the next `n` messages with HTTP 429, error 130429 "Rate limit hit".
    pub fn rate_limit_next(&self, n: u32) {
        lock(&self.shared.script).rate_limited = n;
    }

    /// Answers the next `n` messages with HTTP 500, error 131000.
    pub fn fail_next(&self, n: u32) {
        lock(&self.shared.script).server_errors = n;
    }

    /// Rejects this template: HTTP 404, error 132001 "Template name does not exist in the
    /// translation".
    pub fn reject_template(&self, name: &str) {
        lock(&self.shared.script)
            .rejected_templates
            .insert(name.to_owned());
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<WhatsAppRequest> {
        self.shared.requests.all()
    }

    /// The messages accepted (answered 200).
    pub fn delivered(&self) -> Vec<WhatsAppRequest> {
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
    ) -> Result<Vec<WhatsAppRequest>, WaitTimeout> {
        self.shared.requests.wait_for(n, timeout).await
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((version, phone)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let template = &parsed["template"];
    let mut request = WhatsAppRequest {
        version,
        phone_number_id: phone,
        to: text(&parsed["to"]),
        template: text(&template["name"]),
        language: text(&template["language"]["code"]),
        parameters: body_parameters(template),
        status: 0,
        at,
    };
    let (status, answer) = answer(&shared, &headers, &parsed, &request);
    request.status = status.as_u16();
    shared.requests.push(request);
    (status, axum::Json(answer)).into_response()
}

fn body_parameters(template: &Value) -> Vec<String> {
    template["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["type"] == "body")
        .flat_map(|c| c["parameters"].as_array().cloned().unwrap_or_default())
        .map(|p| p["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn answer(
    shared: &Shared,
    headers: &HeaderMap,
    body: &Value,
    request: &WhatsAppRequest,
) -> (StatusCode, Value) {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(shared.token.as_str()) {
        return error(
            StatusCode::UNAUTHORIZED,
            190,
            "Invalid OAuth access token - Cannot parse access token",
            None,
        );
    }
    if request.phone_number_id != shared.phone_number_id {
        return error(
            StatusCode::BAD_REQUEST,
            100,
            "Unsupported post request. Object with ID does not exist",
            None,
        );
    }
    if let Err(problem) = check_shape(body) {
        return error(
            StatusCode::BAD_REQUEST,
            100,
            "(#100) Invalid parameter",
            Some(&problem),
        );
    }
    let mut script = lock(&shared.script);
    if script.rate_limited > 0 {
        script.rate_limited -= 1;
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            130429,
            "(#130429) Rate limit hit",
            Some(
                "Message failed to send because there were too many messages sent from this phone number in a short period of time",
            ),
        );
    }
    if script.server_errors > 0 {
        script.server_errors -= 1;
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            131000,
            "(#131000) Something went wrong",
            Some("Message failed to send due to an unknown error"),
        );
    }
    let unknown = !script.templates.is_empty() && !script.templates.contains_key(&request.template);
    if script.rejected_templates.contains(&request.template) || unknown {
        return error(
            StatusCode::NOT_FOUND,
            132001,
            "(#132001) Template name does not exist in the translation",
            Some(&format!(
                "template name ({}) does not exist in {}",
                request.template, request.language
            )),
        );
    }
    if let Some(expected) = script.templates.get(&request.template)
        && *expected != request.parameters.len()
    {
        return error(
            StatusCode::BAD_REQUEST,
            132000,
            "(#132000) Number of parameters does not match the expected number of params",
            Some(&format!(
                "body: number of localizable_params ({}) does not match the expected number of params ({expected})",
                request.parameters.len()
            )),
        );
    }
    drop(script);
    let id = {
        let mut next = lock(&shared.next_id);
        *next += 1;
        *next
    };
    (
        StatusCode::OK,
        json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": request.to, "wa_id": request.to }],
            "messages": [{ "id": format!("wamid.FAKE{id:012}") }],
        }),
    )
}

/// The template message shape the Cloud API requires.
fn check_shape(body: &Value) -> Result<(), String> {
    if body["messaging_product"] != "whatsapp" {
        return Err("messaging_product must be \"whatsapp\"".into());
    }
    let to = body["to"].as_str().unwrap_or_default();
    if to.is_empty() || !to.bytes().all(|b| b.is_ascii_digit()) {
        return Err("to must be a phone number, digits only".into());
    }
    if body["type"] != "template" {
        return Err("type must be \"template\"".into());
    }
    let template = &body["template"];
    if template["name"].as_str().is_none_or(str::is_empty) {
        return Err("template.name is required".into());
    }
    if template["language"]["code"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return Err("template.language.code is required".into());
    }
    let Some(components) = template.get("components") else {
        return Ok(());
    };
    let components = components
        .as_array()
        .ok_or("template.components must be an array")?;
    for component in components {
        if component["type"] != "body" {
            return Err("this fake knows body components only".into());
        }
        let parameters = component["parameters"]
            .as_array()
            .ok_or("components[].parameters must be an array")?;
        for p in parameters {
            if p["type"] != "text" {
                return Err("parameters[].type must be \"text\"".into());
            }
            let text = p["text"].as_str().ok_or("parameters[].text is required")?;
            if text.is_empty() || text.contains(['\n', '\t']) || text.contains("     ") {
                return Err(format!(
                    "parameter {text:?} is empty or has new lines, tabs or more than 4 consecutive spaces"
                ));
            }
        }
    }
    Ok(())
}

fn error(
    status: StatusCode,
    code: u32,
    message: &str,
    details: Option<&str>,
) -> (StatusCode, Value) {
    let mut error = json!({
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AFakeTraceId",
    });
    if let Some(details) = details {
        error["error_data"] = json!({ "messaging_product": "whatsapp", "details": details });
    }
    (status, json!({ "error": error }))
}
