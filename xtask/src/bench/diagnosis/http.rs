//! Plain HTTP/1.1 GETs over a socket (xtask has no HTTP client), and the aggregator's
//! `/metrics` read as numbers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result};

/// Bound on one request.
const TIMEOUT: Duration = Duration::from_secs(10);

/// `GET path` with the bearer `key` (if any): the status code and the body.
pub(super) fn get(api: SocketAddr, path: &str, key: Option<&str>) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&api, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    let auth = key.map_or(String::new(), |key| {
        format!("Authorization: Bearer {key}\r\n")
    });
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {api}\r\n{auth}Connection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .with_context(|| format!("GET {path}: not an HTTP response"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("GET {path}: no status in {:?}", head.lines().next()))?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok((status, body))
}

/// The body of a chunked response.
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// The aggregator's Prometheus text, parsed on demand.
pub(super) struct Metrics(String);

impl Metrics {
    pub(super) fn scrape(api: SocketAddr) -> Result<Self> {
        let (status, body) = get(api, "/metrics", None)?;
        anyhow::ensure!(status == 200, "GET /metrics answered {status}");
        Ok(Self(body))
    }

    /// The sum of every sample of `name` whose labels contain each of `labels` (`key="value"`).
    pub(super) fn sum(&self, name: &str, labels: &[&str]) -> f64 {
        self.0
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                let (metric, tags) = series.split_once('{').unwrap_or((series, ""));
                (metric == name && labels.iter().all(|l| tags.contains(l)))
                    .then(|| value.parse::<f64>().ok())
                    .flatten()
            })
            .sum()
    }
}

/// `text` percent-encoded for a query string or a path segment.
pub(super) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
