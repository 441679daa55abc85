//! The `http` capability: HTTP(S) with reqwest (rustls) to granted hosts only.
//!
//! Redirects are not followed (a redirect could leave the granted hosts: the plugin sees the 3xx
//! and may request the new location, which is checked like any other). Environment proxies are
//! ignored. The whole request, body included, is capped by the plugin's timeout and the run's
//! deadline; a body over the host's size cap is an `invalid-argument` error. A probe with a call
//! budget spends one token per request that passes the grant check (`crate::budget`).

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method as ReqwestMethod, Url};

use crate::bindings::vigia::plugin::http::{Host, Method, Request, Response};
use crate::bindings::vigia::plugin::types::HostError as WitHostError;
use crate::capability::tls::TlsConfigs;
use crate::grants::{denied_text, host_port_text};
use crate::state::HostState;
use crate::{HostError, error_chain};

/// The two HTTP clients of a host: verifying TLS (default) and accepting any certificate.
pub(crate) struct HttpClients {
    verify: reqwest::Client,
    skip_verify: reqwest::Client,
    body_max_bytes: usize,
}

impl HttpClients {
    pub(crate) fn new(tls: &TlsConfigs, body_max_bytes: usize) -> Result<Self, HostError> {
        let build = |config: rustls::ClientConfig| {
            reqwest::Client::builder()
                .tls_backend_preconfigured(config)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .map_err(|e| HostError::Tls {
                    reason: format!("cannot build the http client: {}", error_chain(&e)),
                })
        };
        Ok(Self {
            verify: build((*tls.verify).clone())?,
            skip_verify: build((*tls.skip_verify).clone())?,
            body_max_bytes,
        })
    }

    async fn send(
        &self,
        url: Url,
        req: Request,
        skip_verify: bool,
    ) -> Result<Response, WitHostError> {
        let client = if skip_verify {
            &self.skip_verify
        } else {
            &self.verify
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &req.headers {
            let name = HeaderName::try_from(name.as_str()).map_err(|_| {
                WitHostError::InvalidArgument(format!("invalid header name '{name}'"))
            })?;
            let value = HeaderValue::try_from(value.as_str()).map_err(|_| {
                WitHostError::InvalidArgument(format!("invalid value for header '{name}'"))
            })?;
            headers.append(name, value);
        }
        let mut builder = client.request(method(req.method), url).headers(headers);
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let mut resp = builder.send().await.map_err(map_error)?;
        if resp
            .content_length()
            .is_some_and(|len| len > self.body_max_bytes as u64)
        {
            return Err(self.too_large());
        }
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(map_error)? {
            if body.len() + chunk.len() > self.body_max_bytes {
                return Err(self.too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn too_large(&self) -> WitHostError {
        WitHostError::InvalidArgument(format!(
            "response body is larger than the {} byte cap",
            self.body_max_bytes
        ))
    }
}

fn method(m: Method) -> ReqwestMethod {
    match m {
        Method::Get => ReqwestMethod::GET,
        Method::Head => ReqwestMethod::HEAD,
        Method::Post => ReqwestMethod::POST,
        Method::Put => ReqwestMethod::PUT,
        Method::Patch => ReqwestMethod::PATCH,
        Method::Delete => ReqwestMethod::DELETE,
    }
}

fn map_error(e: reqwest::Error) -> WitHostError {
    let text = error_chain(&e);
    if e.is_timeout() {
        WitHostError::Timeout
    } else if has_source::<rustls::Error>(&e) {
        WitHostError::Protocol(format!("tls: {text}"))
    } else if e.is_connect() {
        WitHostError::Unreachable(text)
    } else if e.is_builder() {
        WitHostError::InvalidArgument(text)
    } else {
        WitHostError::Protocol(text)
    }
}

fn has_source<E: std::error::Error + 'static>(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.is::<E>() {
        return true;
    }
    // `io::Error::source` skips the error it wraps (often another `io::Error`): look inside.
    let wrapped = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref());
    wrapped.is_some_and(|inner| has_source::<E>(inner)) || e.source().is_some_and(has_source::<E>)
}

impl Host for HostState {
    async fn send(&mut self, request: Request) -> wasmtime::Result<Result<Response, WitHostError>> {
        self.charge()?;
        let url = match Url::parse(&request.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => url,
            Ok(_) => {
                return Ok(Err(WitHostError::InvalidArgument(format!(
                    "'{}' is not an http(s) URL",
                    request.url
                ))));
            }
            Err(e) => {
                return Ok(Err(WitHostError::InvalidArgument(format!(
                    "invalid URL '{}': {e}",
                    request.url
                ))));
            }
        };
        let host = url.host_str().unwrap_or_default();
        let default_port = if url.scheme() == "https" { 443 } else { 80 };
        let port = url.port().unwrap_or(default_port);
        if !self.grants.allows_http(host, port, default_port) {
            let target = if port == default_port {
                host.to_owned()
            } else {
                host_port_text(host, port)
            };
            let what = format!("http to {target}");
            return Ok(Err(WitHostError::Denied(denied_text(
                &what,
                &self.plugin,
                "it to this probe's grants.http_hosts",
            ))));
        }
        let timeout: Duration = match self.io_timeout(request.timeout_ms) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = self.spend_budget() {
            return Ok(Err(e));
        }
        let skip_verify = self.grants.tls_skip_verify;
        let call = self.services.http.send(url, request, skip_verify);
        Ok(tokio::time::timeout(timeout, call)
            .await
            .unwrap_or(Err(WitHostError::Timeout)))
    }
}
