//! `/metrics`: the binary's metrics ([`MetricsSource`]) followed by the API's own request
//! counters and latency histograms, per route, method and status, in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::time::Instant;

/// Something that writes Prometheus text-format metrics (with their `# HELP`/`# TYPE` lines).
pub trait MetricsSource: Send + Sync + 'static {
    /// Appends the metrics to `out`.
    fn render(&self, out: &mut String);
}

/// A source with no metrics, for callers that have none.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMetrics;

impl MetricsSource for NoMetrics {
    fn render(&self, _out: &mut String) {}
}

/// Upper bounds of the latency histogram buckets, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    /// Count per bucket (not cumulative; summed when rendered).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Label set: (route template, method, status).
type Labels = (String, String, u16);

#[derive(Default)]
pub(crate) struct RequestMetrics {
    inner: Mutex<BTreeMap<Labels, Histogram>>,
}

impl RequestMetrics {
    fn record(&self, labels: Labels, seconds: f64) {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let h = map.entry(labels).or_default();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Appends `vigia_api_requests_total` and `vigia_api_request_duration_seconds`.
    pub(crate) fn render(&self, out: &mut String) {
        let map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        out.push_str("# HELP vigia_api_requests_total HTTP requests answered by the API.\n");
        out.push_str("# TYPE vigia_api_requests_total counter\n");
        for ((route, method, status), h) in map.iter() {
            let labels = label_set(route, method, *status);
            let _ = writeln!(out, "vigia_api_requests_total{{{labels}}} {}", h.count);
        }
        out.push_str("# HELP vigia_api_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE vigia_api_request_duration_seconds histogram\n");
        for ((route, method, status), h) in map.iter() {
            let labels = label_set(route, method, *status);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "vigia_api_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "vigia_api_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "vigia_api_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "vigia_api_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
    }
}

fn label_set(route: &str, method: &str, status: u16) -> String {
    format!(
        "route=\"{}\",method=\"{}\",status=\"{status}\"",
        escape(route),
        escape(method)
    )
}

/// Escapes a label value as the text format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: counts and times every request by its route template (not its concrete path, so
/// the label set stays small); requests that matched no route are `unmatched`.
pub(crate) async fn track(
    State(metrics): State<Arc<RequestMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let labels = (route, method, response.status().as_u16());
    metrics.record(labels, start.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cumulative_buckets() {
        let m = RequestMetrics::default();
        m.record(("/v1/agents".into(), "GET".into(), 200), 0.0007);
        m.record(("/v1/agents".into(), "GET".into(), 200), 0.02);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains(
            "vigia_api_requests_total{route=\"/v1/agents\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(out.contains("status=\"200\",le=\"0.0005\"} 0"));
        assert!(out.contains("status=\"200\",le=\"0.001\"} 1"));
        assert!(out.contains("status=\"200\",le=\"0.025\"} 2"));
        assert!(out.contains("status=\"200\",le=\"+Inf\"} 2"));
    }

    #[test]
    fn escapes_label_values() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
