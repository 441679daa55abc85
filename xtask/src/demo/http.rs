//! Plain HTTP/1.0 over a loopback TCP connection: all the demo needs to read the REST API and
//! the simulator's control API, with no HTTP client dependency.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A response: its status code and body.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: String,
}

/// `method path` on `addr`, with a bearer `key` and a JSON `body` when given.
pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> Result<Response> {
    let what = || format!("{method} http://{addr}{path}");
    let mut stream = TcpStream::connect(addr).with_context(what)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    if let Some(key) = key {
        head.push_str(&format!("Authorization: Bearer {key}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || method != "GET" {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream
        .write_all(format!("{head}{body}").as_bytes())
        .with_context(what)?;
    let mut text = String::new();
    stream.read_to_string(&mut text).with_context(what)?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .with_context(|| format!("{}: not an HTTP response", what()))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("{}: no status in {head:?}", what()))?;
    Ok(Response {
        status,
        body: body.to_owned(),
    })
}

/// The body of a 2xx answer to `GET path`; `None` on any failure (for polling).
pub(crate) fn get_ok(addr: &str, path: &str, key: Option<&str>) -> Option<String> {
    request(addr, "GET", path, key, None)
        .ok()
        .filter(|r| (200..300).contains(&r.status))
        .map(|r| r.body)
}

/// The JSON answer to `method path`; fails unless it is 2xx.
pub(crate) fn json(
    addr: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> Result<Value> {
    let response = request(addr, method, path, key, body)?;
    if !(200..300).contains(&response.status) {
        bail!(
            "{method} http://{addr}{path} answered {}: {}",
            response.status,
            response.body.trim()
        );
    }
    if response.body.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&response.body)
        .with_context(|| format!("{method} http://{addr}{path}: not JSON: {}", response.body))
}
