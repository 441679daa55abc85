//! The cnMaestro API client: an OAuth 2.0 client-credentials token (kept in `kv` with its expiry
//! when granted), bearer requests, one renewal on 401, `limit`/`offset` paging bounded by
//! `max_pages`, and errors classified by what the answer says (401/403 `auth`, 429 `budget`, 5xx
//! and HTML pages `unreachable`, anything that is not the JSON expected `invalid-response`).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use vigia_plugin_sdk::http::{Method, Request, Response};
use vigia_plugin_sdk::{ErrorClass, Host, PluginError, Target};

use crate::config::Config;

/// A stored token is dropped this long before it expires (a run must not start with a token
/// that dies half-way).
const EXPIRY_MARGIN_MS: u64 = 60_000;

/// The token as kept in `kv`.
#[derive(Debug, serde::Serialize, Deserialize)]
struct Stored {
    token: String,
    expires_at_ms: u64,
}

pub(crate) struct Client<'a, H: Host> {
    host: &'a H,
    base: String,
    config: &'a Config,
    secret: String,
    kv_key: String,
    token: Option<String>,
}

impl<'a, H: Host> Client<'a, H> {
    pub(crate) fn new(
        host: &'a H,
        target: &Target,
        config: &'a Config,
        secret: String,
    ) -> Result<Self, PluginError> {
        let base = target.address.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(PluginError::config(format!(
                "target address `{}` is not an http(s) URL of the API (e.g. https://cnmaestro.example.net/api/v2)",
                target.address
            )));
        }
        let kv_key = format!("token/{}", target.id);
        // A live stored token saves a token request per run; without `kv` we ask every run.
        let now = host.now_ms();
        let token = host
            .kv_get(&kv_key)
            .ok()
            .flatten()
            .and_then(|bytes| serde_json::from_slice::<Stored>(&bytes).ok())
            .filter(|s| s.expires_at_ms > now.saturating_add(EXPIRY_MARGIN_MS))
            .map(|s| s.token);
        Ok(Self {
            host,
            base,
            config,
            secret,
            kv_key,
            token,
        })
    }

    fn login(&mut self) -> Result<String, PluginError> {
        let what = "POST /access/token";
        let credentials = base64(&format!("{}:{}", self.config.client_id, self.secret));
        let request = Request {
            method: Method::Post,
            url: format!("{}/access/token", self.base),
            headers: vec![
                ("accept".into(), "application/json".into()),
                ("authorization".into(), format!("Basic {credentials}")),
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
            ],
            body: Some(b"grant_type=client_credentials".to_vec()),
            timeout_ms: self.config.timeout_ms,
        };
        let response = self
            .host
            .http_send(&request)
            .map_err(|e| PluginError::from(e).context(what))?;
        check(what, &response)?;
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
            token_type: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let token: Token = decode(what, &response)?;
        if token.access_token.is_empty() {
            return Err(PluginError::invalid_response(format!(
                "{what}: empty access_token"
            )));
        }
        if !token.token_type.eq_ignore_ascii_case("bearer") {
            return Err(PluginError::invalid_response(format!(
                "{what}: token_type `{}`, expected bearer",
                token.token_type
            )));
        }
        // cnMaestro documents 3600 s; without `expires_in` keep it for this run only.
        let lifetime_ms = token.expires_in.unwrap_or(0).saturating_mul(1000);
        let stored = Stored {
            token: token.access_token.clone(),
            expires_at_ms: self.host.now_ms().saturating_add(lifetime_ms),
        };
        let kept = serde_json::to_vec(&stored)
            .ok()
            .is_some_and(|bytes| self.host.kv_set(&self.kv_key, &bytes).is_ok());
        if !kept {
            self.host
                .debug("no kv grant: the token is not kept between runs");
        }
        self.token = Some(token.access_token.clone());
        Ok(token.access_token)
    }

    /// `GET {base}{path_and_query}` as JSON; gets a token first if needed, and once more on a
    /// 401 with a stored token.
    fn get<T: DeserializeOwned>(&mut self, path_and_query: &str) -> Result<T, PluginError> {
        let what = format!(
            "GET {}",
            path_and_query.split('?').next().unwrap_or_default()
        );
        let mut fresh = false;
        loop {
            let token = match self.token.clone() {
                Some(token) => token,
                None => {
                    fresh = true;
                    self.login()?
                }
            };
            let request = Request {
                method: Method::Get,
                url: format!("{}{path_and_query}", self.base),
                headers: vec![
                    ("accept".into(), "application/json".into()),
                    ("authorization".into(), format!("Bearer {token}")),
                ],
                body: None,
                timeout_ms: self.config.timeout_ms,
            };
            let response = self
                .host
                .http_send(&request)
                .map_err(|e| PluginError::from(e).context(&what))?;
            if response.status == 401 && !fresh {
                // The stored token expired or was revoked: forget it and ask again, once.
                self.token = None;
                let _ = self.host.kv_delete(&self.kv_key);
                continue;
            }
            check(&what, &response)?;
            return decode(&what, &response);
        }
    }

    /// Every item of a paged list: `limit`/`offset` pages until `total` is reached or a page is
    /// short, at most `max_pages` of them. `query` is the rest of the query string (already
    /// encoded), without `limit`/`offset`.
    pub(crate) fn list<T: DeserializeOwned>(
        &mut self,
        path: &str,
        query: &str,
    ) -> Result<Vec<T>, PluginError> {
        let limit = self.config.page_size as usize;
        let mut all = Vec::new();
        let mut offset = 0usize;
        for _ in 0..self.config.max_pages {
            let url = if query.is_empty() {
                format!("{path}?limit={limit}&offset={offset}")
            } else {
                format!("{path}?limit={limit}&offset={offset}&{query}")
            };
            let page: Page<T> = self.get(&url)?;
            let count = page.data.len();
            all.extend(page.data);
            offset += count;
            let total = page.paging.and_then(|p| p.total);
            let done = match total {
                Some(total) => offset >= total || count == 0,
                None => count < limit,
            };
            if done {
                return Ok(all);
            }
        }
        Err(PluginError::budget(format!(
            "GET {path}: more than {} pages of {limit}: raise `max_pages` or `page_size`",
            self.config.max_pages
        )))
    }
}

