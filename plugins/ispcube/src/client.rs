//! The ISPCube API client: a Sanctum token (kept in `kv` between runs when granted), bearer
//! requests with the static API headers, one re-login on 401, and errors classified by what
//! the answer says (401/403 `auth`, 429 `budget`, 5xx and HTML pages `unreachable`, anything that
//! is not the JSON expected `invalid-response`).

use serde::de::DeserializeOwned;
use vigia_plugin_sdk::http::{Method, Request, Response};
use vigia_plugin_sdk::{ErrorClass, Host, PluginError, Target};

use crate::config::Config;

pub(crate) struct Client<'a, H: Host> {
    host: &'a H,
    base: String,
    config: &'a Config,
    api_key: String,
    password: String,
    kv_key: String,
    token: Option<String>,
}

impl<'a, H: Host> Client<'a, H> {
    pub(crate) fn new(
        host: &'a H,
        target: &Target,
        config: &'a Config,
        api_key: String,
        password: String,
    ) -> Result<Self, PluginError> {
        let base = target.address.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(PluginError::config(format!(
                "target address `{}` is not an http(s) URL of the API (e.g. https://online21.ispcube.com/api)",
                target.address
            )));
        }
        let kv_key = format!("token/{}", target.id);
        // A stored token saves a login per run; without `kv` we log in every run.
        let token = host
            .kv_get(&kv_key)
            .ok()
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        Ok(Self {
            host,
            base,
            config,
            api_key,
            password,
            kv_key,
            token,
        })
    }

    fn headers(&self) -> Vec<(String, String)> {
        vec![
            ("accept".into(), "application/json".into()),
            ("api-key".into(), self.api_key.clone()),
            ("client-id".into(), self.config.client_id.clone()),
            ("login-type".into(), "api".into()),
            ("username".into(), self.config.username.clone()),
        ]
    }

    fn login(&mut self) -> Result<String, PluginError> {
        let what = "POST /sanctum/token";
        let body = serde_json::json!({
            "username": self.config.username,
            "password": self.password,
        });
        let mut headers = self.headers();
        headers.push(("content-type".into(), "application/json".into()));
        let request = Request {
            method: Method::Post,
            url: format!("{}/sanctum/token", self.base),
            headers,
            body: Some(body.to_string().into_bytes()),
            timeout_ms: self.config.timeout_ms,
        };
        let response = self
            .host
            .http_send(&request)
            .map_err(|e| PluginError::from(e).context(what))?;
        check(what, &response)?;
        #[derive(serde::Deserialize)]
        struct Token {
            token: String,
        }
        let token: Token = decode(what, &response.body)?;
        if token.token.is_empty() {
            return Err(PluginError::invalid_response(format!(
                "{what}: empty token"
            )));
        }
        if self
            .host
            .kv_set(&self.kv_key, token.token.as_bytes())
            .is_err()
        {
            self.host
                .debug("no kv grant: the token is not kept between runs");
        }
        self.token = Some(token.token.clone());
        Ok(token.token)
    }

    /// `GET {base}{path}` as JSON; logs in first if needed, and once more on a 401.
    pub(crate) fn get<T: DeserializeOwned>(&mut self, path: &str) -> Result<T, PluginError> {
        let what = format!("GET {path}");
        let mut relogged = false;
        loop {
            let token = match self.token.clone() {
                Some(token) => token,
                None => {
                    relogged = true;
                    self.login()?
                }
            };
            let mut headers = self.headers();
            headers.push(("authorization".into(), format!("Bearer {token}")));
            let request = Request {
                method: Method::Get,
                url: format!("{}{path}", self.base),
                headers,
                body: None,
                timeout_ms: self.config.timeout_ms,
            };
            let response = self
                .host
                .http_send(&request)
                .map_err(|e| PluginError::from(e).context(&what))?;
            if response.status == 401 && !relogged {
                // The stored token expired: forget it and log in again, once.
                self.token = None;
                let _ = self.host.kv_delete(&self.kv_key);
                continue;
            }
            check(&what, &response)?;
            return decode(&what, &response.body);
        }
    }
}

/// Classifies a non-2xx answer.
fn check(what: &str, response: &Response) -> Result<(), PluginError> {
    if (200..=299).contains(&response.status) {
        return Ok(());
    }
    let detail = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| snippet(&response.body));
    let class = match response.status {
        401 | 403 => ErrorClass::Auth,
        429 => ErrorClass::Budget,
        404 => ErrorClass::Config,
        500..=599 => ErrorClass::Unreachable,
        _ => ErrorClass::InvalidResponse,
    };
    Err(PluginError::new(
        class,
        format!("{what}: status {}: {detail}", response.status),
    ))
}

/// The start of a body that is not JSON (an HTML error page), on one line.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(120).collect()
}

fn decode<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, PluginError> {
    serde_json::from_slice(body).map_err(|error| {
        PluginError::invalid_response(format!(
            "{what}: unexpected body ({error}): {}",
            snippet(body)
        ))
    })
}