/// The envelope of every list.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(default)]
    paging: Option<Paging>,
    data: Vec<T>,
}

#[derive(Deserialize)]
struct Paging {
    #[serde(default)]
    total: Option<usize>,
}

fn is_html(response: &Response) -> bool {
    let declared = response.headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-type") && v.to_ascii_lowercase().contains("text/html")
    });
    let looks = response
        .body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<');
    declared || looks
}

/// Classifies a non-2xx answer, and an HTML page in place of the API.
fn check(what: &str, response: &Response) -> Result<(), PluginError> {
    if (200..=299).contains(&response.status) {
        if is_html(response) {
            return Err(PluginError::unreachable(format!(
                "{what}: an HTML page instead of the API (a proxy or portal in the way?): {}",
                snippet(&response.body)
            )));
        }
        return Ok(());
    }
    let detail = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| {
            let description = v.get("error_description").and_then(|m| m.as_str());
            let error = v.get("error").and_then(|m| m.as_str());
            let message = v.get("message").and_then(|m| m.as_str());
            match (error, description) {
                (Some(e), Some(d)) => Some(format!("{e}: {d}")),
                (Some(e), None) => Some(e.to_owned()),
                (None, _) => message.or(description).map(str::to_owned),
            }
        })
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

fn decode<T: DeserializeOwned>(what: &str, response: &Response) -> Result<T, PluginError> {
    serde_json::from_slice(&response.body).map_err(|error| {
        PluginError::invalid_response(format!(
            "{what}: unexpected body ({error}): {}",
            snippet(&response.body)
        ))
    })
}

/// Standard base64 with padding (RFC 4648), for HTTP Basic.
pub(crate) fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
